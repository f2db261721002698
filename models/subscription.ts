/**
 * A subscription is one independent reader of the messages produced to a destination: a queue
 * (all its competing consumers together), or one consumer group on a topic (each group reads
 * every record). It owns the fate ledger for its messages and the per-key order check, and it
 * is where a completed processing becomes an effect.
 */
import { LatencyHistogram } from "../sim/histogram.ts";
import type { Kernel } from "../sim/kernel.ts";
import type { IdempotencyStore } from "./idempotency.ts";
import { FateLedger } from "./ledger.ts";
import { OrderingChecker } from "./ordering.ts";
import type { PriorityClasses } from "./priorityClasses.ts";
import type { RunStats } from "./stats.ts";

/**
 * Why a copy was processed again, reported with each duplicate effect. Components store the index
 * in this list (a byte per copy), not the string.
 */
export const DUPLICATE_CAUSES = [
  "producer-duplicate",
  "redelivery-after-visibility-timeout",
  "redelivery-after-nack",
  "redelivery-after-crash",
  "reread-after-rebalance",
  "reread-after-crash",
  "dedup-entry-expired",
  // Pub/Sub ordering keys: redelivered because an earlier message of its key was (models/orderingKeys.ts).
  "redelivery-of-ordering-key",
] as const;
export type DuplicateCause = (typeof DUPLICATE_CAUSES)[number];
export const CauseCode = Object.fromEntries(DUPLICATE_CAUSES.map((cause, i) => [cause, i])) as {
  [K in DuplicateCause]: number;
};

export class Subscription {
  readonly ledger: FateLedger;
  readonly ordering: OrderingChecker;
  /** Duplicate effects by cause. */
  readonly duplicatesByCause = new Map<string, number>();
  /** Duplicates an idempotent consumer recognised and skipped. */
  duplicatesSkipped = 0;
  /** End-to-end latency of this subscription's first processings (after the warm-up). */
  readonly latency = new LatencyHistogram();
  /** A queue with priority classes: each message's class, for per-class results; else null. */
  priorityClasses: PriorityClasses | null = null;

  constructor(
    readonly name: string,
    private readonly kernel: Kernel,
    private readonly stats: RunStats,
    keyCount: number,
  ) {
    this.ledger = new FateLedger(kernel);
    this.ordering = new OrderingChecker(keyCount);
  }

  /**
   * A consumer finished processing a copy of message `messageId` and its effect takes place
   * (unless the consumer's idempotency store recognises a duplicate). `causeCode` says why
   * this copy was processed if the message had been processed before.
   */
  /** Returns false when an idempotent consumer skipped it (no effect applied). */
  applyEffect(
    messageId: number,
    keyIndex: number,
    producedAtS: number,
    causeCode: number,
    idempotency: IdempotencyStore | null,
  ): boolean {
    const nowS = this.kernel.nowS;
    if (idempotency !== null && !idempotency.tryApply(messageId, nowS)) {
      this.duplicatesSkipped++;
      return false;
    }
    if (this.ledger.recordProcessed(messageId)) {
      this.stats.recordFirstProcessing(producedAtS);
      if (producedAtS >= this.stats.warmupS) {
        this.latency.record(nowS - producedAtS);
        this.priorityClasses?.recordLatency(messageId, nowS - producedAtS);
      }
      this.ordering.recordProcessed(keyIndex, messageId, messageId, nowS);
    } else {
      // An idempotent consumer let this one through only because it forgot the id.
      const reason = idempotency !== null ? "dedup-entry-expired" : DUPLICATE_CAUSES[causeCode];
      this.duplicatesByCause.set(reason, (this.duplicatesByCause.get(reason) ?? 0) + 1);
    }
    return true;
  }
}
