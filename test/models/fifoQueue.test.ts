/** SQS FIFO queues: message groups, head-of-group returns, deduplication, conservation. */
import { describe, expect, it } from "vitest";
import type { ScenarioConfig } from "../../models/config.ts";
import { InvariantError } from "../../models/errors.ts";
import { FifoGroups } from "../../models/fifoGroups.ts";
import { simulate } from "../../models/simulation.ts";
import { FIFO_DEDUP_LOSS_CAUSE } from "../../models/taskQueue.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, link, producer, queue, scenario } from "./configs.ts";

interface Event {
  t: number;
  ev: string;
  msg: number;
  key: string;
  receive?: number;
}

/** Runs `config` with a trace and returns its summary and the events named in `keep`. */
function traced(config: ScenarioConfig, keep: string[], seed = 1) {
  const events: Event[] = [];
  const trace = new Trace((line) => {
    const parsed = JSON.parse(line) as Event;
    if (keep.includes(parsed.ev)) events.push(parsed);
  });
  const { summary } = simulate(config, { seed, variantName: "v", trace });
  return { summary, events };
}

const FIFO = { fifo: true, deduplicationWindowS: 300 } as const;

describe("FifoGroups", () => {
  const clock = { nowS: 0 };

  it("takes groups in turn, each group in order, one at a time", () => {
    const groups = new FifoGroups(3, clock);
    groups.pushTail(0, 10);
    groups.pushTail(0, 11);
    groups.pushTail(1, 20);
    groups.pushTail(0, 12);
    expect(groups.size).toBe(4);
    expect(groups.take()).toBe(10); // group 0 first: it was deliverable first
    expect(groups.take()).toBe(20);
    expect(groups.hasDeliverable).toBe(false); // group 0 blocked by 10, group 1 empty
    expect(groups.size).toBe(2);
    expect(groups.release(1, 20)).toBe(false); // nothing left in group 1
    expect(groups.release(0, 10)).toBe(true);
    expect(groups.take()).toBe(11);
    // 11 comes back: it is still the oldest of its group, before 12.
    groups.returnToHead(0, 11);
    expect(groups.take()).toBe(11);
    expect(groups.release(0, 11)).toBe(true);
    expect(groups.take()).toBe(12);
    expect(groups.release(0, 12)).toBe(false);
    expect(groups.size).toBe(0);
    expect(groups.hasDeliverable).toBe(false);
  });

  it("a returning group goes to the back of the line of deliverable groups", () => {
    const groups = new FifoGroups(3, clock);
    groups.pushTail(0, 1);
    groups.pushTail(0, 2);
    expect(groups.take()).toBe(1);
    groups.pushTail(1, 3);
    groups.pushTail(2, 4);
    groups.returnToHead(0, 1);
    expect([groups.take(), groups.take(), groups.take()]).toEqual([3, 4, 1]);
  });

  it("grows past its initial key count and slot capacity", () => {
    const groups = new FifoGroups(1, clock);
    groups.pushTail(5, 5000);
    groups.pushTail(5, 7);
    expect(groups.inFlightOf(5)).toBe(-1);
    expect(groups.take()).toBe(5000);
    expect(groups.inFlightOf(5)).toBe(5000);
    expect(groups.release(5, 5000)).toBe(true);
    expect(groups.take()).toBe(7);
  });

  it("settling a copy that is not its group's copy in flight is an invariant error", () => {
    const groups = new FifoGroups(2, clock);
    groups.pushTail(0, 1);
    groups.take();
    expect(() => groups.release(0, 2)).toThrow(InvariantError);
    expect(() => groups.returnToHead(1, 1)).toThrow(InvariantError);
  });
});

