/** Queues, topics, producers and links: from their file syntax to their resolved config. */
import type {
  ExchangeConfig,
  KeyConfig,
  LinkConfig,
  OverflowPolicy,
  ProducerConfig,
  ProducerPhase,
  QueueConfig,
  RateLimitConfig,
  TopicConfig,
} from "../models/config.ts";
import type { ReadLimitConfig, WriteLimitConfig } from "../models/throughputLimits.ts";
import { type DistributionSpec, distributionMean } from "../sim/distributions.ts";
import { readDistribution, readSizeDistribution } from "./distribution-syntax.ts";
import { ScenarioError } from "./errors.ts";
import { readRoutingKeys } from "./exchanges.ts";
import {
  Fields,
  fail,
  failWith,
  joinPath,
  readBoolean,
  readBytes,
  readChoice,
  readDurationS,
  readList,
  readName,
  readNumber,
  readProbability,
  readRatePerS,
  readWholeNumber,
} from "./fields.ts";
import {
  type ComponentKind,
  type ComponentNames,
  DESTINATION_KINDS,
  describeKinds,
} from "./names.ts";
import { entryOf, type RawNode } from "./raw.ts";
import { readRedeliveryBackoff } from "./retry.ts";
import { closestMatch } from "./suggest.ts";
import { readApiLimit, readReadLimit, readWriteLimit } from "./throughputLimits.ts";

export const QUEUE_KEYS = [
  "name",
  "system",
  "visibilityTimeout",
  "maxReceives",
  "fifo",
  "orderingKeys",
  "deduplicationWindow",
  "maxLength",
  "maxBytes",
  "overflow",
  "diskLimit",
  "messageTtl",
  "expire",
  "delay",
  "priorities",
  "requeueOnDisconnect",
  "apiLimit",
  "requeueToHead",
  "dispatchLimit",
  "maxInFlight",
  "redeliveryBackoff",
];
/** Queue fields modeled on standard queues only. */
const STANDARD_QUEUE_KEYS = [
  "maxLength",
  "maxBytes",
  "overflow",
  "messageTtl",
  "expire",
  "priorities",
];
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = [
  "unbounded",
  "drop-head",
  "drop-tail",
  "drop-low-first",
  "reject-publish",
  "reject-to-dlq",
  "block",
];
export const TOPIC_KEYS = [
  "name",
  "system",
  "partitions",
  "retention",
  "retentionBytes",
  "segmentBytes",
  "segment",
  "retentionCheckInterval",
  "replicationFactor",
  "brokers",
  "replicationLag",
  "minInsyncReplicas",
  "writeLimit",
  "readLimit",
];
export const PRODUCER_KEYS = [
  "name",
  "to",
  "routingKeys",
  "rate",
  "phases",
  "repeat",
  "arrivals",
  "start",
  "keys",
  "messageSize",
  "acks",
  "retries",
  "requestTimeout",
  "retryBackoff",
  "idempotent",
  "maxInFlight",
  "priority",
  "rateLimit",
];
export const RATE_LIMIT_KEYS = ["rate", "burst", "onLimit"];
/** Producer fields that only mean something when the producer waits for acknowledgements. */
const ACKED_PRODUCER_KEYS = [
  "retries",
  "requestTimeout",
  "retryBackoff",
  "idempotent",
  "maxInFlight",
];
export const PHASE_KEYS = ["for", "rate"];
export const KEYS_KEYS = ["count", "skew", "exponent"];
export const LINK_KEYS = ["from", "to", "between", "latency", "loss", "duplicate"];

const KIB = 1024;
const GIB = 1024 ** 3;
const TIB = 1024 ** 4;

/** Limits on what can grow, so a typo (`count: 2000000`) fails here rather than in the run. */
export const LIMITS = {
  producerRetriesMax: 1_000_000,
  consumerCountMax: 100_000,
  concurrencyMax: 10_000,
  keyCountMax: 10_000_000,
  /** SQS allows 1 to 1000. */
  maxReceivesMax: 1000,
  phasesMax: 10_000,
  /** Kafka allows more, but a topic of more than 10000 partitions is a typo here. */
  partitionsMax: 10_000,
  /** Kafka's own limit (message.max.bytes) is about 1 MB; far beyond, sizes are a typo. */
  messageSizeMaxBytes: GIB,
  /** Kafka's segment.bytes is an int (< 2 GiB); allow more, not absurdly more. */
  segmentMaxBytes: TIB,
  retentionMaxBytes: 1024 * TIB,
  /** Kafka's max.poll.records has no upper bound; this is far above any real setting. */
  maxPollRecordsMax: 100_000,
  seenTableCapacityMax: 100_000_000,
  /** Brokers of one topic's cluster (and so its replication factor). */
  brokersMax: 100,
  queueLengthMax: 1_000_000_000,
  queueMaxBytes: 1024 * TIB,
  /** RabbitMQ allows x-max-priority up to 255 (and advises up to 10). */
  prioritiesMax: 255,
  /** A token bucket's burst, in messages. */
  burstMax: 1_000_000_000,
} as const;

