/**
 * The optimistic-concurrency contest (models/contention.ts): hand-worked contests with constant
 * or scripted network hops, the lockstep closed form, and the published findings of the AWS
 * Architecture Blog's "Exponential Backoff And Jitter" (2015) as orderings at 100 clients.
 */
import { describe, expect, it } from "vitest";
import {
  type ContentionConfig,
  Contest,
  runContention,
  type StreamSource,
} from "../../models/contention.ts";
import type { BackoffConfig, JitterKind, RetryPolicyConfig } from "../../models/retryPolicy.ts";
import type { DistributionSpec } from "../../sim/distributions.ts";
import type { Rng } from "../../sim/random.ts";
import { RandomStreams } from "../../sim/random.ts";

const UNLIMITED = 2_147_483_647;

function policy(backoff: BackoffConfig, jitter: JitterKind, maxAttempts = UNLIMITED) {
  return {
    preset: null,
    maxAttempts,
    backoff,
    jitter,
    jitterRatio: 0,
    budget: null,
    circuitBreaker: null,
  } satisfies RetryPolicyConfig;
}

const HOP_S = 0.01;
const CONSTANT_HOP: DistributionSpec = { kind: "constant", value: HOP_S };
const FIXED_5MS = policy({ kind: "fixed", delayS: 0.005 }, "none");

function contest(
  clients: number,
  hop: DistributionSpec,
  retry: RetryPolicyConfig,
  streams: StreamSource = new RandomStreams(1),
) {
  return new Contest(clients, hop, retry, streams, "test").run();
}

/** An Rng that returns `values` in turn, then `rest` for ever. */
function scripted(values: number[], rest = 0.5): Rng {
  let i = 0;
  return { next: () => (i < values.length ? values[i++] : rest) };
}

/**
 * Hops from an empirical list, each client's picked by a script of indices (in the order the
 * client draws them: read request, read reply, write request, write reply, next read request,
 * ...); policies draw 0.5.
 */
const HOP_VALUES_S = [0.005, 0.01, 0.025, 0.035];
const EMPIRICAL_HOP: DistributionSpec = { kind: "empirical", values: HOP_VALUES_S };
const TEN = 1; // index of 10 ms

function scriptedHops(byClient: number[][]): StreamSource {
  return {
    stream(name: string): Rng {
      const match = /client:(\d+)\/hop$/.exec(name);
      if (match === null) return scripted([], 0.5);
      const indices = byClient[Number(match[1])] ?? [];
      // The middle of the index's slot of the empirical list.
      return scripted(
        indices.map((index) => (index + 0.5) / HOP_VALUES_S.length),
        (TEN + 0.5) / HOP_VALUES_S.length,
      );
    },
  };
}

