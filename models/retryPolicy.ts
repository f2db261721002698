/**
 * Retry policies: how long a client waits before trying a failed call again (backoff and
 * jitter), how many times it tries (max attempts), whether a shared budget lets it retry at all
 * (a ratio budget, the AWS SDK's retry quota, gRPC's retry throttling), and whether a circuit
 * breaker lets it call at all.
 *
 * The formulas are pure functions of the config, the retry's number and one uniform draw, so
 * tests check them against hand-computed sequences. `RetryPolicy` is the per-client runtime
 * state (one per consumer pool or group of callers: they share its budget and breaker); it is
 * driven by the virtual time its caller passes in and draws exactly one number from its Rng per
 * granted retry, whatever the jitter, so that variants differing only in jitter see the same
 * random numbers elsewhere (common random numbers). Its memory is fixed.
 */
import type { Rng } from "../sim/random.ts";
import { InvariantError } from "./errors.ts";

/**
 * - none: the backoff's delay as is.
 * - full: uniform in [0, delay) (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
 * - equal: delay/2 plus uniform in [0, delay/2) (same blog).
 * - decorrelated: uniform in [base, 3 x previous delay), capped (same blog); it ignores the
 *   retry's number and grows from the previous delay instead.
 * - proportional: delay x uniform in [1 - jitterRatio, 1 + jitterRatio), capped (Kafka's
 *   ExponentialBackoff, retry.backoff.ms with 20% jitter).
 */
export type JitterKind = "none" | "full" | "equal" | "decorrelated" | "proportional";

export type BackoffConfig =
  | { kind: "immediate" }
  | { kind: "fixed"; delayS: number }
  | { kind: "exponential"; baseS: number; multiplier: number; capS: number }
  // Cloud Tasks: min, doubling maxDoublings times, then growing linearly by the last doubled
  // value (min x 2^maxDoublings), capped at max.
  | { kind: "doublings-then-linear"; minS: number; maxS: number; maxDoublings: number };

export type RetryBudgetConfig =
  // SRE book / Finagle: retries <= ratio x requests in the window, plus a reserve of minPerS per
  // second (minPerS x windowS retries per window).
  | { kind: "ratio"; ratio: number; minPerS: number; windowS: number }
  // AWS SDK standard mode retry quota.
  | {
      kind: "quota";
      capacity: number;
      retryCost: number;
      timeoutCost: number;
      successRefund: number;
    }
  // gRPC retry throttling: failure -1 token, success +tokenRatio, retries allowed while
  // tokens > maxTokens/2.
  | { kind: "throttle"; maxTokens: number; tokenRatio: number };

/** resilience4j-style count-based window. */
export interface CircuitBreakerConfig {
  /** Opens when failures / calls in the window reach this (with at least minimumCalls calls). */
  failureRatio: number;
  /** Calls in the sliding window. */
  windowCalls: number;
  minimumCalls: number;
  /** How long it stays open before letting trial calls through. */
  openS: number;
  /** Trial calls let through when half-open; all must succeed to close again. */
  halfOpenCalls: number;
}

export interface RetryPolicyConfig {
  /** Preset it came from, or null (for reports). */
  preset: string | null;
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  backoff: BackoffConfig;
  jitter: JitterKind;
  /** Half-width of proportional jitter (0.2 = +-20%); 0 for the other kinds. */
  jitterRatio: number;
  budget: RetryBudgetConfig | null;
  circuitBreaker: CircuitBreakerConfig | null;
}

/** What `retryDelayS` returns when there is no next attempt. */
export const NO_RETRY = -1;

/** Breaker states as `breakerState` reports them (numbers, for charts). */
export const BreakerState = { closed: 0, open: 1, halfOpen: 2 } as const;
export type BreakerStateValue = (typeof BreakerState)[keyof typeof BreakerState];

/** Slots of a ratio budget's sliding window, as Finagle's WindowedAdder (10 slots per ttl). */
export const RATIO_WINDOW_SLOTS = 10;

/** What preceded a success, for the AWS quota's refund (see `RetryPolicy.recordSuccess`). */
export type SuccessAfter = "first-attempt" | "retry" | "timeout-retry";

/**
 * The backoff's delay before retry `retryNumber` (1 = the delay before the 2nd attempt), before
 * jitter.
 */
