/**
 * The validated, resolved configuration of one scenario variant: what the scenario loader
 * produces and what the models are wired from. Every quantity is in SI units (seconds,
 * per second) and its name says which; there are no defaults left to fill in here.
 */
import type { DistributionSpec } from "../sim/distributions.ts";
import type { ContentionConfig } from "./contention.ts";
import type { DownstreamConfig, DownstreamFaultConfig } from "./downstream.ts";
import type { ExchangeType } from "./exchange.ts";
import type { BackoffConfig, RetryPolicyConfig } from "./retryPolicy.ts";
import type { ReadLimitConfig, WriteLimitConfig } from "./throughputLimits.ts";

export interface ScenarioConfig {
  /** Scenario name (from the file), used in reports. */
  name: string;
  description: string;
  /** Seed used when the command line does not give one. */
  seed: number;
  /** Producers publish during [0, durationS). */
  durationS: number;
  /** After producers stop, the run goes on this long for work in flight to finish. */
  drainS: number;
  /** Latency statistics ignore messages produced before this time (queue warm-up). */
  warmupS: number;
  /** Width of one bucket of the time-series charts; null: (durationS + drainS) / 200. */
  sampleIntervalS: number | null;
  producers: ProducerConfig[];
  queues: QueueConfig[];
  topics: TopicConfig[];
  /** RabbitMQ exchanges producers may publish to (models/exchange.ts); empty when none. */
  exchanges: ExchangeConfig[];
  consumers: ConsumerConfig[];
  /** Services that consumers and callers call (a payments API, a database). */
  downstreams: ServiceConfig[];
  /** Closed-loop callers (users, upstream services): each waits for its answer, thinks, calls again. */
  callers: CallerConfig[];
  /** Directed network links; a pair of components with no link here talks over an ideal link. */
  links: LinkConfig[];
  faults: FaultConfig[];
  expect: Expectation[];
  /** Budgets of the run (the file's `limits:`); the command line's --max-* flags override them. */
  limits: RunLimits;
  /** Clients contending on one optimistic-concurrency row (models/contention.ts), or null. */
  contention: ContentionConfig | null;
  /** Alerts evaluated during the run (models/alerts.ts), in the scenario's order. */
  alerts: AlertConfig[];
}

/**
 * Budgets of one variant's run, against runaway runs; null: no limit. A budget is a guard, never
 * an input: a run that stays within its budgets is the same run without them.
 */
export interface RunLimits {
  /** Events the run may fire. */
  eventsMax: number | null;
  /** Wall-clock seconds the run may take (the clock is read every 65,536 events). */
  wallTimeSMax: number | null;
  /** duration + drain may not be longer: such a scenario is refused before it runs. */
  virtualTimeSMax: number | null;
}

export interface ProducerConfig {
  name: string;
  /** Name of the queue, topic or exchange it publishes to. */
  to: string;
  /**
   * The routing keys of its messages, each drawn per message with probability proportional to
   * its weight; empty unless it publishes to a direct or topic exchange.
   */
  routingKeys: RoutingKeyWeight[];
  /** poisson: exponential gaps; constant: evenly spaced at the phase's rate. */
  arrivals: "poisson" | "constant";
  /** Starts publishing at startS and runs through its phases (or until the scenario's durationS). */
  startS: number;
  /** Consecutive phases of load; one phase when the file gives a plain rate. */
  phases: ProducerPhase[];
  /** When true the phases repeat until durationS (diurnal load); otherwise the producer stops after the last. */
  repeatPhases: boolean;
  keys: KeyConfig;
  /** Size of each message, for retention by bytes. */
  messageSizeBytes: number;
  /**
   * none: fire and forget (Kafka acks=0). leader and all wait for the broker's acknowledgement
   * and retry without one: on a topic, `leader` (Kafka acks=1) is acknowledged once the
   * partition's leader has appended the record, `all` (Kafka acks=all) once every in-sync
   * replica has it (the high watermark passed it), and is refused while fewer than
   * `minInsyncReplicas` replicas are in sync. A queue has no replicas: there the two are the same
   * (publisher confirms, SQS's SendMessage response).
   */
  acks: "none" | "leader" | "all";
  /** Retries after the first attempt (Kafka: unbounded within delivery.timeout.ms). */
  maxRetries: number;
  /** A send with no acknowledgement after this long is retried (Kafka request.timeout.ms: 30 s). */
  requestTimeoutS: number;
  /** Wait before a retry (Kafka retry.backoff.ms: 100 ms). */
  retryBackoffS: number;
  /** Broker drops a copy of a message it already has from this producer (Kafka enable.idempotence). */
  idempotent: boolean;
  /** Messages awaiting acknowledgement at once (Kafka max.in.flight.requests.per.connection: 5). */
  maxInFlight: number;
  /**
   * Sizes drawn from this distribution of bytes (rounded to whole bytes, at least 1); null: every
   * message is `messageSizeBytes` (which otherwise holds the distribution's mean, for reference).
   */
  messageSizeDistribution: DistributionSpec | null;
  /**
   * Priority of its messages on a queue with priority classes (RabbitMQ x-max-priority): 0 is the
   * lowest; a priority above the queue's highest class counts as the highest.
   */
  priority: number;
  /** A token bucket on the producer's sends; null: no limit. */
  rateLimit: RateLimitConfig | null;
}

