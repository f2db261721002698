/**
 * What a finished run hands to the reports: plain data, no model objects. The summary part
 * (everything but `series`) is what `summary.json` holds, in this key order.
 */

export interface RunResult {
  scenario: string;
  description: string;
  /** Path of the scenario file as given on the command line. */
  file: string;
  seed: number;
  /** Overrides given with `--set`, as written. */
  overrides: string[];
  durationS: number;
  drainS: number;
  variants: VariantResult[];
}

export interface VariantResult {
  name: string;
  summary: VariantSummary;
  series: VariantSeries;
}

export interface VariantSummary {
  /** Summed over subscriptions: a message read by three consumer groups counts three times. */
  fates: Fates;
  /** End to end: from production to the end of the first successful processing. */
  latency: LatencyStats;
  /** From arrival at the queue to the first delivery to a consumer (on a topic: from append to the group's first fetch). */
  queueWait: LatencyStats;
  throughput: Throughput;
  ordering: Ordering;
  counters: Counters;
  /** One per queue and per consumer group on a topic, in the scenario's order. */
  subscriptions: SubscriptionSummary[];
  /** Each RabbitMQ exchange, in the scenario's order (empty when it has none). */
  exchanges: ExchangeSummary[];
  /** Calls to downstream services by consumers and callers (all zero when nothing calls one). */
  calls: Calls;
  /** Each client of a downstream service: consumers, callers and services calling a layer below. */
  callRoutes: CallRouteSummary[];
  /** Each downstream service, in the scenario's order. */
  downstreams: DownstreamSummary[];
  expectations: ExpectationOutcome[];
  /** The optimistic-concurrency contest (models/contention.ts); null when the scenario has none. */
  contention: ContentionSummary | null;
  /** The deepest backlog and how long it took to drain. */
  backlog: Backlog;
  /** Consumer instances over time (fixed counts, or what autoscalers asked for). */
  scaling: Scaling;
  /** Each alert of the scenario by name, in the scenario's order. */
  alerts: Record<string, AlertSummary>;
  /**
   * From publish at the producer to acceptance by a queue, per copy a queue took in (after the
   * warm-up): the time spent in the producer's buffer (blocked by a full queue, rate limited,
   * waiting for its in-flight window), its retries and the link. Queues only.
   */
  publishWait: LatencyStats;
  /** Per priority class of each queue with `priorities` >= 2, lowest class first; else empty. */
  byPriority: PriorityClassSummary[];
}

/**
 * The optimistic-concurrency contest of the AWS "Exponential Backoff And Jitter" study: for each
 * client count, the mean over the repetitions of the writes sent and of the time until the last
 * client was done.
 */
export interface ContentionSummary {
  /** Contests run per client count (each with its own random numbers). */
  repetitions: number;
  /** One entry per client count, in increasing order of clients. */
  byClients: ContentionPoint[];
  /** `calls` at the largest client count. */
  callsAtMax: number;
  /** `completionS` at the largest client count. */
  completionAtMaxS: number;
}

export interface ContentionPoint {
  clients: number;
  /** Conditional writes sent, successes and conflicts (each write follows a read). */
  calls: number;
  /** From the start until the last client learned its write succeeded (or gave up). */
  completionS: number;
  /** Clients whose retry policy stopped (attempts or budget used up) before a success. */
  gaveUp: number;
}

/** Messages waiting (ready in queues, plus consumer groups' lag): the same count as queue-depth.png. */
export interface Backlog {
  /** Most messages waiting at once. */
  depthMax: number;
  /** When the backlog first reached depthMax; null when nothing ever waited. */
  depthMaxAtS: number | null;
  /** The first instant after depthMaxAtS at which nothing waited; null when that never came. */
  drainedAtS: number | null;
  /** drainedAtS - depthMaxAtS; 0 when nothing ever waited; null when the backlog never drained. */
  timeToDrainS: number | null;
}