/** One key: no ordering or skew effects unless the scenario asks for them. */
const KEYS_DEFAULT: KeyConfig = { count: 1, skew: "uniform", zipfExponent: 1 };

/** SQS's default visibility timeout. */
export const VISIBILITY_TIMEOUT_DEFAULT_S = 30;
/** SQS FIFO's deduplication interval: 5 minutes. */
export const DEDUPLICATION_WINDOW_DEFAULT_S = 300;
/** 1 KiB: a small JSON event. Only segment sizes and retention by bytes depend on it. */
export const MESSAGE_SIZE_DEFAULT_BYTES = KIB;

/** Kafka's topic defaults (retention.ms, segment.bytes, segment.ms, the broker's check interval). */
export const TOPIC_DEFAULTS = {
  retentionS: 7 * 86400,
  retentionBytes: null,
  segmentBytes: GIB,
  segmentS: 7 * 86400,
  retentionCheckIntervalS: 300,
  /** Kafka default.replication.factor. */
  replicationFactor: 1,
  /** Brokers when the topic is replicated and does not say: a common three-broker cluster. */
  replicatedBrokers: 3,
  /** One follower fetch; Kafka's replica.fetch.wait.max.ms (500 ms) bounds a fetch's wait. */
  replicationLagS: 0.01,
  /** Kafka min.insync.replicas. */
  minInsyncReplicas: 1,
} as const;

/** What every reader needs: the scenario's timing and the names seen so far. */
export interface Context {
  durationS: number;
  drainS: number;
  names: ComponentNames;
  /** The scenario's exchanges by name, once read (producers' `routingKeys` depend on them). */
  exchanges?: ReadonlyMap<string, ExchangeConfig>;
}

export function readQueue(fields: Fields, name: string): QueueConfig {
  const visibilityTimeoutS = fields.read(
    "visibilityTimeout",
    (n, p) => readDurationS(n, p, { exclusive: true }),
    VISIBILITY_TIMEOUT_DEFAULT_S,
  );
  const maxReceives = fields.read<number | null>(
    "maxReceives",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.maxReceivesMax),
    null,
  );
  const fifo = fields.read("fifo", readBoolean, false);
  if (!fifo && fields.has("deduplicationWindow")) {
    fields.refuse(
      "deduplicationWindow",
      "fifo: true",
      "'deduplicationWindow' applies only to fifo: true",
    );
  }
  const deduplicationWindowS = fields.read(
    "deduplicationWindow",
    readDurationS,
    DEDUPLICATION_WINDOW_DEFAULT_S,
  );
  const orderingKeys = fields.read("orderingKeys", readBoolean, false);
  if (orderingKeys && fifo) {
    fields.refuse(
      "orderingKeys",
      "fifo: false",
      "'orderingKeys' (Pub/Sub message ordering) and fifo: true (SQS FIFO) are two kinds of queue: choose one",
    );
  }
  return {
    name,
    visibilityTimeoutS,
    maxReceives,
    fifo,
    orderingKeys,
    deduplicationWindowS,
    ...readQueueLimits(fields, fifo, orderingKeys),
    requeueOnDisconnect: fields.read("requeueOnDisconnect", readBoolean, false),
    requeueToHead: fields.read("requeueToHead", readBoolean, false),
  };
}

/** Capacity and overflow, disk limit, TTL and expiry, publish delay, priority classes. */
function readQueueLimits(
  fields: Fields,
  fifo: boolean,
  orderingKeys: boolean,
): Omit<
  QueueConfig,
  | "name"
  | "visibilityTimeoutS"
  | "maxReceives"
  | "fifo"
  | "orderingKeys"
  | "deduplicationWindowS"
  | "requeueOnDisconnect"
  | "requeueToHead"
