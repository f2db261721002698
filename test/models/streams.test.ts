/**
 * The topic model against hand-worked cases and the textbook claims: what each commit point
 * gives under a crash, retention under lag, rebalancing on session and poll timeouts, fan-out.
 */
import { describe, expect, it } from "vitest";
import type { CommitPoint, ConsumerConfig, FaultConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { producer, scenario, streamConsumer, topic } from "./configs.ts";

/**
 * One member on one partition, records arriving at t = 1, 2, ..., 99, each taking 2 s to
 * process, so a backlog builds. Each poll returns the backlog; a record appended at the instant
 * a batch ends is not yet there (the batch's end was scheduled first). Batches: [0], [1],
 * [2,3], [4..7], [8..15], [16..31] (fetched at t=33, processed one every 2 s from t=35). The
 * crash at t=50.5 hits after 8 records of that batch (offsets 16..23) were processed; offset 24
 * is in hand and 25..31 wait. The member restarts 1 s later and its group resumes from the
 * committed offset.
 */
function crashMidBatch(commit: CommitPoint, extra: Partial<ConsumerConfig> = {}) {
  const faults: FaultConfig[] = [
    { kind: "crash", atS: 50.5, consumer: "workers", instance: 0, downS: 1 },
  ];
  return simulate(
    scenario({
      durationS: 100,
      drainS: 400,
      producers: [producer(1, { to: "events", arrivals: "constant" })],
      queues: [],
      topics: [topic({ partitions: 1 })],
      consumers: [
        streamConsumer(1, 2, {
          processing: { kind: "constant", value: 2 },
          commit,
          ...extra,
        }),
      ],
      faults,
    }),
    { seed: 1, variantName: commit },
  ).summary;
}

describe("commit points under a consumer crash (hand-worked)", () => {
  it("after processing: the 8 processed but uncommitted records are processed again, none lost", () => {
    const s = crashMidBatch("after-processing");
    expect(s.fates.produced).toBe(99);
    expect(s.fates.processed).toBe(99);
    expect(s.fates.lost).toBe(0);
    expect(s.fates.duplicateEffects).toBe(8);
    expect(s.subscriptions[0].duplicatesByCause).toEqual({ "reread-after-crash": 8 });
  });

  it("before processing: the 8 committed but unprocessed records are lost, no duplicate", () => {
    const s = crashMidBatch("before-processing");
    expect(s.fates.lost).toBe(8);
    expect(s.fates.processed).toBe(91);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.subscriptions[0].lostByCause).toEqual({
      "offset committed before processing, then crashed": 8,
    });
  });

  it("auto-commit every 5 s commits what the previous poll returned: duplicates like after", () => {
    // Polls at t = 5, 17, 33 are 5 s or more after the last auto-commit, and each commits the
    // position before it (2, 8, 16): the crash finds 16 committed, as after-processing does.
    const s = crashMidBatch("auto", { autoCommitIntervalS: 5 });
    expect(s.fates.lost).toBe(0);
    expect(s.fates.duplicateEffects).toBe(8);
  });

  it("transactional: effect and offset commit are atomic, so neither loss nor duplicate", () => {
    const s = crashMidBatch("transactional");
    expect(s.fates.processed).toBe(99);
    expect(s.fates.lost).toBe(0);
    expect(s.fates.duplicateEffects).toBe(0);
  });

  it("an idempotent consumer (conditional write) skips the 8 re-read records", () => {
    const s = crashMidBatch("after-processing", { idempotency: { kind: "conditional-write" } });
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.counters.duplicatesSkipped).toBe(8);
  });

  it("a dedup table whose TTL is shorter than the redelivery delay leaks the duplicates", () => {
    // Processed at t = 35..49, again from t = 53.5 (2 s apart each): a 5 s TTL forgot all 8.
    const leaky = crashMidBatch("after-processing", {
      idempotency: { kind: "seen-table", ttlS: 5, capacity: 1000 },
    });
    expect(leaky.fates.duplicateEffects).toBe(8);
    expect(leaky.subscriptions[0].duplicatesByCause).toEqual({ "dedup-entry-expired": 8 });
    const tight = crashMidBatch("after-processing", {
      idempotency: { kind: "seen-table", ttlS: 3600, capacity: 1000 },
    });
    expect(tight.fates.duplicateEffects).toBe(0);
    expect(tight.counters.duplicatesSkipped).toBe(8);
  });
});

