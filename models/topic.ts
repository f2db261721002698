/**
 * A topic: partitions of an append-only log. A record's key picks its partition with Kafka's
 * murmur2 partitioner; every consumer group reads every record. Retention deletes whole segments
 * on a periodic check, as Kafka's log cleaner does, and tells each group which records go.
 *
 * Each partition is replicated over the topic's brokers (models/replication.ts): a record is
 * appended by the partition's leader, becomes readable once the high watermark passes it, and
 * the producer is acknowledged as its `acks` says:
 * - none: nothing is answered; a copy reaching an offline partition is lost ("partition
 *   offline").
 * - leader (Kafka acks=1): when the leader has appended the record. If the leader fails before
 *   its followers copied it, the record is cut from the log on failover and, the producer having
 *   let go, lost ("truncated on leader failover (acks=1)").
 * - all: when the high watermark passes the record, i.e. every in-sync replica has it. Refused
 *   at once (Kafka NotEnoughReplicas; the producer retries after its backoff) while the ISR is
 *   smaller than minInsyncReplicas, and refused after the append when the ISR shrank below it
 *   meanwhile (NotEnoughReplicasAfterAppend: the retry is a duplicate). When the leader fails,
 *   the requests waiting on it fail at once (the producer's connection to it breaks) and are
 *   retried after the backoff: a duplicate when the record survived on the new leader, unless
 *   the producer is idempotent.
 * A copy reaching an offline partition gets no answer: the producer's request times out and is
 * retried (Kafka's producer would learn of the new leader from metadata sooner).
 *
 * An idempotent producer's copies carry an epoch and a sequence number, which the leader checks
 * (models/producerSequence.ts): a copy of a record the log already holds is dropped and
 * acknowledged (acks=all: once the HW passes the log's end, so the original is committed); one
 * that would land before an earlier record of its producer and partition is refused, so order
 * holds with several requests in flight. A record truncated on failover is expected again.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { ProducerConfig, TopicConfig } from "./config.ts";
import type { MessageStore } from "./messages.ts";
import { KeyPartitioner } from "./partitioner.ts";
import { PartitionLog } from "./partitionLog.ts";
import { ProducerAnswer } from "./producerClient.ts";
import { SequenceChecker, Verdict } from "./producerSequence.ts";
import { Replication, type ReplicationListener } from "./replication.ts";
import type { RunStats } from "./stats.ts";
import type { Subscription } from "./subscription.ts";
import { PartitionReadLimit, SecondWindows } from "./throughputLimits.ts";

/** A record's mark in the log: the acks of the producer that wrote it. */
const ACKS_CODE = { none: 0, leader: 1, all: 2 } as const;
/** Loss causes of truncated records, by mark. */
const TRUNCATION_CAUSES = [
  "truncated on leader failover (acks=0)",
  "truncated on leader failover (acks=1)",
  "truncated on leader failover (acks=all, producer gave up)",
];
export const PARTITION_OFFLINE_CAUSE = "partition offline";
export const NOT_ENOUGH_REPLICAS_CAUSE = "refused: not enough in-sync replicas";
export const OUT_OF_SEQUENCE_CAUSE = "refused: out of sequence";
export const STALE_EPOCH_CAUSE = "refused: stale producer epoch";
/** Loss cause of an acks=none copy refused by the partition's write limit. */
export const THROTTLED_ACKS0_CAUSE = "throttled (acks=0)";
/** Cause of a throttled copy whose producer holds the message (it retries). */
export const THROTTLED_CAUSE = "throttled: partition write limit";

/** How the topic answers a producer's request `tag`: a ProducerAnswer value. */
export type Answer = (tag: number, answer: number) => void;

/**
 * What reads a topic: a Kafka consumer group (models/streamGroup.ts) or a Pulsar subscription
 * (models/pulsarSubscription.ts); each reads every record, and owns its subscription's ledger.
 */
export interface TopicReader {
  readonly subscription: Subscription;
  /** The high watermark of partition `p` moved up by `count` records. */
  highWaterAdvanced(p: number, count: number): void;
  partitionOnline(p: number): void;
  /** Leader failover is about to cut partition `p`'s log back to `offset`. */
  beforeTruncate(p: number, offset: number, causes: readonly string[]): void;
  /** Retention is about to delete [fromOffset, toOffset) of partition `p`. */
  beforeDelete(p: number, fromOffset: number, toOffset: number): void;
}

interface TopicProducer {
  acks: number;
  idempotent: boolean;
  answer: Answer;
}

export class Topic implements ReplicationListener {
  readonly logs: PartitionLog[];
  /** Its readers: consumer groups and Pulsar subscriptions. */
  readonly groups: TopicReader[] = [];
  readonly replication: Replication;
  private readonly partitioner: KeyPartitioner;
  private readonly retentionHandler: number;
  private readonly producers: TopicProducer[] = [];
  /** Per partition: acks=all requests waiting for the high watermark (created when needed). */
  private readonly waiting: (PendingAcks | null)[];
  /** Idempotent producers' epochs and sequences, per partition. */
  private readonly sequences: SequenceChecker;
  /** Copies refused as out of sequence or from a stale producer epoch. */
  sequenceRefusals = 0;
  /** Copies refused by the partition's write limit (writeLimit). */
  throttledWrites = 0;
  /** Per partition, the current second's appends (writeLimit); null without a limit. */
  private readonly writeWindows: SecondWindows | null;
  /** The read limit the groups' fetches go through; null without one. */
  readonly readLimit: PartitionReadLimit | null;

