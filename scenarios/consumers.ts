/**
 * Consumers: of a queue (competing instances, acks) or of a topic (a Kafka consumer group whose
 * members share the partitions and commit offsets, or, with `subscriptionType`, a Pulsar
 * subscription: the topic's records fed to competing consumers with individual acks). Fields
 * that make sense for only one kind are errors on the others, naming the field.
 */
import {
  type AutoscaleConfig,
  type CommitPoint,
  type ConsumerCallConfig,
  type ConsumerConfig,
  type IdempotencyConfig,
  type ProducerConfig,
  SUBSCRIPTION_TYPES,
  type SubscriptionType,
} from "../models/config.ts";
import { readAutoscale } from "./autoscale.ts";
import { readConsumerCall } from "./calls.ts";
import { type Context, LIMITS, MESSAGE_SIZE_DEFAULT_BYTES, onlyDestination } from "./components.ts";
import { readDistribution } from "./distribution-syntax.ts";
import {
  Fields,
  failWith,
  readChoice,
  readDurationS,
  readName,
  readProbability,
  readRatePerS,
  readWholeNumber,
} from "./fields.ts";
import { describeRaw, type RawNode } from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";

export const CONSUMER_KEYS = [
  "name",
  "queue",
  "topic",
  "group",
  "count",
  "concurrency",
  "prefetch",
  "prefetchMultiplier",
  "processing",
  "failure",
  "poison",
  "calls",
  "onFailure",
  "nackDelay",
  "leaseExtension",
  "commit",
  "autoCommitInterval",
  "idempotency",
  "start",
  "restart",
  "crashRate",
  "maxPollRecords",
  "sessionTimeout",
  "heartbeatInterval",
  "maxPollInterval",
  "autoOffsetReset",
  "autoscale",
  "forwardTo",
  "subscriptionType",
  "maxRedeliverCount",
];

/** Pulsar's dead letter policy allows no more redeliveries than this here. */
const MAX_REDELIVER_COUNT_MAX = 1000;

/** Keys that only a consumer of a topic (a member of a Kafka consumer group) takes. */
export const TOPIC_CONSUMER_KEYS = [
  "group",
  "maxPollRecords",
  "sessionTimeout",
  "heartbeatInterval",
  "maxPollInterval",
  "autoOffsetReset",
];

const COMMIT_POINTS: readonly CommitPoint[] = [
  "before-processing",
  "after-processing",
  "auto",
  "transactional",
];

/** Defaults; the Kafka ones are the Java client's (see docs/scenario-format.md). */
export const CONSUMER_DEFAULTS = {
  commit: "after-processing",
  /** Kafka auto.commit.interval.ms. */
  autoCommitIntervalS: 5,
  restartS: 10,
  seenTableCapacity: 1_000_000,
  /** Kafka max.poll.records. */
  maxPollRecords: 500,
  /** Kafka session.timeout.ms (45 s since Kafka 3.0). */
  sessionTimeoutS: 45,
  /** Kafka heartbeat.interval.ms. */
  heartbeatIntervalS: 3,
  /** Kafka max.poll.interval.ms. */
  maxPollIntervalS: 300,
  /** Kafka auto.offset.reset. */
  autoOffsetReset: "latest",
} as const;

const IDEMPOTENCY_EXPECTED = "'none', 'conditional-write' or { seenTable: { ttl, capacity } }";

