/**
 * Retry policies: backoff formulas against hand-computed and documented sequences, jitter
 * against its definitions, budgets and the circuit breaker as state machines worked by hand, and
 * the presets against the documented values of the systems they name (../shared/SYSTEMS.md).
 */
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../models/errors.ts";
import {
  type BackoffConfig,
  BreakerState,
  baseDelayS,
  jitteredDelayS,
  NO_RETRY,
  RetryPolicy,
  type RetryPolicyConfig,
  validateRetryPolicy,
} from "../../models/retryPolicy.ts";
import { RETRY_PRESET_NAMES, RETRY_PRESETS, retryPreset } from "../../models/retryPresets.ts";
import type { Rng } from "../../sim/random.ts";

/** An Rng that returns the given draws in turn (and counts them). */
class ScriptedRng implements Rng {
  draws = 0;
  constructor(private readonly values: number[] = [0.5]) {}
  next(): number {
    const value = this.values[this.draws % this.values.length];
    this.draws++;
    return value;
  }
}

function policyConfig(extra: Partial<RetryPolicyConfig> = {}): RetryPolicyConfig {
  return {
    preset: null,
    maxAttempts: 3,
    backoff: { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 10 },
    jitter: "none",
    jitterRatio: 0,
    budget: null,
    circuitBreaker: null,
    ...extra,
  };
}

const sequence = (backoff: BackoffConfig, n: number) =>
  Array.from({ length: n }, (_, i) => baseDelayS(backoff, i + 1));

describe("backoff", () => {
  it("exponential 100 ms x2 capped at 1 s: 0.1, 0.2, 0.4, 0.8, 1, 1", () => {
    const backoff: BackoffConfig = { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 1 };
    const got = sequence(backoff, 6);
    [0.1, 0.2, 0.4, 0.8, 1, 1].forEach((want, i) => {
      expect(got[i]).toBeCloseTo(want, 12);
    });
  });

  it("exponential with a multiplier of 3: 1, 3, 9, 27, then the cap of 50", () => {
    const backoff: BackoffConfig = { kind: "exponential", baseS: 1, multiplier: 3, capS: 50 };
    expect(sequence(backoff, 5)).toEqual([1, 3, 9, 27, 50]);
  });

  it("an exponential backoff far out stays at its cap (no overflow to Infinity or NaN)", () => {
    const backoff: BackoffConfig = { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 10 };
    expect(baseDelayS(backoff, 5000)).toBe(10);
  });

  it("fixed and immediate", () => {
    expect(sequence({ kind: "fixed", delayS: 1.5 }, 4)).toEqual([1.5, 1.5, 1.5, 1.5]);
    expect(sequence({ kind: "immediate" }, 3)).toEqual([0, 0, 0]);
  });

  it("doublings then linear: Cloud Tasks' documented example", () => {
    // Cloud Tasks RetryConfig.maxDoublings: min 10 s, max 300 s, 3 doublings retry at
    // "10s, 20s, 40s, 80s, 160s, 240s, 300s, 300s".
    const backoff: BackoffConfig = {
      kind: "doublings-then-linear",
      minS: 10,
      maxS: 300,
      maxDoublings: 3,
    };
    expect(sequence(backoff, 8)).toEqual([10, 20, 40, 80, 160, 240, 300, 300]);
  });

  it("doublings then linear with a cap out of the way: 1, 2, 4, then +4 each time", () => {
    // Two doublings: 1, 2, 4; then linear by the last doubled value (2^2 x 1 = 4): 8, 12, 16.
    const backoff: BackoffConfig = {
      kind: "doublings-then-linear",
      minS: 1,
      maxS: 1000,
      maxDoublings: 2,
    };
    expect(sequence(backoff, 6)).toEqual([1, 2, 4, 8, 12, 16]);
  });

  it("doublings then linear: Cloud Tasks' defaults (0.1 s, 3600 s, 16 doublings)", () => {
    const backoff: BackoffConfig = {
      kind: "doublings-then-linear",
      minS: 0.1,
      maxS: 3600,
      maxDoublings: 16,
    };
    // Retry n waits 0.1 x 2^(n-1) while n - 1 <= 16 doublings:
    // 13th: 0.1 x 2^12 = 409.6 s; 16th: 0.1 x 2^15 = 3276.8 s;
    // 17th: 0.1 x 2^16 = 6553.6 s, over the max: 3600 s;
    // 18th: linear, 0.1 x 2^16 x (18 - 16) = 13107.2 s, over the max: 3600 s.
    expect(baseDelayS(backoff, 1)).toBeCloseTo(0.1, 12);
    expect(baseDelayS(backoff, 13)).toBeCloseTo(409.6, 9);
    expect(baseDelayS(backoff, 16)).toBeCloseTo(3276.8, 9);
    expect(baseDelayS(backoff, 17)).toBe(3600);
    expect(baseDelayS(backoff, 18)).toBe(3600);
    expect(baseDelayS(backoff, 99)).toBe(3600);
  });

  it("refuses a retry number below 1 or not whole", () => {
    expect(() => baseDelayS({ kind: "immediate" }, 0)).toThrow(RangeError);
    expect(() => baseDelayS({ kind: "fixed", delayS: 1 }, 1.5)).toThrow(RangeError);
  });
});