export function baseDelayS(backoff: BackoffConfig, retryNumber: number): number {
  if (!Number.isInteger(retryNumber) || retryNumber < 1) {
    throw new RangeError(`retryNumber must be a whole number >= 1, got ${retryNumber}`);
  }
  switch (backoff.kind) {
    case "immediate":
      return 0;
    case "fixed":
      return backoff.delayS;
    case "exponential":
      // multiplier^(n-1) may overflow to Infinity for a huge n; the cap absorbs it.
      return Math.min(backoff.capS, backoff.baseS * backoff.multiplier ** (retryNumber - 1));
    case "doublings-then-linear": {
      // Cloud Tasks' example: min 10 s, max 300 s, 3 doublings -> 10, 20, 40, 80, 160, 240, 300.
      const doublings = retryNumber - 1;
      const delayS =
        doublings <= backoff.maxDoublings
          ? backoff.minS * 2 ** doublings
          : backoff.minS * 2 ** backoff.maxDoublings * (retryNumber - backoff.maxDoublings);
      return Math.min(backoff.maxS, delayS);
    }
  }
}

/**
 * The smallest and the largest delay of a backoff, for decorrelated jitter and for capping
 * proportional jitter. Exponential: its base and cap; doublings-then-linear: its min and max;
 * fixed: its delay for both (decorrelated jitter then stays at the delay: the reader refuses
 * that combination); immediate: 0.
 */
export function backoffRangeS(backoff: BackoffConfig): { baseS: number; capS: number } {
  switch (backoff.kind) {
    case "immediate":
      return { baseS: 0, capS: 0 };
    case "fixed":
      return { baseS: backoff.delayS, capS: backoff.delayS };
    case "exponential":
      return { baseS: backoff.baseS, capS: backoff.capS };
    case "doublings-then-linear":
      return { baseS: backoff.minS, capS: backoff.maxS };
  }
}

/**
 * The delay before retry `retryNumber`, given the delay before the previous retry (decorrelated
 * jitter grows from it; it is taken as the base before the first retry) and one uniform draw
 * `u` in [0, 1).
 */
export function jitteredDelayS(
  config: Pick<RetryPolicyConfig, "backoff" | "jitter" | "jitterRatio">,
  retryNumber: number,
  previousDelayS: number,
  u: number,
): number {
  if (!(u >= 0 && u < 1)) throw new RangeError(`u must be in [0, 1), got ${u}`);
  const { backoff } = config;
  if (backoff.kind === "immediate") return 0;
  const delayS = baseDelayS(backoff, retryNumber);
  switch (config.jitter) {
    case "none":
      return delayS;
    case "full":
      return u * delayS;
    case "equal":
      return delayS / 2 + (u * delayS) / 2;
    case "decorrelated": {
      // sleep = min(cap, random_between(base, sleep * 3)), sleep starting at base.
      const { baseS, capS } = backoffRangeS(backoff);
      const previousS = retryNumber === 1 ? baseS : Math.max(previousDelayS, baseS);
      return Math.min(capS, baseS + u * (3 * previousS - baseS));
    }
    case "proportional": {
      // Kafka: min(maxInterval, term x random(1 - jitter, 1 + jitter)).
      const factor = 1 - config.jitterRatio + 2 * config.jitterRatio * u;
      const scaledS = delayS * factor;
      return backoff.kind === "fixed" ? scaledS : Math.min(backoffRangeS(backoff).capS, scaledS);
    }
  }
}