describe("retention", () => {
  it("a group replaying from the earliest offset after segments were deleted loses them (hand-worked)", () => {
    // Records at t = 1..299, 100 bytes each, 10 per 1000-byte segment; retention 100 s checked
    // every 10 s. At the t=250 check, segments whose newest record is older than 100 s are gone:
    // the first 14 (offsets 0..139). A group starting then from the earliest offset never sees them.
    const result = simulate(
      scenario({
        durationS: 300,
        drainS: 100,
        producers: [producer(1, { to: "events", arrivals: "constant", messageSizeBytes: 100 })],
        queues: [],
        topics: [
          topic({
            partitions: 1,
            retentionS: 100,
            segmentBytes: 1000,
            segmentS: null,
            retentionCheckIntervalS: 10,
          }),
        ],
        consumers: [
          streamConsumer(1, 0.01, { name: "live", group: "live" }),
          streamConsumer(1, 0.01, {
            name: "rebuild",
            group: "rebuild",
            startS: 250,
            autoOffsetReset: "earliest",
          }),
        ],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    const [live, rebuild] = result.subscriptions;
    expect(live.name).toBe("events/live");
    expect(live.fates.processed).toBe(299);
    expect(live.fates.lost).toBe(0);
    expect(rebuild.fates.produced).toBe(299);
    expect(rebuild.fates.lost).toBe(140);
    expect(rebuild.fates.processed).toBe(159);
    expect(rebuild.lostByCause).toEqual({ "deleted by retention before the group read it": 140 });
  });
});

describe("group membership", () => {
  it("a crashed member's partitions move only when its session times out (hand-worked)", () => {
    // Heartbeats every 3 s from t=0; the last before the crash at t=100 is at t=99. The
    // coordinator checks every 3 s and expels once 45 s have passed without one: at t=147.
    const events: { t: number; ev: string }[] = [];
    const trace = new Trace((line) => {
      const parsed = JSON.parse(line);
      if (parsed.ev === "expelled" || parsed.ev === "rebalance") events.push(parsed);
    });
    simulate(
      scenario({
        durationS: 200,
        drainS: 10,
        producers: [producer(5, { to: "events" })],
        queues: [],
        topics: [topic({ partitions: 2 })],
        consumers: [streamConsumer(2, 0.01)],
        faults: [{ kind: "crash", atS: 100, consumer: "workers", instance: 0, downS: 1000 }],
      }),
      { seed: 1, variantName: "v", trace },
    );
    expect(events.map((e) => [e.ev, e.t])).toEqual([
      ["rebalance", 0],
      ["expelled", 147],
      ["rebalance", 147],
    ]);
  });

  it("a member slower than max.poll.interval is expelled, its commit refused, its records re-read", () => {
    const s = simulate(
      scenario({
        durationS: 300,
        drainS: 600,
        producers: [producer(20, { to: "events" })],
        queues: [],
        topics: [topic({ partitions: 2 })],
        consumers: [
          streamConsumer(2, 0.2, {
            processing: { kind: "constant", value: 0.2 },
            maxPollRecords: 500,
            maxPollIntervalS: 60,
          }),
        ],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    // 500 records at 0.2 s take 100 s, more than the 60 s allowed between polls.
    expect(s.counters.commitsRejected).toBeGreaterThan(0);
    expect(s.counters.rebalances).toBeGreaterThan(2);
    expect(s.subscriptions[0].duplicatesByCause["reread-after-rebalance"]).toBeGreaterThan(0);
    expect(s.fates.lost).toBe(0);
  });

  it("a network partition between a member and the broker expels it; it rejoins after", () => {
    const s = simulate(
      scenario({
        durationS: 300,
        drainS: 60,
        producers: [producer(10, { to: "events" })],
        queues: [],
        topics: [topic({ partitions: 4 })],
        consumers: [streamConsumer(2, 0.05)],
        faults: [{ kind: "partition", atS: 100, durationS: 90, a: "workers", b: "events" }],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    // The partition cuts every member (they share the consumer's name): the group is empty,
    // then everyone rejoins when it heals.
    expect(s.counters.partitionDrops).toBeGreaterThan(0);
    expect(s.counters.rebalances).toBeGreaterThanOrEqual(3);
    expect(s.fates.lost).toBe(0);
    expect(s.fates.pending).toBe(0);
  });
});

describe("fan-out", () => {
  it("a slow group lags without slowing a fast one, which sees exactly what it sees alone", () => {
    const fast = streamConsumer(2, 0.01, { name: "email", group: "email" });
    const slow = streamConsumer(1, 0.5, { name: "analytics", group: "analytics" });
    const run = (consumers: ConsumerConfig[]) =>
      simulate(
        scenario({
          durationS: 600,
          drainS: 0,
          producers: [
            producer(5, { to: "events", keys: { count: 50, skew: "uniform", zipfExponent: 1 } }),
          ],
          queues: [],
          topics: [topic({ partitions: 4 })],
          consumers,
        }),
        { seed: 2, variantName: "v" },
      ).summary;
    const alone = run([fast]);
    const both = run([fast, slow]);
    expect(both.subscriptions[0]).toEqual(alone.subscriptions[0]);
    const slowFates = both.subscriptions[1].fates;
    expect(slowFates.produced).toBe(alone.subscriptions[0].fates.produced);
    // 5 records/s into one consumer that handles 2/s: most are still waiting at the end.
    expect(slowFates.pending).toBeGreaterThan(slowFates.processed);
    expect(both.subscriptions[0].fates.pending).toBeLessThan(20);
  });
});

describe("ordering", () => {
  it("per-key order holds within a partitioned group, even across crashes and rebalances", () => {
    const s = simulate(
      scenario({
        durationS: 600,
        drainS: 120,
        producers: [
          producer(20, { to: "events", keys: { count: 100, skew: "zipf", zipfExponent: 1 } }),
        ],
        queues: [],
        topics: [topic({ partitions: 8 })],
        consumers: [streamConsumer(4, 0.1, { crashRatePerS: 1 / 120, restartS: 5 })],
      }),
      { seed: 3, variantName: "v" },
    ).summary;
    expect(s.counters.consumerCrashes).toBeGreaterThan(3);
    expect(s.ordering.violations).toBe(0);
  });

  it("one partition is global order: its throughput is one consumer's, however many there are", () => {
    const s = simulate(
      scenario({
        durationS: 1000,
        drainS: 0,
        producers: [producer(20, { to: "events" })],
        queues: [],
        topics: [topic({ partitions: 1 })],
        consumers: [streamConsumer(8, 0.1, { processing: { kind: "constant", value: 0.1 } })],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    expect(s.throughput.processedPerS).toBeCloseTo(10, 1);
  });
});
