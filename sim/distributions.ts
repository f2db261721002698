/**
 * Probability distributions of durations in seconds, each drawing from its own Rng.
 * A spec is validated before use; sampling allocates nothing.
 */
import type { Rng } from "./random.ts";

export type DistributionSpec =
  | { kind: "constant"; value: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "exponential"; mean: number }
  /** Sampled durations are truncated at zero; see NormalDistribution. */
  | { kind: "normal"; mean: number; stddev: number }
  | { kind: "lognormal"; mu: number; sigma: number }
  /** Converted to mu = ln(median), sigma = ln(p99 / median) / z(0.99). */
  | { kind: "lognormal-quantiles"; median: number; p99: number }
  /** x_m = scale, alpha = shape. */
  | { kind: "pareto"; scale: number; shape: number }
  /** A uniform pick from the list. */
  | { kind: "empirical"; values: number[] };

export interface Distribution {
  sample(): number;
  readonly mean: number;
  /** e.g. "exponential(mean 0.04)" */
  describe(): string;
}

export class DistributionError extends Error {}

/** The standard normal quantile at 0.99. */
const Z_P99 = 2.3263478740408408;

function fail(message: string): never {
  throw new DistributionError(message);
}

function checkFinite(name: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(`${name} must be a finite number, got ${String(value)}`);
  }
}

function checkPositive(name: string, value: unknown): asserts value is number {
  checkFinite(name, value);
  if (value <= 0) fail(`${name} must be > 0, got ${value}`);
}

function checkNonNegative(name: string, value: unknown): asserts value is number {
  checkFinite(name, value);
  if (value < 0) fail(`${name} must be >= 0, got ${value}`);
}

/**
 * Throws DistributionError naming the wrong parameter and what is expected. Durations cannot be
 * negative, so constant, uniform and empirical values must be >= 0.
 */
export function validateDistribution(spec: DistributionSpec): void {
  if (typeof spec !== "object" || spec === null) fail("distribution must be an object");
  switch (spec.kind) {
    case "constant":
      checkNonNegative("constant value", spec.value);
      break;
    case "uniform":
      checkNonNegative("uniform min", spec.min);
      checkNonNegative("uniform max", spec.max);
      if (spec.min > spec.max) fail(`uniform min must be <= max, got ${spec.min} > ${spec.max}`);
      break;
    case "exponential":
      checkPositive("exponential mean", spec.mean);
      break;
    case "normal":
      checkFinite("normal mean", spec.mean);
      checkNonNegative("normal stddev", spec.stddev);
      break;
    case "lognormal":
      checkFinite("lognormal mu", spec.mu);
      checkNonNegative("lognormal sigma", spec.sigma);
      break;
    case "lognormal-quantiles":
      checkPositive("lognormal median", spec.median);
      checkFinite("lognormal p99", spec.p99);
      if (!(spec.p99 > spec.median)) {
        fail(`lognormal p99 must be > median, got p99 ${spec.p99} <= median ${spec.median}`);
      }
      break;
    case "pareto":
      checkPositive("pareto scale", spec.scale);
      checkPositive("pareto shape", spec.shape);
      break;
    case "empirical":
      if (!Array.isArray(spec.values) || spec.values.length === 0) {
        fail("empirical values must be a non-empty list of numbers");
      }
      for (let i = 0; i < spec.values.length; i++) {
        checkNonNegative(`empirical values[${i}]`, spec.values[i]);
      }
      break;
    default:
      fail(`unknown distribution kind '${String((spec as { kind: unknown }).kind)}'`);
  }
}