> {
  if (fifo) {
    for (const key of STANDARD_QUEUE_KEYS) {
      if (fields.has(key)) {
        fields.refuse(
          key,
          "fifo: false",
          `'${key}' is modeled on standard queues only (fifo: false)`,
        );
      }
    }
  }
  if (orderingKeys) {
    for (const key of STANDARD_QUEUE_KEYS) {
      if (fields.has(key)) {
        fields.refuse(
          key,
          "orderingKeys: false",
          `'${key}' is modeled on queues without ordering keys only (orderingKeys: false)`,
        );
      }
    }
  }
  const maxLength = fields.read<number | null>(
    "maxLength",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.queueLengthMax),
    null,
  );
  const maxBytes = fields.read<number | null>(
    "maxBytes",
    (n, p) => readBytes(n, p, 1, LIMITS.queueMaxBytes),
    null,
  );
  const priorities = fields.read(
    "priorities",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.prioritiesMax),
    1,
  );
  const limited = maxLength !== null || maxBytes !== null;
  // RabbitMQ's default overflow behaviour is drop-head.
  const overflow = fields.read(
    "overflow",
    (n, p) => readChoice(n, p, OVERFLOW_POLICIES),
    limited ? "drop-head" : "unbounded",
  );
  if (limited && overflow === "unbounded") {
    fields.refuse(
      "overflow",
      "a policy for a full queue",
      "overflow 'unbounded' contradicts maxLength or maxBytes: choose drop-head, drop-tail, drop-low-first, reject-publish, reject-to-dlq or block",
    );
  }
  if (!limited && overflow !== "unbounded") {
    fields.refuse(
      "overflow",
      "maxLength or maxBytes",
      `overflow '${overflow}' needs a capacity: give maxLength or maxBytes`,
    );
  }
  if (overflow === "drop-low-first" && priorities < 2) {
    fields.refuse(
      "overflow",
      "priorities >= 2",
      "overflow 'drop-low-first' needs priority classes: give priorities >= 2",
    );
  }
  const diskLimitBytes = fields.read<number | null>(
    "diskLimit",
    (n, p) => readBytes(n, p, 1, LIMITS.queueMaxBytes),
    null,
  );
  const messageTtlS = fields.read<number | null>("messageTtl", positiveDuration, null);
  if (messageTtlS === null && fields.has("expire")) {
    fields.refuse("expire", "messageTtl", "'expire' applies only with a messageTtl");
  }
  const expire = fields.read(
    "expire",
    (n, p) => readChoice(n, p, ["drop", "dead-letter"] as const),
    "drop",
  );
  const delayS = fields.read("delay", readDurationS, 0);
  return {
    maxLength,
    maxBytes,
    overflow,
    diskLimitBytes,
    messageTtlS,
    expire,
    delayS,
    priorities,
    apiLimitPerS: fields.read<number | null>("apiLimit", readApiLimit, null),
    dispatchLimit: fields.read<{ ratePerS: number; burst: number } | null>(
      "dispatchLimit",
      readDispatchLimit,
      null,
    ),
    maxInFlight: fields.read<number | null>(
      "maxInFlight",
      (n, p) => readWholeNumber(n, p, 1, LIMITS.queueLengthMax),
      null,
    ),
    redeliveryBackoff: fields.read("redeliveryBackoff", readRedeliveryBackoff, null),
  };
}

/** A queue's `dispatchLimit`: a token bucket on deliveries. */
function readDispatchLimit(node: RawNode, path: string): { ratePerS: number; burst: number } {
  const fields = Fields.open(
    node,
    path,
    ["rate", "burst"],
    "a dispatch limit { rate: 500/s, burst: 100 }",
  );
  return readTokenBucket(fields, "500/s");
}

/** A token bucket's `rate` (> 0, required) and `burst` (default 1). */
function readTokenBucket(fields: Fields, rateExample: string): { ratePerS: number; burst: number } {
  const expected = `a rate > 0 like ${rateExample}`;
  const ratePerS = readRatePerS(fields.required("rate", expected), fields.pathOf("rate"));
  if (ratePerS <= 0) fail(fields.get("rate")!, fields.pathOf("rate"), expected);
  return {
    ratePerS,
    burst: fields.read("burst", (n, p) => readWholeNumber(n, p, 1, LIMITS.burstMax), 1),
  };
}