/** Throws a RangeError naming the first thing wrong with a config built in code. */
export function validateRetryPolicy(config: RetryPolicyConfig): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`retry policy: ${what}`);
  };
  const finiteAtLeast = (x: number, min: number) => Number.isFinite(x) && x >= min;
  check(
    Number.isInteger(config.maxAttempts) && config.maxAttempts >= 1,
    `maxAttempts must be a whole number >= 1, got ${config.maxAttempts}`,
  );
  const { backoff } = config;
  if (backoff.kind === "fixed")
    check(finiteAtLeast(backoff.delayS, 0), "fixed delayS must be >= 0");
  if (backoff.kind === "exponential") {
    check(finiteAtLeast(backoff.baseS, 0) && backoff.baseS > 0, "exponential baseS must be > 0");
    check(finiteAtLeast(backoff.multiplier, 1), "exponential multiplier must be >= 1");
    check(finiteAtLeast(backoff.capS, backoff.baseS), "exponential capS must be >= baseS");
  }
  if (backoff.kind === "doublings-then-linear") {
    check(finiteAtLeast(backoff.minS, 0) && backoff.minS > 0, "doublings minS must be > 0");
    check(finiteAtLeast(backoff.maxS, backoff.minS), "doublings maxS must be >= minS");
    check(
      Number.isInteger(backoff.maxDoublings) && backoff.maxDoublings >= 0,
      "maxDoublings must be a whole number >= 0",
    );
  }
  check(
    config.jitter === "proportional"
      ? config.jitterRatio >= 0 && config.jitterRatio <= 1
      : config.jitterRatio === 0,
    `jitterRatio must be in [0, 1] with proportional jitter and 0 otherwise, got ${config.jitterRatio}`,
  );
  const { budget } = config;
  if (budget?.kind === "ratio") {
    check(budget.ratio >= 0 && budget.ratio <= 1, "ratio budget's ratio must be in [0, 1]");
    check(finiteAtLeast(budget.minPerS, 0), "ratio budget's minPerS must be >= 0");
    check(finiteAtLeast(budget.windowS, 0) && budget.windowS > 0, "ratio budget's windowS > 0");
  }
  if (budget?.kind === "quota") {
    const whole = (x: number) => Number.isInteger(x) && x >= 0;
    check(whole(budget.capacity) && budget.capacity >= 1, "quota capacity must be whole, >= 1");
    check(whole(budget.retryCost) && budget.retryCost <= budget.capacity, "quota retryCost");
    check(whole(budget.timeoutCost) && budget.timeoutCost <= budget.capacity, "quota timeoutCost");
    check(whole(budget.successRefund), "quota successRefund must be a whole number >= 0");
  }
  if (budget?.kind === "throttle") {
    check(budget.maxTokens > 0 && budget.maxTokens <= 1000, "throttle maxTokens in (0, 1000]");
    check(budget.tokenRatio > 0 && Number.isFinite(budget.tokenRatio), "throttle tokenRatio > 0");
  }
  const breaker = config.circuitBreaker;
  if (breaker !== null) {
    check(breaker.failureRatio > 0 && breaker.failureRatio <= 1, "failureRatio in (0, 1]");
    check(Number.isInteger(breaker.windowCalls) && breaker.windowCalls >= 1, "windowCalls >= 1");
    check(
      Number.isInteger(breaker.minimumCalls) &&
        breaker.minimumCalls >= 1 &&
        breaker.minimumCalls <= breaker.windowCalls,
      "minimumCalls must be a whole number in [1, windowCalls]",
    );
    check(finiteAtLeast(breaker.openS, 0) && breaker.openS > 0, "openS must be > 0");
    check(Number.isInteger(breaker.halfOpenCalls) && breaker.halfOpenCalls >= 1, "halfOpenCalls");
  }
}

/** Tolerance for comparing sums of ratios (0.1 x 30 is 3.0000000000000004). */
const RATIO_EPSILON = 1e-9;

/**
 * One client's retry state: its budget and circuit breaker, shared by all its callers.
 *
 * A caller, for each unique request: `recordRequest`, then for each attempt `callAllowed` (a
 * false is a call not made), then `recordSuccess` or `recordFailure`; after a failure,
 * `retryDelayS` says when to try again, or NO_RETRY.
 */
export class RetryPolicy {
  /** Retries the policy granted. */
  retriesGranted = 0;
  /** Retries refused because the budget was short (max attempts not yet reached). */
  retriesDeniedByBudget = 0;
  /** Failed requests that had used all maxAttempts. */
  exhausted = 0;
  /** Calls the open (or full half-open) breaker refused. */
  breakerRejections = 0;
  /** Times the breaker opened (from closed or half-open). */
  breakerOpenings = 0;

  readonly config: RetryPolicyConfig;
  private readonly rng: Rng;
  private lastNowS = 0;

  // Quota: available capacity, whole units.
  private quotaAvailable = 0;
  // Throttle: thousandths of a token, as gRPC core keeps them, so +0.1 and -1 add up exactly.
  private milliTokens = 0;
  private milliTokensMax = 0;
  private milliTokenRatio = 0;
  // Ratio budget: a ring of slots, windowS / RATIO_WINDOW_SLOTS wide, counting the requests and
  // granted retries that began in each. Exact counts (a hand-worked test can check them) in
  // fixed memory, as Finagle's WindowedAdder; the price is a window edge blurred by one slot.
  private readonly slotRequests = new Float64Array(RATIO_WINDOW_SLOTS);
  private readonly slotRetries = new Float64Array(RATIO_WINDOW_SLOTS);
  private slotIndex = 0;
  private windowRequests = 0;
  private windowRetries = 0;

