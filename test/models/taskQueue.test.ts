import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { consumer, link, producer, queue, scenario } from "./configs.ts";

describe("visibility timeout", () => {
  it("a receive times out with probability exp(-V/m) for exponential processing of mean m", () => {
    // Plenty of consumers, so nothing waits: each receive's processing time alone decides.
    const meanS = 20;
    for (const timeoutS of [10, 30]) {
      const summary = simulate(
        scenario({
          durationS: 20_000,
          drainS: 2_000,
          producers: [producer(2)],
          queues: [queue({ visibilityTimeoutS: timeoutS })],
          consumers: [consumer(1, meanS, { concurrency: 1000 })],
        }),
        { seed: 4, variantName: "v" },
      ).summary;
      const perReceive = summary.counters.visibilityTimeouts / summary.counters.deliveries;
      const expected = Math.exp(-timeoutS / meanS);
      expect(summary.counters.deliveries).toBeGreaterThan(40_000);
      expect(Math.abs(perReceive - expected)).toBeLessThan(0.01);
      // Every timed-out receive is delivered again, and the consumer that was too slow still
      // finishes: its effect is a duplicate (the original ack is stale and ignored).
      expect(summary.counters.redeliveries).toBe(
        summary.counters.visibilityTimeouts - summary.fates.pending,
      );
      expect(summary.fates.duplicateEffects).toBeGreaterThan(0);
      expect(summary.fates.lost).toBe(0);
    }
  });

  it("a message never acked is dead-lettered after maxReceives receives, at exactly maxReceives x V", () => {
    const summary = simulate(
      scenario({
        durationS: 100,
        drainS: 200,
        producers: [producer(1, { arrivals: "constant" })],
        queues: [queue({ visibilityTimeoutS: 30, maxReceives: 3 })],
        consumers: [
          consumer(1, 1, { concurrency: 200, failureProbability: 1, onFailure: "timeout" }),
        ],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    // Constant arrivals at 1/s: messages at t = 1..99; each is dead-lettered at t + 90 s <= 189.
    expect(summary.fates.produced).toBe(99);
    expect(summary.fates.deadLettered).toBe(99);
    expect(summary.fates.processed).toBe(0);
    expect(summary.counters.deliveries).toBe(3 * 99);
    expect(summary.counters.visibilityTimeouts).toBe(3 * 99);
    expect(summary.counters.processingFailures).toBe(3 * 99);
  });

  it("the dead-letter queue fills only after maxReceives x V (hand-worked)", () => {
    const result = simulate(
      scenario({
        durationS: 10,
        drainS: 50,
        sampleIntervalS: 1,
        producers: [producer(1, { arrivals: "constant" })],
        queues: [queue({ visibilityTimeoutS: 10, maxReceives: 2 })],
        consumers: [
          consumer(1, 1, { concurrency: 50, failureProbability: 1, onFailure: "timeout" }),
        ],
      }),
      { seed: 1, variantName: "v" },
    );
    // Messages at t = 1..9 reach the DLQ at t + 20 = 21..29.
    const dlq = result.series.dlqDepth;
    expect(dlq[20]).toBe(0);
    expect(dlq[21]).toBe(1);
    expect(dlq[29]).toBe(9);
    expect(dlq[59]).toBe(9);
  });

  it("a nack with delay returns the message after the delay and counts a receive (hand-worked)", () => {
    const result = simulate(
      scenario({
        durationS: 2,
        drainS: 40,
        sampleIntervalS: 1,
        producers: [
          producer(1, { arrivals: "constant", phases: [{ durationS: 1.5, ratePerS: 1 }] }),
        ],
        queues: [queue({ visibilityTimeoutS: 1000, maxReceives: 4 })],
        consumers: [
          consumer(1, 1, {
            processing: { kind: "constant", value: 2 },
            failureProbability: 1,
            onFailure: "nack",
            nackDelayS: 5,
          }),
        ],
      }),
      { seed: 1, variantName: "v" },
    );
    const summary = result.summary;
    // One message at t=1, received at 1, 8, 15 and 22 (2 s of processing, then 5 s of nack
    // delay), and after the fourth failure it is dead-lettered when the delay ends, at t=29.
    expect(summary.fates.produced).toBe(1);
    expect(summary.counters.deliveries).toBe(4);
    expect(summary.counters.nacks).toBe(4);
    expect(summary.counters.visibilityTimeouts).toBe(0);
    expect(summary.fates.deadLettered).toBe(1);
    expect(result.series.dlqDepth[28]).toBe(0);
    expect(result.series.dlqDepth[29]).toBe(1);
  });
});

describe("network links", () => {
  it("a lossy producer link loses messages with that cause, at the loss rate", () => {
    const summary = simulate(
      scenario({
        durationS: 10_000,
        drainS: 100,
        producers: [producer(5)],
        consumers: [consumer(10, 0.1)],
        links: [
          link("api", "orders", {
            lossProbability: 0.1,
            latency: { kind: "constant", value: 0.005 },
          }),
        ],
      }),
      { seed: 2, variantName: "v" },
    ).summary;
    expect(summary.fates.lost).toBe(summary.counters.linkLosses);
    expect(Math.abs(summary.fates.lost / summary.fates.produced - 0.1)).toBeLessThan(0.01);
    expect(summary.fates.processed + summary.fates.lost + summary.fates.pending).toBe(
      summary.fates.produced,
    );
  });

  it("a duplicating producer link produces duplicate effects, never a loss", () => {
    const summary = simulate(
      scenario({
        durationS: 10_000,
        drainS: 100,
        producers: [producer(5)],
        consumers: [consumer(10, 0.1)],
        links: [link("api", "orders", { duplicateProbability: 0.05 })],
      }),
      { seed: 2, variantName: "v" },
    ).summary;
    expect(summary.fates.lost).toBe(0);
    expect(summary.fates.duplicateEffects).toBe(summary.counters.linkDuplicates);
    expect(Math.abs(summary.counters.linkDuplicates / summary.fates.produced - 0.05)).toBeLessThan(
      0.005,
    );
  });

  it("a lost ack makes the message come back after its visibility timeout: a duplicate effect", () => {
    const summary = simulate(
      scenario({
        durationS: 10_000,
        drainS: 100,
        producers: [producer(2)],
        queues: [queue({ visibilityTimeoutS: 5 })],
        consumers: [consumer(10, 0.1)],
        links: [link("workers", "orders", { lossProbability: 0.02 })],
      }),
      { seed: 3, variantName: "v" },
    ).summary;
    expect(summary.fates.lost).toBe(0);
    // Every lost ack leads to one more delivery; the redelivered copy's ack may be lost again.
    expect(summary.counters.redeliveries).toBe(summary.counters.linkLosses - summary.fates.pending);
    expect(summary.fates.duplicateEffects).toBe(summary.counters.redeliveries);
  });
});

describe("fate ledger", () => {
  it("conserves messages under loss, duplication, failures and timeouts (many seeds)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const summary = simulate(
        scenario({
          durationS: 300,
          drainS: 20,
          producers: [producer(20, { keys: { count: 50, skew: "zipf", zipfExponent: 1.1 } })],
          queues: [queue({ visibilityTimeoutS: 2, maxReceives: 3 })],
          consumers: [
            consumer(3, 0.3, {
              concurrency: 4,
              failureProbability: 0.2,
              onFailure: seed % 2 ? "nack" : "timeout",
              nackDelayS: 0.5,
            }),
          ],
          links: [
            link("api", "orders", {
              lossProbability: 0.01,
              duplicateProbability: 0.01,
              latency: { kind: "exponential", mean: 0.01 },
            }),
            link("orders", "workers", {
              lossProbability: 0.01,
              latency: { kind: "uniform", min: 0, max: 0.02 },
            }),
            link("workers", "orders", { lossProbability: 0.01 }),
          ],
        }),
        { seed, variantName: "v" },
      ).summary;
      const f = summary.fates;
      expect(f.conserved).toBe(true);
      expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
    }
  });
});