export function readTopic(fields: Fields, name: string): TopicConfig {
  const partitions = readWholeNumber(
    fields.required("partitions", `a whole number of partitions from 1 to ${LIMITS.partitionsMax}`),
    fields.pathOf("partitions"),
    1,
    LIMITS.partitionsMax,
  );
  const retentionS = fields.read(
    "retention",
    orWord("forever", positiveDuration),
    TOPIC_DEFAULTS.retentionS,
  );
  const retentionBytes = fields.read<number | null>(
    "retentionBytes",
    orWord("unlimited", (n, p) => readBytes(n, p, 1, LIMITS.retentionMaxBytes)),
    TOPIC_DEFAULTS.retentionBytes,
  );
  const segmentBytes = fields.read(
    "segmentBytes",
    (n, p) => readBytes(n, p, 1, LIMITS.segmentMaxBytes),
    TOPIC_DEFAULTS.segmentBytes,
  );
  const segmentS = fields.read(
    "segment",
    orWord("never", positiveDuration),
    TOPIC_DEFAULTS.segmentS,
  );
  const retentionCheckIntervalS = fields.read(
    "retentionCheckInterval",
    positiveDuration,
    TOPIC_DEFAULTS.retentionCheckIntervalS,
  );
  return {
    name,
    partitions,
    retentionS,
    retentionBytes,
    segmentBytes,
    segmentS,
    retentionCheckIntervalS,
    ...readReplication(fields),
    writeLimit: fields.read<WriteLimitConfig | null>("writeLimit", readWriteLimit, null),
    readLimit: fields.read<ReadLimitConfig | null>("readLimit", readReadLimit, null),
  };
}

/** A topic's cluster: brokers, replication factor, replication lag, min.insync.replicas. */
function readReplication(
  fields: Fields,
): Pick<TopicConfig, "brokers" | "replicationFactor" | "replicationLagS" | "minInsyncReplicas"> {
  const wholeUpTo = (max: number) => (n: RawNode, p: string) => readWholeNumber(n, p, 1, max);
  const replicationFactor = fields.read(
    "replicationFactor",
    wholeUpTo(LIMITS.brokersMax),
    TOPIC_DEFAULTS.replicationFactor,
  );
  const brokers = fields.read(
    "brokers",
    wholeUpTo(LIMITS.brokersMax),
    replicationFactor > 1 ? Math.max(TOPIC_DEFAULTS.replicatedBrokers, replicationFactor) : 1,
  );
  if (replicationFactor > brokers) {
    fields.refuse(
      "replicationFactor",
      `a replication factor of at most ${brokers} (brokers)`,
      `replicationFactor ${replicationFactor} needs ${replicationFactor} brokers (each replica on its own), the topic has ${brokers}`,
    );
  }
  if (replicationFactor === 1 && fields.has("replicationLag")) {
    fields.refuse(
      "replicationLag",
      "replicationFactor > 1",
      "'replicationLag' applies only with replicationFactor > 1 (a single replica has no followers)",
    );
  }
  const replicationLagS = fields.read(
    "replicationLag",
    readDurationS,
    TOPIC_DEFAULTS.replicationLagS,
  );
  const minInsyncReplicas = fields.read(
    "minInsyncReplicas",
    wholeUpTo(LIMITS.brokersMax),
    TOPIC_DEFAULTS.minInsyncReplicas,
  );
  if (minInsyncReplicas > replicationFactor) {
    fields.refuse(
      "minInsyncReplicas",
      `at most replicationFactor (${replicationFactor})`,
      `minInsyncReplicas ${minInsyncReplicas} is more than replicationFactor (${replicationFactor}): every acks=all write would be refused`,
    );
  }
  return { brokers, replicationFactor, replicationLagS, minInsyncReplicas };
}

/**
 * `read`, or null for `word` (`forever`, `never`, `unlimited`); an error says the word is allowed
 * too, and suggests it for a misspelling.
 */
export function orWord<T>(
  word: string,
  read: (node: RawNode, path: string) => T,
): (node: RawNode, path: string) => T | null {
  return (node, path) => {
    if (node.kind === "scalar" && node.value === word) return null;
    try {
      return read(node, path);
    } catch (error) {
      if (!(error instanceof ScenarioError) || error.detail.problem !== undefined) throw error;
      const written = node.kind === "scalar" ? String(node.value) : "";
      const hint = closestMatch(written, [word]) === null ? "" : `, did you mean '${word}'?`;
      const expected = `${error.detail.expected}, or '${word}'`;
      throw new ScenarioError({
        ...error.detail,
        expected,
        problem: `expected ${expected}, got ${error.detail.got}${hint}`,
      });
    }
  };
}

