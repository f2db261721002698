/**
 * Real systems as defaults of the generic models: a queue or topic that names its `system`
 * gets that system's documented defaults for itself, for the producers that write to it and for
 * the consumers that read it, each value in the scenario language (so the same readers check
 * it) with its source. A field the scenario writes always wins. What the generic models lack
 * is listed as not modeled (docs/presets.md).
 */

/** A default's value as a scenario would write it: a scalar, or a flat mapping (`writeLimit`). */
export type PresetValue = string | number | boolean | Readonly<Record<string, string | number>>;

/** The value as written in a scenario: `{ records: 1000/s, bytes: 1MiB/s }` for a mapping. */
export function presetValueText(value: PresetValue): string {
  if (typeof value !== "object") return String(value);
  return `{ ${Object.entries(value)
    .map(([key, v]) => `${key}: ${v}`)
    .join(", ")} }`;
}

/** One default: a scenario field, its value as a scenario would write it, and its source. */
export interface PresetDefault {
  field: string;
  value: PresetValue;
  /** What it is in the system itself, and where that is documented. */
  source: string;
  /**
   * Applied only when the item's field of this name is absent or has one of these values
   * (Kafka enables idempotence by default only with acks=all).
   */
  onlyIf?: { field: string; values: readonly (string | number | boolean)[] };
  /** Not applied when the item has this field (it would contradict it). */
  unlessField?: string;
}

export interface SystemPreset {
  name: string;
  kind: "queue" | "topic";
  description: string;
  broker: PresetDefault[];
  producer: PresetDefault[];
  consumer: PresetDefault[];
  /** The system's semantics queuelab reproduces, with a bundled scenario that shows each. */
  modeled: string[];
  /** Documented behaviour queuelab does not model (yet) for this system. */
  notModeled: string[];
}

const KAFKA_DOCS = "Kafka 3.x configuration reference (kafka.apache.org/documentation)";

