/**
 * The autoscaler against hand-worked cases: constant arrivals and constant service, so the queue
 * depth at every decision can be counted by hand, and each decision follows from the HPA rule
 * (models/autoscaler.ts).
 */
import { describe, expect, it } from "vitest";
import { Autoscaler, recommendedInstances } from "../../models/autoscaler.ts";
import type { AutoscaleConfig, ConsumerConfig, ScenarioConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { Kernel } from "../../sim/kernel.ts";
import { consumer, link, producer, queue, scenario, streamConsumer, topic } from "./configs.ts";

function autoscale(extra: Partial<AutoscaleConfig> = {}): AutoscaleConfig {
  return {
    metric: "depth",
    target: 10,
    includeInFlight: false,
    minInstances: 1,
    maxInstances: 12,
    intervalS: 15,
    tolerance: 0,
    scaleUpStabilizationS: 0,
    scaleDownStabilizationS: 60,
    cooldownS: 0,
    coldStartS: 20.5,
    ...extra,
  };
}

/**
 * 4 messages/s, evenly spaced from 0.1 s on (arrivals at 0.35, 0.6, 0.85, ...), each taking
 * exactly 1 s on a consumer of concurrency 1: one instance does 1/s. Decisions at 15, 30, ...;
 * no arrival, delivery or end of cold start falls on one (those are at x.1, x.35, x.5, x.6, x.85).
 */
function run(extra: Partial<AutoscaleConfig> = {}) {
  return simulate(
    scenario({
      durationS: 125,
      drainS: 0,
      sampleIntervalS: 1,
      producers: [producer(4, { arrivals: "constant", startS: 0.1 })],
      queues: [queue()],
      consumers: [
        consumer(1, 1, {
          processing: { kind: "constant", value: 1 },
          autoscale: autoscale(extra),
        }),
      ],
    }),
    { seed: 1, variantName: "v" },
  );
}

/** Instances over [fromS, toS) from a series of 1 s buckets (each change falls on a whole second). */
function instancesDuring(series: number[], fromS: number, toS: number): number[] {
  return [...new Set(series.slice(fromS, toS))];
}

describe("autoscaler decisions (hand-worked)", () => {
  // Ready messages at t (before instances beyond the first run): arrivals floor((t - 0.1) / 0.25)
  // minus the first instance's deliveries floor(t - 0.35) + 1.
  //  15 s: 59 - 15 = 44 ready -> ceil(44/10) = 5; 4 instances start, consume from 35.5 s.
  //  30 s: 119 - 30 = 89 -> 9 (4 more, from 50.5 s).
  //  45 s: 179 - 45 - 4 x 10 (35.5 .. 44.5) = 94 -> 10 (one more, from 65.5 s).
  //  60 s: 239 - 60 - 4 x 25 - 4 x 10 = 39 -> 4, but the scale-down window (60 s) still holds 10.
  //  from 65.5 s ten instances (10/s) empty the queue: 0 ready at 75, 90, 105, 120.
  // 105 s: the window (after 45 s) holds 4, 0, 0, 0: down to 4.
  // 120 s: the window (after 60 s) holds 0, 0, 0, 0: down to 0, bounded by min: 1.
  const base = run();

  it("scales up at once and down after the stabilization window, within min and max", () => {
    const count = base.series.consumerCount;
    expect(instancesDuring(count, 0, 15)).toEqual([1]);
    expect(instancesDuring(count, 15, 30)).toEqual([5]);
    expect(instancesDuring(count, 30, 45)).toEqual([9]);
    expect(instancesDuring(count, 45, 105)).toEqual([10]);
    expect(instancesDuring(count, 105, 120)).toEqual([4]);
    expect(instancesDuring(count, 120, 125)).toEqual([1]);
    expect(base.summary.scaling).toEqual({
      autoscaledConsumers: 1,
      instancesMin: 1,
      instancesMax: 10,
      instancesMean: 890 / 125,
      // 1 x 15 + 5 x 15 + 9 x 15 + 10 x 60 + 4 x 15 + 1 x 5
      instanceSeconds: 890,
      scaleUps: 3,
      scaleDowns: 2,
    });
  });

  it("a new instance consumes only after its cold start", () => {
    const processed = base.series.processedPerS;
    // Until 36.5 s only the first instance finishes messages (at x.35): one per second.
    expect(processed.slice(16, 36)).toEqual(new Array(20).fill(1));
    // The four started at 15 s took their first messages at 35.5 s and finish them at 36.5 s.
    expect(processed[36]).toBe(5);
    // The four started at 30 s join at 51.5 s.
    expect(processed[50]).toBe(5);
    expect(processed[51]).toBe(9);
  });

  it("a cooldown skips the change at 30 s; the one at 45 s goes through", () => {
    const count = run({ cooldownS: 20 }).series.consumerCount;
    expect(instancesDuring(count, 15, 45)).toEqual([5]);
    // 45 s: 94 ready, as without the cooldown (the instances of 30 s would not run yet anyway).
    expect(instancesDuring(count, 45, 60)).toEqual([10]);
  });

  it("max bounds the count", () => {
    const count = run({ maxInstances: 6 }).series.consumerCount;
    expect(instancesDuring(count, 15, 30)).toEqual([5]);
    expect(instancesDuring(count, 30, 60)).toEqual([6]);
  });

  it("a scale-up window raises the count only to its lowest recommendation", () => {
    // 15 s: 5. 30 s: window after 10 s holds 5 and 9: stays 5. 45 s: window after 25 s holds 9
    // and 10 (94 ready): 9.
    const count = run({ scaleUpStabilizationS: 20 }).series.consumerCount;
    expect(instancesDuring(count, 15, 45)).toEqual([5]);
    expect(instancesDuring(count, 45, 60)).toEqual([9]);
  });

  it("counts in-flight messages in the depth when asked (KEDA's scaleOnInFlight)", () => {
    // Target 11 per instance, at 15 s: 44 ready -> ceil(44/11) = 4; with the one in flight,
    // 45 -> 5.
    const readyOnly = run({ target: 11 }).series.consumerCount;
    const withInFlight = run({ target: 11, includeInFlight: true }).series.consumerCount;
    expect(instancesDuring(readyOnly, 15, 30)).toEqual([4]);
    expect(instancesDuring(withInFlight, 15, 30)).toEqual([5]);
  });
});

describe("the recommendation rule", () => {
  it("is ceil(depth / target) per instance, and keeps the count within the tolerance", () => {
    const config = { ...autoscale(), tolerance: 0.1 };
    // HPA: usage 105 / (10 x 10) = 1.05, within 10%: no change.
    expect(recommendedInstances(config, 105, 10)).toBe(10);
    // usage 1.2: ceil(120 / 10).
    expect(recommendedInstances(config, 120, 10)).toBe(12);
    // usage 0.85: ceil(85 / 10).
    expect(recommendedInstances(config, 85, 10)).toBe(9);
    expect(recommendedInstances(config, 0, 10)).toBe(0);
  });

  it("for the age of the oldest message, scales the current count by age / target", () => {
    const config = { ...autoscale(), metric: "oldestAge" as const, target: 30, tolerance: 0.1 };
    expect(recommendedInstances(config, 45, 4)).toBe(6);
    expect(recommendedInstances(config, 31, 4)).toBe(4);
    expect(recommendedInstances(config, 10, 4)).toBe(2);
    // From no instance, read as one (HPA cannot scale from zero on its own either).
    expect(recommendedInstances(config, 90, 0)).toBe(3);
  });

  it("stabilizes: a window's highest recommendation holds a scale-down back until it leaves", () => {
    const pool = { instances: 8, scaleTo: () => {} };
    const scaler = new Autoscaler(
      new Kernel(),
      "w",
      autoscale({ scaleDownStabilizationS: 30, maxInstances: 20 }),
      () => 0,
      pool,
      20,
      0,
    );
    expect(scaler.decide(0, 80, 8)).toBe(8);
    expect(scaler.decide(10, 20, 8)).toBe(8); // 2 recommended, 8 (at 0 s) in the window
    expect(scaler.decide(20, 30, 8)).toBe(8);
    expect(scaler.decide(30, 30, 8)).toBe(3); // the 8 of 0 s left the window (after 0 s only)
    expect(scaler.decide(40, 150, 3)).toBe(15); // up at once
    expect(scaler.decide(50, 500, 15)).toBe(20); // bounded by max
  });
});

describe("scaling in and out keeps every message accounted for", () => {
  it("with crashes, a lossy network, redeliveries and a dead-letter queue, over many seeds", () => {
    for (let seed = 1; seed <= 8; seed++) {
      for (const fifo of [false, true]) {
        for (const commit of ["after-processing", "before-processing"] as const) {
          const result = simulate(
            scenario({
              durationS: 400,
              drainS: 100,
              producers: [
                producer(0, {
                  phases: [
                    { durationS: 60, ratePerS: 5 },
                    { durationS: 60, ratePerS: 60 },
                    { durationS: 60, ratePerS: 2 },
                  ],
                  repeatPhases: true,
                  keys: { count: 20, skew: "zipf", zipfExponent: 1.1 },
                }),
              ],
              queues: [queue({ visibilityTimeoutS: 3, maxReceives: 4, fifo })],
              consumers: [
                consumer(2, 0.3, {
                  concurrency: 3,
                  failureProbability: 0.05,
                  crashRatePerS: 1 / 60,
                  restartS: 5,
                  commit,
                  autoscale: autoscale({
                    // Every third seed scales on the age of the oldest message (2 s), a FIFO
                    // queue's oldest group head included.
                    ...(seed % 3 === 0
                      ? { metric: "oldestAge" as const, target: 2 }
                      : { target: 4 }),
                    maxInstances: 9,
                    intervalS: 5,
                    scaleDownStabilizationS: 10,
                    coldStartS: 2,
                    includeInFlight: seed % 2 === 0,
                  }),
                }),
              ],
              links: [
                link("orders", "workers", {
                  lossProbability: 0.02,
                  latency: { kind: "exponential", mean: 0.01 },
                }),
                link("workers", "orders", { lossProbability: 0.02 }),
              ],
              faults: [{ kind: "crash", atS: 130, consumer: "workers", instance: null, downS: 7 }],
            }),
            { seed, variantName: "v" },
          );
          const { fates, scaling } = result.summary;
          expect(fates.conserved).toBe(true);
          expect(
            fates.processed + fates.deadLettered + fates.dropped + fates.pending + fates.lost,
          ).toBe(fates.produced);
          expect(scaling.scaleUps).toBeGreaterThan(0);
          expect(scaling.scaleDowns).toBeGreaterThan(0);
          expect(scaling.instancesMax).toBeLessThanOrEqual(9);
          expect(scaling.instancesMin).toBeGreaterThanOrEqual(1);
          if (commit === "after-processing") expect(fates.lost).toBe(0);
        }
      }
    }
  });

  it("is deterministic: the same seed gives the same summary and series", () => {
    const config = scenario({
      durationS: 300,
      drainS: 60,
      producers: [
        producer(0, {
          phases: [
            { durationS: 60, ratePerS: 5 },
            { durationS: 60, ratePerS: 50 },
          ],
          repeatPhases: true,
        }),
      ],
      consumers: [
        consumer(1, 0.2, {
          concurrency: 2,
          crashRatePerS: 1 / 30,
          autoscale: autoscale({ target: 5, intervalS: 5, coldStartS: 3, tolerance: 0.1 }),
        }),
      ],
    });
    const first = simulate(config, { seed: 7, variantName: "v" });
    const again = simulate(config, { seed: 7, variantName: "v" });
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(first.summary.scaling.scaleUps).toBeGreaterThan(0);
  });

  it("a pool without an autoscaler reports its fixed count", () => {
    const config = scenario({ producers: [producer(3)], consumers: [consumer(2, 0.5)] });
    const result = simulate(config, { seed: 3, variantName: "v" });
    expect(result.summary.scaling).toMatchObject({
      autoscaledConsumers: 0,
      instancesMin: 2,
      instancesMax: 2,
      scaleUps: 0,
    });
    expect(new Set(result.series.consumerCount)).toEqual(new Set([2]));
  });
});

describe("a consumer group that autoscales on its lag", () => {
  /** 12 partitions, 100 keys; a spike from 60 s to 120 s; members of 50 records/s. */
  function groupRun(
    seed: number,
    extra: Partial<ScenarioConfig> = {},
    auto: Partial<AutoscaleConfig> = {},
    member: Partial<ConsumerConfig> = {},
  ) {
    return simulate(
      scenario({
        durationS: 300,
        drainS: 60,
        sampleIntervalS: 1,
        queues: [],
        topics: [topic({ partitions: 12 })],
        producers: [
          producer(0, {
            to: "events",
            phases: [
              { durationS: 60, ratePerS: 20 },
              { durationS: 60, ratePerS: 300 },
              { durationS: 180, ratePerS: 20 },
            ],
            keys: { count: 100, skew: "uniform", zipfExponent: 1 },
          }),
        ],
        consumers: [
          streamConsumer(1, 0.02, {
            processing: { kind: "constant", value: 0.02 },
            maxPollRecords: 50,
            ...member,
            autoscale: autoscale({
              metric: "lag",
              target: 200,
              maxInstances: 30,
              coldStartS: 10,
              scaleDownStabilizationS: 30,
              ...auto,
            }),
          }),
        ],
        ...extra,
      }),
      { seed, variantName: "v" },
    );
  }

  it("adds members in a spike (no more than the partitions), and they leave after it without loss or duplicates", () => {
    const { summary, series } = groupRun(1);
    expect(summary.scaling.instancesMax).toBe(12);
    expect(summary.scaling.instancesMin).toBe(1);
    expect(series.consumerCount.slice(0, 60)).toEqual(new Array(60).fill(1));
    expect(series.consumerCount.at(-1)).toBe(1);
    // Each join and each leave is a rebalance (joins at one instant rebalance once): at least
    // the first join, one for the members added, one for those removed.
    expect(summary.counters.rebalances).toBeGreaterThanOrEqual(3);
    // A member leaves after its last commit has reached the group: nothing is read twice.
    expect(summary.fates.lost).toBe(0);
    expect(summary.fates.duplicateEffects).toBe(0);
    expect(summary.fates.pending).toBe(0);
  });

  it("members consume only after their cold start", () => {
    // Cold start 10 s against 60 s: the spike's backlog waits longer, the latency grows.
    const quick = groupRun(1).summary.latency.p99S!;
    const slow = groupRun(1, {}, { coldStartS: 60 }).summary.latency.p99S!;
    expect(slow).toBeGreaterThan(quick + 30);
  });

  it("keeps every record accounted for with crashes and a lossy network, over several seeds", () => {
    for (let seed = 1; seed <= 6; seed++) {
      for (const commit of ["after-processing", "auto", "before-processing"] as const) {
        const { summary } = groupRun(
          seed,
          {
            links: [
              link("events", "workers", { lossProbability: 0.02 }),
              link("workers", "events", {
                lossProbability: 0.02,
                latency: { kind: "exponential", mean: 0.05 },
              }),
            ],
            faults: [{ kind: "crash", atS: 100, consumer: "workers", instance: null, downS: 5 }],
          },
          { intervalS: 5, scaleDownStabilizationS: 10 },
          { commit, crashRatePerS: 1 / 60 },
        );
        const f = summary.fates;
        expect(f.conserved).toBe(true);
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
        expect(summary.scaling.scaleDowns).toBeGreaterThan(0);
        if (commit === "after-processing") expect(f.lost).toBe(0);
      }
    }
  });
});