describe("hand-worked contests", () => {
  it("one client: one call, done after its four one-way hops (read there and back, write there and back)", () => {
    const result = contest(1, CONSTANT_HOP, FIXED_5MS);
    expect(result).toEqual({ clients: 1, calls: 1, conflicts: 0, gaveUp: 0, completionS: 0.04 });
    // With random hops, the completion is the sum of the four: 5 + 25 + 35 + 10 ms.
    const drawn = contest(1, EMPIRICAL_HOP, FIXED_5MS, scriptedHops([[0, 2, 3, 1]]));
    expect(drawn.calls).toBe(1);
    expect(drawn.completionS).toBeCloseTo(0.075, 12);
  });

  it("two clients, 10 ms hops, 5 ms fixed backoff: the first wins at 30 ms, the second at 75 ms", () => {
    // Both reads reach the row at 10 ms and see version 0; both writes reach it at 30 ms:
    // client 0's first (it was scheduled first), so it writes version 1 and client 1's write is
    // refused. Client 1 hears so at 40 ms, waits 5 ms, reads version 1 at 55 ms, writes at
    // 75 ms and hears of its success at 85 ms. Calls: 2 + 1.
    expect(contest(2, CONSTANT_HOP, FIXED_5MS)).toEqual({
      clients: 2,
      calls: 3,
      conflicts: 1,
      gaveUp: 0,
      completionS: expect.closeTo(0.085, 12),
    });
  });

  it.each([1, 2, 3, 5, 8])(
    "%i clients in lockstep: one success per round, n(n+1)/2 calls, done at n(4h + b) - b",
    (n) => {
      // Constant hops and no jitter keep every remaining client in step: all read the same
      // version, one write wins per round, each round lasts four hops plus the backoff.
      const result = contest(n, CONSTANT_HOP, FIXED_5MS);
      expect(result.calls).toBe((n * (n + 1)) / 2);
      expect(result.conflicts).toBe((n * (n - 1)) / 2);
      expect(result.completionS).toBeCloseTo(n * (4 * HOP_S + 0.005) - 0.005, 12);
    },
  );

  it("a read sees the version when it reaches the row, not when it was sent", () => {
    // Client 0: 10 ms hops, writes at 30 ms. Client 1's read takes 35 ms: it sees version 1 and
    // its write (at 55 ms) succeeds at once. Had it read at 25 ms it would have seen version 0.
    const late = contest(
      2,
      EMPIRICAL_HOP,
      FIXED_5MS,
      scriptedHops([
        [TEN, TEN, TEN, TEN],
        [3, TEN, TEN, TEN],
      ]),
    );
    expect(late).toMatchObject({ calls: 2, conflicts: 0 });
    expect(late.completionS).toBeCloseTo(0.065, 12);
    const early = contest(
      2,
      EMPIRICAL_HOP,
      FIXED_5MS,
      scriptedHops([
        [TEN, TEN, TEN, TEN],
        [2, TEN, TEN, TEN],
      ]),
    );
    // Read at 25 ms (version 0), write at 45 ms: refused; 10 ms back, 5 ms wait, 10 ms there:
    // reads version 1 at 70 ms, writes at 90 ms, hears at 100 ms.
    expect(early).toMatchObject({ calls: 3, conflicts: 1 });
    expect(early.completionS).toBeCloseTo(0.1, 12);
  });

  it("a write is judged when it reaches the row: sent at the same time, the faster one wins", () => {
    // Both read version 0 at 10 ms and send their writes at 20 ms; client 1's takes 5 ms and
    // reaches the row first (25 ms), client 0's at 30 ms is refused although scheduled first.
    const result = contest(
      2,
      EMPIRICAL_HOP,
      FIXED_5MS,
      scriptedHops([
        [TEN, TEN, TEN, TEN],
        [TEN, TEN, 0, TEN],
      ]),
    );
    // Client 0 hears at 40 ms, waits 5, reads at 55, writes at 75, hears at 85 ms.
    expect(result).toMatchObject({ calls: 3, conflicts: 1 });
    expect(result.completionS).toBeCloseTo(0.085, 12);
  });

  it("decorrelated jitter grows from each client's previous delay", () => {
    // Three clients in step, base 5 ms, every draw 0.5. Round 1: client 0 wins at 30 ms; clients
    // 1 and 2 hear at 40 ms and wait 5 + 0.5 x (3 x 5 - 5) = 10 ms. Round 2: both read at 60 ms,
    // client 1 wins at 80 ms; client 2 hears at 90 ms and waits 5 + 0.5 x (3 x 10 - 5) = 17.5 ms,
    // reads at 117.5 ms, writes at 137.5 ms and hears at 147.5 ms.
    const decorrelated = policy(
      { kind: "exponential", baseS: 0.005, multiplier: 2, capS: 2 },
      "decorrelated",
    );
    const halves: StreamSource = { stream: () => scripted([], 0.5) };
    const result = contest(3, CONSTANT_HOP, decorrelated, halves);
    expect(result).toMatchObject({ calls: 6, conflicts: 3 });
    expect(result.completionS).toBeCloseTo(0.1475, 12);
  });

  it("a client whose attempts are used up gives up; the contest ends when all are done", () => {
    // One attempt each: the first write wins at 30 ms, the other two are refused and give up
    // when they hear so at 40 ms.
    const result = contest(3, CONSTANT_HOP, policy({ kind: "immediate" }, "none", 1));
    expect(result).toEqual({ clients: 3, calls: 3, conflicts: 2, gaveUp: 2, completionS: 0.04 });
  });

  it("refuses a policy with a circuit breaker, and no clients", () => {
    const breaker = {
      ...FIXED_5MS,
      circuitBreaker: {
        failureRatio: 0.5,
        windowCalls: 10,
        minimumCalls: 10,
        openS: 1,
        halfOpenCalls: 1,
      },
    };
    expect(() => contest(2, CONSTANT_HOP, breaker)).toThrow(/circuit breaker/);
    expect(() => contest(0, CONSTANT_HOP, FIXED_5MS)).toThrow(/clients/);
  });
});