const kafka: SystemPreset = {
  name: "kafka",
  kind: "topic",
  description: "Apache Kafka topic, producer and consumer-group defaults",
  broker: [
    { field: "retention", value: "7d", source: `retention.ms 604800000 (${KAFKA_DOCS})` },
    { field: "segmentBytes", value: "1GiB", source: `segment.bytes 1073741824 (${KAFKA_DOCS})` },
    { field: "segment", value: "7d", source: `segment.ms 604800000 (${KAFKA_DOCS})` },
    {
      field: "retentionCheckInterval",
      value: "5m",
      source: `log.retention.check.interval.ms 300000 (${KAFKA_DOCS})`,
    },
    { field: "minInsyncReplicas", value: 1, source: `min.insync.replicas 1 (${KAFKA_DOCS})` },
  ],
  producer: [
    { field: "acks", value: "all", source: `acks=all, the default since 3.0 (${KAFKA_DOCS})` },
    {
      field: "idempotent",
      value: true,
      source: `enable.idempotence=true, the default since 3.0 when acks=all (${KAFKA_DOCS})`,
      onlyIf: { field: "acks", values: ["all"] },
    },
    {
      field: "maxInFlight",
      value: 5,
      source: `max.in.flight.requests.per.connection 5 (${KAFKA_DOCS}); queuelab counts messages, Kafka counts batches`,
      onlyIf: { field: "acks", values: ["leader", "all"] },
    },
    {
      field: "requestTimeout",
      value: "30s",
      source: `request.timeout.ms 30000 (${KAFKA_DOCS})`,
      onlyIf: { field: "acks", values: ["leader", "all"] },
    },
    {
      field: "retryBackoff",
      value: "100ms",
      source: `retry.backoff.ms 100 (${KAFKA_DOCS}); the growth to retry.backoff.max.ms 1000 is not modeled`,
      onlyIf: { field: "acks", values: ["leader", "all"] },
    },
    {
      field: "retries",
      value: 1000000,
      source: `retries 2147483647, bounded by delivery.timeout.ms 120 s (${KAFKA_DOCS}); queuelab caps retries at 1,000,000 and has no delivery timeout`,
      onlyIf: { field: "acks", values: ["leader", "all"] },
    },
  ],
  consumer: [
    { field: "commit", value: "auto", source: `enable.auto.commit=true (${KAFKA_DOCS})` },
    {
      field: "autoCommitInterval",
      value: "5s",
      source: `auto.commit.interval.ms 5000 (${KAFKA_DOCS})`,
      onlyIf: { field: "commit", values: ["auto"] },
    },
    { field: "sessionTimeout", value: "45s", source: `session.timeout.ms 45000 (${KAFKA_DOCS})` },
    {
      field: "heartbeatInterval",
      value: "3s",
      source: `heartbeat.interval.ms 3000 (${KAFKA_DOCS})`,
    },
    { field: "maxPollRecords", value: 500, source: `max.poll.records 500 (${KAFKA_DOCS})` },
    {
      field: "maxPollInterval",
      value: "5m",
      source: `max.poll.interval.ms 300000 (${KAFKA_DOCS})`,
    },
    {
      field: "autoOffsetReset",
      value: "latest",
      source: `auto.offset.reset=latest (${KAFKA_DOCS})`,
    },
  ],
  modeled: [
    "keyed partitioning (murmur2, Kafka's default partitioner), replicas with a leader and an in-sync set, acks 0, 1 and all, and the records a leader failover truncates (kafka-acks)",
    "the idempotent producer: sequence numbers per partition drop duplicates and keep order with 5 requests in flight (ordering)",
    "consumer groups: partition assignment, heartbeats and session timeout, max.poll.interval.ms, rebalances and their re-reads; auto-commit of the previous poll's offsets (kafka-auto-commit)",
    "transactional commits: the effect and the offset in one step (delivery-guarantees)",
    "retention by time and bytes with segment rolling, auto.offset.reset, a late group replaying the log (event-sourcing, kafka-plus-sqs)",
  ],
  notModeled: [
    "batching and linger.ms (each record is its own request)",
    "delivery.timeout.ms and retry.backoff.max.ms",
    "replica.lag.time.max.ms (a slow follower leaving the ISR), preferred leader election",
    "cooperative rebalancing, group.initial.rebalance.delay.ms",
    "read_committed isolation, log compaction",
  ],
};

const SQS_DOCS = "Amazon SQS Developer Guide";

const sqs: SystemPreset = {
  name: "sqs",
  kind: "queue",
  description: "Amazon SQS standard queue",
  broker: [
    {
      field: "visibilityTimeout",
      value: "30s",
      source: `default visibility timeout 30 s, 0 s to 12 h (${SQS_DOCS}, visibility timeout)`,
    },
    {
      field: "maxInFlight",
      value: 120000,
      source: `at most 120,000 in-flight messages (received, not yet deleted) per queue, standard and FIFO (${SQS_DOCS}, quotas)`,
    },
  ],
  producer: [
    {
      field: "acks",
      value: "all",
      source: `SendMessage answers once the message is stored (${SQS_DOCS})`,
    },
  ],
  consumer: [
    {
      field: "commit",
      value: "after-processing",
      source: `a message is deleted (DeleteMessage) by the consumer once processed (${SQS_DOCS})`,
    },
    {
      field: "onFailure",
      value: "timeout",
      source: `a message not deleted becomes visible again when its visibility timeout expires (${SQS_DOCS})`,
      unlessField: "nackDelay",
    },
  ],
  modeled: [
    "the visibility timeout: a message not deleted in time is delivered again (sqs-visibility-timeout)",
    "a redrive policy: after maxReceives receives the message goes to the dead-letter queue, when you set maxReceives (poison-messages)",
    "DelaySeconds (delay) and the 120,000 in-flight quota",
  ],
  notModeled: [
    "message retention (4 days by default): set messageTtl yourself",
    "long polling and 10-message receive batches",
    "occasional duplicate deliveries of a standard queue beyond those the model causes",
  ],
};