export function readConsumer(fields: Fields, name: string, ctx: Context): ConsumerConfig {
  const { queue, topic } = readSource(fields, ctx);
  const onTopic = topic !== null;
  if (!onTopic) {
    for (const key of [...TOPIC_CONSUMER_KEYS, "subscriptionType"]) {
      if (fields.has(key)) {
        fields.refuse(key, `no '${key}' here`, `'${key}' applies only to consumers of a topic`);
      }
    }
  }
  const subscriptionType = fields.read<SubscriptionType | undefined>(
    "subscriptionType",
    (n, p) => readChoice(n, p, SUBSCRIPTION_TYPES),
    undefined,
  );
  // A Pulsar subscription: the topic's records go to a queue read by competing consumers.
  const pulsar = subscriptionType !== undefined;
  if (pulsar) refuseKafkaGroupKeys(fields);
  const maxRedeliverCount = readMaxRedeliverCount(fields, subscriptionType);
  const autoscale = fields.read<AutoscaleConfig | null>(
    "autoscale",
    (n, p) => readAutoscale(n, p, onTopic, ctx),
    null,
  );
  // An autoscaled pool starts at `count` instances, min by default.
  const count = fields.read(
    "count",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.consumerCountMax),
    autoscale?.minInstances ?? 1,
  );
  if (subscriptionType === "exclusive" && count > 1) {
    fields.refuse(
      "count",
      "count 1 with subscriptionType: exclusive",
      `an exclusive subscription admits one consumer (Pulsar refuses a second with ConsumerBusy), so count must be 1, not ${count}; for consumers standing by use subscriptionType: failover, for consumers sharing the work shared or key_shared`,
    );
  }
  if (autoscale !== null && (count < autoscale.minInstances || count > autoscale.maxInstances)) {
    fields.refuse(
      "count",
      `a count from min to max (${autoscale.minInstances} to ${autoscale.maxInstances})`,
      `count (${count}), the initial instances, is outside the autoscaler's min ${autoscale.minInstances} and max ${autoscale.maxInstances}`,
    );
  }
  const concurrency = fields.read(
    "concurrency",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.concurrencyMax),
    1,
  );
  if (onTopic && !pulsar && concurrency !== 1) {
    fields.refuse(
      "concurrency",
      "no 'concurrency' here",
      `a consumer of a topic processes one record at a time (Kafka's poll loop runs on one thread), so concurrency must be 1; for more parallelism raise 'count' (up to one instance per partition)`,
    );
  }
  const prefetch = readPrefetch(fields, concurrency, onTopic && !pulsar);
  const processing = readDistribution(
    fields.required("processing", "a distribution like { exponential: 40ms }"),
    fields.pathOf("processing"),
  );
  const failureProbability = fields.read("failure", readProbability, 0);
  const poisonProbability = fields.read("poison", readProbability, 0);
  const onFailure = fields.read(
    "onFailure",
    (n, p) => readChoice(n, p, ["nack", "timeout"] as const),
    "nack",
  );
  if (onTopic && onFailure === "timeout") {
    fields.refuse(
      "onFailure",
      "no 'onFailure' here",
      pulsar
        ? "onFailure: timeout needs an ack timeout, which a Pulsar subscription here does not have (Pulsar's is off by default): with nack, a failed message is redelivered after nackDelay"
        : "onFailure: timeout applies only to consumers of a queue: a topic has no visibility timeout (with nack, a failed record is retried in place after nackDelay)",
    );
  }
  if (onFailure !== "nack" && fields.has("nackDelay")) {
    fields.refuse(
      "nackDelay",
      "no 'nackDelay' here",
      "'nackDelay' applies only to onFailure: nack",
    );
  }
  const nackDelayS = fields.read("nackDelay", readDurationS, 0);
  if (onTopic && fields.has("leaseExtension")) {
    fields.refuse(
      "leaseExtension",
      "no 'leaseExtension' here",
      "'leaseExtension' applies only to consumers of a queue (it extends ack deadlines)",
    );
  }
  const leaseExtensionS = fields.read("leaseExtension", readDurationS, 0);
  const commit = fields.read(
    "commit",
    (n, p) => readChoice(n, p, COMMIT_POINTS),
    CONSUMER_DEFAULTS.commit,
  );
  if ((!onTopic || pulsar) && commit === "auto") {
    fields.refuse(
      "commit",
      "no 'commit' here",
      pulsar
        ? "commit: auto is Kafka's enable.auto.commit; a Pulsar subscription acks each message: before-processing, after-processing or transactional"
        : "commit: auto applies only to consumers of a topic (it is Kafka's enable.auto.commit); a queue consumer acks before-processing, after-processing or transactional",
    );
  }
  if (commit !== "auto" && fields.has("autoCommitInterval")) {
    fields.refuse(
      "autoCommitInterval",
      "no 'autoCommitInterval' here",
      "'autoCommitInterval' applies only to commit: auto",
    );
  }
  const autoCommitIntervalS = fields.read(
    "autoCommitInterval",
    positiveDuration,
    CONSUMER_DEFAULTS.autoCommitIntervalS,
  );
  const idempotency = fields.read<IdempotencyConfig>("idempotency", readIdempotency, {
    kind: "none",
  });
  const startS = fields.read("start", readDurationS, 0);
  const endS = ctx.durationS + ctx.drainS;
  if (startS >= endS) {
    fields.refuse(
      "start",
      "a start before the end of duration + drain",
      `starts at ${startS}s, at or after the end of the run (duration + drain = ${endS}s): it would never consume`,
    );
  }
  const restartS = fields.read("restart", positiveDuration, CONSUMER_DEFAULTS.restartS);
  const crashRatePerS = fields.read("crashRate", readRatePerS, 0);
  const group = fields.read("group", (n, p) => readName(n, p), name);
  const maxPollRecords = fields.read(
    "maxPollRecords",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.maxPollRecordsMax),
    CONSUMER_DEFAULTS.maxPollRecords,
  );
  const sessionTimeoutS = fields.read(
    "sessionTimeout",
    positiveDuration,
    CONSUMER_DEFAULTS.sessionTimeoutS,
  );
  const heartbeatIntervalS = fields.read(
    "heartbeatInterval",
    positiveDuration,
    CONSUMER_DEFAULTS.heartbeatIntervalS,
  );
  if (heartbeatIntervalS >= sessionTimeoutS) {
    fields.refuse(
      fields.has("heartbeatInterval") ? "heartbeatInterval" : "sessionTimeout",
      "heartbeatInterval < sessionTimeout",
      `heartbeatInterval (${heartbeatIntervalS}s) must be shorter than sessionTimeout (${sessionTimeoutS}s), or the group drops the member between heartbeats`,
    );
  }
  const maxPollIntervalS = fields.read(
    "maxPollInterval",
    positiveDuration,
    CONSUMER_DEFAULTS.maxPollIntervalS,
  );
  const autoOffsetReset = fields.read(
    "autoOffsetReset",
    (n, p) => readChoice(n, p, ["earliest", "latest"] as const),
    CONSUMER_DEFAULTS.autoOffsetReset,
  );
  const calls = fields.read<ConsumerCallConfig | null>(
    "calls",
    (n, p) => readConsumerCall(n, p, ctx),
    null,
  );
  if (calls !== null && onTopic && !pulsar && calls.retryAt !== "consumer") {
    fields.refuse(
      "calls",
      "retryAt: consumer",
      `a topic consumer retries a failed call in place (retryAt: consumer); retryAt: ${calls.retryAt} needs a queue`,
    );
  }
  if (calls !== null && calls.retryAt !== "consumer" && commit === "before-processing") {
    fields.refuse(
      "calls",
      "retryAt: consumer with commit: before-processing",
      `retryAt: ${calls.retryAt} needs the message still in the queue, but commit: before-processing deleted it on receipt`,
    );
  }
  return {
    name,
    queue,
    topic,
    group,
    count,
    concurrency,
    prefetch,
    processing,
    failureProbability,
    poisonProbability,
    calls,
    onFailure,
    nackDelayS,
    leaseExtensionS,
    commit,
    autoCommitIntervalS,
    idempotency,
    startS,
    restartS,
    crashRatePerS,
    maxPollRecords,
    sessionTimeoutS,
    heartbeatIntervalS,
    maxPollIntervalS,
    autoOffsetReset,
    autoscale,
    forward: readForward(fields, name, queue ?? topic!, ctx),
    ...(pulsar ? { subscriptionType } : {}),
    ...(maxRedeliverCount === undefined ? {} : { maxRedeliverCount }),
  };
}