describe("FIFO message groups", () => {
  it("a group is processed one message at a time in production order; groups go in parallel (hand-worked)", () => {
    // 2 groups, 4 consumers, 2 s of processing, ideal links: a message starts when it arrives or
    // when the previous message of its group is done, whichever is later.
    const { summary, events } = traced(
      scenario({
        durationS: 12,
        drainS: 60,
        producers: [
          producer(2, {
            arrivals: "constant",
            keys: { count: 2, skew: "uniform", zipfExponent: 1 },
          }),
        ],
        queues: [queue(FIFO)],
        consumers: [consumer(4, 2, { processing: { kind: "constant", value: 2 } })],
      }),
      ["produce", "process-start", "processed"],
    );
    expect(summary.fates.processed).toBe(summary.fates.produced);
    expect(summary.ordering.violations).toBe(0);

    const produced = events.filter((e) => e.ev === "produce");
    const expectedEnd = new Map<number, number>();
    const keys = [...new Set(produced.map((e) => e.key))].sort();
    expect(keys).toEqual(["k0", "k1"]);
    for (const key of keys) {
      let freeAtS = 0;
      for (const e of produced.filter((p) => p.key === key)) {
        freeAtS = Math.max(e.t, freeAtS) + 2;
        expectedEnd.set(e.msg, freeAtS);
      }
    }
    const processed = events.filter((e) => e.ev === "processed");
    expect(processed).toHaveLength(produced.length);
    for (const e of processed) expect(e.t).toBeCloseTo(expectedEnd.get(e.msg)!, 9);

    for (const key of keys) {
      const starts = events.filter((e) => e.ev === "process-start" && e.key === key);
      const ends = processed.filter((e) => e.key === key);
      const ids = ends.map((e) => e.msg);
      expect(ids).toEqual([...ids].sort((a, b) => a - b)); // strictly increasing ids
      expect(new Set(ids).size).toBe(ids.length);
      // No overlap: each message starts once the previous one of its group is done.
      for (let i = 1; i < starts.length; i++)
        expect(starts[i].t).toBeGreaterThanOrEqual(ends[i - 1].t);
    }
    // The two groups overlap in time: while one processes, so does the other.
    const busy = (key: string, t: number) =>
      events.some(
        (s) => s.ev === "process-start" && s.key === key && s.t <= t && expectedEnd.get(s.msg)! > t,
      );
    const bothBusy = events.some(
      (e) => e.ev === "process-start" && busy("k0", e.t + 1e-6) && busy("k1", e.t + 1e-6),
    );
    expect(bothBusy).toBe(true);
    // The backlog builds up inside the groups (1/s per group offered, 0.5/s served): messages wait.
    expect(summary.latency.maxS!).toBeGreaterThan(8);
  });

  it("keeps per-key order under failures and nack delays, which a standard queue breaks", () => {
    const run = (fifo: boolean) =>
      simulate(
        scenario({
          durationS: 600,
          drainS: 120,
          producers: [producer(10, { keys: { count: 20, skew: "zipf", zipfExponent: 1 } })],
          queues: [queue({ ...FIFO, fifo })],
          consumers: [
            consumer(4, 0.05, {
              concurrency: 4,
              failureProbability: 0.05,
              onFailure: "nack",
              nackDelayS: 0.5,
            }),
          ],
        }),
        { seed: 3, variantName: "v" },
      ).summary;
    const fifo = run(true);
    expect(fifo.counters.nacks).toBeGreaterThan(100);
    expect(fifo.ordering.violations).toBe(0);
    expect(fifo.fates.processed).toBe(fifo.fates.produced);
    const standard = run(false);
    expect(standard.counters.nacks).toBeGreaterThan(100);
    expect(standard.ordering.violations).toBeGreaterThan(0);
  });

  it("a message that times out goes back to the head of its group (hand-worked)", () => {
    // One group. m0 arrives at t=1 and goes to instance 0, which crashes at 1.5: m0 stays in
    // flight until its visibility timeout (5 s) at t=6, blocking m1 (t=2) and m2 (t=3). Then m0
    // is delivered again, first, to instance 1: m0 at 6, m1 at 8, m2 at 10.
    const config = (fifo: boolean) =>
      scenario({
        durationS: 3.5,
        drainS: 30,
        producers: [producer(1, { arrivals: "constant" })],
        queues: [queue({ ...FIFO, fifo, visibilityTimeoutS: 5 })],
        consumers: [consumer(2, 2, { processing: { kind: "constant", value: 2 } })],
        faults: [{ kind: "crash", atS: 1.5, consumer: "workers", instance: 0, downS: 1000 }],
      });
    const fifo = traced(config(true), ["deliver"]);
    expect(fifo.events.map((e) => [e.t, e.msg, e.receive])).toEqual([
      [1, 0, 1],
      [6, 0, 2],
      [8, 1, 1],
      [10, 2, 1],
    ]);
    expect(fifo.summary.ordering.violations).toBe(0);
    // A standard queue lets m1 and m2 go ahead while m0 is invisible.
    const standard = traced(config(false), ["deliver"]);
    expect(standard.events.map((e) => [e.t, e.msg, e.receive])).toEqual([
      [1, 0, 1],
      [2, 1, 1],
      [4, 2, 1],
      [6, 0, 2],
    ]);
    // m0 is processed after m2 had been: one violation (m1 and m2 themselves were in order).
    expect(standard.summary.ordering.violations).toBe(1);
  });

  it("a nacked message goes back to the head of its group; dead-lettering it frees the group (hand-worked)", () => {
    // Every processing fails (2 s), each nack returns the message after 1 s, and the second
    // receive's failure dead-letters it: each message holds its group for 2 + 1 + 2 + 1 = 6 s.
    const { summary, events } = traced(
      scenario({
        durationS: 3.5,
        drainS: 30,
        producers: [producer(1, { arrivals: "constant" })],
        queues: [queue({ ...FIFO, visibilityTimeoutS: 1000, maxReceives: 2 })],
        consumers: [
          consumer(3, 2, {
            processing: { kind: "constant", value: 2 },
            failureProbability: 1,
            onFailure: "nack",
            nackDelayS: 1,
          }),
        ],
      }),
      ["deliver", "dead-letter"],
    );
    expect(events.map((e) => [e.ev, e.t, e.msg])).toEqual([
      ["deliver", 1, 0],
      ["deliver", 4, 0],
      ["dead-letter", 7, 0],
      ["deliver", 7, 1],
      ["deliver", 10, 1],
      ["dead-letter", 13, 1],
      ["deliver", 13, 2],
      ["deliver", 16, 2],
      ["dead-letter", 19, 2],
    ]);
    expect(summary.fates.deadLettered).toBe(3);
  });

  it("a hot group waits behind itself while the other groups flow", () => {
    // Zipf 2.5 over 50 keys puts about 75% of the 12/s in k0: 9/s into a group that is served
    // one message at a time at 10/s (90% busy, an M/D/1 queue of its own), while the 8
    // consumers are 15% busy. A standard queue hardly waits at all.
    const run = (fifo: boolean) =>
      simulate(
        scenario({
          durationS: 300,
          drainS: 600,
          producers: [producer(12, { keys: { count: 50, skew: "zipf", zipfExponent: 2.5 } })],
          queues: [queue({ ...FIFO, fifo })],
          consumers: [consumer(8, 0.1, { processing: { kind: "constant", value: 0.1 } })],
        }),
        { seed: 5, variantName: "v" },
      ).summary;
    const fifo = run(true);
    const standard = run(false);
    expect(fifo.fates.processed).toBe(fifo.fates.produced);
    expect(standard.latency.p99S!).toBeLessThan(1);
    expect(fifo.latency.p99S!).toBeGreaterThan(5 * standard.latency.p99S!);
  });
});