const sqsFifo: SystemPreset = {
  ...sqs,
  name: "sqs-fifo",
  description: "Amazon SQS FIFO queue: message groups, 5-minute deduplication",
  broker: [
    ...sqs.broker,
    {
      field: "fifo",
      value: true,
      source: `FIFO queues deliver a message group in order, one in flight (${SQS_DOCS}, FIFO queues)`,
    },
    {
      field: "deduplicationWindow",
      value: "5m",
      source: `the deduplication interval is 5 minutes (${SQS_DOCS}, exactly-once processing)`,
    },
    {
      field: "apiLimit",
      value: "300/s",
      source: `FIFO queues support up to 300 API calls per second per action (SendMessage, ReceiveMessage) without batching (${SQS_DOCS}, quotas)`,
    },
  ],
  modeled: [
    "message groups: in order, one message in flight per group, a hot group waiting behind itself (sqs-fifo)",
    "the 5-minute deduplication interval: a copy published again within it is dropped (sqs-fifo)",
    "300 API calls a second per action, a publish beyond it refused and retried",
  ],
  notModeled: [
    "batching (10 messages per call: 3,000 messages/s), high-throughput mode",
    ...sqs.notModeled.slice(0, 2),
  ],
};

const RABBIT_DOCS = "RabbitMQ 4.x documentation";

const rabbitmq: SystemPreset = {
  name: "rabbitmq",
  kind: "queue",
  description: "RabbitMQ classic queue with manual acks",
  broker: [
    {
      field: "visibilityTimeout",
      value: "30m",
      source: `consumer_timeout 30 min: an unacked delivery's channel is closed and it is requeued (${RABBIT_DOCS}, consumers)`,
    },
    {
      field: "requeueToHead",
      value: true,
      source: `a classic queue puts a requeued message back near the head, so a failing consumer loops on it at once (${RABBIT_DOCS}, confirms)`,
    },
    {
      field: "requeueOnDisconnect",
      value: true,
      source: `unacked deliveries are requeued when their channel or connection closes (${RABBIT_DOCS}, confirms)`,
    },
  ],
  producer: [
    {
      field: "acks",
      value: "all",
      source: `publisher confirms: acked once every target queue has it (${RABBIT_DOCS}, confirms)`,
    },
  ],
  consumer: [
    { field: "commit", value: "after-processing", source: `manual acks (${RABBIT_DOCS})` },
    {
      field: "onFailure",
      value: "nack",
      source: `basic.nack with requeue=true puts it back at once (${RABBIT_DOCS}, confirms)`,
    },
    {
      field: "nackDelay",
      value: "0s",
      source: `a requeued message is delivered again at once: a failing consumer loops (${RABBIT_DOCS})`,
      onlyIf: { field: "onFailure", values: ["nack"] },
    },
  ],
  modeled: [
    "direct, fanout and topic exchanges with bindings and an alternate queue; publisher confirms that wait for every target queue (rabbitmq-exchanges)",
    "a nacked message requeued near the head: a failing consumer loops on it (rabbitmq-requeue-loop)",
    "unacked deliveries requeued when the consumer's connection closes; the 30-minute consumer ack timeout",
    "when set: prefetch, x-max-length and x-max-length-bytes with drop-head, reject-publish and reject-publish-dlx, message TTL, priorities, a disk limit that blocks publishers",
  ],
  notModeled: [
    "headers exchanges, exchange-to-exchange bindings, mandatory publishes (basic.return)",
    "prefetch 0 (unlimited): give prefetch a bound; the memory alarm (0.6 of RAM); the 50 MB free-disk alarm needs the disk's size: give diskLimit",
  ],
};