/** The study's settings: |normal(10 ms, 2 ms)| hops, cap 2 s, unlimited attempts. */
const STUDY_HOP: DistributionSpec = { kind: "normal", mean: 0.01, stddev: 0.002 };
// The study's code sleeps min(cap, 5 ms x 2^attempt) from attempt 1: a first sleep of 10 ms,
// which is base 10 ms in queuelab's terms; its decorrelated jitter starts from 5 ms.
const EXPONENTIAL: BackoffConfig = { kind: "exponential", baseS: 0.01, multiplier: 2, capS: 2 };
const STUDY_POLICIES = {
  none: policy({ kind: "immediate" }, "none"),
  exponential: policy(EXPONENTIAL, "none"),
  full: policy(EXPONENTIAL, "full"),
  equal: policy(EXPONENTIAL, "equal"),
  decorrelated: policy({ ...EXPONENTIAL, baseS: 0.005 }, "decorrelated"),
};

function study(retry: RetryPolicyConfig, seed: number, clientCounts = [100]) {
  const config: ContentionConfig = { clientCounts, hop: STUDY_HOP, retry, repetitions: 10 };
  return runContention(config, new RandomStreams(seed));
}

describe("the AWS study's findings at 100 clients", () => {
  it.each([1, 2])("seed %i: the orderings the study reports", (seed) => {
    const at = Object.fromEntries(
      Object.entries(STUDY_POLICIES).map(([name, retry]) => [name, study(retry, seed)]),
    );
    const calls = (name: string) => at[name].callsAtMax;
    const timeS = (name: string) => at[name].completionAtMaxS;
    const jittered = ["full", "equal", "decorrelated"];
    // Exponential without jitter: the most calls and the most time of the backoff policies.
    for (const name of jittered) {
      expect(calls("exponential")).toBeGreaterThan(calls(name));
      expect(timeS("exponential")).toBeGreaterThan(timeS(name));
    }
    expect(timeS("exponential")).toBeGreaterThan(timeS("none"));
    // No backoff at all: more calls still.
    expect(calls("none")).toBeGreaterThan(calls("exponential"));
    // Full jitter cuts the calls by more than half.
    expect(calls("full")).toBeLessThan(calls("exponential") / 2);
    // Full and equal jitter: about the same number of calls (within 10%); decorrelated more.
    expect(Math.abs(calls("equal") - calls("full"))).toBeLessThan(0.1 * calls("full"));
    expect(calls("decorrelated")).toBeGreaterThan(Math.max(calls("full"), calls("equal")));
    // Equal jitter: the slowest of the jittered.
    expect(timeS("equal")).toBeGreaterThan(timeS("full"));
    expect(timeS("equal")).toBeGreaterThan(timeS("decorrelated"));
  });
});

describe("runContention", () => {
  it("averages the repetitions of each count, and reports the largest count", () => {
    const summary = study(STUDY_POLICIES.full, 1, [1, 5, 20]);
    expect(summary.repetitions).toBe(10);
    expect(summary.byClients.map((p) => p.clients)).toEqual([1, 5, 20]);
    // One client: one call, whatever the hops.
    expect(summary.byClients[0].calls).toBe(1);
    expect(summary.byClients[0].gaveUp).toBe(0);
    // n clients make at least n calls (one success each) and at most n^2 (each success refuses
    // at most the n - 1 others' outstanding writes).
    for (const point of summary.byClients) {
      expect(point.calls).toBeGreaterThanOrEqual(point.clients);
      expect(point.calls).toBeLessThanOrEqual(point.clients ** 2);
    }
    expect(summary.callsAtMax).toBe(summary.byClients[2].calls);
    expect(summary.completionAtMaxS).toBe(summary.byClients[2].completionS);
  });

  it("is deterministic: the same seed gives the same numbers, another seed others", () => {
    const once = study(STUDY_POLICIES.decorrelated, 7, [10, 30]);
    expect(study(STUDY_POLICIES.decorrelated, 7, [10, 30])).toEqual(once);
    expect(study(STUDY_POLICIES.decorrelated, 8, [10, 30])).not.toEqual(once);
  });

  it("common random numbers: a lone client's hops do not depend on the policy", () => {
    // With one client there is no conflict: its completion is its four hops, whatever it would
    // do after a failure.
    const none = study(STUDY_POLICIES.none, 3, [1]);
    const full = study(STUDY_POLICIES.full, 3, [1]);
    expect(full.completionAtMaxS).toBe(none.completionAtMaxS);
    expect(none.completionAtMaxS).toBeGreaterThan(0.02);
  });
});