export function readProducer(fields: Fields, name: string, ctx: Context): ProducerConfig {
  const to = readDestination(fields, "to", ctx, PRODUCER_TARGET_KINDS);
  const routingKeys = readRoutingKeys(fields, to, ctx);
  const startS = fields.read("start", readDurationS, 0);
  if (startS >= ctx.durationS) {
    fields.refuse(
      "start",
      "a start before duration",
      `starts at ${startS}s, at or after the end of duration (${ctx.durationS}s): it would never publish`,
    );
  }
  const arrivals = fields.read(
    "arrivals",
    (n, p) => readChoice(n, p, ["poisson", "constant"] as const),
    "poisson",
  );
  const { phases, repeatPhases } = readLoad(fields, ctx.durationS - startS);
  const keys = fields.read<KeyConfig>("keys", readKeys, KEYS_DEFAULT);
  const { messageSizeBytes, messageSizeDistribution } = fields.read(
    "messageSize",
    readMessageSize,
    { messageSizeBytes: MESSAGE_SIZE_DEFAULT_BYTES, messageSizeDistribution: null },
  );
  if (fields.has("priority") && ctx.names.kindOf(to) === "topic") {
    fields.refuse("priority", "a queue in 'to'", "'priority' applies only to producers of a queue");
  }
  const priority = fields.read("priority", readPriority, 0);
  const rateLimit = fields.read<RateLimitConfig | null>("rateLimit", readRateLimit, null);
  const acks = fields.read(
    "acks",
    (n, p) => readChoice(n, p, ["none", "leader", "all"] as const),
    "none",
  );
  if (acks === "none") {
    for (const key of ACKED_PRODUCER_KEYS) {
      if (fields.has(key)) {
        fields.refuse(key, "acks: leader or all", `'${key}' applies only with acks: leader or all`);
      }
    }
  } else if (acks === "leader" && fields.has("idempotent")) {
    const idempotent = fields.read("idempotent", readBoolean, false);
    if (idempotent) {
      fields.refuse(
        "idempotent",
        "acks: all",
        "'idempotent: true' needs acks: all (Kafka's enable.idempotence requires acks=all)",
      );
    }
  }
  return {
    name,
    to,
    routingKeys,
    arrivals,
    startS,
    phases,
    repeatPhases,
    keys,
    messageSizeBytes,
    acks,
    maxRetries: fields.read(
      "retries",
      (n, p) => readWholeNumber(n, p, 0, LIMITS.producerRetriesMax),
      3,
    ),
    requestTimeoutS: fields.read(
      "requestTimeout",
      (n, p) => readDurationS(n, p, { exclusive: true }),
      REQUEST_TIMEOUT_DEFAULT_S,
    ),
    retryBackoffS: fields.read("retryBackoff", readDurationS, RETRY_BACKOFF_DEFAULT_S),
    idempotent: fields.read("idempotent", readBoolean, false),
    maxInFlight: fields.read(
      "maxInFlight",
      (n, p) => readWholeNumber(n, p, 1, 1_000_000),
      MAX_IN_FLIGHT_DEFAULT,
    ),
    messageSizeDistribution,
    priority,
    rateLimit,
  };
}

/**
 * `messageSize`: a fixed size (`2KiB`, or `{ constant: 2KiB }`), or a distribution of sizes
 * (`{ lognormal: { median: 2KiB, p99: 64KiB } }`), whose mean is kept as the nominal size.
 */
function readMessageSize(
  node: RawNode,
  path: string,
): Pick<ProducerConfig, "messageSizeBytes" | "messageSizeDistribution"> {
  if (node.kind === "scalar") {
    return {
      messageSizeBytes: readBytes(node, path, 1, LIMITS.messageSizeMaxBytes),
      messageSizeDistribution: null,
    };
  }
  const spec: DistributionSpec = readSizeDistribution(node, path);
  if (spec.kind === "constant") {
    if (spec.value < 1 || spec.value > LIMITS.messageSizeMaxBytes) {
      fail(node, joinPath(path, "constant"), "a size from 1B to 1GiB");
    }
    return { messageSizeBytes: spec.value, messageSizeDistribution: null };
  }
  const meanBytes = distributionMean(spec);
  return {
    messageSizeBytes: Math.min(LIMITS.messageSizeMaxBytes, Math.max(1, Math.round(meanBytes))),
    messageSizeDistribution: spec,
  };
}