const rabbitmqQuorum: SystemPreset = {
  ...rabbitmq,
  name: "rabbitmq-quorum",
  description: "RabbitMQ quorum queue: a delivery limit of 20",
  modeled: [
    "the delivery limit of 20: a message redelivered that often is dead-lettered (rabbitmq-requeue-loop)",
    "a nacked message requeued at the tail",
    "the classic queue's exchanges, connection-close requeue and ack timeout (see rabbitmq)",
  ],
  broker: [
    ...rabbitmq.broker.filter((d) => d.field !== "requeueToHead"),
    {
      field: "maxReceives",
      value: 20,
      source: `quorum queues' delivery-limit defaults to 20 since 4.0 (${RABBIT_DOCS}, quorum queues)`,
    },
  ],
};

const PUBSUB_DOCS = "Google Cloud Pub/Sub documentation";

const pubsub: SystemPreset = {
  name: "pubsub",
  kind: "queue",
  description: "Google Cloud Pub/Sub pull subscription (one subscription: a queue)",
  broker: [
    {
      field: "visibilityTimeout",
      value: "10s",
      source: `ack deadline 10 s by default, 10 to 600 s (${PUBSUB_DOCS}, subscription properties)`,
    },
  ],
  producer: [
    {
      field: "acks",
      value: "all",
      source: `Publish returns a message id once stored (${PUBSUB_DOCS})`,
    },
  ],
  consumer: [
    { field: "commit", value: "after-processing", source: `ack after processing (${PUBSUB_DOCS})` },
    {
      field: "onFailure",
      value: "nack",
      source: `a nack redelivers at once when no retry policy is set (${PUBSUB_DOCS}, retry policy)`,
    },
    {
      field: "nackDelay",
      value: "0s",
      source: `immediate redelivery without a retry policy (${PUBSUB_DOCS})`,
      onlyIf: { field: "onFailure", values: ["nack"] },
    },
    {
      field: "leaseExtension",
      value: "60m",
      source: `the client libraries extend the ack deadline of held messages up to 60 min (Java maxAckExtensionPeriod, Python max_lease_duration 3600 s; ${PUBSUB_DOCS}, lease management)`,
    },
  ],
  modeled: [
    "the ack deadline, extended by the client libraries' lease management up to 60 min while a live subscriber holds the message",
    "ordering keys: a key's messages in order, and a redelivery (a nack, an expired deadline) redelivers the key's later messages too, acked ones included (pubsub-ordering-redelivery)",
    "flow control as the consumer's prefetch; the messages a crashed subscriber held come back after their ack deadline",
  ],
  notModeled: [
    "ordering keys: the client libraries hand a key's next message to the callback after a nack too (queuelab waits for the redelivery)",
    "dead-letter topics (maxDeliveryAttempts 5 to 100): set maxReceives yourself",
    "a retry policy with exponential backoff (10 s to 600 s when set; off by default): set redeliveryBackoff yourself (the multiplier is not documented)",
    "several subscriptions on one topic (use a topic with consumer groups)",
  ],
};

const KINESIS_DOCS = "Amazon Kinesis Data Streams Developer Guide";