  constructor(
    private readonly kernel: Kernel,
    readonly config: TopicConfig,
    keyCount: number,
    private readonly store: MessageStore,
    private readonly stats: RunStats,
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
    this.waiting = new Array(config.partitions).fill(null);
    const { writeLimit, readLimit } = config;
    this.writeWindows =
      writeLimit === null
        ? null
        : new SecondWindows(config.partitions, writeLimit.recordsPerS, writeLimit.bytesPerS);
    this.readLimit =
      readLimit === null ? null : new PartitionReadLimit(config.partitions, readLimit);
    this.partitioner = new KeyPartitioner(keyCount, config.partitions);
    this.sequences = new SequenceChecker(config.partitions);
    this.replication = new Replication(kernel, config, this.logs, this, trace);
    this.retentionHandler = kernel.register(`topic:${config.name}/retention`, () =>
      this.enforceRetention(),
    );
  }

  start(): void {
    if (this.config.retentionS !== null || this.config.retentionBytes !== null) {
      this.kernel.schedule(this.config.retentionCheckIntervalS, this.retentionHandler);
    }
  }

  /** A producer writes here; returns the index its copies are received with. */
  addProducer(config: ProducerConfig, answer: Answer): number {
    const index = this.producers.length;
    if (config.idempotent) this.sequences.addProducer(index);
    this.producers.push({ acks: ACKS_CODE[config.acks], idempotent: config.idempotent, answer });
    return index;
  }

  /** The partition a key's records go to. */
  partitionOf(keyIndex: number): number {
    return this.partitioner.partitionOf(keyIndex);
  }