describe("FIFO deduplication", () => {
  const duplicating = (windowS: number, latencyMeanS: number | null, fifo = true) =>
    simulate(
      scenario({
        durationS: 2000,
        drainS: 100,
        producers: [producer(5, { keys: { count: 20, skew: "uniform", zipfExponent: 1 } })],
        queues: [queue({ fifo, deduplicationWindowS: windowS })],
        consumers: [consumer(10, 0.05)],
        links: [
          link("api", "orders", {
            duplicateProbability: 0.05,
            latency: latencyMeanS === null ? null : { kind: "exponential", mean: latencyMeanS },
          }),
        ],
      }),
      { seed: 7, variantName: "v" },
    ).summary;

  it("a 5-minute window drops every link duplicate: no duplicate effect", () => {
    for (const latency of [null, 0.05]) {
      const s = duplicating(300, latency);
      expect(s.counters.linkDuplicates).toBeGreaterThan(300);
      expect(s.counters.deduplicatedByBroker).toBe(s.counters.linkDuplicates);
      expect(s.fates.duplicateEffects).toBe(0);
      expect(s.fates.lost).toBe(0);
      expect(s.fates.processed).toBe(s.fates.produced);
    }
  });

  it("a window shorter than the duplicate's delay lets it through", () => {
    // Each copy's latency is exponential with mean 50 ms: the two copies arrive more than 1 ms
    // apart about 98% of the time.
    const s = duplicating(0.001, 0.05);
    expect(s.counters.linkDuplicates).toBeGreaterThan(300);
    expect(s.fates.duplicateEffects).toBeGreaterThan(0.9 * s.counters.linkDuplicates);
    expect(s.fates.duplicateEffects + s.counters.deduplicatedByBroker).toBe(
      s.counters.linkDuplicates,
    );
    expect(s.fates.pending).toBe(0);
  });

  it("a window of 0, or a standard queue, does not deduplicate", () => {
    for (const s of [duplicating(0, 0.05), duplicating(300, 0.05, false)]) {
      expect(s.counters.deduplicatedByBroker).toBe(0);
      expect(s.fates.duplicateEffects).toBe(s.counters.linkDuplicates);
    }
  });

  it("a duplicate of a dead-lettered message is dropped and the message stays dead-lettered", () => {
    const s = simulate(
      scenario({
        durationS: 500,
        drainS: 100,
        producers: [producer(2, { keys: { count: 5, skew: "uniform", zipfExponent: 1 } })],
        queues: [queue({ ...FIFO, maxReceives: 1 })],
        consumers: [consumer(4, 0.01, { failureProbability: 1, onFailure: "nack" })],
        links: [
          link("api", "orders", {
            duplicateProbability: 0.2,
            latency: { kind: "uniform", min: 0, max: 2 },
          }),
        ],
      }),
      { seed: 2, variantName: "v" },
    ).summary;
    expect(s.counters.deduplicatedByBroker).toBe(s.counters.linkDuplicates);
    expect(s.counters.deduplicatedByBroker).toBeGreaterThan(100);
    expect(s.fates.deadLettered).toBe(s.fates.produced);
    expect(s.fates.lost).toBe(0);
  });

  it("a duplicate dropped after an at-most-once consumer lost the accepted copy leaves the message lost", () => {
    // Ack before processing, half the processings fail: the accepted copy is gone, and the
    // duplicate still on the link (up to 2 s behind) is dropped on arrival.
    const s = simulate(
      scenario({
        durationS: 1000,
        drainS: 100,
        producers: [producer(2, { keys: { count: 5, skew: "uniform", zipfExponent: 1 } })],
        queues: [queue(FIFO)],
        consumers: [consumer(4, 0.01, { commit: "before-processing", failureProbability: 0.5 })],
        links: [
          link("api", "orders", {
            duplicateProbability: 0.2,
            latency: { kind: "uniform", min: 0, max: 2 },
          }),
        ],
      }),
      { seed: 2, variantName: "v" },
    ).summary;
    const lostByCause = s.subscriptions[0].lostByCause;
    expect(lostByCause[FIFO_DEDUP_LOSS_CAUSE]).toBeGreaterThan(20);
    expect(s.counters.deduplicatedByBroker).toBe(s.counters.linkDuplicates);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.fates.processed + s.fates.lost).toBe(s.fates.produced);
  });
});