/**
 * A producer-side token bucket: `burst` tokens at the start, refilled at `ratePerS`; each message
 * takes one token when it leaves the producer. Without a token it waits in the producer's buffer
 * (`wait`) or is dropped (`drop`, checked when it is published). Retries take no token.
 */
export interface RateLimitConfig {
  ratePerS: number;
  burst: number;
  onLimit: "wait" | "drop";
}

export interface RoutingKeyWeight {
  key: string;
  /** Relative weight, > 0. */
  weight: number;
}

/**
 * A RabbitMQ exchange (models/exchange.ts): routes each message to the queues whose bindings
 * match its routing key; what none matches goes to `alternate`, or is dropped.
 */
export interface ExchangeConfig {
  name: string;
  type: ExchangeType;
  bindings: BindingConfig[];
  /** The queue that takes what no binding matches (an alternate exchange); null: dropped. */
  alternate: string | null;
}

export interface BindingConfig {
  queue: string;
  /** Binding key (direct: a literal; topic: a pattern with `*` and `#`); "" for fanout. */
  key: string;
}

export interface ProducerPhase {
  durationS: number;
  ratePerS: number;
}

export interface KeyConfig {
  /** Number of distinct keys; keys are named `k0` .. `k{count-1}`. */
  count: number;
  skew: "uniform" | "zipf";
  /** Zipf exponent s (key k drawn with probability proportional to 1/(k+1)^s); ignored for uniform. */
  zipfExponent: number;
}