describe("jitter", () => {
  // Base 1 s doubling, cap 20 s: the 3rd retry's backoff is 4 s.
  const exponential: BackoffConfig = { kind: "exponential", baseS: 1, multiplier: 2, capS: 20 };
  const withJitter = (jitter: RetryPolicyConfig["jitter"], jitterRatio = 0) => ({
    backoff: exponential,
    jitter,
    jitterRatio,
  });
  const grid = Array.from({ length: 100 }, (_, i) => i / 100).concat([1 - 2 ** -53]);

  it("none: the backoff's delay, whatever the draw", () => {
    for (const u of grid) expect(jitteredDelayS(withJitter("none"), 3, 0, u)).toBe(4);
  });

  it("full: u x delay, in [0, delay)", () => {
    expect(jitteredDelayS(withJitter("full"), 3, 0, 0)).toBe(0);
    expect(jitteredDelayS(withJitter("full"), 3, 0, 0.25)).toBe(1);
    for (const u of grid) {
      const d = jitteredDelayS(withJitter("full"), 3, 0, u);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(4);
    }
  });

  it("equal: delay/2 + u x delay/2, in [delay/2, delay]", () => {
    expect(jitteredDelayS(withJitter("equal"), 3, 0, 0)).toBe(2);
    expect(jitteredDelayS(withJitter("equal"), 3, 0, 0.25)).toBe(2.5);
    for (const u of grid) {
      const d = jitteredDelayS(withJitter("equal"), 3, 0, u);
      expect(d).toBeGreaterThanOrEqual(2);
      // u < 1, but 2 + u x 2 may round up to 4 for the largest u.
      expect(d).toBeLessThanOrEqual(4);
    }
  });

  it("decorrelated: min(cap, base + u x (3 x previous - base)), from the base", () => {
    // AWS Architecture Blog: sleep = min(cap, random_between(base, sleep * 3)), sleep = base at
    // first. Base 1 s, cap 20 s, draws 0.5, 0.5, 0.9, 0.1, 0.99, 0.99:
    // 1 + 0.5 x (3 - 1) = 2; 1 + 0.5 x (6 - 1) = 3.5; 1 + 0.9 x (10.5 - 1) = 9.55;
    // 1 + 0.1 x (28.65 - 1) = 3.765; 1 + 0.99 x (11.295 - 1) = 11.19205;
    // 1 + 0.99 x (33.57615 - 1) = 33.2503885, over the cap: 20.
    const draws = [0.5, 0.5, 0.9, 0.1, 0.99, 0.99];
    const want = [2, 3.5, 9.55, 3.765, 11.19205, 20];
    let previousS = 0; // ignored before the first retry
    draws.forEach((u, i) => {
      previousS = jitteredDelayS(withJitter("decorrelated"), i + 1, previousS, u);
      expect(previousS).toBeCloseTo(want[i], 9);
    });
  });

  it("decorrelated stays in [base, min(cap, 3 x previous))", () => {
    for (const u of grid) {
      const d = jitteredDelayS(withJitter("decorrelated"), 4, 5, u);
      expect(d).toBeGreaterThanOrEqual(1);
      expect(d).toBeLessThan(15);
    }
  });

  it("decorrelated on doublings then linear grows from min, capped at max", () => {
    const config = {
      backoff: { kind: "doublings-then-linear", minS: 2, maxS: 10, maxDoublings: 3 } as const,
      jitter: "decorrelated" as const,
      jitterRatio: 0,
    };
    expect(jitteredDelayS(config, 1, 0, 0.5)).toBe(4); // 2 + 0.5 x (6 - 2)
    expect(jitteredDelayS(config, 2, 4, 0.5)).toBe(7); // 2 + 0.5 x (12 - 2)
    expect(jitteredDelayS(config, 3, 7, 0.5)).toBe(10); // 2 + 0.5 x 19 = 11.5 -> 10
  });

  it("proportional: delay x (1 +- ratio), capped as Kafka's ExponentialBackoff", () => {
    // Kafka producer: 100 ms doubling to 1 s, jitter 0.2: the first retry waits 80 to 120 ms.
    const kafka = {
      backoff: { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 1 } as const,
      jitter: "proportional" as const,
      jitterRatio: 0.2,
    };
    expect(jitteredDelayS(kafka, 1, 0, 0)).toBeCloseTo(0.08, 12);
    expect(jitteredDelayS(kafka, 1, 0, 0.5)).toBeCloseTo(0.1, 12);
    expect(jitteredDelayS(kafka, 1, 0, 0.75)).toBeCloseTo(0.11, 12);
    // The 5th retry's backoff is capped at 1 s; +10% would be 1.1 s: capped again.
    expect(jitteredDelayS(kafka, 5, 0, 0.75)).toBe(1);
    expect(jitteredDelayS(kafka, 5, 0, 0)).toBeCloseTo(0.8, 12);
    for (const u of grid) {
      const d = jitteredDelayS(kafka, 2, 0, u);
      expect(d).toBeGreaterThanOrEqual(0.16 - 1e-12);
      expect(d).toBeLessThanOrEqual(0.24);
    }
  });

  it("immediate is 0 for every jitter", () => {
    for (const jitter of ["none", "full", "equal", "decorrelated", "proportional"] as const) {
      const config = { backoff: { kind: "immediate" } as const, jitter, jitterRatio: 0.2 };
      expect(jitteredDelayS(config, 2, 0, 0.7)).toBe(0);
    }
  });

  it("refuses a draw outside [0, 1)", () => {
    expect(() => jitteredDelayS(withJitter("full"), 1, 0, 1)).toThrow(RangeError);
    expect(() => jitteredDelayS(withJitter("full"), 1, 0, -0.1)).toThrow(RangeError);
  });
});