  // Breaker: outcomes of the last windowCalls calls (1 = failure) in a ring.
  private readonly outcomes: Uint8Array;
  private outcomeNext = 0;
  private outcomeCount = 0;
  private outcomeFailures = 0;
  private state: BreakerStateValue = BreakerState.closed;
  private openedAtS = 0;
  private trialsStarted = 0;
  private trialsSucceeded = 0;

  constructor(config: RetryPolicyConfig, rng: Rng) {
    validateRetryPolicy(config);
    this.config = config;
    this.rng = rng;
    const { budget } = config;
    if (budget?.kind === "quota") this.quotaAvailable = budget.capacity;
    if (budget?.kind === "throttle") {
      this.milliTokensMax = Math.round(budget.maxTokens * 1000);
      this.milliTokenRatio = Math.round(budget.tokenRatio * 1000);
      this.milliTokens = this.milliTokensMax;
    }
    this.outcomes = new Uint8Array(config.circuitBreaker?.windowCalls ?? 0);
  }

  /** Whether an attempt may be made now (the circuit breaker); counts a refusal. */
  callAllowed(nowS: number): boolean {
    this.advance(nowS);
    const breaker = this.config.circuitBreaker;
    if (breaker === null || this.state === BreakerState.closed) return true;
    if (this.state === BreakerState.halfOpen && this.trialsStarted < breaker.halfOpenCalls) {
      this.trialsStarted++;
      return true;
    }
    this.breakerRejections++;
    return false;
  }

  /** A new unique request (not a retry) began: ratio budgets earn their allowance from these. */
  recordRequest(nowS: number): void {
    this.advance(nowS);
    if (this.config.budget?.kind !== "ratio") return;
    this.slotRequests[this.slotIndex % RATIO_WINDOW_SLOTS]++;
    this.windowRequests++;
  }

  /**
   * An attempt succeeded. The AWS quota refunds successRefund after a first attempt, and the
   * cost of the last retry (retryCost, or timeoutCost after a timeout) after a retry, as the AWS
   * SDKs do; the throttle earns tokenRatio; the breaker counts a success.
   */
  recordSuccess(nowS: number, after: SuccessAfter = "first-attempt"): void {
    this.advance(nowS);
    const { budget } = this.config;
    if (budget?.kind === "quota") {
      const refund =
        after === "first-attempt"
          ? budget.successRefund
          : after === "retry"
            ? budget.retryCost
            : budget.timeoutCost;
      this.quotaAvailable = Math.min(budget.capacity, this.quotaAvailable + refund);
    } else if (budget?.kind === "throttle") {
      this.milliTokens = Math.min(this.milliTokensMax, this.milliTokens + this.milliTokenRatio);
    }
    this.recordOutcome(nowS, false);
  }

  /** An attempt failed (timed out or not). The throttle loses a token; the breaker counts it. */
  recordFailure(nowS: number, _timedOut: boolean): void {
    // A timeout and an error weigh the same for the breaker and the throttle; the quota tells
    // them apart when the retry is asked for (retryDelayS).
    this.advance(nowS);
    if (this.config.budget?.kind === "throttle") {
      this.milliTokens = Math.max(0, this.milliTokens - 1000);
    }
    this.recordOutcome(nowS, true);
  }

  /**
   * After a failed attempt (the `attemptsMade`-th): the delay before the next attempt, or
   * NO_RETRY (-1) when attempts are used up or the budget refuses. A granted retry spends its
   * budget cost (quota) or counts against the window (ratio); a refused one spends nothing.
   * `previousDelayS` is the delay before the attempt that failed (decorrelated jitter grows
   * from it; ignored after the first attempt). `timedOut` picks the quota's timeout cost.
   */
  retryDelayS(
    attemptsMade: number,
    previousDelayS: number,
    nowS: number,
    timedOut: boolean,
  ): number {
    this.advance(nowS);
    if (attemptsMade >= this.config.maxAttempts) {
      this.exhausted++;
      return NO_RETRY;
    }
    if (!this.spendBudget(timedOut)) {
      this.retriesDeniedByBudget++;
      return NO_RETRY;
    }
    this.retriesGranted++;
    return jitteredDelayS(this.config, attemptsMade, previousDelayS, this.rng.next());
  }

  /** 0 closed, 1 open, 2 half-open (BreakerState), at `nowS`. */
  breakerState(nowS: number): BreakerStateValue {
    this.advance(nowS);
    return this.state;
  }