export interface QueueConfig {
  name: string;
  /** A delivered message is invisible this long, then redelivered unless acked (SQS: 30 s). */
  visibilityTimeoutS: number;
  /** After this many receives a message that is not acked goes to the dead-letter queue; null: never. */
  maxReceives: number | null;
  /**
   * SQS FIFO: the message group is the message's key; a group delivers in order, one message at
   * a time (the next waits until the one in flight is deleted or dead-lettered); a returned
   * message goes back to the head of its group.
   */
  fifo: boolean;
  /**
   * Pub/Sub message ordering: the message's key is its ordering key; a key's messages are
   * delivered in order, one callback at a time; a nacked or expired message is delivered again
   * with every later message of its key already delivered, acked ones included
   * (models/orderingKeys.ts). Standard queues without capacity, TTL or priorities only.
   */
  orderingKeys: boolean;
  /**
   * FIFO only (ignored otherwise): a copy of a message already published to the queue this long
   * ago or less is accepted and dropped (SQS: 5 minutes); 0: no deduplication.
   */
  deduplicationWindowS: number;
  /** Capacity in messages (RabbitMQ x-max-length), counting ready messages; null: none. */
  maxLength: number | null;
  /** Capacity in bytes (RabbitMQ x-max-length-bytes), counting ready messages; null: none. */
  maxBytes: number | null;
  /** What a publish that would pass `maxLength` or `maxBytes` does (models/taskQueue.ts). */
  overflow: OverflowPolicy;
  /**
   * RabbitMQ's disk alarm: while the queue stores this many bytes (ready, delayed, in flight and
   * dead-lettered), producers are blocked; null: no limit.
   */
  diskLimitBytes: number | null;
  /** A ready message older than this (since it reached the queue) expires; null: never. */
  messageTtlS: number | null;
  /** What an expired message does: dropped, or moved to the dead-letter queue. */
  expire: "drop" | "dead-letter";
  /** A published message becomes visible only this long after it arrives (SQS DelaySeconds). */
  delayS: number;
  /** Priority classes (RabbitMQ x-max-priority): higher classes are delivered first; 1: none. */
  priorities: number;
  /**
   * When a consumer instance crashes, its unacked deliveries go back to the queue at once (the
   * broker sees the connection close, as RabbitMQ does) instead of after the visibility timeout.
   */
  requeueOnDisconnect: boolean;
  /**
   * A message returned to the queue (nacked, timed out, its consumer gone) goes back to the head
   * of the line, as a RabbitMQ classic queue requeues it, instead of the tail: a message that
   * always fails is delivered again at once, ahead of everything else.
   */
  requeueToHead: boolean;
  /**
   * API calls per second and action (SQS FIFO: 300 SendMessage, 300 ReceiveMessage), counted in
   * one-second windows (models/throughputLimits.ts): a publish beyond it is refused (the producer
   * retries), a delivery beyond it waits for the next second; null: no limit.
   */
  apiLimitPerS: number | null;
  /**
   * A token bucket on deliveries (Cloud Tasks' maxDispatchesPerSecond and its burst): a delivery
   * without a token waits until the bucket has one; null: no limit.
   */
  dispatchLimit: { ratePerS: number; burst: number } | null;
  /**
   * Deliveries in flight at once, over all consumers (Cloud Tasks' maxConcurrentDispatches, SQS's
   * in-flight limit): beyond it the ready messages wait for an ack or a return; null: no limit.
   */
  maxInFlight: number | null;
  /**
   * The broker's delay before a message that failed (nacked, or its visibility timeout expired)
   * is visible again, growing with its receives (Cloud Tasks' retry backoff, a Pub/Sub retry
   * policy); it replaces the consumer's `nackDelayS`. null: returned at once.
   */
  redeliveryBackoff: BackoffConfig | null;
}

/**
 * - unbounded: no capacity (only `diskLimitBytes` blocks producers).
 * - drop-head: the next message in delivery order is dropped to make room (RabbitMQ's default).
 * - drop-tail: the new message is dropped.
 * - drop-low-first: the oldest message of the lowest priority class is dropped (the new one when
 *   its class is lower than every ready message's).
 * - reject-publish: the new message is refused; the producer's retries decide (RabbitMQ).
 * - reject-to-dlq: refused and moved to the dead-letter queue (RabbitMQ reject-publish-dlx).
 * - block: the producer holds its messages until the queue has room.
 */
export type OverflowPolicy =
  | "unbounded"
  | "drop-head"
  | "drop-tail"
  | "drop-low-first"
  | "reject-publish"
  | "reject-to-dlq"
  | "block";

/**
 * A topic (Kafka, Kinesis, Pulsar, Pub/Sub): an append-only log of `partitions` partitions; a
 * record's key picks its partition (Kafka's murmur2 partitioner). Records are deleted a segment
 * at a time once older than `retentionS` or beyond `retentionBytes`, never by being read.
 */
