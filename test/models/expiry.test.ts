/** Message TTL (expiry at the head, with a timer) and delay queues, on hand-worked cases. */
import { describe, expect, it } from "vitest";
import type { QueueConfig, ScenarioConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

interface TraceEvent {
  t: number;
  ev: string;
  msg?: number;
}

function runTraced(config: ScenarioConfig) {
  const events: TraceEvent[] = [];
  const trace = new Trace((line) => events.push(JSON.parse(line)));
  const result = simulate(config, { seed: 1, variantName: "v", trace });
  const of = (ev: string) => events.filter((e) => e.ev === ev);
  return { ...result, of };
}

/**
 * Messages m0..m7 at t = 1..8; TTL 5 s; one consumer that takes 8.5 s a message. m0 is
 * delivered at 1 (done 9.5); m1, m2, m3 expire at 7, 8, 9 while it is busy (the timer, not a
 * delivery, removes them); m4 (arrived 5, expiring at 10) is delivered at 9.5; m5, m6, m7 expire
 * at 11, 12, 13.
 */
function ttlCase(extra: Partial<QueueConfig>) {
  return scenario({
    durationS: 8.5,
    drainS: 20,
    sampleIntervalS: 0.5,
    producers: [producer(1, { arrivals: "constant", phases: [{ durationS: 8.5, ratePerS: 1 }] })],
    queues: [queue({ messageTtlS: 5, ...extra })],
    consumers: [consumer(1, 1, { processing: { kind: "constant", value: 8.5 } })],
  });
}

describe("message TTL", () => {
  it("expire: drop drops m1, m2, m3, m5, m6, m7 when they are 5 s old (hand-worked)", () => {
    const run = runTraced(ttlCase({ expire: "drop" }));
    expect(run.of("expire").map((e) => [e.msg, e.t])).toEqual([
      [1, 7],
      [2, 8],
      [3, 9],
      [5, 11],
      [6, 12],
      [7, 13],
    ]);
    expect(run.of("processed").map((e) => e.msg)).toEqual([0, 4]);
    expect(run.summary.counters.expired).toBe(6);
    expect(run.summary.fates).toMatchObject({ produced: 8, processed: 2, dropped: 6, lost: 0 });
    expect(run.summary.subscriptions[0].droppedByReason).toEqual({ expired: 6 });
    // The depth gauge falls as messages expire, while the only consumer is busy.
    const depth = run.series.queueDepth;
    expect(depth[18]).toBe(4); // [9, 9.5): m4..m7
    expect(depth[19]).toBe(3); // [9.5, 10): m5..m7
    expect(depth[22]).toBe(2); // [11, 11.5): m6, m7
    expect(depth[26]).toBe(0); // [13, 13.5)
  });

  it("expire: dead-letter moves the same six to the dead-letter queue with reason expired", () => {
    const run = runTraced(ttlCase({ expire: "dead-letter" }));
    expect(run.of("dead-letter").map((e) => e.msg)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(run.summary.fates).toMatchObject({ processed: 2, deadLettered: 6, dropped: 0 });
    expect(run.summary.subscriptions[0].deadLetteredByReason).toEqual({ expired: 6 });
    expect(run.summary.counters.expired).toBe(6);
  });
});

describe("delay queues", () => {
  it("a message becomes visible only `delay` after it arrives (SQS DelaySeconds)", () => {
    const run = runTraced(
      scenario({
        durationS: 3.5,
        drainS: 20,
        producers: [
          producer(1, { arrivals: "constant", phases: [{ durationS: 3.5, ratePerS: 1 }] }),
        ],
        queues: [queue({ delayS: 5 })],
        consumers: [consumer(1, 1, { processing: { kind: "constant", value: 0.1 } })],
      }),
    );
    expect(run.of("deliver").map((e) => [e.msg, e.t])).toEqual([
      [0, 6],
      [1, 7],
      [2, 8],
    ]);
    // The delay is part of the queue wait and of the latency.
    expect(run.summary.queueWait.p50S).toBeCloseTo(5, 1);
    expect(run.summary.latency.maxS).toBeCloseTo(5.1, 1);
  });

  it("on a FIFO queue too, each group keeps its order", () => {
    const run = runTraced(
      scenario({
        durationS: 3.5,
        drainS: 20,
        producers: [
          producer(1, {
            arrivals: "constant",
            phases: [{ durationS: 3.5, ratePerS: 1 }],
            keys: { count: 2, skew: "uniform", zipfExponent: 1 },
          }),
        ],
        queues: [queue({ fifo: true, delayS: 5 })],
        consumers: [consumer(1, 1, { processing: { kind: "constant", value: 0.1 } })],
      }),
    );
    expect(run.of("deliver").map((e) => [e.msg, e.t])).toEqual([
      [0, 6],
      [1, 7],
      [2, 8],
    ]);
  });

  it("messages in their delay count toward maxLength", () => {
    // maxLength 2, delay 10 s, nobody reads until later: m0, m1 are taken, m2 (t=3) overflows.
    const run = runTraced(
      scenario({
        durationS: 3.5,
        drainS: 20,
        producers: [
          producer(1, { arrivals: "constant", phases: [{ durationS: 3.5, ratePerS: 1 }] }),
        ],
        queues: [queue({ delayS: 10, maxLength: 2, overflow: "drop-tail" })],
        consumers: [consumer(1, 1, { processing: { kind: "constant", value: 0.1 } })],
      }),
    );
    expect(run.of("overflow-drop").map((e) => e.msg)).toEqual([2]);
    expect(run.summary.fates).toMatchObject({ processed: 2, dropped: 1 });
  });
});
