/** Small hand-built scenario configs for model tests (no scenario file involved). */
import type {
  ConsumerConfig,
  LinkConfig,
  ProducerConfig,
  QueueConfig,
  ScenarioConfig,
  TopicConfig,
} from "../../models/config.ts";
import { RUN_LIMITS_DEFAULT } from "../../models/runGuard.ts";

export function producer(ratePerS: number, extra: Partial<ProducerConfig> = {}): ProducerConfig {
  return {
    name: "api",
    to: "orders",
    routingKeys: [],
    arrivals: "poisson",
    startS: 0,
    phases: [{ durationS: 1e12, ratePerS }],
    repeatPhases: false,
    keys: { count: 1, skew: "uniform", zipfExponent: 1 },
    messageSizeBytes: 1024,
    acks: "none",
    maxRetries: 0,
    requestTimeoutS: 30,
    retryBackoffS: 0.1,
    idempotent: false,
    maxInFlight: 5,
    messageSizeDistribution: null,
    priority: 0,
    rateLimit: null,
    ...extra,
  };
}

export function queue(extra: Partial<QueueConfig> = {}): QueueConfig {
  return {
    name: "orders",
    visibilityTimeoutS: 1e9,
    maxReceives: null,
    fifo: false,
    orderingKeys: false,
    deduplicationWindowS: 300,
    maxLength: null,
    maxBytes: null,
    overflow: "unbounded",
    diskLimitBytes: null,
    messageTtlS: null,
    expire: "drop",
    delayS: 0,
    priorities: 1,
    requeueOnDisconnect: false,
    requeueToHead: false,
    apiLimitPerS: null,
    dispatchLimit: null,
    maxInFlight: null,
    redeliveryBackoff: null,
    ...extra,
  };
}

export function consumer(
  count: number,
  meanS: number,
  extra: Partial<ConsumerConfig> = {},
): ConsumerConfig {
  return {
    name: "workers",
    queue: "orders",
    count,
    concurrency: 1,
    prefetch: extra.concurrency ?? 1,
    processing: { kind: "exponential", mean: meanS },
    failureProbability: 0,
    poisonProbability: 0,
    calls: null,
    onFailure: "nack",
    nackDelayS: 0,
    leaseExtensionS: 0,
    topic: null,
    group: "workers",
    commit: "after-processing",
    autoCommitIntervalS: 5,
    idempotency: { kind: "none" },
    startS: 0,
    restartS: 10,
    crashRatePerS: 0,
    maxPollRecords: 500,
    sessionTimeoutS: 45,
    heartbeatIntervalS: 3,
    maxPollIntervalS: 300,
    autoOffsetReset: "latest",
    autoscale: null,
    forward: null,
    ...extra,
  };
}

/** A Kafka-like topic with its documented defaults (retention 7 d, segments 1 GiB, one replica). */
export function topic(extra: Partial<TopicConfig> = {}): TopicConfig {
  return {
    name: "events",
    partitions: 4,
    retentionS: 7 * 86400,
    retentionBytes: null,
    segmentBytes: 1024 ** 3,
    segmentS: 7 * 86400,
    retentionCheckIntervalS: 300,
    brokers: 1,
    replicationFactor: 1,
    replicationLagS: 0.01,
    minInsyncReplicas: 1,
    writeLimit: null,
    readLimit: null,
    ...extra,
  };
}

/** A consumer group on topic `events`. */
export function streamConsumer(
  count: number,
  meanS: number,
  extra: Partial<ConsumerConfig> = {},
): ConsumerConfig {
  return consumer(count, meanS, { queue: null, topic: "events", ...extra });
}

export function link(from: string, to: string, extra: Partial<LinkConfig> = {}): LinkConfig {
  return { from, to, latency: null, lossProbability: 0, duplicateProbability: 0, ...extra };
}

export function scenario(extra: Partial<ScenarioConfig>): ScenarioConfig {
  return {
    name: "test",
    description: "",
    seed: 1,
    durationS: 1000,
    drainS: 0,
    warmupS: 0,
    sampleIntervalS: null,
    producers: [producer(1)],
    queues: [queue()],
    topics: [],
    exchanges: [],
    consumers: [consumer(1, 0.5)],
    downstreams: [],
    callers: [],
    links: [],
    faults: [],
    expect: [],
    limits: RUN_LIMITS_DEFAULT,
    contention: null,
    alerts: [],
    ...extra,
  };
}