describe("RetryPolicy: attempts and draws", () => {
  it("grants maxAttempts - 1 retries, then counts the request as exhausted", () => {
    const rng = new ScriptedRng();
    const policy = new RetryPolicy(policyConfig({ maxAttempts: 3 }), rng);
    expect(policy.retryDelayS(1, 0, 0, false)).toBeCloseTo(0.1, 12);
    expect(policy.retryDelayS(2, 0.1, 0, false)).toBeCloseTo(0.2, 12);
    expect(policy.retryDelayS(3, 0.2, 0, false)).toBe(NO_RETRY);
    expect(policy.retriesGranted).toBe(2);
    expect(policy.exhausted).toBe(1);
    expect(policy.retriesDeniedByBudget).toBe(0);
  });

  it("one attempt means no retry", () => {
    const policy = new RetryPolicy(retryPreset("none"), new ScriptedRng());
    expect(policy.retryDelayS(1, 0, 0, false)).toBe(NO_RETRY);
    expect(policy.exhausted).toBe(1);
  });

  it("draws exactly one number per granted retry, whatever the jitter, and none when refused", () => {
    for (const jitter of ["none", "full", "equal", "decorrelated"] as const) {
      const rng = new ScriptedRng([0.3]);
      const policy = new RetryPolicy(policyConfig({ jitter, maxAttempts: 2 }), rng);
      policy.retryDelayS(1, 0, 0, false);
      policy.retryDelayS(2, 0, 0, false); // exhausted: no draw
      expect(rng.draws).toBe(1);
    }
  });

  it("uses the draw for the jitter: full jitter of the 2nd retry with u = 0.25", () => {
    const policy = new RetryPolicy(policyConfig({ jitter: "full" }), new ScriptedRng([0.25]));
    expect(policy.retryDelayS(2, 0, 0, false)).toBeCloseTo(0.05, 12); // 0.25 x 0.2
  });
});