/** Instances of all consumers together (running or starting; a crashed one still counts). */
export interface Scaling {
  /** Consumers with an autoscaler. */
  autoscaledConsumers: number;
  instancesMin: number;
  instancesMax: number;
  /** Time-weighted over the whole run, drain included. */
  instancesMean: number;
  /** The cost: instances x seconds over the run. */
  instanceSeconds: number;
  /** Decisions that added instances, and that removed some. */
  scaleUps: number;
  scaleDowns: number;
}

export interface AlertSummary {
  /** The rule as text: "dlqDepth of orders > 0 for 0s". */
  rule: string;
  /** The metric watched and the queue or consumer it belongs to. */
  on: string;
  subject: string;
  /** Times it fired. */
  fired: number;
  firstFiredAtS: number | null;
  /** Total time firing (until the end of the run for a firing still open). */
  firingS: number;
  /** Each firing in order (the first ALERT_FIRINGS_KEPT of them). */
  firings: AlertFiring[];
}

export interface AlertFiring {
  firedAtS: number;
  /** Null: still firing when the run ended. */
  clearedAtS: number | null;
}

/** The messages of one priority class of a queue, by fate, and their end-to-end latency. */
export interface PriorityClassSummary {
  queue: string;
  /** 0 is the lowest class. */
  priority: number;
  produced: number;
  processed: number;
  deadLettered: number;
  dropped: number;
  pending: number;
  lost: number;
  latency: LatencyStats;
}

/**
 * The requests that enter the call graph (from consumers and closed-loop callers, not from one
 * service to the next) and what became of them.
 */
export interface Calls {
  /** Unique requests (a message's call, a caller's request), retries not counted. */
  requests: number;
  /** Attempts sent for them, retries included. */
  attempts: number;
  /** attempts / requests: the load retries add (null with no request). */
  amplification: number | null;
  succeeded: number;
  /** Requests that failed after their last allowed attempt. */
  failed: number;
  /** Successful requests per second over the producing window. */
  goodputPerS: number;
  /** Successful replies that came after their caller gave up, at every layer: wasted work. */
  wastedReplies: number;
  /** When the last downstream fault (outage, slowdown, capacity drop) ended; null with none. */
  triggerEndS: number | null;
  /** From the trigger's end to recovery (see models/recovery.ts); null when it did not recover or there was no trigger. */
  recoveryS: number | null;
  /** 1 when it recovered before the end of the producing window, 0 when not; null without a trigger. */
  recovered: number | null;
}

export interface CallRouteSummary {
  from: string;
  to: string;
  /** The retry policy's preset name, or "custom". */
  retry: string;
  calls: number;
  attempts: number;
  amplification: number | null;
  succeeded: number;
  failed: number;
  timeouts: number;
  rejections: number;
  /** Attempts the open circuit breaker refused (never sent). */
  breakerRefusals: number;
  /** Retries the retry budget refused. */
  budgetDenials: number;
  wastedReplies: number;
}

export interface DownstreamSummary {
  name: string;
  requests: number;
  completed: number;
  rejected: number;
  /** Arrival to reply, for completed requests. */
  responseTime: LatencyStats;
}

/** Per-key order as processed (first processings only), over all subscriptions. */
export interface Ordering {
  /** Processings of a message after a later message of the same key had been processed. */
  violations: number;
  /** The first violation seen, or null. */
  first: OrderingViolationReport | null;
}

export interface OrderingViolationReport {
  subscription: string;
  key: string;
  /** Produced earlier, processed later. */
  earlierMessageId: number;
  /** Produced later, processed first. */
  laterMessageId: number;
  atS: number;
}

