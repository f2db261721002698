import { describe, expect, it } from "vitest";
import {
  DistributionError,
  type DistributionSpec,
  distributionMean,
  makeDistribution,
  validateDistribution,
} from "../../sim/distributions.ts";
import { RandomStreams } from "../../sim/random.ts";

const SAMPLE_COUNT = 200_000;

function samples(spec: DistributionSpec, name = "dist"): Float64Array {
  const distribution = makeDistribution(spec, new RandomStreams(20240).stream(name));
  const values = new Float64Array(SAMPLE_COUNT);
  for (let i = 0; i < SAMPLE_COUNT; i++) values[i] = distribution.sample();
  return values;
}

function meanOf(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

function varianceOf(values: Float64Array): number {
  const mean = meanOf(values);
  let sum = 0;
  for (const value of values) sum += (value - mean) ** 2;
  return sum / (values.length - 1);
}

/** Exact order statistic at quantile q (nearest rank). */
function quantileOf(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function lagOneCorrelation(values: Float64Array): number {
  const mean = meanOf(values);
  let sum = 0;
  for (let i = 1; i < values.length; i++) sum += (values[i] - mean) * (values[i - 1] - mean);
  return sum / (values.length - 1) / varianceOf(values);
}

function minOf(values: Float64Array): number {
  return values.reduce((min, value) => Math.min(min, value), Number.POSITIVE_INFINITY);
}

function maxOf(values: Float64Array): number {
  return values.reduce((max, value) => Math.max(max, value), Number.NEGATIVE_INFINITY);
}

function fractionBelow(values: Float64Array, x: number): number {
  let count = 0;
  for (const value of values) if (value <= x) count++;
  return count / values.length;
}

function expectRelative(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(tolerance);
}

describe("distributions", () => {
  it("constant always returns its value", () => {
    const d = makeDistribution({ kind: "constant", value: 0.25 }, new RandomStreams(1).stream("c"));
    expect([d.sample(), d.sample(), d.mean]).toEqual([0.25, 0.25, 0.25]);
    expect(d.describe()).toBe("constant(0.25)");
  });

  it("exponential matches mean, variance and P(X > mean) = 1/e", () => {
    const spec: DistributionSpec = { kind: "exponential", mean: 0.04 };
    const values = samples(spec);
    // Relative standard errors: mean 0.22%, variance 0.63%.
    expectRelative(meanOf(values), 0.04, 0.01);
    expectRelative(varianceOf(values), 0.04 ** 2, 0.03);
    expect(1 - fractionBelow(values, 0.04)).toBeCloseTo(Math.exp(-1), 2);
    expect(minOf(values)).toBeGreaterThanOrEqual(0);
    const d = makeDistribution(spec, new RandomStreams(1).stream("e"));
    expect(d.mean).toBe(0.04);
    expect(d.describe()).toBe("exponential(mean 0.04)");
  });

  it("uniform matches mean (a+b)/2, variance (b-a)^2/12 and its bounds", () => {
    const values = samples({ kind: "uniform", min: 0.01, max: 0.05 });
    expectRelative(meanOf(values), 0.03, 0.01);
    expectRelative(varianceOf(values), 0.04 ** 2 / 12, 0.02);
    expect(minOf(values)).toBeGreaterThanOrEqual(0.01);
    expect(maxOf(values)).toBeLessThan(0.05);
  });

  it("normal matches mean and variance, and P(X <= mean + sd) = 0.8413", () => {
    const values = samples({ kind: "normal", mean: 1, stddev: 0.2 });
    expectRelative(meanOf(values), 1, 0.005);
    expectRelative(varianceOf(values), 0.04, 0.02);
    expect(fractionBelow(values, 1.2)).toBeCloseTo(0.8413, 2);
    // Box–Muller yields deviates in pairs; the two of a pair must be uncorrelated too.
    expect(Math.abs(lagOneCorrelation(values))).toBeLessThan(0.01);
  });

  it("normal is truncated at zero, while its mean is that of the untruncated law", () => {
    const spec: DistributionSpec = { kind: "normal", mean: 0, stddev: 1 };
    const values = samples(spec);
    expect(minOf(values)).toBe(0);
    expect(fractionBelow(values, 0)).toBeCloseTo(0.5, 2);
    // E[max(0, Z)] = 1 / sqrt(2 pi) for a standard normal Z.
    expectRelative(meanOf(values), 1 / Math.sqrt(2 * Math.PI), 0.01);
    expect(makeDistribution(spec, new RandomStreams(1).stream("n")).mean).toBe(0);
  });

  it("lognormal(mu, sigma) matches mean exp(mu + s^2/2), its variance and median exp(mu)", () => {
    const mu = -3;
    const sigma = 0.5;
    const values = samples({ kind: "lognormal", mu, sigma });
    const mean = Math.exp(mu + sigma ** 2 / 2);
    expectRelative(meanOf(values), mean, 0.01);
    expectRelative(varianceOf(values), (Math.exp(sigma ** 2) - 1) * mean ** 2, 0.04);
    expectRelative(quantileOf(values, 0.5), Math.exp(mu), 0.01);
    expect(distributionMean({ kind: "lognormal", mu, sigma })).toBeCloseTo(mean, 12);
  });

  it("lognormal by quantiles reproduces its median and p99", () => {
    const spec: DistributionSpec = { kind: "lognormal-quantiles", median: 0.05, p99: 0.5 };
    const values = samples(spec);
    // Standard errors: median 0.3%, p99 0.8%.
    expectRelative(quantileOf(values, 0.5), 0.05, 0.015);
    expectRelative(quantileOf(values, 0.99), 0.5, 0.03);
    const sigma = Math.log(10) / 2.3263478740408408;
    expectRelative(meanOf(values), 0.05 * Math.exp(sigma ** 2 / 2), 0.02);
    const d = makeDistribution(spec, new RandomStreams(1).stream("l"));
    expect(d.mean).toBeCloseTo(0.05 * Math.exp(sigma ** 2 / 2), 12);
    expect(d.describe()).toBe("lognormal(median 0.05, p99 0.5)");
  });

  it("pareto matches mean a*xm/(a-1) and its CDF 1 - (xm/x)^a", () => {
    const spec: DistributionSpec = { kind: "pareto", scale: 2, shape: 3 };
    const values = samples(spec);
    expect(minOf(values)).toBeGreaterThanOrEqual(2);
    expectRelative(meanOf(values), 3, 0.02);
    expect(fractionBelow(values, 4)).toBeCloseTo(1 - (2 / 4) ** 3, 2);
    expect(fractionBelow(values, 10)).toBeCloseTo(1 - (2 / 10) ** 3, 3);
    expect(distributionMean(spec)).toBe(3);
    expect(distributionMean({ kind: "pareto", scale: 2, shape: 1 })).toBe(Number.POSITIVE_INFINITY);
    expect(distributionMean({ kind: "pareto", scale: 2, shape: 0.5 })).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("empirical picks each listed value with equal probability", () => {
    const values = samples({ kind: "empirical", values: [1, 2, 2, 7] });
    expect(fractionBelow(values, 1)).toBeCloseTo(0.25, 2);
    expect(fractionBelow(values, 2) - fractionBelow(values, 1)).toBeCloseTo(0.5, 2);
    expect(1 - fractionBelow(values, 2)).toBeCloseTo(0.25, 2);
    expect(new Set(values)).toEqual(new Set([1, 2, 7]));
    expect(distributionMean({ kind: "empirical", values: [1, 2, 2, 7] })).toBe(3);
  });

  it("is deterministic for a given stream", () => {
    const spec: DistributionSpec = { kind: "lognormal", mu: 0, sigma: 1 };
    expect(samples(spec, "same").slice(0, 100)).toEqual(samples(spec, "same").slice(0, 100));
    expect(samples(spec, "other").slice(0, 100)).not.toEqual(samples(spec, "same").slice(0, 100));
  });

  it.each([
    [{ kind: "exponential", mean: -1 }, "exponential mean must be > 0, got -1"],
    [{ kind: "exponential", mean: 0 }, "exponential mean must be > 0, got 0"],
    [{ kind: "exponential", mean: Number.NaN }, "exponential mean must be a finite number"],
    [{ kind: "constant", value: -0.5 }, "constant value must be >= 0"],
    [{ kind: "constant", value: "1" }, "constant value must be a finite number"],
    [{ kind: "uniform", min: 2, max: 1 }, "uniform min must be <= max, got 2 > 1"],
    [{ kind: "uniform", min: -1, max: 1 }, "uniform min must be >= 0"],
    [{ kind: "normal", mean: 1, stddev: -0.1 }, "normal stddev must be >= 0"],
    [{ kind: "normal", mean: Number.POSITIVE_INFINITY, stddev: 1 }, "normal mean must be a finite"],
    [{ kind: "lognormal", mu: 0, sigma: -1 }, "lognormal sigma must be >= 0"],
    [{ kind: "lognormal-quantiles", median: 0.1, p99: 0.1 }, "lognormal p99 must be > median"],
    [{ kind: "lognormal-quantiles", median: 0, p99: 1 }, "lognormal median must be > 0"],
    [{ kind: "pareto", scale: 1, shape: 0 }, "pareto shape must be > 0"],
    [{ kind: "pareto", scale: -1, shape: 2 }, "pareto scale must be > 0"],
    [{ kind: "empirical", values: [] }, "empirical values must be a non-empty list"],
    [{ kind: "empirical", values: [1, -2] }, "empirical values[1] must be >= 0"],
    [{ kind: "gamma", shape: 2 }, "unknown distribution kind 'gamma'"],
  ])("rejects %o", (spec, message) => {
    const bad = spec as unknown as DistributionSpec;
    expect(() => validateDistribution(bad)).toThrow(DistributionError);
    expect(() => validateDistribution(bad)).toThrow(message);
    expect(() => makeDistribution(bad, new RandomStreams(1).stream("x"))).toThrow(message);
  });

  it("accepts degenerate but meaningful parameters", () => {
    for (const spec of [
      { kind: "constant", value: 0 },
      { kind: "uniform", min: 1, max: 1 },
      { kind: "normal", mean: 1, stddev: 0 },
      { kind: "lognormal", mu: -2, sigma: 0 },
    ] as DistributionSpec[]) {
      expect(() => validateDistribution(spec)).not.toThrow();
    }
  });
});
