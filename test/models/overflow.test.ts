/**
 * Capacity and overflow policies of a task queue: the M/M/1/K loss probability, each policy on a
 * small hand-worked case, a blocked producer's resumption, the disk limit, and conservation of
 * messages under every policy.
 */
import { describe, expect, it } from "vitest";
import type { OverflowPolicy, QueueConfig, ScenarioConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { mm1kBlockingProbability } from "../closedForms.ts";
import { consumer, link, producer, queue, scenario } from "./configs.ts";

interface TraceEvent {
  t: number;
  ev: string;
  msg?: number;
  producer?: string;
}

function runTraced(config: ScenarioConfig, seed = 1) {
  const events: TraceEvent[] = [];
  const trace = new Trace((line) => events.push(JSON.parse(line)));
  const result = simulate(config, { seed, variantName: "v", trace });
  const idsOf = (ev: string) => events.filter((e) => e.ev === ev).map((e) => e.msg);
  return { ...result, events, idsOf };
}

describe("M/M/1/K: a bounded queue with one consumer", () => {
  // Capacity counts ready messages (as RabbitMQ's x-max-length), so with one consumer of
  // concurrency 1 the system holds maxLength waiting + 1 in service: K = maxLength + 1. With
  // ideal links a message waits only while the consumer is busy, so an arrival is dropped
  // exactly when it finds K in the system, and by PASTA the fraction of arrivals dropped is the
  // blocking probability. Tolerances are about 3.5 standard deviations of the run-to-run spread
  // (measured over 8 seeds at 1/8 of these lengths: 0.003 and 0.0018, shrinking as 1/sqrt(n)).
  const cases: { rho: number; k: number; durationS: number; policy: OverflowPolicy }[] = [
    { rho: 0.8, k: 5, durationS: 400_000, policy: "drop-tail" },
    { rho: 1.5, k: 3, durationS: 200_000, policy: "drop-head" },
  ];
  for (const { rho, k, durationS, policy } of cases) {
    it(`rho ${rho}, K ${k} (${policy}): the drop fraction is (1 - rho) rho^K / (1 - rho^(K+1))`, () => {
      const summary = simulate(
        scenario({
          durationS,
          drainS: 0,
          producers: [producer(rho)],
          queues: [queue({ maxLength: k - 1, overflow: policy })],
          consumers: [consumer(1, 1)],
        }),
        { seed: 11, variantName: "v" },
      ).summary;
      const expected = mm1kBlockingProbability(rho, k);
      const observed = summary.counters.overflowDropped / summary.fates.produced;
      expect(summary.fates.produced).toBeGreaterThan(250_000);
      expect(Math.abs(observed - expected)).toBeLessThan(0.004);
      // Each overflow drops one message, new or old: the fates say the same.
      expect(summary.fates.dropped).toBe(summary.counters.overflowDropped);
      expect(summary.subscriptions[0].droppedByReason).toEqual({
        [`overflow: ${policy}`]: summary.counters.overflowDropped,
      });
    });
  }

  it("maxBytes counts bytes as maxLength counts messages (fixed 1000-byte messages)", () => {
    const rho = 0.8;
    const k = 5;
    const summary = simulate(
      scenario({
        durationS: 400_000,
        drainS: 0,
        producers: [producer(rho, { messageSizeBytes: 1000 })],
        queues: [queue({ maxBytes: (k - 1) * 1000, overflow: "drop-tail" })],
        consumers: [consumer(1, 1)],
      }),
      { seed: 12, variantName: "v" },
    ).summary;
    const observed = summary.counters.overflowDropped / summary.fates.produced;
    expect(Math.abs(observed - mm1kBlockingProbability(rho, k))).toBeLessThan(0.004);
  });
});

/**
 * The hand-worked case: one message a second at t = 1..6 (m0..m5), one consumer taking 2.4 s
 * each, maxLength 2. m0 is delivered at 1 (done 3.4); m1 and m2 wait; m1 is delivered at 3.4
 * (done 5.8); m3 joins m2 at 4; at 5 the queue holds m2 and m3, so m4 overflows; at 5.8 m1
 * finishes and the next ready message is delivered; m5 arrives at 6.
 */
function handCase(overflow: OverflowPolicy, extra: Partial<QueueConfig> = {}) {
  return scenario({
    durationS: 6.5,
    drainS: 30,
    producers: [producer(1, { arrivals: "constant", phases: [{ durationS: 6.5, ratePerS: 1 }] })],
    queues: [queue({ maxLength: 2, overflow, ...extra })],
    consumers: [consumer(1, 1, { processing: { kind: "constant", value: 2.4 } })],
  });
}

describe("overflow policies, by hand", () => {
  it("drop-tail drops the new message (m4)", () => {
    const run = runTraced(handCase("drop-tail"));
    expect(run.idsOf("overflow-drop")).toEqual([4]);
    expect(run.idsOf("processed")).toEqual([0, 1, 2, 3, 5]);
    expect(run.summary.fates).toMatchObject({ produced: 6, processed: 5, dropped: 1, lost: 0 });
    expect(run.summary.subscriptions[0].droppedByReason).toEqual({ "overflow: drop-tail": 1 });
  });

  it("drop-head drops the oldest ready message (m2) and takes m4", () => {
    const run = runTraced(handCase("drop-head"));
    expect(run.events.find((e) => e.ev === "overflow-drop")).toMatchObject({ t: 5, msg: 2 });
    expect(run.idsOf("processed")).toEqual([0, 1, 3, 4, 5]);
    expect(run.summary.subscriptions[0].droppedByReason).toEqual({ "overflow: drop-head": 1 });
    expect(run.summary.counters.overflowDropped).toBe(1);
  });

  it("reject-publish refuses m4: a fire-and-forget producer loses it", () => {
    const run = runTraced(handCase("reject-publish"));
    expect(run.idsOf("overflow-reject")).toEqual([4]);
    expect(run.summary.fates).toMatchObject({ processed: 5, dropped: 0, lost: 1 });
    expect(run.summary.subscriptions[0].lostByCause).toEqual({ "rejected by full queue": 1 });
    expect(run.summary.counters.overflowRejected).toBe(1);
  });

  it("reject-publish refuses m4: a producer waiting for acks retries, until there is room or it gives up", () => {
    // m4 is refused at 5, 5.3 and 5.6; its retry at 5.9 finds the place m2 left at 5.8. That
    // fills the queue again (m3, m4) until 8.2, so m5 is refused at 6, 6.3, ..., 7.5: six
    // attempts, and its producer gives up.
    const config = handCase("reject-publish");
    config.producers[0] = {
      ...config.producers[0],
      acks: "leader",
      maxRetries: 5,
      retryBackoffS: 0.3,
    };
    const run = runTraced(config);
    expect(run.idsOf("overflow-reject")).toEqual([4, 4, 4, 5, 5, 5, 5, 5, 5]);
    expect(run.summary.counters.overflowRejected).toBe(9);
    expect(run.summary.counters.producerRetries).toBe(3 + 5);
    expect(run.summary.counters.producerGaveUp).toBe(1);
    expect(run.idsOf("processed")).toEqual([0, 1, 2, 3, 4]);
    expect(run.summary.subscriptions[0].lostByCause).toEqual({
      "producer gave up after 6 attempts": 1,
    });
    const accepted = run.events.find((e) => e.ev === "enqueue" && e.msg === 4)!;
    expect(accepted.t).toBeCloseTo(5.9, 9);
    expect(run.summary.publishWait.maxS).toBeCloseTo(0.9, 2);
  });

  it("reject-to-dlq moves m4 to the dead-letter queue with reason maxlen", () => {
    const run = runTraced(handCase("reject-to-dlq"));
    expect(run.idsOf("dead-letter")).toEqual([4]);
    expect(run.summary.fates).toMatchObject({ processed: 5, deadLettered: 1, lost: 0 });
    expect(run.summary.subscriptions[0].deadLetteredByReason).toEqual({ maxlen: 1 });
    expect(run.summary.counters.overflowDeadLettered).toBe(1);
  });

  it("block holds m4 in the producer from 5 to 5.8 and m5 from 6 to 8.2: 3 s blocked, none lost", () => {
    // m2 is delivered at 5.8 (room for m4); m3 at 8.2, when m2 finishes (room for m5).
    for (const acks of ["none", "leader"] as const) {
      const config = handCase("block");
      config.producers[0] = { ...config.producers[0], acks };
      const run = runTraced(config);
      const enqueuedAt = (id: number) =>
        run.events.find((e) => e.ev === "enqueue" && e.msg === id)!.t;
      expect(enqueuedAt(4)).toBeCloseTo(5.8, 9);
      expect(enqueuedAt(5)).toBeCloseTo(8.2, 9);
      expect(run.summary.counters.publishBlockedS).toBeCloseTo(0.8 + 2.2, 9);
      expect(run.summary.fates).toMatchObject({ produced: 6, processed: 6, dropped: 0, lost: 0 });
      expect(run.idsOf("processed")).toEqual([0, 1, 2, 3, 4, 5]);
      // The wait in the producer shows in the publish wait and in the end-to-end latency: m5,
      // produced at 6, is processed at 15.4 (m3 from 8.2, m4 from 10.6, m5 from 13).
      expect(run.summary.publishWait.maxS).toBeCloseTo(2.2, 2);
      expect(run.summary.latency.maxS).toBeCloseTo(9.4, 1);
    }
  });

  it("blocked producers take turns: the one that has waited longest goes first", () => {
    // a0 (0.1) is delivered at once, b0 (0.15) fills the queue (maxLength 1), a1 (0.2) and b1
    // (0.25) are blocked. Each delivery (1.1, 2.1, ...) makes room for one message: a1 (a waited
    // since 0.2), then b1 (b since 0.25, a again since 1.1), then a2, and so on.
    const burst = (name: string, startS: number) =>
      producer(10, {
        name,
        arrivals: "constant",
        startS,
        phases: [{ durationS: 1.05, ratePerS: 10 }],
      });
    const run = runTraced(
      scenario({
        durationS: 2,
        drainS: 30,
        producers: [burst("a", 0), burst("b", 0.05)],
        queues: [queue({ maxLength: 1, overflow: "block" })],
        consumers: [consumer(1, 1, { processing: { kind: "constant", value: 1 } })],
      }),
    );
    const producerOf = new Map<number, string>();
    for (const e of run.events) if (e.ev === "produce") producerOf.set(e.msg!, e.producer!);
    const order = run.idsOf("enqueue").map((id) => producerOf.get(id!));
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? "a" : "b")));
    expect(run.summary.fates).toMatchObject({ produced: 20, processed: 20 });
  });

  it("a disk limit blocks producers while the queue stores as much (in flight included)", () => {
    // 1000-byte messages, diskLimit 3000 B and no maxLength: the queue stores m1 in flight, m2
    // and m3 ready at 5, so m4 waits until m1's ack at 5.8 and m5 until m2's at 8.2.
    const config = handCase("unbounded", { maxLength: null, diskLimitBytes: 3000 });
    config.producers[0] = { ...config.producers[0], messageSizeBytes: 1000 };
    const run = runTraced(config);
    expect(run.summary.counters.publishBlockedS).toBeCloseTo(3, 9);
    expect(run.summary.fates).toMatchObject({ processed: 6, lost: 0, dropped: 0 });
  });

  it("an idempotent producer's retry of a refused copy is taken in, not dropped as a duplicate", () => {
    const config = handCase("reject-publish");
    config.producers[0] = {
      ...config.producers[0],
      acks: "all",
      idempotent: true,
      maxRetries: 5,
      retryBackoffS: 0.3,
    };
    const run = runTraced(config);
    expect(run.summary.counters.deduplicatedByBroker).toBe(0);
    expect(run.idsOf("processed")).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("conservation under every overflow policy", () => {
  const policies: OverflowPolicy[] = [
    "unbounded",
    "drop-head",
    "drop-tail",
    "drop-low-first",
    "reject-publish",
    "reject-to-dlq",
    "block",
  ];
  for (const overflow of policies) {
    it(`${overflow}: every message has a fate, over random seeds, losses, failures and crashes`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const limited = overflow !== "unbounded";
        const summary = simulate(
          scenario({
            durationS: 200,
            drainS: 20,
            producers: [
              producer(30, {
                acks: seed % 2 === 0 ? "leader" : "none",
                maxRetries: 2,
                retryBackoffS: 0.2,
                requestTimeoutS: 1,
                messageSizeDistribution: { kind: "lognormal-quantiles", median: 2048, p99: 65536 },
                rateLimit: seed % 3 === 0 ? { ratePerS: 25, burst: 10, onLimit: "wait" } : null,
              }),
              producer(10, { name: "vip", priority: 1, messageSizeBytes: 512 }),
            ],
            queues: [
              queue({
                visibilityTimeoutS: 3,
                maxReceives: 3,
                maxLength: limited ? 20 : null,
                maxBytes: limited && seed % 2 === 1 ? 60_000 : null,
                overflow,
                diskLimitBytes: seed === 4 ? 200_000 : null,
                messageTtlS: seed % 2 === 0 ? 2 : null,
                expire: seed % 4 === 0 ? "dead-letter" : "drop",
                delayS: seed === 5 ? 0.5 : 0,
                priorities: 2,
              }),
            ],
            consumers: [
              consumer(2, 0.1, {
                concurrency: 2,
                failureProbability: 0.1,
                crashRatePerS: 0.02,
                restartS: 2,
                commit: seed === 3 ? "before-processing" : "after-processing",
              }),
            ],
            links: [
              link("api", "orders", {
                lossProbability: 0.01,
                duplicateProbability: 0.01,
                latency: { kind: "exponential", mean: 0.01 },
              }),
              link("orders", "api", { lossProbability: 0.01 }),
              link("workers", "orders", { lossProbability: 0.01 }),
            ],
            faults: [{ kind: "redrive", atS: 150, queue: "orders", count: null }],
          }),
          { seed, variantName: "v" },
        ).summary;
        const f = summary.fates;
        expect(f.conserved).toBe(true);
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
        if (limited && overflow !== "block") {
          expect(
            summary.counters.overflowDropped + summary.counters.overflowRejected,
          ).toBeGreaterThan(0);
        }
        if (overflow === "block") expect(summary.counters.publishBlockedS).toBeGreaterThan(0);
      }
    });
  }
});