const kinesis: SystemPreset = {
  name: "kinesis",
  kind: "topic",
  description: "Amazon Kinesis data stream (partitions are shards)",
  broker: [
    {
      field: "retention",
      value: "24h",
      source: `retention 24 h by default, up to 365 days (${KINESIS_DOCS})`,
    },
    {
      field: "replicationFactor",
      value: 3,
      source: `data is stored across three availability zones (${KINESIS_DOCS})`,
    },
    { field: "brokers", value: 3, source: `three availability zones (${KINESIS_DOCS})` },
    {
      field: "writeLimit",
      value: { records: "1000/s", bytes: "1MiB/s" },
      source: `per shard: 1,000 records/s and 1 MiB/s of writes, beyond that ProvisionedThroughputExceeded (${KINESIS_DOCS}, quotas and limits)`,
    },
    {
      field: "readLimit",
      value: { calls: "5/s", records: 10000, bytes: "2MiB/s" },
      source: `per shard: 5 GetRecords calls/s, each up to 10,000 records, and 2 MiB/s of reads, shared by the consumers without enhanced fan-out (${KINESIS_DOCS}, quotas and limits)`,
    },
  ],
  producer: [
    { field: "acks", value: "all", source: `PutRecord answers once stored (${KINESIS_DOCS})` },
  ],
  consumer: [
    {
      field: "commit",
      value: "after-processing",
      source: `the KCL checkpoints after a batch is processed (${KINESIS_DOCS}, KCL)`,
    },
  ],
  modeled: [
    "shards with per-shard write limits (1,000 records/s, 1 MiB/s) and read limits (5 GetRecords calls/s, 2 MiB/s), throttling and producer retries (kinesis-hot-shard)",
    "a skewed partition key making a hot shard (kinesis-hot-shard)",
    "24-hour retention, replicas in three zones, KCL-style checkpoints after processing",
  ],
  notModeled: [
    "a GetRecords call of up to 10 MiB that throttles the shard's next 5 s of reads (queuelab's read limit refuses a fetch beyond 2 MiB/s instead)",
    "MD5 hashing of partition keys (queuelab's topics use Kafka's murmur2)",
    "enhanced fan-out",
  ],
};

const PULSAR_DOCS = "Apache Pulsar documentation";

const pulsar: SystemPreset = {
  name: "pulsar",
  kind: "topic",
  description:
    "Apache Pulsar topic read through subscriptions (exclusive by default; failover, shared, key_shared)",
  broker: [],
  producer: [
    { field: "acks", value: "all", source: `a send completes once persisted (${PULSAR_DOCS})` },
  ],
  consumer: [
    {
      field: "subscriptionType",
      value: "exclusive",
      source: `Exclusive is the default subscription type: one consumer, a second is refused with ConsumerBusy (${PULSAR_DOCS}, subscription types)`,
    },
    {
      field: "commit",
      value: "after-processing",
      source: `acknowledge each message after processing; acks are individual (${PULSAR_DOCS}, acknowledgement)`,
    },
    {
      field: "nackDelay",
      value: "1m",
      source: `negativeAckRedeliveryDelay 1 min: a nacked message is redelivered then, without holding back the messages after it (${PULSAR_DOCS}, negative acknowledgement)`,
    },
    {
      field: "prefetch",
      value: 1000,
      source: `receiverQueueSize 1000: messages a consumer holds delivered and not yet processed (${PULSAR_DOCS}, consumer configuration)`,
    },
  ],
  modeled: [
    "exclusive, failover, shared and key_shared subscriptions; individual acks (pulsar-subscriptions)",
    "negative acks redelivered after 1 min without blocking the messages behind (pulsar-subscriptions)",
    "key_shared's consistent hashing (100 points per consumer): a key stays with one consumer, so its order holds with many consumers on one partition",
    "maxRedeliverCount dead-lettering on shared and key_shared; a crashed consumer's unacked messages going to the others at once",
  ],
  notModeled: [
    "the ack timeout (ackTimeout, off by default): onFailure: timeout is refused",
    "key_shared: a consumer that joins or rejoins after a crash takes its keys at once (Pulsar holds its messages back until those dispatched before it joined are acked), so a rejoin can reorder a key; the sticky and allowOutOfOrderDelivery modes",
    "failover: the 1 s activeConsumerFailoverDelayTimeMillis before a standby takes over, consumer priority levels",
    "backlog quotas; the topic's log keeps its own retention (a subscription drops what it acks, as with retention 0)",
    "the dead-letter topic as a topic to read (dead-lettered messages are counted); the retry letter topic (reconsumeLater): use calls with retryAt: requeue",
    "batching and chunking; the subscription's initial position (it exists from the start of the run)",
  ],
};

const CELERY_DOCS = "Celery 5.x documentation";