/** One independent reader: a queue (its consumers compete), or a consumer group on a topic. */
export interface SubscriptionSummary {
  /** The queue's name, or `<topic>/<group>`. */
  name: string;
  fates: Fates;
  /** End-to-end latency of this subscription's first processings. */
  latency: LatencyStats;
  /** Lost messages by cause, causes sorted by name. */
  lostByCause: Record<string, number>;
  /** Duplicate effects by cause, causes sorted by name. */
  duplicatesByCause: Record<string, number>;
  /** Duplicates an idempotent consumer recognised and skipped. */
  duplicatesSkipped: number;
  orderingViolations: number;
  /** Messages moved to this queue's dead-letter queue, by reason (empty for a topic). */
  deadLetteredByReason: Record<string, number>;
  /** Dropped messages by reason (overflow, expiry, a producer's rate limit), reasons sorted. */
  droppedByReason: Record<string, number>;
}

/**
 * What a RabbitMQ exchange did with the copies producers sent it. Each counts copies, so a
 * producer's retry counts again; published = unroutable + the copies that matched a binding.
 */
export interface ExchangeSummary {
  name: string;
  /** direct, fanout or topic. */
  type: string;
  /** Copies that reached the exchange. */
  published: number;
  /** Copies its bindings put into queues: a copy routed to k queues counts k. */
  routedCopies: number;
  /** Copies no binding matched: dropped (in `<name>/unroutable`) or given to the alternate queue. */
  unroutable: number;
  /** Unroutable copies the alternate queue was given. */
  toAlternate: number;
}

/** Every produced message ends in exactly one of these, and duplicates are counted on the side. */
export interface Fates {
  produced: number;
  processed: number;
  deadLettered: number;
  dropped: number;
  /** Queued, in flight or on the network when the run ended. */
  pending: number;
  lost: number;
  /** Processings beyond the first of a message (each one an extra side effect). */
  duplicateEffects: number;
  /** produced == processed + deadLettered + dropped + pending + lost, checked against the broker's own state. */
  conserved: boolean;
}

export interface LatencyStats {
  count: number;
  meanS: number | null;
  p50S: number | null;
  p95S: number | null;
  p99S: number | null;
  p999S: number | null;
  maxS: number | null;
}

export interface Throughput {
  /** Messages produced per second over the producing window. */
  producedPerS: number;
  /** Messages processed (first processing) per second over the whole run. */
  processedPerS: number;
}

export interface Counters {
  deliveries: number;
  redeliveries: number;
  acks: number;
  nacks: number;
  visibilityTimeouts: number;
  /** Copies moved to a dead-letter queue (a copy processed later still counts here). */
  movedToDeadLetter: number;
  consumerCrashes: number;
  /** Consumer-group rebalances (a member joined, left, crashed or was expelled). */
  rebalances: number;
  /** Offset commits refused because the member was no longer in the group's current generation. */
  commitsRejected: number;
  /** Transactional commits refused (fenced member, stale delivery, unreachable broker). */
  fencedCommits: number;
  /** Committed offsets that fell out of retention and were reset (auto.offset.reset). */
  offsetResets: number;
  /** Duplicates recognised and skipped by idempotent consumers. */
  duplicatesSkipped: number;
  /** Copies a broker accepted and dropped as duplicates (idempotent producer, FIFO deduplication). */
  deduplicatedByBroker: number;
  /** Sends a producer repeated for want of an acknowledgement. */
  producerRetries: number;
  /** Messages a producer gave up on after its last retry. */
  producerGaveUp: number;
  /** Idempotent producers' copies a topic refused as out of sequence or of a stale epoch (sent again). */
  sequenceRefusals: number;
  /** Sends dropped by network partitions. */
  partitionDrops: number;
  /** Partition leaders elected after a broker crash. */
  leaderElections: number;
  /** Records cut from partition logs on leader failover (appended, never replicated). */
  truncatedRecords: number;
  processingFailures: number;
  linkLosses: number;
  linkDuplicates: number;
  eventsFired: number;
  /** Virtual time at which the run ended. */
  endS: number;
  /** Copies a full queue dropped (drop-head, drop-tail, drop-low-first: the new one or ready ones). */
  overflowDropped: number;
  /** Copies a full queue refused (reject-publish, reject-to-dlq): the producer's retries decide. */
  overflowRejected: number;
  /** Refused copies moved to the dead-letter queue with reason maxlen (reject-to-dlq). */
  overflowDeadLettered: number;
  /** Time producers spent blocked by a full queue (overflow block) or a disk limit, summed. */
  publishBlockedS: number;
  /** Ready messages that expired (messageTtl), dropped or dead-lettered. */
  expired: number;
  /** Messages that waited in their producer for a token of its rate limit. */
  rateLimitDelayed: number;
  /** Messages their producer's rate limit dropped (onLimit: drop). */
  rateLimitDropped: number;
  /** Copies refused by a topic's write limit or a queue's API limit (the producer retries). */
  throttledWrites: number;
  /** Fetches refused by a topic's read limit, and deliveries a queue's API limit held back. */
  throttledReads: number;
  /** Times deliveries waited for a queue's dispatch limit (a token) or maxInFlight (a place). */
  dispatchWaits: number;
  /** Copies that matched no binding of their exchange (dropped, or sent to its alternate queue). */
  unroutable: number;
}

