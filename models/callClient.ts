/**
 * The calling side of a request to a downstream service: one timeout per attempt, and a retry
 * policy (models/retryPolicy.ts) that decides whether and when to try again, with its budget
 * and circuit breaker. Used by consumers that call a service, by closed-loop callers, and by a
 * service that calls the next layer.
 *
 * A reply that comes after the caller stopped waiting for that attempt (its timeout fired) is
 * ignored: when it is a success, the server did the work for nothing (wasted work). An attempt
 * the open circuit breaker refuses never reaches the service and fails at once.
 *
 * With `retries` off, the client makes one attempt per call and leaves the retry to its user
 * (a consumer that retries through the broker asks the policy for the delay itself).
 */
import { grown } from "../sim/grow.ts";
import { type Kernel, NO_EVENT } from "../sim/kernel.ts";
import { CounterSeries, type TimeGrid } from "../sim/metrics.ts";
import { Reply } from "./downstream.ts";
import type { RetryPolicy } from "./retryPolicy.ts";

/** What a call goes to: a downstream service, or a service layer in front of one. */
export interface CallTarget {
  /** Serves a request; kernel handler `replyHandler` fires later with (tag, a Reply code). */
  submit(tag: number, replyHandler: number): void;
}

/** The end of a call: `ok`, and whether its last attempt timed out. */
export type CallDone = (tag: number, ok: boolean, lastTimedOut: boolean) => void;

/** Attempt tags are `slot + generation * SLOT_LIMIT`, so a late reply is recognised. */
const SLOT_LIMIT = 2 ** 24;

export class CallClient {
  /** Calls begun (unique requests). */
  calls = 0;
  /** Attempts that reached the service. */
  attempts = 0;
  succeeded = 0;
  failed = 0;
  timeouts = 0;
  rejections = 0;
  /** Attempts the open circuit breaker refused. */
  breakerRefusals = 0;
  /** Successful replies that came after the caller gave up on that attempt. */
  wastedReplies = 0;
  /** Attempts sent to the service over time (the load the callers offer, retries included). */
  readonly attemptSeries: CounterSeries;
  /** Calls that succeeded over time (goodput). */
  readonly successSeries: CounterSeries;

  private callTag = new Float64Array(64);
  private attemptsMade = new Int32Array(64);
  private previousDelayS = new Float64Array(64);
  /** 1 when the call's last failed attempt timed out (the AWS quota refunds by it). */
  private lastTimedOut = new Uint8Array(64);
  private generation = new Int32Array(64);
  private timer = new Float64Array(64);
  private readonly freeSlots: number[] = [];
  private slotsUsed = 0;
  private readonly replyHandler: number;
  private readonly timeoutHandler: number;
  private readonly retryHandler: number;

  constructor(
    private readonly kernel: Kernel,
    name: string,
    private readonly target: CallTarget,
    /** Per attempt; null waits for ever. */
    private readonly timeoutS: number | null,
    private readonly policy: RetryPolicy | null,
    /** Whether this client retries (else one attempt per call). */
    private readonly retries: boolean,
    private readonly onDone: CallDone,
    grid: TimeGrid,
  ) {
    this.attemptSeries = new CounterSeries(grid);
    this.successSeries = new CounterSeries(grid);
    this.replyHandler = kernel.register(`${name}/reply`, (tag, reply) => this.replied(tag, reply));
    this.timeoutHandler = kernel.register(`${name}/call-timeout`, (slot, generation) =>
      this.timedOut(slot, generation),
    );
    this.retryHandler = kernel.register(`${name}/call-retry`, (slot) => this.attempt(slot));
  }

  /** Begins a call; `onDone(tag, ...)` reports its end. */
  call(tag: number): void {
    const slot = this.takeSlot();
    this.calls++;
    this.callTag[slot] = tag;
    this.attemptsMade[slot] = 0;
    this.previousDelayS[slot] = 0;
    this.lastTimedOut[slot] = 0;
    this.timer[slot] = NO_EVENT;
    this.policy?.recordRequest(this.kernel.nowS);
    this.attempt(slot);
  }

