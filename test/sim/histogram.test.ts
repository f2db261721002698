import { describe, expect, it } from "vitest";
import { makeDistribution } from "../../sim/distributions.ts";
import { LatencyHistogram } from "../../sim/histogram.ts";
import { RandomStreams } from "../../sim/random.ts";

const QUANTILES = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1];

/** Latencies spread over five decades: lognormal with median 10 ms and p99 2 s. */
function latencies(count: number, name = "latencies"): number[] {
  const d = makeDistribution(
    { kind: "lognormal-quantiles", median: 0.01, p99: 2 },
    new RandomStreams(11).stream(name),
  );
  return Array.from({ length: count }, () => d.sample());
}

/** Nearest-rank quantile of a sorted array: the ceil(q n)-th smallest value. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe("LatencyHistogram", () => {
  it.each([0.01, 0.05])("keeps quantiles within relative error %s of the exact ones", (error) => {
    const values = latencies(100_000);
    const histogram = new LatencyHistogram(error);
    for (const value of values) histogram.record(value);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of QUANTILES) {
      const exact = exactQuantile(sorted, q);
      const relative = Math.abs(histogram.quantile(q) - exact) / exact;
      expect(relative, `q=${q}`).toBeLessThanOrEqual(error * (1 + 1e-9));
    }
    expect(histogram.quantile(0)).toBe(sorted[0]);
    expect(histogram.quantile(1)).toBe(sorted[sorted.length - 1]);
    expect(histogram.count).toBe(values.length);
    expect(histogram.meanS).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 12);
    expect(histogram.minS).toBe(sorted[0]);
    expect(histogram.maxS).toBe(sorted[sorted.length - 1]);
  });

  it("handles few distinct values, as from a constant service time", () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 90; i++) histogram.record(0.1);
    for (let i = 0; i < 10; i++) histogram.record(3);
    expect(histogram.quantile(0.5)).toBe(0.1);
    expect(histogram.quantile(0.9)).toBe(0.1);
    expect(Math.abs(histogram.quantile(0.91) - 3) / 3).toBeLessThanOrEqual(0.01);
    expect(histogram.quantile(1)).toBe(3);
    expect(histogram.meanS).toBeCloseTo(0.39, 12);
  });

  it("reports values below its range as the exact minimum and clamps values above it", () => {
    const histogram = new LatencyHistogram(0.01, 1e-3, 10);
    for (const value of [0, 1e-5, 2e-4, 0.5, 1000, 5000]) histogram.record(value);
    expect(histogram.quantile(0.5)).toBe(0); // rank 3 of 6 lies in the underflow
    expect(histogram.quantile(4 / 6)).toBeCloseTo(0.5, 2);
    expect(histogram.quantile(5 / 6)).toBeLessThanOrEqual(5000);
    expect(histogram.quantile(1)).toBe(5000);
    expect(histogram.maxS).toBe(5000);
    expect(histogram.meanS).toBeCloseTo((1e-5 + 2e-4 + 0.5 + 1000 + 5000) / 6, 12);
  });

  it("uses memory fixed by its parameters, not by the number of records", () => {
    const histogram = new LatencyHistogram();
    const bucketsBefore = histogram.bucketCount;
    // 1 us .. 10^7 s at 1%: log(10^13) / log(1.01 / 0.99) buckets, about 1500.
    expect(bucketsBefore).toBe(Math.ceil(Math.log(1e13) / Math.log(1.01 / 0.99)) + 1);
    for (const value of latencies(200_000)) histogram.record(value);
    for (let i = 0; i < 1000; i++) histogram.record(1e6 * (1 + i));
    expect(histogram.bucketCount).toBe(bucketsBefore);
  });

  it("merging equals recording everything in one", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    const first = latencies(30_000, "first");
    const second = latencies(50_000, "second").map((value) => value * 5);
    for (const value of first) a.record(value);
    for (const value of second) b.record(value);
    for (const value of [...first, ...second]) all.record(value);
    a.merge(b);
    expect(a.count).toBe(all.count);
    expect(a.minS).toBe(all.minS);
    expect(a.maxS).toBe(all.maxS);
    expect(a.meanS).toBeCloseTo(all.meanS, 12);
    for (const q of QUANTILES) expect(a.quantile(q), `q=${q}`).toBe(all.quantile(q));
    expect(() => a.merge(new LatencyHistogram(0.02))).toThrow(RangeError);
  });

  it("reads NaN when empty, also after reset", () => {
    const histogram = new LatencyHistogram();
    expect(histogram.quantile(0.5)).toBeNaN();
    expect(histogram.meanS).toBeNaN();
    histogram.record(1);
    histogram.reset();
    expect(histogram.count).toBe(0);
    expect(histogram.quantile(0.99)).toBeNaN();
    expect(histogram.maxS).toBeNaN();
    histogram.record(2);
    expect(histogram.quantile(0.5)).toBe(2);
  });

  it("rejects negative or non-finite latencies and quantiles outside [0, 1]", () => {
    const histogram = new LatencyHistogram();
    expect(() => histogram.record(-1)).toThrow(RangeError);
    expect(() => histogram.record(Number.NaN)).toThrow(RangeError);
    expect(() => histogram.record(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => histogram.quantile(1.5)).toThrow(RangeError);
    expect(histogram.count).toBe(0);
  });
});
