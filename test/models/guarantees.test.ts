/** Commit points on a task queue, idempotent consumers, and conservation under random faults. */
import { describe, expect, it, vi } from "vitest";
import type { CommitPoint, ScenarioConfig } from "../../models/config.ts";
import { FateLedger } from "../../models/ledger.ts";
import { simulate } from "../../models/simulation.ts";
import { consumer, link, producer, queue, scenario, streamConsumer, topic } from "./configs.ts";

/** Messages at t = 1..99, 2 s of processing each, one consumer; it crashes at t=50.5 for 1 s. */
function queueCrash(commit: CommitPoint) {
  return simulate(
    scenario({
      durationS: 100,
      drainS: 400,
      producers: [producer(1, { arrivals: "constant" })],
      queues: [queue({ visibilityTimeoutS: 30 })],
      consumers: [consumer(1, 2, { processing: { kind: "constant", value: 2 }, commit })],
      faults: [{ kind: "crash", atS: 50.5, consumer: "workers", instance: 0, downS: 1 }],
    }),
    { seed: 1, variantName: commit },
  ).summary;
}

describe("commit points on a task queue (hand-worked crash)", () => {
  it("ack before processing: the message in hand at the crash is lost", () => {
    const s = queueCrash("before-processing");
    expect(s.fates.lost).toBe(1);
    expect(s.fates.processed).toBe(98);
    expect(s.subscriptions[0].lostByCause).toEqual({
      "consumer crashed after ack (at-most-once)": 1,
    });
  });

  it("ack after processing: the message in hand comes back after its visibility timeout", () => {
    const s = queueCrash("after-processing");
    expect(s.fates.lost).toBe(0);
    expect(s.fates.processed).toBe(99);
    expect(s.counters.visibilityTimeouts).toBe(1);
    expect(s.counters.redeliveries).toBe(1);
  });
});

describe("visibility timeouts shorter than processing", () => {
  const run = (commit: CommitPoint, idempotency: ScenarioConfig["consumers"][0]["idempotency"]) =>
    simulate(
      scenario({
        durationS: 3000,
        drainS: 600,
        producers: [producer(0.5)],
        queues: [queue({ visibilityTimeoutS: 30, maxReceives: 10 })],
        consumers: [consumer(1, 20, { concurrency: 100, commit, idempotency })],
      }),
      { seed: 5, variantName: commit },
    ).summary;

  it("at-least-once duplicates the slow ones; an idempotent consumer and a transaction do not", () => {
    const atLeastOnce = run("after-processing", { kind: "none" });
    expect(atLeastOnce.fates.duplicateEffects).toBeGreaterThan(50);
    expect(atLeastOnce.subscriptions[0].duplicatesByCause).toEqual({
      "redelivery-after-visibility-timeout": atLeastOnce.fates.duplicateEffects,
    });
    const idempotent = run("after-processing", { kind: "conditional-write" });
    expect(idempotent.fates.duplicateEffects).toBe(0);
    expect(idempotent.counters.duplicatesSkipped).toBe(atLeastOnce.fates.duplicateEffects);
    const transactional = run("transactional", { kind: "none" });
    expect(transactional.fates.duplicateEffects).toBe(0);
    expect(transactional.counters.fencedCommits).toBeGreaterThan(50);
    for (const s of [atLeastOnce, idempotent, transactional]) expect(s.fates.lost).toBe(0);
  });
});

describe("conservation under random faults", () => {
  it("holds for queues and topics with random crashes, partitions, loss and retention (many seeds)", () => {
    const commits: CommitPoint[] = ["before-processing", "after-processing", "transactional"];
    for (let seed = 1; seed <= 24; seed++) {
      const commit = commits[seed % 3];
      const summary = simulate(
        scenario({
          durationS: 300,
          drainS: 60,
          producers: [
            producer(15, { name: "api", to: "orders" }),
            producer(15, {
              name: "events-in",
              to: "events",
              messageSizeBytes: 200,
              keys: { count: 30, skew: "zipf", zipfExponent: 1 },
            }),
          ],
          queues: [queue({ visibilityTimeoutS: 3, maxReceives: 4 })],
          topics: [
            topic({
              partitions: 3,
              retentionS: 60,
              segmentBytes: 4000,
              retentionCheckIntervalS: 7,
            }),
          ],
          consumers: [
            consumer(3, 0.2, {
              concurrency: 2,
              commit,
              crashRatePerS: 1 / 40,
              restartS: 3,
              failureProbability: 0.05,
            }),
            streamConsumer(3, 0.15, {
              name: "readers",
              group: "readers",
              commit: seed % 2 === 0 ? "auto" : commit,
              crashRatePerS: 1 / 50,
              restartS: 4,
              maxPollRecords: 20,
              sessionTimeoutS: 10,
              idempotency:
                seed % 4 === 0 ? { kind: "seen-table", ttlS: 5, capacity: 100 } : { kind: "none" },
            }),
          ],
          links: [
            link("api", "orders", { lossProbability: 0.01, duplicateProbability: 0.01 }),
            link("events", "readers", {
              lossProbability: 0.02,
              latency: { kind: "exponential", mean: 0.01 },
            }),
            link("readers", "events", { lossProbability: 0.02 }),
          ],
          faults: [{ kind: "partition", atS: 100, durationS: 30, a: "readers", b: "events" }],
        }),
        { seed, variantName: "v" },
      ).summary;
      for (const sub of summary.subscriptions) {
        const f = sub.fates;
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
      }
      expect(summary.fates.produced).toBeGreaterThan(8000);
    }
  });
});

describe("receipts", () => {
  it("a stale ack on one queue never deletes a message of another queue that reused its slot", () => {
    // Found by fuzzing: a 1 ms visibility timeout makes most acks stale, and with two queues
    // sharing message slots a per-queue receipt number could match another queue's delivery.
    for (let seed = 1; seed <= 50; seed++) {
      const summary = simulate(
        scenario({
          durationS: 60,
          drainS: 5,
          producers: [producer(1, { name: "p0", to: "q0" }), producer(1, { name: "p1", to: "q1" })],
          queues: [
            queue({ name: "q0", visibilityTimeoutS: 0.001 }),
            queue({ name: "q1", visibilityTimeoutS: 30 }),
          ],
          consumers: [
            consumer(1, 0.01, {
              name: "c0",
              queue: "q1",
              failureProbability: 0.5,
              onFailure: "timeout",
            }),
            consumer(2, 0.05, {
              name: "c2",
              queue: "q0",
              processing: { kind: "lognormal-quantiles", median: 0.01, p99: 1 },
            }),
          ],
        }),
        { seed, variantName: "v" },
      ).summary;
      for (const sub of summary.subscriptions) expect(sub.fates.lost).toBe(0);
    }
  });
});

describe("broken invariants", () => {
  it("carry the seed, the variant and the virtual time of the run they broke in", () => {
    // Break the ledger on purpose: the first processing claims a copy that does not exist.
    const spy = vi.spyOn(FateLedger.prototype, "recordProcessed").mockImplementation(function (
      this: FateLedger,
    ) {
      return this.removeCopy(1e6, null) as never;
    });
    try {
      expect(() =>
        simulate(scenario({ durationS: 100 }), { seed: 42, variantName: "broken" }),
      ).toThrow(
        /^invariant broken at t=[\d.]+s \(seed 42, variant broken\): message 1000000 has no live copy/,
      );
    } finally {
      spy.mockRestore();
    }
  });
});