  /** A copy arrived from producer `producerIndex`: append it to its key's partition's leader. */
  receive(slot: number, producerIndex: number): void {
    const store = this.store;
    const producer = this.producers[producerIndex];
    const messageId = store.messageId[slot];
    const tag = store.requestTag[slot];
    const p = this.partitioner.partitionOf(store.keyIndex[slot]);
    const replication = this.replication;
    if (replication.offline[p] === 1) {
      // No leader to take it: the request goes unanswered (acks=0: the message is gone).
      this.dropCopy(slot, PARTITION_OFFLINE_CAUSE);
      return;
    }
    const windows = this.writeWindows;
    if (windows !== null && !windows.tryTake(p, this.kernel.nowS, 1, store.sizeBytes[slot])) {
      this.throttledWrites++;
      if (this.trace) {
        this.trace.emit(this.kernel.nowS, "throttled", {
          msg: messageId,
          topic: this.config.name,
          partition: p,
        });
      }
      this.dropCopy(slot, tag >= 0 ? THROTTLED_CAUSE : THROTTLED_ACKS0_CAUSE);
      if (tag >= 0) producer.answer(tag, ProducerAnswer.refused);
      return;
    }
    if (producer.acks === ACKS_CODE.all && replication.isrSize[p] < this.config.minInsyncReplicas) {
      this.dropCopy(slot, NOT_ENOUGH_REPLICAS_CAUSE);
      if (tag >= 0) producer.answer(tag, ProducerAnswer.refused);
      return;
    }
    const log = this.logs[p];
    const sequence = store.sequence[slot];
    if (producer.idempotent) {
      const verdict = this.sequences.check(producerIndex, p, sequence);
      if (verdict === Verdict.duplicate) {
        this.stats.deduplicatedByBroker++;
        this.dropCopy(slot, null);
        this.acknowledgeAt(p, log.logEndOffset - 1, producerIndex, tag);
        return;
      }
      if (verdict !== Verdict.append) {
        this.sequenceRefusals++;
        // The producer still holds the message (it sends again), unless it gave up meanwhile.
        this.dropCopy(
          slot,
          verdict === Verdict.outOfSequence ? OUT_OF_SEQUENCE_CAUSE : STALE_EPOCH_CAUSE,
        );
        producer.answer(tag, ProducerAnswer.sequenceRefusal(sequence));
        return;
      }
    }
    const offset = log.append(
      messageId,
      store.keyIndex[slot],
      store.producedAtS[slot],
      this.kernel.nowS,
      store.sizeBytes[slot],
      producer.acks,
      producer.idempotent ? producerIndex : -1,
      sequence,
    );
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "append", {
        msg: messageId,
        key: `k${store.keyIndex[slot]}`,
        topic: this.config.name,
        partition: p,
        offset,
      });
    }
    // The copy that travelled becomes the record each group will read.
    store.release(slot);
    if (producer.acks === ACKS_CODE.all && tag >= 0) {
      // Queued before the HW can move, so an append that commits at once answers at once.
      this.acknowledgeAt(p, offset, producerIndex, tag);
      replication.appended(p, offset);
    } else {
      replication.appended(p, offset);
      if (tag >= 0) producer.answer(tag, ProducerAnswer.acknowledged);
    }
  }

  // --- Replication's side -----------------------------------------------------------------

  highWaterAdvanced(p: number, from: number, to: number): void {
    for (const group of this.groups) group.highWaterAdvanced(p, to - from);
    const waiting = this.waiting[p];
    if (waiting === null) return;
    const enough = this.replication.isrSize[p] >= this.config.minInsyncReplicas;
    // Each request leaves the queue before it is answered: an answer can publish again.
    while (waiting.size > 0 && waiting.headOffset() < this.replication.highWatermark[p]) {
      const producer = this.producers[waiting.headProducer()];
      const tag = waiting.shift();
      producer.answer(tag, enough ? ProducerAnswer.acknowledged : ProducerAnswer.refused);
    }
  }

  leaderLost(p: number): void {
    const waiting = this.waiting[p];
    if (waiting === null) return;
    // The connection to the crashed broker breaks: each waiting request fails at once, and its
    // producer retries after its backoff (a refusal schedules the retry; nothing re-enters here).
    while (waiting.size > 0) {
      const producer = this.producers[waiting.headProducer()];
      producer.answer(waiting.shift(), ProducerAnswer.refused);
    }
  }

  beforeTruncate(p: number, offset: number): void {
    const log = this.logs[p];
    for (let o = offset; o < log.logEndOffset; o++) {
      const messageId = log.messageIdAt(o);
      const writer = log.writerAt(o);
      if (writer >= 0) this.sequences.truncated(writer, p, log.sequenceAt(o));
      if (this.trace) {
        this.trace.emit(this.kernel.nowS, "truncated", {
          msg: messageId,
          topic: this.config.name,
          partition: p,
          offset: o,
        });
      }
    }
    for (const group of this.groups) group.beforeTruncate(p, offset, TRUNCATION_CAUSES);
  }

  partitionOnline(p: number): void {
    for (const group of this.groups) group.partitionOnline(p);
  }

  // --- Internals --------------------------------------------------------------------------

  /** Acknowledges `tag` once the HW passes `offset` (acks=all), or now. */
  private acknowledgeAt(p: number, offset: number, producerIndex: number, tag: number): void {
    if (tag < 0) return;
    const producer = this.producers[producerIndex];
    if (producer.acks !== ACKS_CODE.all || offset < this.replication.highWatermark[p]) {
      producer.answer(tag, ProducerAnswer.acknowledged);
      return;
    }
    let waiting = this.waiting[p];
    if (waiting === null) {
      waiting = new PendingAcks();
      this.waiting[p] = waiting;
    }
    waiting.push(offset, producerIndex, tag);
  }

  /** The copy in `slot` goes no further. */
  private dropCopy(slot: number, lossCause: string | null): void {
    const messageId = this.store.messageId[slot];
    for (const group of this.groups) group.subscription.ledger.removeCopy(messageId, lossCause);
    this.store.release(slot);
  }

  private enforceRetention(): void {
    const replication = this.replication;
    this.logs.forEach((log, p) => {
      // A broker that is down deletes nothing; nothing at or past the HW is ever deleted.
      if (replication.offline[p] === 1) return;
      const beforeDelete = (fromOffset: number, toOffset: number) => {
        for (const group of this.groups) group.beforeDelete(p, fromOffset, toOffset);
        if (this.trace) {
          this.trace.emit(this.kernel.nowS, "segment-deleted", {
            topic: this.config.name,
            partition: p,
            from: fromOffset,
            to: toOffset,
          });
        }
      };
      log.enforceRetention(this.kernel.nowS, beforeDelete, replication.highWatermark[p]);
    });
    this.kernel.schedule(this.config.retentionCheckIntervalS, this.retentionHandler);
  }
}

/** Requests waiting for a partition's HW, in offset order: (offset, producer, tag) triples. */
class PendingAcks {
  size = 0;
  private entries = new Float64Array(3 * 16);
  private head = 0;

  push(offset: number, producer: number, tag: number): void {
    const capacity = this.entries.length / 3;
    if (this.size === capacity) this.grow();
    const at = 3 * ((this.head + this.size) % (this.entries.length / 3));
    this.entries[at] = offset;
    this.entries[at + 1] = producer;
    this.entries[at + 2] = tag;
    this.size++;
  }

  headOffset(): number {
    return this.entries[3 * this.head];
  }

  headProducer(): number {
    return this.entries[3 * this.head + 1];
  }

  /** Removes the oldest request; returns its tag. */
  shift(): number {
    const tag = this.entries[3 * this.head + 2];
    this.head = (this.head + 1) % (this.entries.length / 3);
    this.size--;
    return tag;
  }

  private grow(): void {
    const capacity = this.entries.length / 3;
    const entries = new Float64Array(this.entries.length * 2);
    for (let i = 0; i < this.size; i++) {
      const from = 3 * ((this.head + i) % capacity);
      entries.set(this.entries.subarray(from, from + 3), 3 * i);
    }
    this.entries = entries;
    this.head = 0;
  }
}
