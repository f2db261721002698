/**
 * What holds a queue's deliveries (and publishes) back, besides its consumers' readiness:
 * - an API limit (`apiLimitPerS`, SQS FIFO's 300 calls per second and action), counted in
 *   one-second windows (models/throughputLimits.ts), one for publishes and one for deliveries
 *   (each delivery is one receive call): a publish beyond it is refused, a delivery beyond it
 *   waits for the next window;
 * - a dispatch limit (`dispatchLimit`, Cloud Tasks' maxDispatchesPerSecond and burst): a token
 *   bucket on deliveries; a delivery without a token waits for the next one;
 * - a cap on deliveries in flight (`maxInFlight`: Cloud Tasks' maxConcurrentDispatches, SQS's
 *   in-flight quota); a delivery waits for a place, which the queue says when it frees one.
 * A wait for a window or a token ends with `wake` (the queue dispatches again).
 */
import type { Kernel } from "../sim/kernel.ts";
import type { QueueConfig } from "./config.ts";
import { nextWindowS, SecondWindows } from "./throughputLimits.ts";
import { TokenBucket } from "./tokenBucket.ts";

/** The API limit's windows: publishes (SendMessage) and deliveries (ReceiveMessage). */
const API_SEND = 0;
const API_RECEIVE = 1;

export class DeliveryLimits {
  /** Publishes refused by the API limit (the producer retries). */
  throttledWrites = 0;
  /** Delivery attempts the API limit held back to the next second (each attempt counted). */
  throttledReads = 0;
  /** Times deliveries waited for a dispatch token or for a place under maxInFlight. */
  dispatchWaits = 0;

  private readonly maxInFlight: number | null;
  /** Per action, the current second's calls; null without an API limit. */
  private readonly apiWindows: SecondWindows | null;
  private readonly apiWindowHandler: number;
  private apiWakeupPending = false;
  private readonly dispatchBucket: TokenBucket | null;
  private readonly dispatchWakeupHandler: number;
  private dispatchWakeupPending = false;
  /** A delivery waits for an in-flight place (counted once per wait). */
  private waitingForFlight = false;

  constructor(
    private readonly kernel: Kernel,
    config: QueueConfig,
    wake: () => void,
  ) {
    this.maxInFlight = config.maxInFlight;
    this.apiWindows =
      config.apiLimitPerS === null ? null : new SecondWindows(2, config.apiLimitPerS, null);
    this.apiWindowHandler = kernel.register(`queue:${config.name}/api-window`, () => {
      this.apiWakeupPending = false;
      wake();
    });
    const limit = config.dispatchLimit;
    this.dispatchBucket =
      limit === null ? null : new TokenBucket(limit.ratePerS, limit.burst, kernel.nowS);
    this.dispatchWakeupHandler = kernel.register(`queue:${config.name}/dispatch-token`, () => {
      this.dispatchWakeupPending = false;
      wake();
    });
  }

  /** A publish under the API limit takes its call; false (counted) when the limit refuses it. */
  publishAllowed(): boolean {
    if (this.apiWindows === null || this.apiWindows.tryTake(API_SEND, this.kernel.nowS, 1, 0)) {
      return true;
    }
    this.throttledWrites++;
    return false;
  }

  /**
   * A delivery may go now, with `inFlight` copies in flight (what it takes is taken by
   * `delivered`); otherwise the queue is woken when a window or a token comes, or told by
   * `placeFreed` when a place does.
   */
  deliveryAllowed(inFlight: number): boolean {
    if (this.maxInFlight !== null && inFlight >= this.maxInFlight) {
      if (!this.waitingForFlight) this.dispatchWaits++;
      this.waitingForFlight = true;
      return false;
    }
    const nowS = this.kernel.nowS;
    const bucket = this.dispatchBucket;
    if (bucket !== null) {
      const waitS = bucket.waitS(nowS);
      if (waitS > 0) {
        if (!this.dispatchWakeupPending) {
          this.dispatchWakeupPending = true;
          this.dispatchWaits++;
          this.kernel.schedule(waitS, this.dispatchWakeupHandler);
        }
        return false;
      }
    }
    const windows = this.apiWindows;
    if (windows === null || windows.canTake(API_RECEIVE, nowS, 1)) return true;
    this.throttledReads++;
    if (!this.apiWakeupPending) {
      this.apiWakeupPending = true;
      this.kernel.schedule(nextWindowS(nowS) - nowS, this.apiWindowHandler);
    }
    return false;
  }

  /** A delivery went: it takes its receive call and its dispatch token. */
  delivered(): void {
    const nowS = this.kernel.nowS;
    this.apiWindows?.tryTake(API_RECEIVE, nowS, 1, 0);
    this.dispatchBucket?.tryTake(nowS);
  }

  /**
   * A copy left flight. True when a delivery was waiting for that place: the queue dispatches
   * once it is done with the copy.
   */
  placeFreed(): boolean {
    const freed = this.waitingForFlight;
    this.waitingForFlight = false;
    return freed;
  }
}