/** A Pulsar subscription has none of a Kafka consumer group's settings (its name is `group`). */
function refuseKafkaGroupKeys(fields: Fields): void {
  for (const key of [...TOPIC_CONSUMER_KEYS.filter((k) => k !== "group"), "autoscale"]) {
    if (!fields.has(key)) continue;
    fields.refuse(
      key,
      `no '${key}' here`,
      key === "autoscale"
        ? "autoscaling a Pulsar subscription's consumers is not modeled"
        : `'${key}' is a Kafka consumer-group setting; a Pulsar subscription (subscriptionType) has none`,
    );
  }
}

/** `maxRedeliverCount`: Pulsar's dead letter policy, for shared and key_shared subscriptions. */
function readMaxRedeliverCount(
  fields: Fields,
  type: SubscriptionType | undefined,
): number | undefined {
  if (!fields.has("maxRedeliverCount")) return undefined;
  if (type !== "shared" && type !== "key_shared") {
    fields.refuse(
      "maxRedeliverCount",
      "subscriptionType: shared or key_shared",
      type === undefined
        ? "'maxRedeliverCount' is Pulsar's dead letter policy: it needs a subscriptionType (shared or key_shared)"
        : `Pulsar's dead letter policy applies to shared and key_shared subscriptions only, not ${type}`,
    );
  }
  return fields.read(
    "maxRedeliverCount",
    (n, p) => readWholeNumber(n, p, 0, MAX_REDELIVER_COUNT_MAX),
    0,
  );
}