/** `low` (0), `high` (the queue's highest class: 255, capped by the queue) or a whole number. */
function readPriority(node: RawNode, path: string): number {
  if (node.kind === "scalar" && node.value === "low") return 0;
  if (node.kind === "scalar" && node.value === "high") return LIMITS.prioritiesMax;
  if (node.kind === "scalar" && typeof node.value === "number") {
    return readWholeNumber(node, path, 0, LIMITS.prioritiesMax);
  }
  return fail(node, path, `'low', 'high' or a whole number from 0 to ${LIMITS.prioritiesMax}`);
}

function readRateLimit(node: RawNode, path: string): RateLimitConfig {
  const fields = Fields.open(
    node,
    path,
    RATE_LIMIT_KEYS,
    "a rate limit { rate: 100/s, burst: 20, onLimit: wait }",
  );
  return {
    ...readTokenBucket(fields, "100/s"),
    onLimit: fields.read("onLimit", (n, p) => readChoice(n, p, ["wait", "drop"] as const), "wait"),
  };
}

/** Kafka request.timeout.ms. */
const REQUEST_TIMEOUT_DEFAULT_S = 30;
/** Kafka's max.in.flight.requests.per.connection. */
const MAX_IN_FLIGHT_DEFAULT = 5;
/** Kafka retry.backoff.ms. */
const RETRY_BACKOFF_DEFAULT_S = 0.1;

/** `rate` (one phase to the end) or `phases` (with `repeat`), not both. */
function readLoad(
  fields: Fields,
  remainingS: number,
): { phases: ProducerPhase[]; repeatPhases: boolean } {
  const hasRate = fields.has("rate");
  const hasPhases = fields.has("phases");
  if (hasRate && hasPhases) {
    failWith(
      fields.get("phases")!,
      fields.path,
      "rate or phases",
      "give either 'rate' or 'phases', not both",
    );
  }
  if (!hasPhases) {
    if (fields.has("repeat")) {
      fields.refuse("repeat", "phases", "'repeat' applies only to 'phases'");
    }
    const ratePerS = readRatePerS(
      fields.required("rate", "a rate like 500/s (or 'phases')"),
      fields.pathOf("rate"),
    );
    return { phases: [{ durationS: remainingS, ratePerS }], repeatPhases: false };
  }
  const listPath = fields.pathOf("phases");
  const items = readList(fields.get("phases")!, listPath, "a list of { for, rate }");
  if (items.length === 0 || items.length > LIMITS.phasesMax) {
    fail(
      fields.get("phases")!,
      listPath,
      `a list of 1 to ${LIMITS.phasesMax} phases { for, rate }`,
    );
  }
  const phases = items.map((item, i) => readPhase(item, joinPath(listPath, i)));
  return { phases, repeatPhases: fields.read("repeat", readBoolean, false) };
}

function readPhase(node: RawNode, path: string): ProducerPhase {
  const fields = Fields.open(node, path, PHASE_KEYS, "a phase { for: 2m, rate: 100/s }");
  return {
    durationS: readDurationS(fields.required("for", "a duration"), fields.pathOf("for"), {
      exclusive: true,
    }),
    ratePerS: readRatePerS(fields.required("rate", "a rate like 500/s"), fields.pathOf("rate")),
  };
}

function readKeys(node: RawNode, path: string): KeyConfig {
  const fields = Fields.open(node, path, KEYS_KEYS, "{ count, skew, exponent }");
  const count = fields.read("count", (n, p) => readWholeNumber(n, p, 1, LIMITS.keyCountMax), 1);
  const skew = fields.read(
    "skew",
    (n, p) => readChoice(n, p, ["uniform", "zipf"] as const),
    "uniform",
  );
  if (skew !== "zipf" && fields.has("exponent")) {
    fields.refuse("exponent", "skew: zipf", "'exponent' applies only to skew: zipf");
  }
  const zipfExponent = fields.read("exponent", readPositiveNumber, 1);
  return { count, skew, zipfExponent };
}