  /**
   * What the budget holds now, for charts: quota capacity units; throttle tokens; ratio retries
   * still allowed in the window (may be fractional); Infinity without a budget.
   */
  budgetBalance(nowS: number): number {
    this.advance(nowS);
    const { budget } = this.config;
    if (budget === null) return Number.POSITIVE_INFINITY;
    if (budget.kind === "quota") return this.quotaAvailable;
    if (budget.kind === "throttle") return this.milliTokens / 1000;
    return this.ratioAllowance(budget) - this.windowRetries;
  }

  /** Grants a retry from the budget and spends its cost, or refuses it and spends nothing. */
  private spendBudget(timedOut: boolean): boolean {
    const { budget } = this.config;
    if (budget === null) return true;
    if (budget.kind === "quota") {
      const cost = timedOut ? budget.timeoutCost : budget.retryCost;
      if (this.quotaAvailable < cost) return false;
      this.quotaAvailable -= cost;
      return true;
    }
    if (budget.kind === "throttle") {
      // gRPC: retries stop when token_count <= max_tokens / 2.
      return this.milliTokens * 2 > this.milliTokensMax;
    }
    if (this.windowRetries + 1 > this.ratioAllowance(budget) + RATIO_EPSILON) return false;
    this.slotRetries[this.slotIndex % RATIO_WINDOW_SLOTS]++;
    this.windowRetries++;
    return true;
  }

  /** Finagle: ratio x requests in the window, plus a reserve of minPerS x windowS. */
  private ratioAllowance(budget: { ratio: number; minPerS: number; windowS: number }): number {
    return budget.ratio * this.windowRequests + budget.minPerS * budget.windowS;
  }

  private recordOutcome(nowS: number, failed: boolean): void {
    const breaker = this.config.circuitBreaker;
    if (breaker === null || this.state === BreakerState.open) return; // late answers are ignored
    if (this.state === BreakerState.halfOpen) {
      if (failed) {
        this.open(nowS);
      } else if (++this.trialsSucceeded >= breaker.halfOpenCalls) {
        this.state = BreakerState.closed;
        this.clearWindow();
      }
      return;
    }
    const window = this.outcomes;
    if (this.outcomeCount === window.length) {
      this.outcomeFailures -= window[this.outcomeNext];
    } else {
      this.outcomeCount++;
    }
    window[this.outcomeNext] = failed ? 1 : 0;
    this.outcomeFailures += failed ? 1 : 0;
    this.outcomeNext = (this.outcomeNext + 1) % window.length;
    // Division, not failures >= ratio x calls: both sides then round the same way (3/30 = 0.1).
    if (
      this.outcomeCount >= breaker.minimumCalls &&
      this.outcomeFailures / this.outcomeCount >= breaker.failureRatio
    ) {
      this.open(nowS);
    }
  }

  private open(nowS: number): void {
    this.state = BreakerState.open;
    this.openedAtS = nowS;
    this.breakerOpenings++;
    this.clearWindow();
  }

  private clearWindow(): void {
    this.outcomes.fill(0);
    this.outcomeNext = 0;
    this.outcomeCount = 0;
    this.outcomeFailures = 0;
  }

  /** Moves time-driven state to `nowS`: the breaker's open period, the ratio window's slots. */
  private advance(nowS: number): void {
    if (!(nowS >= this.lastNowS)) {
      throw new InvariantError(
        `retry policy called at ${nowS}s after ${this.lastNowS}s: time went backwards`,
        nowS,
      );
    }
    this.lastNowS = nowS;
    const breaker = this.config.circuitBreaker;
    if (
      breaker !== null &&
      this.state === BreakerState.open &&
      nowS >= this.openedAtS + breaker.openS
    ) {
      this.state = BreakerState.halfOpen;
      this.trialsStarted = 0;
      this.trialsSucceeded = 0;
    }
    const { budget } = this.config;
    if (budget?.kind === "ratio") this.advanceWindow(nowS, budget.windowS);
  }

  private advanceWindow(nowS: number, windowS: number): void {
    const index = Math.floor(nowS / (windowS / RATIO_WINDOW_SLOTS));
    const steps = Math.min(index - this.slotIndex, RATIO_WINDOW_SLOTS);
    for (let k = 1; k <= steps; k++) {
      // The slot about to be reused held the oldest counts: they leave the window.
      const slot = (index - steps + k) % RATIO_WINDOW_SLOTS;
      this.windowRequests -= this.slotRequests[slot];
      this.windowRetries -= this.slotRetries[slot];
      this.slotRequests[slot] = 0;
      this.slotRetries[slot] = 0;
    }
    if (index > this.slotIndex) this.slotIndex = index;
  }
}