describe("RetryPolicy: the AWS retry quota", () => {
  const quota = () =>
    new RetryPolicy(
      policyConfig({
        budget: { kind: "quota", capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 },
      }),
      new ScriptedRng(),
    );

  it("500 / 5 = 100 retries, then denial; a denied retry spends nothing", () => {
    const policy = quota();
    for (let i = 0; i < 100; i++) expect(policy.retryDelayS(1, 0, i, false)).toBeGreaterThan(0);
    expect(policy.budgetBalance(100)).toBe(0);
    expect(policy.retryDelayS(1, 0, 100, false)).toBe(NO_RETRY);
    expect(policy.retriesGranted).toBe(100);
    expect(policy.retriesDeniedByBudget).toBe(1);
    expect(policy.budgetBalance(100)).toBe(0);
  });

  it("a timeout costs 10: 50 of them empty the quota", () => {
    const policy = quota();
    for (let i = 0; i < 50; i++) policy.retryDelayS(1, 0, 0, true);
    expect(policy.retryDelayS(1, 0, 0, true)).toBe(NO_RETRY);
    expect(policy.retriesGranted).toBe(50);
  });

  it("successes refund 1 after a first attempt, the retry's cost after a retry", () => {
    const policy = quota();
    for (let i = 0; i < 100; i++) policy.retryDelayS(1, 0, 0, false);
    policy.recordSuccess(1);
    expect(policy.budgetBalance(1)).toBe(1);
    expect(policy.retryDelayS(1, 0, 1, false)).toBe(NO_RETRY); // 1 < 5
    for (let i = 0; i < 4; i++) policy.recordSuccess(1);
    expect(policy.budgetBalance(1)).toBe(5);
    // A timeout retry needs 10: refused, and the 5 are kept for an ordinary retry.
    expect(policy.retryDelayS(1, 0, 1, true)).toBe(NO_RETRY);
    expect(policy.budgetBalance(1)).toBe(5);
    expect(policy.retryDelayS(1, 0, 1, false)).toBeGreaterThan(0);
    expect(policy.budgetBalance(1)).toBe(0);
    policy.recordSuccess(2, "retry");
    expect(policy.budgetBalance(2)).toBe(5);
    policy.recordSuccess(2, "timeout-retry");
    expect(policy.budgetBalance(2)).toBe(15);
  });

  it("refunds stop at the capacity", () => {
    const policy = quota();
    policy.recordSuccess(0);
    policy.recordSuccess(0, "timeout-retry");
    expect(policy.budgetBalance(0)).toBe(500);
  });
});