const celery: SystemPreset = {
  name: "celery",
  kind: "queue",
  description: "Celery workers on a broker queue, with Celery's early acks",
  broker: [],
  producer: [],
  consumer: [
    {
      field: "commit",
      value: "before-processing",
      source: `task_acks_late=False: the message is acked before the task runs (${CELERY_DOCS}, configuration)`,
    },
    {
      field: "prefetchMultiplier",
      value: 4,
      source: `worker_prefetch_multiplier 4: a worker reserves 4 x concurrency messages (${CELERY_DOCS}, configuration)`,
      unlessField: "prefetch",
    },
  ],
  modeled: [
    "acks before the task runs (task_acks_late=False): a worker crash loses its running tasks (celery-acks-early)",
    "worker_prefetch_multiplier 4: each worker reserves 4 x concurrency messages, which come back after the visibility timeout when it dies (celery-acks-early)",
  ],
  notModeled: [
    "ETA and countdown beyond the broker's visibility timeout",
    "autoretry republishing (use a consumer's calls with retryAt: requeue and retry: celery-autoretry)",
  ],
};

const CLOUD_TASKS_DOCS = "Google Cloud Tasks documentation (queue configuration)";

const cloudTasks: SystemPreset = {
  name: "cloud-tasks",
  kind: "queue",
  description: "Google Cloud Tasks queue dispatching to an HTTP handler",
  broker: [
    {
      field: "visibilityTimeout",
      value: "10m",
      source: `HTTP dispatch deadline 10 min: a task not answered by then is retried (${CLOUD_TASKS_DOCS})`,
    },
    {
      field: "maxReceives",
      value: 100,
      source: `retryConfig maxAttempts 100 by default (${CLOUD_TASKS_DOCS})`,
    },
    {
      field: "redeliveryBackoff",
      value: "cloud-tasks",
      source: `retryConfig: minBackoff 0.1 s, maxBackoff 3600 s, maxDoublings 16: the interval doubles 16 times, then grows linearly, capped at maxBackoff (${CLOUD_TASKS_DOCS}); the retry preset cloud-tasks`,
    },
    {
      field: "dispatchLimit",
      value: { rate: "500/s", burst: 100 },
      source: `rateLimits: maxDispatchesPerSecond 500, maxBurstSize 100, a token bucket (${CLOUD_TASKS_DOCS})`,
    },
    {
      field: "maxInFlight",
      value: 1000,
      source: `rateLimits: maxConcurrentDispatches 1000 (${CLOUD_TASKS_DOCS})`,
    },
  ],
  producer: [
    {
      field: "acks",
      value: "all",
      source: `CreateTask returns once the task is stored (${CLOUD_TASKS_DOCS})`,
    },
  ],
  consumer: [
    {
      field: "commit",
      value: "after-processing",
      source: `a task is done when its handler answers 2xx (${CLOUD_TASKS_DOCS})`,
    },
  ],
  modeled: [
    "the retry backoff: 0.1 s doubling 16 times, then linear, capped at 1 h, for 100 attempts (cloud-tasks-retries)",
    "the dispatch rate limit (500/s, burst 100) and 1,000 concurrent dispatches",
    "the 10-minute dispatch deadline: a handler that does not answer in time is retried",
  ],
  notModeled: [
    "maxRetryDuration, and the burst size Cloud Tasks derives from the dispatch rate (queuelab keeps the documented default of 100)",
    "a task that fails after its last attempt is deleted, not dead-lettered (queuelab dead-letters it, counted)",
  ],
};

export const SYSTEM_PRESETS: Record<string, SystemPreset> = Object.fromEntries(
  [kafka, sqs, sqsFifo, rabbitmq, rabbitmqQuorum, pubsub, kinesis, pulsar, celery, cloudTasks].map(
    (p) => [p.name, p],
  ),
);

export const SYSTEM_PRESET_NAMES: readonly string[] = Object.keys(SYSTEM_PRESETS);