describe("FIFO conservation", () => {
  it("conserves messages under crashes, timeouts, nacks, loss and duplication (many seeds)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const dlq = seed % 2 === 0;
      const summary = simulate(
        scenario({
          durationS: 300,
          drainS: 30,
          producers: [producer(20, { keys: { count: 30, skew: "zipf", zipfExponent: 1.1 } })],
          queues: [
            queue({
              fifo: true,
              deduplicationWindowS: seed % 3 === 0 ? 0.005 : 300,
              visibilityTimeoutS: 2,
              maxReceives: dlq ? 3 : null,
            }),
          ],
          consumers: [
            consumer(3, 0.2, {
              concurrency: 4,
              failureProbability: 0.15,
              onFailure: seed % 4 < 2 ? "nack" : "timeout",
              nackDelayS: 0.5,
              crashRatePerS: 0.02,
              restartS: 3,
              commit: seed % 5 === 0 ? "before-processing" : "after-processing",
            }),
          ],
          links: [
            link("api", "orders", {
              lossProbability: 0.01,
              duplicateProbability: 0.02,
              // Constant latency keeps the producer's order per key on the way to the queue.
              latency: { kind: "constant", value: 0.01 },
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
      expect(summary.counters.consumerCrashes).toBeGreaterThan(0);
      expect(summary.counters.visibilityTimeouts).toBeGreaterThan(0);
      // With acks after processing and no dead-lettering, per-key order holds.
      if (!dlq && seed % 5 !== 0) expect(summary.ordering.violations).toBe(0);
    }
  });
});
