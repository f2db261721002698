/**
 * The validated, resolved configuration of one scenario variant: what the scenario loader
 * produces and what the models are wired from. Every quantity is in SI units (seconds,
 * per second) and its name says which; there are no defaults left to fill in here.
 */
import type { DistributionSpec } from "../sim/distributions.ts";

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
  consumers: ConsumerConfig[];
  /** Directed network links; a pair of components with no link here talks over an ideal link. */
  links: LinkConfig[];
  expect: Expectation[];
}

export interface ProducerConfig {
  name: string;
  /** Name of the queue it publishes to. */
  to: string;
  /** poisson: exponential gaps; constant: evenly spaced at the phase's rate. */
  arrivals: "poisson" | "constant";
  /** Starts publishing at startS and runs through its phases (or until the scenario's durationS). */
  startS: number;
  /** Consecutive phases of load; one phase when the file gives a plain rate. */
  phases: ProducerPhase[];
  /** When true the phases repeat until durationS (diurnal load); otherwise the producer stops after the last. */
  repeatPhases: boolean;
  keys: KeyConfig;
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
}

export interface ConsumerConfig {
  name: string;
  /** Name of the queue it consumes from. */
  queue: string;
  /** Number of consumer instances (processes). */
  count: number;
  /** Messages each instance processes at once. */
  concurrency: number;
  /** Processing time of one message, in seconds. */
  processing: DistributionSpec;
  /** Probability that processing a message fails (a transient error). */
  failureProbability: number;
  /**
   * What a failed message does: `nack` returns it to the queue after `nackDelayS`;
   * `timeout` abandons it so it reappears when its visibility timeout expires.
   */
  onFailure: "nack" | "timeout";
  nackDelayS: number;
}

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