/** Mean of the distribution (Infinity for pareto with shape <= 1; untruncated for normal). */
export function distributionMean(spec: DistributionSpec): number {
  validateDistribution(spec);
  switch (spec.kind) {
    case "constant":
      return spec.value;
    case "uniform":
      return (spec.min + spec.max) / 2;
    case "exponential":
    case "normal":
      return spec.mean;
    case "lognormal":
      return Math.exp(spec.mu + (spec.sigma * spec.sigma) / 2);
    case "lognormal-quantiles": {
      const { mu, sigma } = lognormalParameters(spec.median, spec.p99);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case "pareto":
      return spec.shape <= 1
        ? Number.POSITIVE_INFINITY
        : (spec.shape * spec.scale) / (spec.shape - 1);
    case "empirical":
      return spec.values.reduce((sum, value) => sum + value, 0) / spec.values.length;
  }
}

function lognormalParameters(median: number, p99: number): { mu: number; sigma: number } {
  return { mu: Math.log(median), sigma: Math.log(p99 / median) / Z_P99 };
}

/** Short decimal form for describe(): 6 significant digits, no trailing zeros. */
function fmt(value: number): string {
  return String(Number(value.toPrecision(6)));
}

export function makeDistribution(spec: DistributionSpec, rng: Rng): Distribution {
  validateDistribution(spec);
  const mean = distributionMean(spec);
  switch (spec.kind) {
    case "constant":
      return new ConstantDistribution(spec.value);
    case "uniform":
      return new UniformDistribution(rng, spec.min, spec.max, mean);
    case "exponential":
      return new ExponentialDistribution(rng, spec.mean);
    case "normal":
      return new NormalDistribution(rng, spec.mean, spec.stddev);
    case "lognormal":
      return new LognormalDistribution(
        rng,
        spec.mu,
        spec.sigma,
        mean,
        `lognormal(mu ${fmt(spec.mu)}, sigma ${fmt(spec.sigma)})`,
      );
    case "lognormal-quantiles": {
      const { mu, sigma } = lognormalParameters(spec.median, spec.p99);
      const text = `lognormal(median ${fmt(spec.median)}, p99 ${fmt(spec.p99)})`;
      return new LognormalDistribution(rng, mu, sigma, mean, text);
    }
    case "pareto":
      return new ParetoDistribution(rng, spec.scale, spec.shape, mean);
    case "empirical":
      return new EmpiricalDistribution(rng, spec.values, mean);
  }
}

class ConstantDistribution implements Distribution {
  constructor(readonly mean: number) {}
  sample(): number {
    return this.mean;
  }
  describe(): string {
    return `constant(${fmt(this.mean)})`;
  }
}

class UniformDistribution implements Distribution {
  constructor(
    private readonly rng: Rng,
    private readonly min: number,
    private readonly max: number,
    readonly mean: number,
  ) {}
  sample(): number {
    return this.min + (this.max - this.min) * this.rng.next();
  }
  describe(): string {
    return `uniform(min ${fmt(this.min)}, max ${fmt(this.max)})`;
  }
}

class ExponentialDistribution implements Distribution {
  constructor(
    private readonly rng: Rng,
    readonly mean: number,
  ) {}
  sample(): number {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    return -this.mean * Math.log(1 - this.rng.next());
  }
  describe(): string {
    return `exponential(mean ${fmt(this.mean)})`;
  }
}

/**
 * Standard normal deviates by Box–Muller: each pair of uniforms gives two deviates, the second
 * kept for the next call, so the sequence depends only on the Rng.
 */
export class StandardNormal {
  private spare = 0;
  private hasSpare = false;

  constructor(private readonly rng: Rng) {}

  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.rng.next()));
    const angle = 2 * Math.PI * this.rng.next();
    this.spare = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }
}

/**
 * A normal duration is truncated at zero: sample() returns max(0, x). `mean` is the mean of the
 * untruncated law, as given; the samples' mean is higher when the law reaches below zero.
 */
class NormalDistribution implements Distribution {
  private readonly normal: StandardNormal;

  constructor(
    rng: Rng,
    readonly mean: number,
    private readonly stddev: number,
  ) {
    this.normal = new StandardNormal(rng);
  }
  sample(): number {
    const x = this.mean + this.stddev * this.normal.next();
    return Math.max(0, x);
  }
  describe(): string {
    return `normal(mean ${fmt(this.mean)}, stddev ${fmt(this.stddev)})`;
  }
}

/**
 * Heavy tails (lognormal with a large sigma, pareto with a small shape) can draw numbers past
 * any horizon, even past float range; samples are capped here (about 31 years of seconds).
 */
export const SAMPLE_MAX = 1e9;

class LognormalDistribution implements Distribution {
  private readonly normal: StandardNormal;

  constructor(
    rng: Rng,
    private readonly mu: number,
    private readonly sigma: number,
    readonly mean: number,
    private readonly text: string,
  ) {
    this.normal = new StandardNormal(rng);
  }
  sample(): number {
    return Math.min(SAMPLE_MAX, Math.exp(this.mu + this.sigma * this.normal.next()));
  }
  describe(): string {
    return this.text;
  }
}

class ParetoDistribution implements Distribution {
  private readonly negInvShape: number;

  constructor(
    private readonly rng: Rng,
    private readonly scale: number,
    private readonly shape: number,
    readonly mean: number,
  ) {
    this.negInvShape = -1 / shape;
  }
  sample(): number {
    // Inverse CDF: x_m * (1 - u)^(-1/alpha), with 1 - u in (0, 1].
    return Math.min(SAMPLE_MAX, this.scale * (1 - this.rng.next()) ** this.negInvShape);
  }
  describe(): string {
    return `pareto(scale ${fmt(this.scale)}, shape ${fmt(this.shape)})`;
  }
}

class EmpiricalDistribution implements Distribution {
  private readonly values: Float64Array;

  constructor(
    private readonly rng: Rng,
    values: number[],
    readonly mean: number,
  ) {
    this.values = Float64Array.from(values);
  }
  sample(): number {
    return this.values[Math.floor(this.rng.next() * this.values.length)];
  }
  describe(): string {
    return `empirical(${this.values.length} values, mean ${fmt(this.mean)})`;
  }
}