export interface ExpectationOutcome {
  text: string;
  metric: string;
  observed: number | null;
  passed: boolean;
}

/** Time series on a fixed grid of `bucketS`-wide buckets starting at 0; all arrays the same length. */
export interface VariantSeries {
  bucketS: number;
  /** Start of each bucket. */
  timesS: number[];
  /** Time-weighted mean of messages waiting: ready in queues, plus consumer groups' lag on topics. */
  queueDepth: number[];
  /** Time-weighted mean of messages delivered and not yet acked. */
  inFlight: number[];
  /** Attempts per second sent by consumers and callers to downstream services (retries included). */
  callAttemptsPerS: number[];
  /** Successful requests per second from consumers and callers (goodput). */
  goodputPerS: number[];
  /** Dead-letter queue depth at the end of each bucket. */
  dlqDepth: number[];
  /** Time-weighted mean of the bytes the queues store (ready, delayed, in flight, dead-lettered). */
  storedBytes: number[];
  producedPerS: number[];
  processedPerS: number[];
  /** End-to-end latency percentiles of messages processed in each bucket; null where none were. */
  latencyP50S: (number | null)[];
  latencyP95S: (number | null)[];
  latencyP99S: (number | null)[];
  /** Time-weighted mean of consumer instances (all consumers; running or starting). */
  consumerCount: number[];
}

// Key orders of summary.json, and the metrics `expect` may name. Each is an object literal
// checked with `satisfies`, so a field added above and not here is a compile error.
export const FATES_KEYS = {
  produced: true,
  processed: true,
  deadLettered: true,
  dropped: true,
  pending: true,
  lost: true,
  duplicateEffects: true,
  conserved: true,
} as const satisfies Record<keyof Fates, true>;

export const LATENCY_KEYS = {
  count: true,
  meanS: true,
  p50S: true,
  p95S: true,
  p99S: true,
  p999S: true,
  maxS: true,
} as const satisfies Record<keyof LatencyStats, true>;

export const THROUGHPUT_KEYS = {
  producedPerS: true,
  processedPerS: true,
} as const satisfies Record<keyof Throughput, true>;

export const COUNTERS_KEYS = {
  deliveries: true,
  redeliveries: true,
  acks: true,
  nacks: true,
  visibilityTimeouts: true,
  movedToDeadLetter: true,
  consumerCrashes: true,
  rebalances: true,
  commitsRejected: true,
  fencedCommits: true,
  offsetResets: true,
  duplicatesSkipped: true,
  deduplicatedByBroker: true,
  producerRetries: true,
  producerGaveUp: true,
  sequenceRefusals: true,
  partitionDrops: true,
  leaderElections: true,
  truncatedRecords: true,
  processingFailures: true,
  linkLosses: true,
  linkDuplicates: true,
  eventsFired: true,
  endS: true,
  overflowDropped: true,
  overflowRejected: true,
  overflowDeadLettered: true,
  publishBlockedS: true,
  expired: true,
  rateLimitDelayed: true,
  rateLimitDropped: true,
  throttledWrites: true,
  throttledReads: true,
  dispatchWaits: true,
  unroutable: true,
} as const satisfies Record<keyof Counters, true>;