describe("RetryPolicy: gRPC retry throttling", () => {
  const throttle = (maxTokens: number, tokenRatio: number) =>
    new RetryPolicy(
      policyConfig({ maxAttempts: 5, budget: { kind: "throttle", maxTokens, tokenRatio } }),
      new ScriptedRng(),
    );

  it("from 10 tokens: retries allowed down to 6 tokens, refused at 5 (<= 10/2) and below", () => {
    const policy = throttle(10, 0.1);
    for (let i = 0; i < 4; i++) policy.recordFailure(0, false);
    expect(policy.budgetBalance(0)).toBe(6);
    expect(policy.retryDelayS(1, 0, 0, false)).toBeGreaterThan(0);
    policy.recordFailure(0, false);
    expect(policy.budgetBalance(0)).toBe(5);
    expect(policy.retryDelayS(1, 0, 0, false)).toBe(NO_RETRY);
    policy.recordFailure(0, false);
    expect(policy.budgetBalance(0)).toBe(4);
    expect(policy.retryDelayS(1, 0, 0, false)).toBe(NO_RETRY);
    expect(policy.retriesDeniedByBudget).toBe(2);
    // Two successes earn 0.2 tokens: 4.2, still <= 5. Ten more: 5.2 > 5, retries resume.
    for (let i = 0; i < 12; i++) policy.recordSuccess(0);
    expect(policy.budgetBalance(0)).toBeCloseTo(5.2, 12);
    expect(policy.retryDelayS(1, 0, 0, false)).toBeGreaterThan(0);
  });

  it("reproduces gRPC core's retry_throttle_test (max 4 tokens, ratio 1.6)", () => {
    // grpc retry_throttle_test.cc: failure -> 3, above the threshold of 2; success -> 4, not
    // beyond the max; failure -> 3; failure -> 2, at the threshold, so no retries.
    const policy = throttle(4, 1.6);
    policy.recordFailure(0, false);
    expect(policy.retryDelayS(1, 0, 0, false)).toBeGreaterThan(0);
    policy.recordSuccess(0);
    expect(policy.budgetBalance(0)).toBe(4);
    policy.recordFailure(0, false);
    expect(policy.retryDelayS(1, 0, 0, false)).toBeGreaterThan(0);
    policy.recordFailure(0, false);
    expect(policy.retryDelayS(1, 0, 0, false)).toBe(NO_RETRY);
  });

  it("tokens stay within [0, maxTokens], and a granted retry costs no token", () => {
    const policy = throttle(10, 0.1);
    for (let i = 0; i < 3; i++) policy.retryDelayS(1, 0, 0, false);
    expect(policy.budgetBalance(0)).toBe(10);
    for (let i = 0; i < 25; i++) policy.recordFailure(0, true);
    expect(policy.budgetBalance(0)).toBe(0);
    for (let i = 0; i < 200; i++) policy.recordSuccess(0);
    expect(policy.budgetBalance(0)).toBe(10);
  });
});

describe("RetryPolicy: a ratio budget (SRE book, Finagle)", () => {
  const ratio = (minPerS: number) =>
    new RetryPolicy(
      policyConfig({ budget: { kind: "ratio", ratio: 0.1, minPerS, windowS: 10 } }),
      new ScriptedRng(),
    );

  it("100 requests at 10%: 10 retries, the 11th refused", () => {
    // Finagle RetryBudget: "if 0.1 is used, then for every 10 calls to deposit(), 1 retry will
    // be allowed".
    const policy = ratio(0);
    for (let i = 0; i < 100; i++) policy.recordRequest(0);
    for (let i = 0; i < 10; i++) expect(policy.retryDelayS(1, 0, 1, false)).toBeGreaterThan(0);
    expect(policy.retryDelayS(1, 0, 1, false)).toBe(NO_RETRY);
    expect(policy.retriesDeniedByBudget).toBe(1);
  });

  it("a reserve of 1/s over 10 s adds 10 retries: the 21st is refused", () => {
    const policy = ratio(1);
    for (let i = 0; i < 100; i++) policy.recordRequest(0);
    for (let i = 0; i < 20; i++) expect(policy.retryDelayS(1, 0, 1, false)).toBeGreaterThan(0);
    expect(policy.retryDelayS(1, 0, 1, false)).toBe(NO_RETRY);
  });

  it("requests and retries leave the window after windowS", () => {
    const policy = ratio(0);
    for (let i = 0; i < 100; i++) policy.recordRequest(0);
    for (let i = 0; i < 10; i++) policy.retryDelayS(1, 0, 0.5, false);
    // Still inside the 10 s window: the 10 retries used it up.
    expect(policy.retryDelayS(1, 0, 9.5, false)).toBe(NO_RETRY);
    // 10 s later both the requests and the retries are gone: no allowance, no debt.
    expect(policy.budgetBalance(10.5)).toBe(0);
    expect(policy.retryDelayS(1, 0, 10.5, false)).toBe(NO_RETRY);
    for (let i = 0; i < 10; i++) policy.recordRequest(11);
    expect(policy.retryDelayS(1, 0, 11, false)).toBeGreaterThan(0);
    expect(policy.retryDelayS(1, 0, 11, false)).toBe(NO_RETRY);
  });

  it("a window of slots: requests spread over time expire slot by slot", () => {
    const policy = ratio(0);
    // 10 requests in each of seconds 0..9: 100 in the window at t = 9.5.
    for (let s = 0; s < 10; s++) for (let i = 0; i < 10; i++) policy.recordRequest(s + 0.5);
    expect(policy.budgetBalance(9.5)).toBeCloseTo(10, 12);
    // At t = 10.5 the slot of second 0 has left: 90 requests, 9 retries.
    expect(policy.budgetBalance(10.5)).toBeCloseTo(9, 12);
    // After a long silence, everything has left (the ring is cleared once, not per slot).
    expect(policy.budgetBalance(1e6)).toBe(0);
  });
});

