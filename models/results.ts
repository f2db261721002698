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
  fates: Fates;
  /** End to end: from production to the end of the first successful processing. */
  latency: LatencyStats;
  /** From arrival at the queue to the first delivery to a consumer. */
  queueWait: LatencyStats;
  throughput: Throughput;
  counters: Counters;
  expectations: ExpectationOutcome[];
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
  processingFailures: number;
  linkLosses: number;
  linkDuplicates: number;
  eventsFired: number;
  /** Virtual time at which the run ended. */
  endS: number;
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
  /** Time-weighted mean of messages ready in the queue (not in flight). */
  queueDepth: number[];
  /** Time-weighted mean of messages delivered and not yet acked. */
  inFlight: number[];
  /** Dead-letter queue depth at the end of each bucket. */
  dlqDepth: number[];
  producedPerS: number[];
  processedPerS: number[];
  /** End-to-end latency percentiles of messages processed in each bucket; null where none were. */
  latencyP50S: (number | null)[];
  latencyP95S: (number | null)[];
  latencyP99S: (number | null)[];
}