/** One link in the file: `from`/`to`, or `between: [a, b]` for both directions. */
export function readLinks(node: RawNode, path: string, ctx: Context): LinkConfig[] {
  const fields = Fields.open(
    node,
    path,
    LINK_KEYS,
    "a link { from, to, latency, loss, duplicate }",
  );
  const latency = fields.read("latency", readDistribution, null);
  const lossProbability = fields.read("loss", readProbability, 0);
  const duplicateProbability = fields.read("duplicate", readProbability, 0);
  const ends = readEnds(fields, ctx);
  return ends.map(([from, to]) => ({ from, to, latency, lossProbability, duplicateProbability }));
}

/** What a link end, or an end of a network partition, may name. */
export const LINK_END_KINDS: readonly ComponentKind[] = [
  "producer",
  "queue",
  "topic",
  "exchange",
  "consumer",
];

/** What a producer's `to` may name: a queue (RabbitMQ's default exchange), a topic, an exchange. */
export const PRODUCER_TARGET_KINDS: readonly ComponentKind[] = ["queue", "topic", "exchange"];

function readEnds(fields: Fields, ctx: Context): [string, string][] {
  if (fields.has("between")) {
    if (fields.has("from") || fields.has("to")) {
      fields.refuse(
        "between",
        "between or from/to",
        "give either 'between' or 'from' and 'to', not both",
      );
    }
    const [a, b] = readPair(fields.get("between")!, fields.pathOf("between"), ctx);
    return [
      [a, b],
      [b, a],
    ];
  }
  const from = readEnd(
    fields.required("from", "a component name (or 'between')"),
    fields.pathOf("from"),
    ctx,
  );
  const to = readEnd(fields.required("to", "a component name"), fields.pathOf("to"), ctx);
  checkDistinct(from, to, fields.get("to")!, fields.pathOf("to"));
  return [[from, to]];
}

/** `[a, b]`: two different component names (a link's `between`, a fault's `partition`). */
export function readPair(
  node: RawNode,
  path: string,
  ctx: Context,
  rule = LINK_RULE,
): [string, string] {
  const items = readList(node, path, "a list of two names [a, b]");
  if (items.length !== 2) fail(node, path, "a list of two names [a, b]");
  const [a, b] = items.map((item, i) => readEnd(item, joinPath(path, i), ctx));
  checkDistinct(a, b, node, path, rule);
  return [a, b];
}

function readEnd(node: RawNode, path: string, ctx: Context): string {
  const name = readName(node, path);
  ctx.names.expect(name, LINK_END_KINDS, node, path);
  return name;
}

const LINK_RULE = "a link joins two different components";

function checkDistinct(a: string, b: string, node: RawNode, path: string, rule = LINK_RULE): void {
  if (a === b) failWith(node, path, "two different components", `${rule}, got '${a}' twice`);
}

/** A queue or topic name; may be left out when the scenario has exactly one queue or topic. */
export function readDestination(
  fields: Fields,
  key: string,
  ctx: Context,
  kinds: readonly ComponentKind[] = DESTINATION_KINDS,
): string {
  const node = fields.get(key);
  if (node === undefined) return onlyDestination(fields, key, ctx);
  const name = readName(node, fields.pathOf(key));
  ctx.names.expect(name, kinds, node, fields.pathOf(key));
  return name;
}

/**
 * The scenario's only queue or topic, for a reference left out. With several, an error: `key`
 * must name one (null: a consumer's `queue` or `topic`, whichever kinds the scenario has).
 */
export function onlyDestination(fields: Fields, key: string | null, ctx: Context): string {
  const candidates = ctx.names.namesOf(...DESTINATION_KINDS);
  if (candidates.length === 1) return candidates[0];
  const present = DESTINATION_KINDS.filter((kind) => ctx.names.namesOf(kind).length > 0);
  const expected = `the name of a ${describeKinds(present)} (there are ${candidates.length}: ${candidates.join(", ")})`;
  const missing = key ?? (present.length === 1 ? present[0] : null);
  const entry = missing === null ? undefined : entryOf(fields.map, missing);
  throw new ScenarioError({
    at: entry ? entry.keyAt : fields.map.at,
    path: missing === null ? fields.path : fields.pathOf(missing),
    expected,
    problem: `missing ${missing === null ? "'queue' or 'topic'" : `'${missing}'`} (expected ${expected})`,
  });
}

function positiveDuration(node: RawNode, path: string): number {
  return readDurationS(node, path, { exclusive: true });
}

function readPositiveNumber(node: RawNode, path: string): number {
  const value = readNumber(node, path);
  if (value <= 0) fail(node, path, "a number > 0");
  return value;
}