describe("RetryPolicy: circuit breaker", () => {
  const breaker = (minimumCalls = 10) =>
    new RetryPolicy(
      policyConfig({
        circuitBreaker: {
          failureRatio: 0.5,
          windowCalls: 10,
          minimumCalls,
          openS: 60,
          halfOpenCalls: 2,
        },
      }),
      new ScriptedRng(),
    );

  it("opens exactly when the failure ratio reaches the threshold over minimumCalls calls", () => {
    const policy = breaker();
    for (let i = 0; i < 5; i++) policy.recordSuccess(1);
    for (let i = 0; i < 4; i++) policy.recordFailure(1, false);
    expect(policy.breakerState(1)).toBe(BreakerState.closed); // 9 calls < 10
    policy.recordFailure(2, true); // 5 failures in 10 calls: 50% >= 50%
    expect(policy.breakerState(2)).toBe(BreakerState.open);
    expect(policy.breakerOpenings).toBe(1);
  });

  it("stays closed below the threshold, and the window slides", () => {
    const policy = breaker();
    for (let i = 0; i < 6; i++) policy.recordSuccess(1);
    for (let i = 0; i < 4; i++) policy.recordFailure(1, false);
    expect(policy.breakerState(1)).toBe(BreakerState.closed); // 4 / 10
    // An 11th call pushes out the oldest (a success): 5 failures in the last 10.
    policy.recordFailure(1, false);
    expect(policy.breakerState(1)).toBe(BreakerState.open);
  });

  it("does not open on fewer than minimumCalls calls, however many fail", () => {
    const policy = breaker(4);
    for (let i = 0; i < 3; i++) policy.recordFailure(0, false);
    expect(policy.callAllowed(0)).toBe(true);
    policy.recordFailure(0, false);
    expect(policy.callAllowed(0)).toBe(false);
  });

  it("open: refuses calls for openS, then lets halfOpenCalls trials through; all succeed: closed", () => {
    const policy = breaker(4);
    for (let i = 0; i < 4; i++) policy.recordFailure(100, false);
    expect(policy.callAllowed(100)).toBe(false);
    expect(policy.callAllowed(159.9)).toBe(false);
    expect(policy.breakerState(159.9)).toBe(BreakerState.open);
    expect(policy.breakerState(160)).toBe(BreakerState.halfOpen);
    expect(policy.callAllowed(160)).toBe(true);
    expect(policy.callAllowed(160)).toBe(true);
    expect(policy.callAllowed(160)).toBe(false); // only 2 trials
    expect(policy.breakerRejections).toBe(3);
    policy.recordSuccess(161);
    expect(policy.breakerState(161)).toBe(BreakerState.halfOpen);
    policy.recordSuccess(161);
    expect(policy.breakerState(161)).toBe(BreakerState.closed);
    expect(policy.callAllowed(161)).toBe(true);
    // The window starts afresh: one failure is not 1 of 1 over minimumCalls.
    policy.recordFailure(162, false);
    expect(policy.breakerState(162)).toBe(BreakerState.closed);
  });

  it("half-open: a trial failure opens it again for openS", () => {
    const policy = breaker(4);
    for (let i = 0; i < 4; i++) policy.recordFailure(0, false);
    expect(policy.callAllowed(60)).toBe(true);
    policy.recordSuccess(60.5);
    expect(policy.callAllowed(61)).toBe(true);
    policy.recordFailure(61.5, true);
    expect(policy.breakerState(61.5)).toBe(BreakerState.open);
    expect(policy.breakerOpenings).toBe(2);
    expect(policy.callAllowed(121)).toBe(false);
    expect(policy.breakerState(121.5)).toBe(BreakerState.halfOpen);
  });

  it("answers that arrive while open are ignored", () => {
    const policy = breaker(4);
    for (let i = 0; i < 4; i++) policy.recordFailure(0, false);
    for (let i = 0; i < 10; i++) policy.recordFailure(30, false);
    expect(policy.breakerOpenings).toBe(1);
    expect(policy.breakerState(60)).toBe(BreakerState.halfOpen); // not pushed back to 90
  });

  it("without a breaker every call is allowed and the state is closed", () => {
    const policy = new RetryPolicy(policyConfig(), new ScriptedRng());
    for (let i = 0; i < 100; i++) policy.recordFailure(0, false);
    expect(policy.callAllowed(0)).toBe(true);
    expect(policy.breakerState(0)).toBe(BreakerState.closed);
    expect(policy.breakerRejections).toBe(0);
  });
});