/**
 * `forwardTo: <queue or topic>`: the consumer is a pipeline stage that publishes each message it
 * applies on to the next destination, waiting for the broker's acknowledgement (acks all, 3
 * retries, Kafka's 30 s request timeout and 100 ms backoff; keys as at its source).
 */
function readForward(
  fields: Fields,
  name: string,
  source: string,
  ctx: Context,
): ProducerConfig | null {
  const node = fields.get("forwardTo");
  if (node === undefined) return null;
  const path = fields.pathOf("forwardTo");
  const to = readName(node, path);
  ctx.names.expect(to, ["queue", "topic"], node, path);
  if (to === source) {
    failWith(
      node,
      path,
      "another queue or topic",
      `'${name}' reads '${to}': it cannot forward to it`,
    );
  }
  return {
    name,
    to,
    routingKeys: [],
    arrivals: "poisson",
    startS: 0,
    phases: [],
    repeatPhases: false,
    keys: { count: 1, skew: "uniform", zipfExponent: 1 },
    messageSizeBytes: MESSAGE_SIZE_DEFAULT_BYTES,
    acks: "all",
    maxRetries: 3,
    requestTimeoutS: 30,
    retryBackoffS: 0.1,
    idempotent: false,
    maxInFlight: 1000,
    messageSizeDistribution: null,
    priority: 0,
    rateLimit: null,
  };
}

/**
 * `prefetch`: unacked deliveries an instance holds, at least its concurrency (the default: no
 * buffer), or `prefetchMultiplier` times its concurrency (Celery's worker_prefetch_multiplier).
 * RabbitMQ's 0 (unlimited) has no bound to model, so it is refused.
 */
function readPrefetch(fields: Fields, concurrency: number, onTopic: boolean): number {
  for (const key of ["prefetch", "prefetchMultiplier"]) {
    if (onTopic && fields.has(key)) {
      fields.refuse(
        key,
        `no '${key}' here`,
        `'${key}' applies only to consumers of a queue (a topic consumer fetches up to maxPollRecords per poll)`,
      );
    }
  }
  if (fields.has("prefetch") && fields.has("prefetchMultiplier")) {
    fields.refuse(
      "prefetchMultiplier",
      "prefetch or prefetchMultiplier, not both",
      "give either 'prefetch' (messages) or 'prefetchMultiplier' (times concurrency), not both",
    );
  }
  if (fields.has("prefetchMultiplier")) {
    const multiplier = fields.read(
      "prefetchMultiplier",
      (n, p) => readWholeNumber(n, p, 1, LIMITS.concurrencyMax),
      1,
    );
    if (multiplier * concurrency > LIMITS.concurrencyMax) {
      fields.refuse(
        "prefetchMultiplier",
        `a prefetch of at most ${LIMITS.concurrencyMax}`,
        `prefetchMultiplier ${multiplier} x concurrency ${concurrency} is more than ${LIMITS.concurrencyMax} messages`,
      );
    }
    return multiplier * concurrency;
  }
  const written = fields.get("prefetch");
  if (written?.kind === "scalar" && written.value === 0) {
    fields.refuse(
      "prefetch",
      "a whole number >= 1",
      "prefetch 0 means unlimited in RabbitMQ, which queuelab does not model: give a bound (Celery's is 4 x concurrency, Pub/Sub's 1000)",
    );
  }
  const prefetch = fields.read(
    "prefetch",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.concurrencyMax),
    concurrency,
  );
  if (prefetch < concurrency) {
    fields.refuse(
      "prefetch",
      `a prefetch of at least concurrency (${concurrency})`,
      `prefetch (${prefetch}) is below concurrency (${concurrency}): an instance cannot process more messages than it holds; leave prefetch out for prefetch = concurrency`,
    );
  }
  return prefetch;
}