export interface TopicConfig {
  name: string;
  partitions: number;
  /** Kafka retention.ms: 7 days; null: keep forever. */
  retentionS: number | null;
  /** Kafka retention.bytes per partition: unlimited (null). */
  retentionBytes: number | null;
  /** Kafka segment.bytes: 1 GiB. */
  segmentBytes: number;
  /** Kafka segment.ms: 7 days; null: segments roll by size only. */
  segmentS: number | null;
  /** Kafka log.retention.check.interval.ms: 5 minutes. */
  retentionCheckIntervalS: number;
  /**
   * Brokers of the topic's cluster, numbered 0 .. brokers-1. Partition p's replicas live on
   * brokers (p + i) % brokers for i < replicationFactor; the first live in-sync one leads.
   */
  brokers: number;
  /** Copies of each partition, on as many brokers (Kafka default.replication.factor: 1). */
  replicationFactor: number;
  /**
   * How long a follower takes to copy a record from its leader (one fetch; Kafka's
   * replica.fetch.wait.max.ms, 500 ms, bounds a fetch's wait when there is nothing new). The
   * leader learns of the copy with the follower's next fetch, one lag later: a record is
   * committed (below the high watermark) 2 x replicationLagS after its append.
   */
  replicationLagS: number;
  /** acks=all writes are refused while fewer replicas are in sync (Kafka min.insync.replicas 1). */
  minInsyncReplicas: number;
  /** Per-partition write limit (Kinesis: 1,000 records/s, 1 MiB/s per shard); null: none. */
  writeLimit: WriteLimitConfig | null;
  /** Per-partition read limit, shared by every group (Kinesis: 5 calls/s, 2 MiB/s); null: none. */
  readLimit: ReadLimitConfig | null;
}

/**
 * When a consumer commits (an offset on a topic, an ack on a queue) relative to its processing:
 * - before-processing: at-most-once; a crash during processing loses the message.
 * - after-processing: at-least-once; a crash between the effect and the commit duplicates it.
 * - auto: Kafka's enable.auto.commit: each poll commits what the previous poll returned, once
 *   `autoCommitIntervalS` has passed; topics only.
 * - transactional: the effect and the commit are one atomic step (Kafka transactions,
 *   effectively-once inside the system): a crash or a fenced consumer applies neither.
 */
export type CommitPoint = "before-processing" | "after-processing" | "auto" | "transactional";

export type IdempotencyConfig =
  | { kind: "none" }
  /** Remembers processed message ids for ttlS, at most `capacity` of them. */
  | { kind: "seen-table"; ttlS: number; capacity: number }
  /** A permanent unique key per message id: an effect is applied at most once, ever. */
  | { kind: "conditional-write" };

export interface ConsumerConfig {
  name: string;
  /** Name of the queue it consumes from; null when it reads a topic. */
  queue: string | null;
  /** Name of the topic it reads through consumer group `group`; null when it consumes a queue. */
  topic: string | null;
  /** Consumer group (Kafka group.id) on a topic; each group reads every record. */
  group: string;
  /** Number of consumer instances (processes). */
  count: number;
  /** Messages each instance processes at once. */
  concurrency: number;
  /**
   * Queue consumers: delivered, unacked messages each instance holds at most (RabbitMQ
   * basic.qos prefetch_count, Celery's prefetch, Pub/Sub max outstanding messages), processing
   * `concurrency` of them and buffering the rest; at least `concurrency` (the default).
   */
  prefetch: number;
  /** Processing time of one message, in seconds. */
  processing: DistributionSpec;
  /** Probability that processing a message fails (a transient error). */
  failureProbability: number;
  /** Fraction of messages whose processing always fails (poison messages). */
  poisonProbability: number;
  /** A downstream service each message calls after its processing; null for none. */
  calls: ConsumerCallConfig | null;
  /**
   * A pipeline stage: each message whose effect this consumer applies is published on to another
   * queue or topic by this sending side (its `to`, acks, retries; its rate and keys unused).
   * Null: the consumer is the end of the line.
   */
  forward: ProducerConfig | null;
  /**
   * What a failed message does: `nack` returns it to the queue after `nackDelayS`;
   * `timeout` abandons it so it reappears when its visibility timeout expires.
   */
  onFailure: "nack" | "timeout";
  nackDelayS: number;
  /**
   * Queue consumers: lease extension (Pub/Sub client libraries' maxAckExtensionPeriod, 60 min):
   * while a live instance holds a delivered message (processing or buffered), each ack deadline
   * that comes is extended by another, until the message has been held this long in total; 0:
   * no extension.
   */
  leaseExtensionS: number;
  commit: CommitPoint;
  /** Kafka auto.commit.interval.ms: 5 s. */
  autoCommitIntervalS: number;
  idempotency: IdempotencyConfig;
  /** Instances join (start consuming) at this time. */
  startS: number;
  /** A crashed instance restarts after this long. */
  restartS: number;
  /** Random crashes: each instance crashes at this rate (a Poisson process); 0: never. */
  crashRatePerS: number;
  /** Topic consumers: Kafka max.poll.records, 500. */
  maxPollRecords: number;
  /** Topic consumers: Kafka session.timeout.ms, 45 s. */
  sessionTimeoutS: number;
  /** Topic consumers: Kafka heartbeat.interval.ms, 3 s. */
  heartbeatIntervalS: number;
  /** Topic consumers: Kafka max.poll.interval.ms, 300 s. */
  maxPollIntervalS: number;
  /** Topic consumers: where a group with no valid committed offset starts (Kafka: latest). */
  autoOffsetReset: "earliest" | "latest";
  /** Instances follow a metric between min and max (models/autoscaler.ts); null: `count` fixed. */
  autoscale: AutoscaleConfig | null;
  /**
   * Topic consumers: read the topic as a Pulsar subscription of this type (named `group`,
   * models/pulsarSubscription.ts) instead of a Kafka consumer group; absent: a Kafka group.
   */
  subscriptionType?: SubscriptionType;
  /**
   * Pulsar's dead letter policy (shared and key_shared): a message redelivered this many times
   * goes to the dead-letter topic when it fails again; absent: no dead-letter topic.
   */
  maxRedeliverCount?: number;
}

