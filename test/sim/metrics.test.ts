import { describe, expect, it } from "vitest";
import { CounterSeries, GaugeSeries, HistogramSeries, TimeGrid } from "../../sim/metrics.ts";
import { RandomStreams } from "../../sim/random.ts";

describe("TimeGrid", () => {
  it("maps times to buckets, clamping outside the grid", () => {
    const grid = new TimeGrid(0.5, 4);
    expect([0, 0.49, 0.5, 1.99, 2, 100, -1].map((t) => grid.index(t))).toEqual([
      0, 0, 1, 3, 3, 3, 0,
    ]);
    expect(grid.timesS()).toEqual([0, 0.5, 1, 1.5]);
    expect(() => new TimeGrid(0, 3)).toThrow(RangeError);
    expect(() => new TimeGrid(1, 2.5)).toThrow(RangeError);
  });
});

describe("GaugeSeries", () => {
  it("weights each value by the time it was held", () => {
    const gauge = new GaugeSeries(new TimeGrid(10, 3));
    gauge.set(0, 2);
    gauge.set(5, 4);
    gauge.finish(30);
    expect(gauge.mean()).toEqual([3, 4, 4]);
    expect(gauge.max()).toEqual([4, 4, 4]);
    expect(gauge.last()).toEqual([4, 4, 4]);
  });

  it("reads 0 until first set, and spans a long constant stretch", () => {
    const gauge = new GaugeSeries(new TimeGrid(10, 10));
    gauge.set(5, 1); // 0 for [0, 5), then 1
    gauge.set(95, 3);
    gauge.finish(100);
    expect(gauge.mean()).toEqual([0.5, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    expect(gauge.max()).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 3]);
    expect(gauge.last()).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 3]);
  });

  it("counts an instantaneous spike in the max but not in the mean", () => {
    const gauge = new GaugeSeries(new TimeGrid(1, 2));
    gauge.set(0, 1);
    gauge.set(0.25, 9);
    gauge.set(0.25, 1);
    gauge.finish(2);
    expect(gauge.mean()).toEqual([1, 1]);
    expect(gauge.max()).toEqual([9, 1]);
  });

  it("matches a direct integration of a random step function", () => {
    const rng = new RandomStreams(8).stream("gauge");
    const grid = new TimeGrid(0.7, 80);
    const gauge = new GaugeSeries(grid);
    const steps: [number, number][] = [[0, 0]];
    let timeS = 0;
    for (let i = 0; i < 400; i++) {
      timeS += rng.next() < 0.1 ? 0 : rng.next() * 0.1 + (rng.next() < 0.02 ? 3 : 0);
      const value = Math.floor(rng.next() * 50);
      gauge.set(timeS, value);
      steps.push([timeS, value]);
    }
    const endS = 80 * 0.7;
    gauge.finish(endS);
    expect(timeS).toBeLessThan(endS);
    // Reference: for each bucket, integrate every step's overlap with it.
    const expected = grid.timesS().map((startS) => {
      const stopS = startS + grid.bucketS;
      let area = 0;
      steps.forEach(([fromS, value], i) => {
        const toS = i + 1 < steps.length ? steps[i + 1][0] : endS;
        area += value * Math.max(0, Math.min(toS, stopS) - Math.max(fromS, startS));
      });
      return area / grid.bucketS;
    });
    const mean = gauge.mean();
    for (let i = 0; i < expected.length; i++) expect(mean[i]).toBeCloseTo(expected[i], 9);
  });

  it("reads NaN in buckets past finish", () => {
    const gauge = new GaugeSeries(new TimeGrid(1, 4));
    gauge.set(0.5, 2);
    gauge.finish(1.5);
    expect(gauge.mean()).toEqual([1, 2, Number.NaN, Number.NaN]);
    expect(gauge.last()).toEqual([2, 2, Number.NaN, Number.NaN]);
    expect(gauge.max()).toEqual([2, 2, Number.NaN, Number.NaN]);
  });

  it("throws when time goes backwards or after finish", () => {
    const gauge = new GaugeSeries(new TimeGrid(1, 4));
    gauge.set(2, 1);
    expect(() => gauge.set(1.5, 1)).toThrow(/backwards/);
    expect(() => gauge.set(Number.NaN, 1)).toThrow(RangeError);
    gauge.finish(3);
    expect(() => gauge.set(3.5, 1)).toThrow(/after finish/);
  });
});

describe("CounterSeries", () => {
  it("counts per bucket and converts to rates", () => {
    const counter = new CounterSeries(new TimeGrid(0.5, 3));
    counter.add(0.1);
    counter.add(0.2, 3);
    counter.add(0.6);
    counter.add(7, 2); // past the grid: counted in the last bucket
    expect(counter.perBucket()).toEqual([4, 1, 2]);
    expect(counter.ratePerS()).toEqual([8, 2, 4]);
    expect(counter.total).toBe(7);
  });
});

describe("HistogramSeries", () => {
  it("gives per-bucket quantiles and null for empty buckets", () => {
    const series = new HistogramSeries(new TimeGrid(1, 4));
    for (let i = 1; i <= 100; i++) series.record(0.5, i / 1000);
    series.record(2.5, 0.25);
    const p50 = series.quantile(0.5);
    expect(p50[1]).toBeNull();
    expect(p50[3]).toBeNull();
    expect(Math.abs((p50[0] as number) - 0.05) / 0.05).toBeLessThanOrEqual(0.02);
    expect(p50[2]).toBe(0.25);
    expect(series.quantile(1)[0]).toBe(0.1);
  });
});
