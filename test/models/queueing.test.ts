/**
 * The task queue with an ideal network is an M/M/c queue: its mean wait must match the closed
 * forms (M/M/1: Wq = rho / (mu - lambda); M/M/c: Erlang C).
 */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { erlangC, mmcMeanWaitS } from "../closedForms.ts";
import { consumer, producer, scenario } from "./configs.ts";

function meanWait(lambda: number, mu: number, c: number, durationS: number, seed: number) {
  const config = scenario({
    durationS,
    warmupS: durationS / 20,
    drainS: 0,
    producers: [producer(lambda)],
    consumers: [consumer(c, 1 / mu)],
  });
  return simulate(config, { seed, variantName: "v" }).summary;
}

describe("queueing closed forms", () => {
  it("Erlang C agrees with M/M/1 when c = 1 (P(wait) = rho)", () => {
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 12);
  });

  it("M/M/1 (lambda 0.8/s, mu 1/s): mean queue wait within 5% of rho/(mu-lambda) = 4 s", () => {
    const summary = meanWait(0.8, 1, 1, 400_000, 11);
    const expected = 0.8 / (1 - 0.8);
    expect(summary.queueWait.count).toBeGreaterThan(300_000);
    expect(Math.abs(summary.queueWait.meanS! - expected) / expected).toBeLessThan(0.05);
    // Sojourn time adds one mean service time.
    expect(Math.abs(summary.latency.meanS! - (expected + 1)) / (expected + 1)).toBeLessThan(0.05);
  });

  it("M/M/c (c 10, lambda 8/s, mu 1/s): mean queue wait within 5% of Erlang C", () => {
    const lambda = 8;
    const c = 10;
    const summary = meanWait(lambda, 1, c, 40_000, 5);
    const expected = mmcMeanWaitS(c, lambda, 1);
    expect(Math.abs(summary.queueWait.meanS! - expected) / expected).toBeLessThan(0.05);
  });

  it("M/M/c throughput equals the arrival rate (a stable queue loses nothing)", () => {
    const summary = meanWait(8, 1, 10, 20_000, 3);
    expect(Math.abs(summary.throughput.processedPerS - 8) / 8).toBeLessThan(0.02);
    expect(summary.fates.lost).toBe(0);
    expect(summary.fates.duplicateEffects).toBe(0);
  });
});
