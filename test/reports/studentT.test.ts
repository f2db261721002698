/**
 * Student's t against printed tables of its critical values (e.g. the NIST/SEMATECH e-Handbook
 * of Statistical Methods, table 1.3.6.7.2, given to 3 decimals) and exact closed forms, and the
 * confidence interval of a mean on small samples worked by hand.
 */
import { describe, expect, it } from "vitest";
import {
  logGamma,
  meanInterval,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
} from "../../reports/studentT.ts";

describe("Student's t", () => {
  it("quantiles match the table to its 3 decimals", () => {
    const table: [p: number, df: number, t: number][] = [
      [0.975, 1, 12.706],
      [0.975, 2, 4.303],
      [0.975, 3, 3.182],
      [0.975, 4, 2.776],
      [0.975, 5, 2.571],
      [0.975, 9, 2.262],
      [0.975, 10, 2.228],
      [0.975, 19, 2.093],
      [0.975, 29, 2.045],
      [0.975, 30, 2.042],
      [0.975, 60, 2.0],
      [0.975, 100, 1.984],
      [0.95, 20, 1.725],
      [0.995, 10, 3.169],
      [0.9995, 5, 6.869],
    ];
    for (const [p, df, t] of table) {
      expect(studentTQuantile(p, df), `t(${p}, ${df})`).toBeCloseTo(t, 3);
      expect(studentTQuantile(1 - p, df)).toBeCloseTo(-t, 3);
    }
  });

  it("closed forms: 1 and 2 degrees of freedom, and the normal limit", () => {
    // df 1 is the Cauchy distribution: t_p = tan(pi (p - 1/2)).
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 10);
    // df 2: t_p = (2p - 1) sqrt(2 / (4 p (1 - p))).
    const p = 0.9;
    expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) * Math.sqrt(2 / (4 * p * (1 - p))), 10);
    // Very many degrees of freedom: the normal's 1.959964.
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
    expect(studentTCdf(0, 7)).toBe(0.5);
    expect(studentTCdf(studentTQuantile(0.975, 7), 7)).toBeCloseTo(0.975, 12);
  });

  it("its building blocks: ln Γ and the incomplete beta function", () => {
    // Γ(5) = 24, Γ(1/2) = sqrt(pi).
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(2, 2) = 3x² - 2x³.
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(regularizedBeta(0.6, 3, 1)).toBeCloseTo(0.216, 12);
    expect(regularizedBeta(0.4, 2, 2)).toBeCloseTo(3 * 0.16 - 2 * 0.064, 12);
  });
});

describe("mean with a confidence interval", () => {
  it("a hand-worked sample: 1..5", () => {
    // mean 3, s² = (4 + 1 + 0 + 1 + 4) / 4 = 2.5, s/√n = √0.5, t(0.975, 4) = 2.776 (table).
    const interval = meanInterval([1, 2, 3, 4, 5]);
    expect(interval.runs).toBe(5);
    expect(interval.mean).toBe(3);
    expect(interval.ciLow!).toBeCloseTo(3 - 2.776 * Math.sqrt(0.5), 3);
    expect(interval.ciHigh!).toBeCloseTo(3 + 2.776 * Math.sqrt(0.5), 3);
    expect([interval.min, interval.max]).toEqual([1, 5]);
  });

  it("another: 2, 4, 4, 4, 5, 5, 7, 9", () => {
    // mean 5, squared deviations sum to 32, s² = 32/7, t(0.975, 7) = 2.365 (table):
    // half width 2.365 * sqrt(32 / 7 / 8).
    const halfWidth = 2.365 * Math.sqrt(32 / 7 / 8);
    const interval = meanInterval([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(interval.mean).toBe(5);
    expect(interval.ciHigh! - 5).toBeCloseTo(halfWidth, 3);
    expect(5 - interval.ciLow!).toBeCloseTo(halfWidth, 3);
  });

  it("no interval from fewer than two values; none at all from none", () => {
    expect(meanInterval([4])).toEqual({
      runs: 1,
      mean: 4,
      ciLow: null,
      ciHigh: null,
      min: 4,
      max: 4,
    });
    expect(meanInterval([])).toEqual({
      runs: 0,
      mean: null,
      ciLow: null,
      ciHigh: null,
      min: null,
      max: null,
    });
    // All equal: a zero-width interval.
    expect(meanInterval([7, 7, 7])).toMatchObject({ mean: 7, ciLow: 7, ciHigh: 7 });
  });
});

describe("the 95% interval's coverage", () => {
  it("covers the true mean of a normal distribution in about 95% of samples of 8", async () => {
    const { RandomStreams } = await import("../../sim/random.ts");
    const { makeDistribution } = await import("../../sim/distributions.ts");
    const normal = makeDistribution(
      { kind: "normal", mean: 3, stddev: 2 },
      new RandomStreams(7).stream("coverage"),
    );
    const trials = 4000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 8 }, () => normal.sample());
      const { ciLow, ciHigh } = meanInterval(sample);
      if (ciLow! <= 3 && 3 <= ciHigh!) covered++;
    }
    // Binomial(4000, 0.95): sd 0.0034; 4 sd either side.
    expect(covered / trials).toBeGreaterThan(0.936);
    expect(covered / trials).toBeLessThan(0.964);
  });

  it("and a z interval (1.96 instead of t) would cover too rarely with samples of 4", async () => {
    // The reason for Student t: with n = 4, mean ± 1.96 s/√n covers about 86%, not 95%.
    const { RandomStreams } = await import("../../sim/random.ts");
    const { makeDistribution } = await import("../../sim/distributions.ts");
    const normal = makeDistribution(
      { kind: "normal", mean: 0, stddev: 1 },
      new RandomStreams(8).stream("coverage"),
    );
    let coveredT = 0;
    let coveredZ = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 4 }, () => normal.sample());
      const { mean, ciLow, ciHigh } = meanInterval(sample);
      if (ciLow! <= 0 && 0 <= ciHigh!) coveredT++;
      const s = Math.sqrt(sample.reduce((a, x) => a + (x - mean!) ** 2, 0) / 3);
      if (Math.abs(mean!) <= (1.96 * s) / 2) coveredZ++;
    }
    expect(coveredT / trials).toBeGreaterThan(0.936);
    expect(coveredZ / trials).toBeLessThan(0.9);
  });
});
