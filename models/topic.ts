/**
 * A topic: partitions of an append-only log. A record's key picks its partition with Kafka's
 * murmur2 partitioner; every consumer group reads every record. Retention deletes whole segments
 * on a periodic check, as Kafka's log cleaner does, and tells each group which records go.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { TopicConfig } from "./config.ts";
import type { MessageStore } from "./messages.ts";
import { KeyPartitioner } from "./partitioner.ts";
import { PartitionLog } from "./partitionLog.ts";
import type { StreamGroup } from "./streamGroup.ts";

export class Topic {
  readonly logs: PartitionLog[];
  readonly groups: StreamGroup[] = [];
  private readonly partitioner: KeyPartitioner;
  private readonly retentionHandler: number;

  constructor(
    private readonly kernel: Kernel,
    readonly config: TopicConfig,
    keyCount: number,
    private readonly store: MessageStore,
    private readonly trace: Trace | null,
  ) {
    this.logs = Array.from(
      { length: config.partitions },
      () =>
        new PartitionLog({
          segmentBytes: config.segmentBytes,
          segmentS: config.segmentS,
          retentionS: config.retentionS,
          retentionBytes: config.retentionBytes,
        }),
    );
    this.partitioner = new KeyPartitioner(keyCount, config.partitions);
    this.retentionHandler = kernel.register(`topic:${config.name}/retention`, () =>
      this.enforceRetention(),
    );
  }

  start(): void {
    if (this.config.retentionS !== null || this.config.retentionBytes !== null) {
      this.kernel.schedule(this.config.retentionCheckIntervalS, this.retentionHandler);
    }
  }

  /** Every group becomes responsible for a newly produced message (one copy each, on its way). */
  admit(messageId: number): void {
    for (const group of this.groups) group.subscription.ledger.admit(messageId);
  }

  /** A copy arrived from a producer: append it to its key's partition. */
  publish(slot: number): void {
    const store = this.store;
    const p = this.partitioner.partitionOf(store.keyIndex[slot]);
    const offset = this.logs[p].append(
      store.messageId[slot],
      store.keyIndex[slot],
      store.producedAtS[slot],
      this.kernel.nowS,
      store.sizeBytes[slot],
    );
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "append", {
        msg: store.messageId[slot],
        key: `k${store.keyIndex[slot]}`,
        topic: this.config.name,
        partition: p,
        offset,
      });
    }
    // The copy that travelled becomes the record each group will read.
    store.release(slot);
    for (const group of this.groups) group.appended(p);
  }

  private enforceRetention(): void {
    this.logs.forEach((log, p) => {
      log.enforceRetention(this.kernel.nowS, (fromOffset, toOffset) => {
        for (const group of this.groups) group.beforeDelete(p, fromOffset, toOffset);
        if (this.trace) {
          this.trace.emit(this.kernel.nowS, "segment-deleted", {
            topic: this.config.name,
            partition: p,
            from: fromOffset,
            to: toOffset,
          });
        }
      });
    });
    this.kernel.schedule(this.config.retentionCheckIntervalS, this.retentionHandler);
  }
}