/** A rule on a field's value or presence, blamed on the field (or, when absent, its mapping). */

function positiveDuration(node: RawNode, path: string): number {
  return readDurationS(node, path, { exclusive: true });
}

/** `queue: orders` or `topic: signups`, not both; neither: the scenario's only queue or topic. */
function readSource(fields: Fields, ctx: Context): { queue: string | null; topic: string | null } {
  if (fields.has("queue") && fields.has("topic")) {
    fields.refuse("topic", "queue or topic", "give either 'queue' or 'topic', not both");
  }
  const key = fields.has("queue") ? "queue" : fields.has("topic") ? "topic" : null;
  if (key === null) {
    const name = onlyDestination(fields, null, ctx);
    return ctx.names.kindOf(name) === "topic"
      ? { queue: null, topic: name }
      : { queue: name, topic: null };
  }
  const node = fields.get(key)!;
  const path = fields.pathOf(key);
  const name = readName(node, path);
  const other = key === "queue" ? "topic" : "queue";
  if (ctx.names.kindOf(name) === other) {
    failWith(
      node,
      path,
      `the name of a ${key}`,
      `'${name}' is a ${other}, not a ${key}: write '${other}: ${name}'`,
    );
  }
  ctx.names.expect(name, [key], node, path);
  return key === "queue" ? { queue: name, topic: null } : { queue: null, topic: name };
}

/** `none`, `conditional-write`, or `{ seenTable: { ttl, capacity } }`. */
function readIdempotency(node: RawNode, path: string): IdempotencyConfig {
  if (node.kind === "scalar") {
    if (node.value === "none") return { kind: "none" };
    if (node.value === "conditional-write") return { kind: "conditional-write" };
    const written = typeof node.value === "string" ? node.value : "";
    if (/^seen[-_]?table$/i.test(written)) {
      failWith(
        node,
        path,
        IDEMPOTENCY_EXPECTED,
        "a seen table needs a ttl: write { seenTable: { ttl: 1h } } (capacity is optional)",
      );
    }
    const hint = suggestionSuffix(written, ["none", "conditional-write"]);
    const suffix = written !== "" && hint.startsWith(",") ? hint : "";
    failWith(
      node,
      path,
      IDEMPOTENCY_EXPECTED,
      `expected ${IDEMPOTENCY_EXPECTED}, got ${describeRaw(node)}${suffix}`,
    );
  }
  const fields = Fields.open(node, path, ["seenTable"], IDEMPOTENCY_EXPECTED);
  const table = Fields.open(
    fields.required("seenTable", "{ ttl, capacity }"),
    fields.pathOf("seenTable"),
    ["ttl", "capacity"],
    "a seen table { ttl, capacity }",
  );
  const ttlS = positiveDuration(
    table.required("ttl", "how long an id is remembered, a duration like 1h"),
    table.pathOf("ttl"),
  );
  const capacity = table.read(
    "capacity",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.seenTableCapacityMax),
    CONSUMER_DEFAULTS.seenTableCapacity,
  );
  return { kind: "seen-table", ttlS, capacity };
}

/**
 * A consumer of a topic is one consumer group; two consumers in the same group of the same topic
 * would be one group configured twice.
 */
export function checkGroups(consumers: { fields: Fields; config: ConsumerConfig }[]): void {
  const seen = new Map<string, { name: string; line: number | null }>();
  for (const { fields, config } of consumers) {
    if (config.topic === null) continue;
    const id = JSON.stringify([config.topic, config.group]);
    const previous = seen.get(id);
    if (previous !== undefined) {
      const line = previous.line === null ? "" : ` (line ${previous.line})`;
      const defaulted = fields.has("group") ? "" : " (by default a consumer's group is its name)";
      fields.refuse(
        "group",
        "a group no other consumer of the topic uses",
        `consumer '${previous.name}'${line} already reads topic '${config.topic}' in group '${config.group}'${defaulted}; give each consumer its own group, and raise 'count' for more members of one group`,
      );
    }
    seen.set(id, { name: config.name, line: fields.nodeOrSelf("group").at.line });
  }
}