describe("RetryPolicy: invariants", () => {
  it("time going backwards is a bug", () => {
    const policy = new RetryPolicy(policyConfig(), new ScriptedRng());
    policy.recordRequest(5);
    expect(() => policy.recordRequest(4)).toThrow(InvariantError);
  });

  it("refuses an invalid config", () => {
    const bad: Partial<RetryPolicyConfig>[] = [
      { maxAttempts: 0 },
      { maxAttempts: 2.5 },
      { backoff: { kind: "exponential", baseS: 1, multiplier: 2, capS: 0.5 } },
      { backoff: { kind: "exponential", baseS: 0, multiplier: 2, capS: 1 } },
      { backoff: { kind: "exponential", baseS: 1, multiplier: 0.5, capS: 10 } },
      { backoff: { kind: "doublings-then-linear", minS: 1, maxS: 10, maxDoublings: -1 } },
      { jitter: "full", jitterRatio: 0.2 },
      { jitter: "proportional", jitterRatio: 1.5 },
      { budget: { kind: "quota", capacity: 10, retryCost: 20, timeoutCost: 1, successRefund: 1 } },
      { budget: { kind: "throttle", maxTokens: 0, tokenRatio: 0.1 } },
      { budget: { kind: "ratio", ratio: 0.1, minPerS: 0, windowS: 0 } },
      {
        circuitBreaker: {
          failureRatio: 0.5,
          windowCalls: 10,
          minimumCalls: 20,
          openS: 1,
          halfOpenCalls: 1,
        },
      },
    ];
    for (const extra of bad) {
      expect(() => validateRetryPolicy(policyConfig(extra)), JSON.stringify(extra)).toThrow(
        RangeError,
      );
    }
  });
});

