/**
 * The priority class of every message of one queue with priority classes, for the summary's
 * per-class fates and latency: one byte per message id (as the fate ledger), and a latency
 * histogram per class.
 */
import { grown } from "../sim/grow.ts";
import { LatencyHistogram } from "../sim/histogram.ts";
import { Fate, type FateLedger } from "./ledger.ts";

/** A class's messages by fate, and the latency of its first processings. */
export interface PriorityClassCounts {
  priority: number;
  produced: number;
  processed: number;
  deadLettered: number;
  dropped: number;
  pending: number;
  lost: number;
  latency: LatencyHistogram;
}

export class PriorityClasses {
  private classOf = new Uint8Array(1 << 16);
  private readonly latency: LatencyHistogram[];

  constructor(readonly classCount: number) {
    this.latency = Array.from({ length: classCount }, () => new LatencyHistogram());
  }

  /** Message `id` has this priority (capped at the highest class, as the queue caps it). */
  assign(id: number, priority: number): void {
    if (id >= this.classOf.length) {
      let capacity = this.classOf.length * 2;
      while (capacity <= id) capacity *= 2;
      this.classOf = grown(this.classOf, capacity);
    }
    this.classOf[id] = Math.min(priority, this.classCount - 1);
  }

  /** The first processing of message `id`, `latencyS` after it was produced. */
  recordLatency(id: number, latencyS: number): void {
    this.latency[this.classOf[id]].record(latencyS);
  }

  /** Per class, lowest first: every message of `ledger` counted by its fate now. */
  counts(ledger: FateLedger): PriorityClassCounts[] {
    const counts = this.latency.map((latency, priority) => ({
      priority,
      produced: 0,
      processed: 0,
      deadLettered: 0,
      dropped: 0,
      pending: 0,
      lost: 0,
      latency,
    }));
    const end = Math.min(this.classOf.length, ledger.idsSeen);
    for (let id = 0; id < end; id++) {
      const fate = ledger.fateOf(id);
      if (fate === Fate.none) continue;
      const entry = counts[this.classOf[id]];
      entry.produced++;
      if (fate === Fate.processed) entry.processed++;
      else if (fate === Fate.deadLettered) entry.deadLettered++;
      else if (fate === Fate.dropped) entry.dropped++;
      else if (fate === Fate.pending) entry.pending++;
      else entry.lost++;
    }
    return counts;
  }
}