export const EXPECTATION_KEYS = {
  text: true,
  metric: true,
  observed: true,
  passed: true,
} as const satisfies Record<keyof ExpectationOutcome, true>;

export const ORDERING_KEYS = {
  violations: true,
  first: true,
} as const satisfies Record<keyof Ordering, true>;

export const ORDERING_VIOLATION_KEYS = {
  subscription: true,
  key: true,
  earlierMessageId: true,
  laterMessageId: true,
  atS: true,
} as const satisfies Record<keyof OrderingViolationReport, true>;

export const SUBSCRIPTION_KEYS = {
  name: true,
  fates: true,
  latency: true,
  lostByCause: true,
  duplicatesByCause: true,
  duplicatesSkipped: true,
  orderingViolations: true,
  deadLetteredByReason: true,
  droppedByReason: true,
} as const satisfies Record<keyof SubscriptionSummary, true>;

export const SUMMARY_KEYS = {
  fates: true,
  latency: true,
  queueWait: true,
  throughput: true,
  ordering: true,
  counters: true,
  subscriptions: true,
  exchanges: true,
  calls: true,
  callRoutes: true,
  downstreams: true,
  contention: true,
  backlog: true,
  scaling: true,
  alerts: true,
  publishWait: true,
  byPriority: true,
  expectations: true,
} as const satisfies Record<keyof VariantSummary, true>;

export const EXCHANGE_SUMMARY_KEYS = {
  name: true,
  type: true,
  published: true,
  routedCopies: true,
  unroutable: true,
  toAlternate: true,
} as const satisfies Record<keyof ExchangeSummary, true>;

export const CONTENTION_KEYS = {
  repetitions: true,
  byClients: true,
  callsAtMax: true,
  completionAtMaxS: true,
} as const satisfies Record<keyof ContentionSummary, true>;

export const CONTENTION_POINT_KEYS = {
  clients: true,
  calls: true,
  completionS: true,
  gaveUp: true,
} as const satisfies Record<keyof ContentionPoint, true>;
export const PRIORITY_CLASS_KEYS = {
  queue: true,
  priority: true,
  produced: true,
  processed: true,
  deadLettered: true,
  dropped: true,
  pending: true,
  lost: true,
  latency: true,
} as const satisfies Record<keyof PriorityClassSummary, true>;

export const CALL_ROUTE_KEYS = {
  from: true,
  to: true,
  retry: true,
  calls: true,
  attempts: true,
  amplification: true,
  succeeded: true,
  failed: true,
  timeouts: true,
  rejections: true,
  breakerRefusals: true,
  budgetDenials: true,
  wastedReplies: true,
} as const satisfies Record<keyof CallRouteSummary, true>;

export const DOWNSTREAM_KEYS = {
  name: true,
  requests: true,
  completed: true,
  rejected: true,
  responseTime: true,
} as const satisfies Record<keyof DownstreamSummary, true>;

export const CALLS_KEYS = {
  requests: true,
  attempts: true,
  amplification: true,
  succeeded: true,
  failed: true,
  goodputPerS: true,
  wastedReplies: true,
  triggerEndS: true,
  recoveryS: true,
  recovered: true,
} as const satisfies Record<keyof Calls, true>;

export const BACKLOG_KEYS = {
  depthMax: true,
  depthMaxAtS: true,
  drainedAtS: true,
  timeToDrainS: true,
} as const satisfies Record<keyof Backlog, true>;

export const SCALING_KEYS = {
  autoscaledConsumers: true,
  instancesMin: true,
  instancesMax: true,
  instancesMean: true,
  instanceSeconds: true,
  scaleUps: true,
  scaleDowns: true,
} as const satisfies Record<keyof Scaling, true>;