describe("presets", () => {
  it("every preset is valid and names itself", () => {
    for (const name of RETRY_PRESET_NAMES) {
      const { config, source, description } = RETRY_PRESETS[name];
      expect(() => validateRetryPolicy(config)).not.toThrow();
      expect(config.preset).toBe(name);
      expect(source.length).toBeGreaterThan(0);
      expect(description.length).toBeGreaterThan(0);
    }
  });

  it("aws-standard: 3 attempts, random(0,1) x min(2^(n-1), 20) s, quota 500 / 5 / 10 / 1", () => {
    // SYSTEMS.md, AWS SDK standard mode.
    const config = retryPreset("aws-standard");
    expect(config.maxAttempts).toBe(3);
    expect(config.jitter).toBe("full");
    expect(sequence(config.backoff, 7)).toEqual([1, 2, 4, 8, 16, 20, 20]);
    expect(config.budget).toEqual({
      kind: "quota",
      capacity: 500,
      retryCost: 5,
      timeoutCost: 10,
      successRefund: 1,
    });
  });

  it("grpc: at most 5 attempts, full jitter, throttling 10 tokens / 0.1", () => {
    // SYSTEMS.md and gRFC A6; backoff from A6's example (0.1 s, x2, 1 s).
    const config = retryPreset("grpc");
    expect(config.maxAttempts).toBe(5);
    expect(config.jitter).toBe("full");
    expect(config.backoff).toEqual({ kind: "exponential", baseS: 0.1, multiplier: 2, capS: 1 });
    expect(config.budget).toEqual({ kind: "throttle", maxTokens: 10, tokenRatio: 0.1 });
  });

  it("sre-budget: 3 attempts, retries under 10% of requests", () => {
    const config = retryPreset("sre-budget");
    expect(config.maxAttempts).toBe(3);
    expect(config.budget).toMatchObject({ kind: "ratio", ratio: 0.1 });
  });

  it("finagle: 20% of requests plus 10 retries/s over 10 s, no delay", () => {
    const config = retryPreset("finagle");
    expect(config.budget).toEqual({ kind: "ratio", ratio: 0.2, minPerS: 10, windowS: 10 });
    expect(config.backoff).toEqual({ kind: "immediate" });
  });

  it("finagle's budget: 100 retries of reserve in a quiet window, plus 20% of requests", () => {
    const policy = new RetryPolicy(retryPreset("finagle"), new ScriptedRng());
    for (let i = 0; i < 50; i++) policy.recordRequest(0);
    // 10/s x 10 s = 100, plus 0.2 x 50 = 10: 110 retries.
    expect(policy.budgetBalance(0)).toBeCloseTo(110, 9);
  });

  it("celery-autoretry: max_retries 3, factor 1 s doubling, at most 600 s, full jitter", () => {
    const config = retryPreset("celery-autoretry");
    expect(config.maxAttempts).toBe(4);
    expect(config.jitter).toBe("full");
    expect(config.backoff).toEqual({ kind: "exponential", baseS: 1, multiplier: 2, capS: 600 });
    expect(baseDelayS(config.backoff, 11)).toBe(600); // 2^10 = 1024 > 600
  });

  it("cloud-tasks: 100 attempts, 0.1 s to 3600 s, 16 doublings", () => {
    const config = retryPreset("cloud-tasks");
    expect(config.maxAttempts).toBe(100);
    expect(config.backoff).toEqual({
      kind: "doublings-then-linear",
      minS: 0.1,
      maxS: 3600,
      maxDoublings: 16,
    });
  });

  it("kafka-producer: 100 ms growing to 1000 ms with 20% jitter", () => {
    const config = retryPreset("kafka-producer");
    expect(config.backoff).toEqual({ kind: "exponential", baseS: 0.1, multiplier: 2, capS: 1 });
    expect(config.jitter).toBe("proportional");
    expect(config.jitterRatio).toBe(0.2);
  });

  it("the generic presets", () => {
    expect(retryPreset("none").maxAttempts).toBe(1);
    expect(retryPreset("immediate-3")).toMatchObject({
      maxAttempts: 3,
      backoff: { kind: "immediate" },
    });
    expect(retryPreset("exponential-no-jitter")).toMatchObject({ jitter: "none", budget: null });
  });

  it("retryPreset gives a copy, and refuses an unknown name", () => {
    const copy = retryPreset("grpc");
    copy.maxAttempts = 99;
    expect(retryPreset("grpc").maxAttempts).toBe(5);
    expect(() => retryPreset("grcp")).toThrow(RangeError);
    expect(() => retryPreset("toString")).toThrow(RangeError);
  });
});
