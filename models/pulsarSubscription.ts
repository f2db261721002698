/**
 * A Pulsar subscription on a topic (a consumer with `subscriptionType`): the subscription's
 * cursor keeps individual acks, so it is modeled as a task queue (models/taskQueue.ts) fed with
 * the topic's records as they become readable (below the high watermark), read by the consumer's
 * instances as a queue's competing consumers (models/queueConsumers.ts). That gives Pulsar's
 * semantics:
 * - individual acks: a record acked is gone from the subscription; what is unacked is its
 *   backlog (Pulsar's retention 0 deletes acked records; the topic's log here keeps its own
 *   retention, which no longer concerns the subscription once the records are handed over);
 * - negative ack: the message is redelivered after `nackDelay` (negativeAckRedeliveryDelay)
 *   without holding back the messages behind it, which go on being delivered;
 * - a consumer that disconnects (crashes) has its unacked messages redelivered to the others at
 *   once, ahead of new messages (the replay set), and stops receiving;
 * - the receiver queue is the consumer's `prefetch` (receiverQueueSize);
 * - dead letter policy (shared, key_shared): `maxRedeliverCount` redeliveries, then the
 *   dead-letter topic (`<topic>-<subscription>-DLQ`) on the next failure: the queue's
 *   maxReceives = maxRedeliverCount + 1;
 * - no ack timeout (Pulsar's is off by default): an unacked message waits for its consumer.
 *
 * Subscription types decide which instance may take a message (a ConsumerSelector,
 * models/consumerSelector.ts, dispatching round robin over the instances with a free token):
 * - shared: any instance;
 * - key_shared: the instance owning the key's hash range;
 * - failover: the one active instance of the message's partition (the others stand by);
 * - exclusive: the consumer's one instance (count 1, checked when the scenario is read).
 *
 * Accounting (this subscription's ledger): a record holds one copy while it is in the log and
 * not yet handed over (past the high watermark, or appended and not yet committed), then the
 * queue's copy. Truncation on leader failover cuts only records not handed over (the high
 * watermark never moves back); retention deletes only records below it, all handed over.
 *
 * The subscription exists from the start of the run (a durable subscription created
 * beforehand): records published before the consumer starts wait for it.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { ConsumerConfig, QueueConfig } from "./config.ts";
import { ConsumerSelector } from "./consumerSelector.ts";
import { InvariantError } from "./errors.ts";
import type { MessageStore } from "./messages.ts";
import type { InstanceAttachment } from "./queueConsumers.ts";
import type { RunStats } from "./stats.ts";
import type { Subscription } from "./subscription.ts";
import { TaskQueue } from "./taskQueue.ts";
import type { Topic, TopicReader } from "./topic.ts";

export class PulsarSubscription implements TopicReader, InstanceAttachment {
  readonly queue: TaskQueue;
  /** Which instance takes each message. */
  readonly selector: ConsumerSelector;
  /** Per partition: records below this offset are handed over to the queue. */
  private readonly handedUpTo: Float64Array;

  constructor(
    kernel: Kernel,
    readonly config: ConsumerConfig,
    private readonly topic: Topic,
    readonly subscription: Subscription,
    private readonly store: MessageStore,
    stats: RunStats,
    trace: Trace | null,
  ) {
    const type = config.subscriptionType;
    if (type === undefined) {
      throw new InvariantError(`consumer ${config.name}: a Pulsar subscription needs a type`, 0);
    }
    const instances = Math.max(config.count, config.autoscale?.maxInstances ?? 0);
    const keyCount = subscription.ordering.keyCount;
    this.selector = new ConsumerSelector(
      type === "shared"
        ? { kind: "any" }
        : type === "key_shared"
          ? { kind: "key", consumerName: config.name }
          : { kind: "partition", partitionOf: (keyIndex) => topic.partitionOf(keyIndex) },
      keyCount,
      instances,
      store,
    );
    this.queue = new TaskQueue(
      kernel,
      subscriptionQueueConfig(config, subscription.name),
      subscription,
      store,
      stats,
      trace,
      this.selector,
    );
    this.handedUpTo = new Float64Array(topic.config.partitions);
  }

  // --- The topic's side -------------------------------------------------------------------

  /** Records newly below the high watermark go to the subscription's queue, in offset order. */
  highWaterAdvanced(p: number, _count: number): void {
    const log = this.topic.logs[p];
    const store = this.store;
    const highWatermark = this.topic.replication.highWatermark[p];
    for (let offset = this.handedUpTo[p]; offset < highWatermark; offset++) {
      this.handedUpTo[p] = offset + 1;
      const slot = store.allocate(
        log.messageIdAt(offset),
        log.keyIndexAt(offset),
        log.producedAtSAt(offset),
        log.sizeBytesAt(offset),
      );
      this.queue.feed(slot);
    }
  }

  partitionOnline(_p: number): void {}

  beforeTruncate(p: number, offset: number, causes: readonly string[]): void {
    if (this.handedUpTo[p] > offset) {
      throw new InvariantError(
        `subscription ${this.subscription.name} partition ${p}: truncation to ${offset} below records handed over (${this.handedUpTo[p]})`,
        0,
      );
    }
    const log = this.topic.logs[p];
    const ledger = this.subscription.ledger;
    for (let o = offset; o < log.logEndOffset; o++) {
      ledger.removeCopy(log.messageIdAt(o), causes[log.markAt(o)]);
    }
  }

  beforeDelete(p: number, _fromOffset: number, toOffset: number): void {
    if (toOffset > this.handedUpTo[p]) {
      throw new InvariantError(
        `subscription ${this.subscription.name} partition ${p}: retention deletes up to ${toOffset}, past the records handed over (${this.handedUpTo[p]})`,
        0,
      );
    }
  }

  // --- The consumer's side ----------------------------------------------------------------

  attached(instance: number): void {
    this.selector.attach(instance);
    this.queue.ownersChanged();
  }

  detached(instance: number): void {
    this.selector.detach(instance);
    this.queue.ownersChanged();
  }

  /**
   * The subscription's backlog (Pulsar's msgBacklog, an alert's `lag`): its messages not yet
   * acked, in the topic's logs, ready in its queue, or delivered.
   */
  backlog(): number {
    return this.retainedInLog() + this.queue.ready.size + this.queue.inFlightCount;
  }

  /** Copies of this subscription still in the topic's logs (not yet handed over). */
  retainedInLog(): number {
    let retained = 0;
    this.topic.logs.forEach((log, p) => {
      retained += log.logEndOffset - this.handedUpTo[p];
    });
    return retained;
  }
}

/**
 * The queue a subscription's cursor is: a standard queue with no ack timeout, redelivery of a
 * disconnected consumer's messages at once and ahead of new ones, and a dead-letter topic after
 * maxRedeliverCount redeliveries.
 */
export function subscriptionQueueConfig(config: ConsumerConfig, name: string): QueueConfig {
  return {
    name,
    visibilityTimeoutS: Number.POSITIVE_INFINITY,
    maxReceives: config.maxRedeliverCount === undefined ? null : config.maxRedeliverCount + 1,
    fifo: false,
    deduplicationWindowS: 0,
    maxLength: null,
    maxBytes: null,
    overflow: "unbounded",
    diskLimitBytes: null,
    messageTtlS: null,
    expire: "drop",
    delayS: 0,
    priorities: 1,
    requeueOnDisconnect: true,
    requeueToHead: true,
    apiLimitPerS: null,
    orderingKeys: false,
    dispatchLimit: null,
    maxInFlight: null,
    redeliveryBackoff: null,
  };
}