/**
 * Pulsar's subscription types:
 * - exclusive: one consumer (Pulsar's default; a second gets ConsumerBusy);
 * - failover: one active consumer per partition, the others standing by;
 * - shared: any consumer takes any message, round robin;
 * - key_shared: a key's messages go to one consumer, the keys split among the consumers.
 */
export type SubscriptionType = "exclusive" | "failover" | "shared" | "key_shared";
export const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = [
  "exclusive",
  "failover",
  "shared",
  "key_shared",
];

/**
 * A horizontal autoscaler, after Kubernetes' HPA driven by a KEDA scaler: every `intervalS` it
 * reads the metric and recommends ceil(current x usage), usage being metric / (target x current)
 * for a per-instance target (depth, lag) or metric / target for a whole-queue one (oldestAge);
 * within `tolerance` of 1 it keeps the current count. The stabilization windows (HPA
 * behavior.scaleUp/scaleDown.stabilizationWindowSeconds) and a cooldown (AWS target tracking)
 * hold changes back; min and max bound them. `count` is the initial number of instances.
 */
export interface AutoscaleConfig {
  /**
   * - depth: messages ready in the consumer's queue, plus those in flight when
   *   `includeInFlight` (KEDA's SQS scaler, scaleOnInFlight: true);
   * - lag: records of the topic the group has not committed yet (KEDA's Kafka scaler);
   * - oldestAge: seconds the oldest waiting message has waited (SQS ApproximateAgeOfOldestMessage).
   */
  metric: "depth" | "lag" | "oldestAge";
  /** depth and lag: messages per instance (KEDA queueLength, lagThreshold); oldestAge: seconds. */
  target: number;
  includeInFlight: boolean;
  minInstances: number;
  maxInstances: number;
  /** Time between two readings and decisions (HPA's sync period: 15 s). */
  intervalS: number;
  /** A usage ratio within 1 +- tolerance changes nothing (HPA: 0.1). */
  tolerance: number;
  /** Scale up only to the lowest recommendation of this window (HPA default 0 s). */
  scaleUpStabilizationS: number;
  /** Scale down only to the highest recommendation of this window (HPA default 300 s). */
  scaleDownStabilizationS: number;
  /** After a change, no other change for this long (AWS target tracking cooldowns; HPA has none). */
  cooldownS: number;
  /** A new instance consumes only after this long (pull the image, start, connect). */
  coldStartS: number;
}

/** What an alert watches (models/alerts.ts lists how each is read). */
export type AlertMetric =
  | "depth"
  | "inFlight"
  | "dlqDepth"
  | "oldestAge"
  | "lag"
  | "consumers"
  /** Writes throttled per second (a queue's API limit, a topic's write limit) since the last evaluation. */
  | "throttleRate";