  /** Calls still under way. */
  get active(): number {
    return this.slotsUsed - this.freeSlots.length;
  }

  private attempt(slot: number): void {
    const nowS = this.kernel.nowS;
    this.attemptsMade[slot]++;
    if (this.policy !== null && !this.policy.callAllowed(nowS)) {
      this.breakerRefusals++;
      this.attemptFailed(slot, false);
      return;
    }
    this.attempts++;
    this.attemptSeries.add(nowS);
    const generation = this.generation[slot];
    if (this.timeoutS !== null) {
      this.timer[slot] = this.kernel.schedule(this.timeoutS, this.timeoutHandler, slot, generation);
    }
    this.target.submit(slot + generation * SLOT_LIMIT, this.replyHandler);
  }

  private replied(tag: number, reply: number): void {
    const slot = tag % SLOT_LIMIT;
    const generation = (tag - slot) / SLOT_LIMIT;
    if (generation !== this.generation[slot]) {
      if (reply === Reply.ok) this.wastedReplies++;
      return;
    }
    this.kernel.cancel(this.timer[slot]);
    this.timer[slot] = NO_EVENT;
    this.nextGeneration(slot);
    if (reply === Reply.ok) {
      const after =
        this.attemptsMade[slot] === 1
          ? "first-attempt"
          : this.lastTimedOut[slot] === 1
            ? "timeout-retry"
            : "retry";
      this.policy?.recordSuccess(this.kernel.nowS, after);
      this.succeeded++;
      this.successSeries.add(this.kernel.nowS);
      this.finish(slot, true, false);
    } else {
      this.rejections++;
      this.policy?.recordFailure(this.kernel.nowS, false);
      this.attemptFailed(slot, false);
    }
  }

  private timedOut(slot: number, generation: number): void {
    if (generation !== this.generation[slot]) return;
    this.timer[slot] = NO_EVENT;
    this.timeouts++;
    // The reply to this attempt, if it ever comes, is no longer awaited.
    this.nextGeneration(slot);
    this.policy?.recordFailure(this.kernel.nowS, true);
    this.attemptFailed(slot, true);
  }

  private attemptFailed(slot: number, timedOut: boolean): void {
    this.lastTimedOut[slot] = timedOut ? 1 : 0;
    if (!this.retries || this.policy === null) {
      this.failed++;
      this.finish(slot, false, timedOut);
      return;
    }
    const delayS = this.policy.retryDelayS(
      this.attemptsMade[slot],
      this.previousDelayS[slot],
      this.kernel.nowS,
      timedOut,
    );
    if (delayS < 0) {
      this.failed++;
      this.finish(slot, false, timedOut);
      return;
    }
    this.previousDelayS[slot] = delayS;
    this.kernel.schedule(delayS, this.retryHandler, slot);
  }

  private finish(slot: number, ok: boolean, lastTimedOut: boolean): void {
    const tag = this.callTag[slot];
    this.nextGeneration(slot);
    this.freeSlots.push(slot);
    this.onDone(tag, ok, lastTimedOut);
  }

  private nextGeneration(slot: number): void {
    this.generation[slot] = (this.generation[slot] + 1) % 2 ** 28;
  }

  private takeSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.slotsUsed === SLOT_LIMIT)
      throw new RangeError(`more than ${SLOT_LIMIT} calls at once`);
    if (this.slotsUsed === this.callTag.length) {
      const capacity = this.callTag.length * 2;
      this.callTag = grown(this.callTag, capacity);
      this.attemptsMade = grown(this.attemptsMade, capacity);
      this.previousDelayS = grown(this.previousDelayS, capacity);
      this.lastTimedOut = grown(this.lastTimedOut, capacity);
      this.generation = grown(this.generation, capacity);
      this.timer = grown(this.timer, capacity);
    }
    return this.slotsUsed++;
  }
}