export const ALERT_KEYS = {
  rule: true,
  on: true,
  subject: true,
  fired: true,
  firstFiredAtS: true,
  firingS: true,
  firings: true,
} as const satisfies Record<keyof AlertSummary, true>;

export const ALERT_FIRING_KEYS = {
  firedAtS: true,
  clearedAtS: true,
} as const satisfies Record<keyof AlertFiring, true>;

/** An alert keeps the times of this many firings (its count goes on). */
export const ALERT_FIRINGS_KEPT = 1000;

/** The metrics `expect` may name for the alert `name`: `alerts.<name>.fired` and the like. */
export function alertMetrics(name: string): string[] {
  return ["fired", "firstFiredAtS", "firingS"].map((key) => `alerts.${name}.${key}`);
}

/**
 * The metrics of named entries of a variant summary's lists, for a scenario with these
 * components: `subscriptions.<name>.fates.lost`, `exchanges.<name>.unroutable`,
 * `downstreams.<name>.responseTime.p99S`,
 * `callRoutes.<from>.<to>.attempts`, `byPriority.<queue>.<class>.latency.p99S`.
 */
export function namedMetrics(names: {
  subscriptions: readonly string[];
  downstreams: readonly string[];
  callRoutes: readonly (readonly [string, string])[];
  priorityClasses: readonly (readonly [string, number])[];
  exchanges?: readonly string[];
}): string[] {
  const latency = (prefix: string) => Object.keys(LATENCY_KEYS).map((key) => `${prefix}.${key}`);
  return [
    ...names.subscriptions.flatMap((name) => [
      ...Object.keys(FATES_KEYS).map((key) => `subscriptions.${name}.fates.${key}`),
      ...latency(`subscriptions.${name}.latency`),
      `subscriptions.${name}.duplicatesSkipped`,
      `subscriptions.${name}.orderingViolations`,
    ]),
    ...(names.exchanges ?? []).flatMap((name) =>
      Object.keys(EXCHANGE_SUMMARY_KEYS)
        .filter((key) => key !== "name" && key !== "type")
        .map((key) => `exchanges.${name}.${key}`),
    ),
    ...names.downstreams.flatMap((name) => [
      `downstreams.${name}.requests`,
      `downstreams.${name}.completed`,
      `downstreams.${name}.rejected`,
      ...latency(`downstreams.${name}.responseTime`),
    ]),
    ...names.callRoutes.flatMap(([from, to]) =>
      Object.keys(CALL_ROUTE_KEYS)
        .filter((key) => key !== "from" && key !== "to" && key !== "retry")
        .map((key) => `callRoutes.${from}.${to}.${key}`),
    ),
    ...names.priorityClasses.flatMap(([queue, priority]) => [
      ...["produced", "processed", "deadLettered", "dropped", "pending", "lost"].map(
        (key) => `byPriority.${queue}.${priority}.${key}`,
      ),
      ...latency(`byPriority.${queue}.${priority}.latency`),
    ]),
  ];
}

/** Dotted paths of the numeric fields of a variant summary: what an expectation may name. */
export const SUMMARY_METRICS: readonly string[] = [
  ...Object.keys(FATES_KEYS).map((key) => `fates.${key}`),
  ...Object.keys(LATENCY_KEYS).map((key) => `latency.${key}`),
  ...Object.keys(LATENCY_KEYS).map((key) => `queueWait.${key}`),
  ...Object.keys(THROUGHPUT_KEYS).map((key) => `throughput.${key}`),
  "ordering.violations",
  ...Object.keys(COUNTERS_KEYS).map((key) => `counters.${key}`),
  ...Object.keys(CALLS_KEYS).map((key) => `calls.${key}`),
  "contention.callsAtMax",
  "contention.completionAtMaxS",
  ...Object.keys(BACKLOG_KEYS).map((key) => `backlog.${key}`),
  ...Object.keys(SCALING_KEYS).map((key) => `scaling.${key}`),
  ...Object.keys(LATENCY_KEYS).map((key) => `publishWait.${key}`),
];