/**
 * An alert rule, as Prometheus evaluates one: every `intervalS` the metric of `subject` is
 * compared with `threshold`; the alert fires once the condition has held at every evaluation
 * for `forS`, and clears at the first evaluation where it does not, or, with `keepFiringForS`,
 * once it has not held for that long (Prometheus keep_firing_for).
 */
export interface AlertConfig {
  name: string;
  metric: AlertMetric;
  /** A queue's name (depth, inFlight, dlqDepth, oldestAge) or a consumer's (lag, consumers, oldestAge). */
  subject: string;
  subjectKind: "queue" | "consumer";
  /** ">": fires above the threshold; "<": below. */
  op: ">" | "<";
  /** Messages, instances, or seconds for oldestAge. */
  threshold: number;
  forS: number;
  keepFiringForS: number;
  intervalS: number;
}

/** A call to a downstream service: where, how long to wait for each attempt, how to retry. */
export interface CallConfig {
  /** Name of the downstream service called. */
  target: string;
  /** Per attempt; null waits for ever. */
  timeoutS: number | null;
  retry: RetryPolicyConfig;
}

export interface ConsumerCallConfig extends CallConfig {
  /**
   * Where a failed call is retried:
   * - consumer: the consumer waits out the backoff and calls again, holding the message (and
   *   its concurrency slot; the visibility timeout keeps running);
   * - broker: the message is nacked with the backoff as its delay (a redelivery: the receive
   *   count grows, maxReceives applies);
   * - requeue: the message is published again after the backoff and this delivery deleted (a
   *   retry topic or delayed requeue: it loses its place in line).
   * When the policy allows no more attempts, the consumer moves it to the dead-letter queue.
   */
  retryAt: "consumer" | "broker" | "requeue";
}

/** A downstream service, optionally calling the next layer while it serves each request. */
export interface ServiceConfig extends DownstreamConfig {
  /** The service it calls for each request (a layer below), or null. */
  calls: CallConfig | null;
}

/** A population of closed-loop callers. */
export interface CallerConfig {
  name: string;
  /** Callers in the population, each with one request outstanding at most. */
  count: number;
  /** Pause between the end of a request and the next one. */
  thinkTime: DistributionSpec;
  /** Callers start at startS and stop starting requests at the scenario's durationS. */
  startS: number;
  calls: CallConfig;
}

/** A scheduled fault. */
export type FaultConfig =
  /** Consumer instances crash at `atS` (one instance, or all when `instance` is null) and restart after `downS`. */
  | { kind: "crash"; atS: number; consumer: string; instance: number | null; downS: number }
  /** A downstream service's outage, slowdown or capacity drop (models/downstream.ts). */
  | DownstreamFaultConfig
  /** `count` messages (all when null) go from queue `queue`'s dead-letter queue back to it at `atS`. */
  | { kind: "redrive"; atS: number; queue: string; count: number | null }
  /** Every link between components `a` and `b`, both ways, drops what it carries during [atS, atS + durationS). */
  | { kind: "partition"; atS: number; durationS: number; a: string; b: string }
  /**
   * Broker `broker` of topic `topic`'s cluster stops at `atS` and restarts after `downS`: its
   * replicas leave the in-sync set, the partitions it led elect a new leader (or go offline).
   */
  | { kind: "broker-crash"; atS: number; topic: string; broker: number; downS: number };

export interface LinkConfig {
  from: string;
  to: string;
  /** One-way latency in seconds; null: zero. */
  latency: DistributionSpec | null;
  /** Probability that a message sent over the link is lost. */
  lossProbability: number;
  /** Probability that a message sent over the link arrives twice. */
  duplicateProbability: number;
}

export type ComparisonOp = "<" | "<=" | "==" | "!=" | ">=" | ">";

/** A stated expectation on a variant's summary, e.g. `fates.lost == 0` or `latency.p99S < 2`. */
export interface Expectation {
  /** Dotted path into the variant summary (see `models/results.ts`). */
  metric: string;
  op: ComparisonOp;
  value: number;
  /** As written in the scenario file, for messages. */
  text: string;
}
