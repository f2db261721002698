/**
 * Consumer prefetch (models/queueConsumers.ts): an instance holds up to `prefetch` delivered,
 * unacked messages and processes `concurrency` of them at once. Hand-worked cases with constant
 * times (a slow instance sitting on messages an idle one could take; a crash returning its buffer
 * after the visibility timeout; an at-most-once instance losing only what it was processing),
 * and conservation of messages over many seeds with random crashes.
 */
import { describe, expect, it } from "vitest";
import type { ConsumerConfig, ScenarioConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

interface TraceEvent {
  t: number;
  ev: string;
  msg?: number;
  consumer?: string;
}

function runTraced(config: ScenarioConfig) {
  const events: TraceEvent[] = [];
  const trace = new Trace((line) => events.push(JSON.parse(line)));
  const result = simulate(config, { seed: 1, variantName: "v", trace });
  /** [message, time] of each event `ev` at consumer instance `at`. */
  const at = (ev: string, instance: string) =>
    events
      .filter((e) => e.ev === ev && e.consumer === instance)
      .map((e) => [e.msg, Math.round(e.t * 1000) / 1000]);
  return { ...result, events, at };
}

/**
 * Six messages, ids 0 to 5, at 0.1, 0.2, ..., 0.6 s (constant arrivals at 10/s for 0.65 s). Two consumers of
 * one instance each, concurrency 1, ideal links: `slow` takes 10 s a message, `fast` 1 s. Both
 * wait from 0 s, slow's receive tokens first in line (it is listed first).
 */
function twoConsumers(
  slowPrefetch: number,
  extra: Partial<ScenarioConfig> = {},
  slow: Partial<ConsumerConfig> = {},
) {
  return scenario({
    durationS: 0.65,
    drainS: 300,
    producers: [producer(10, { arrivals: "constant" })],
    queues: [queue({ visibilityTimeoutS: 100 })],
    consumers: [
      consumer(1, 10, {
        name: "slow",
        processing: { kind: "constant", value: 10 },
        prefetch: slowPrefetch,
        ...slow,
      }),
      consumer(1, 1, { name: "fast", processing: { kind: "constant", value: 1 } }),
    ],
    ...extra,
  });
}

describe("prefetch (hand-worked)", () => {
  it("a prefetching slow instance holds messages while another instance is idle", () => {
    // slow has 5 receive tokens: it receives messages 0-4 (processing 0, buffering 1-4); fast
    // gets 5 at 0.6 s, is done at 1.6 s and then idles while slow works through its buffer, one
    // message every 10 s: the last is done at 50.1 s, 49.6 s after it was produced.
    const run = runTraced(twoConsumers(5));
    expect(run.at("prefetched", "slow/0").map(([msg]) => msg)).toEqual([1, 2, 3, 4]);
    expect(run.at("processed", "slow/0")).toEqual([
      [0, 10.1],
      [1, 20.1],
      [2, 30.1],
      [3, 40.1],
      [4, 50.1],
    ]);
    expect(run.at("processed", "fast/0")).toEqual([[5, 1.6]]);
    expect(run.summary.latency.maxS).toBeCloseTo(49.6, 6);
    expect(run.summary.fates.processed).toBe(6);
  });

  it("without prefetch (prefetch = concurrency) the idle instance takes them", () => {
    // slow takes message 0 only; fast takes 1 at 0.2 s and each next one as it finishes:
    // 2 to 5 wait in the queue and are done at 2.2, 3.2, 4.2 and 5.2 s.
    const run = runTraced(twoConsumers(1));
    expect(run.events.filter((e) => e.ev === "prefetched")).toEqual([]);
    expect(run.at("processed", "slow/0")).toEqual([[0, 10.1]]);
    expect(run.at("processed", "fast/0")).toEqual([
      [1, 1.2],
      [2, 2.2],
      [3, 3.2],
      [4, 4.2],
      [5, 5.2],
    ]);
    expect(run.summary.latency.maxS).toBeCloseTo(10, 6);
  });

  it("a crash returns the buffer after the visibility timeout", () => {
    // slow crashes at 15 s (and stays down): message 0 is done, 1 is being processed (since
    // 10.1 s), 2-4 are buffered. All four were delivered at 0.2-0.5 s with a 100 s visibility
    // timeout: they become visible at 100.2-100.5 s. Fast's receive (waiting since 1.6 s) takes
    // 1; slow's token that asked for more at 10.1 s is still in the queue's line, a receive whose
    // caller died: it takes 2, which stays invisible for another 100 s (to 200.3 s). Fast does
    // 3 and 4 after 1, and 2 when it is back.
    const run = runTraced(
      twoConsumers(5, {
        faults: [{ kind: "crash", atS: 15, consumer: "slow", instance: 0, downS: 1e6 }],
      }),
    );
    expect(run.at("processed", "slow/0")).toEqual([[0, 10.1]]);
    expect(run.at("processed", "fast/0")).toEqual([
      [5, 1.6],
      [1, 101.2],
      [3, 102.2],
      [4, 103.2],
      [2, 201.3],
    ]);
    expect(run.summary.counters.visibilityTimeouts).toBe(5);
    expect(run.summary.fates).toMatchObject({ processed: 6, lost: 0, duplicateEffects: 0 });
  });

  it("at most once: the crash loses the message being processed, not the buffered ones", () => {
    // commit: before-processing acks a message when it starts processing it (Celery's early
    // ack): message 1 was acked at 10.1 s and dies with the instance; 2-4 were never acked and
    // come back (3 after a second timeout, taken by the dead instance's receive as above).
    const run = runTraced(
      twoConsumers(
        5,
        { faults: [{ kind: "crash", atS: 15, consumer: "slow", instance: 0, downS: 1e6 }] },
        { commit: "before-processing" },
      ),
    );
    expect(run.summary.fates).toMatchObject({ processed: 5, lost: 1 });
    expect(run.at("processed", "fast/0").map(([msg]) => msg)).toEqual([5, 2, 4, 3]);
  });

  it("concurrency 2 of prefetch 4: two at once, the rest in arrival order", () => {
    // One instance alone: messages 0-3 are received (0 and 1 processed at once, 2 and 3
    // buffered), 4 and 5 wait in the queue; each token that finishes hands its processing slot to
    // the oldest buffered message and takes the next one from the queue into the buffer.
    const run = runTraced(
      scenario({
        durationS: 0.65,
        drainS: 300,
        producers: [producer(10, { arrivals: "constant" })],
        queues: [queue()],
        consumers: [
          consumer(1, 10, {
            processing: { kind: "constant", value: 10 },
            concurrency: 2,
            prefetch: 4,
          }),
        ],
      }),
    );
    expect(run.at("prefetched", "workers/0").map(([msg]) => msg)).toEqual([2, 3, 4, 5]);
    expect(run.at("processed", "workers/0")).toEqual([
      [0, 10.1],
      [1, 10.2],
      [2, 20.1],
      [3, 20.2],
      [4, 30.1],
      [5, 30.2],
    ]);
  });
});

describe("prefetch: conservation", () => {
  it("every message has one fate, with random crashes, failures and lossy deliveries", () => {
    for (let seed = 1; seed <= 12; seed++) {
      for (const commit of ["after-processing", "before-processing"] as const) {
        const summary = simulate(
          scenario({
            durationS: 200,
            drainS: 400,
            producers: [producer(6)],
            queues: [queue({ visibilityTimeoutS: 20, maxReceives: 4 })],
            consumers: [
              consumer(3, 0.8, {
                concurrency: 2,
                prefetch: 7,
                crashRatePerS: 1 / 40,
                restartS: 3,
                failureProbability: 0.05,
                commit,
              }),
            ],
            links: [
              {
                from: "orders",
                to: "workers",
                latency: { kind: "exponential", mean: 0.01 },
                lossProbability: 0.01,
                duplicateProbability: 0,
              },
            ],
          }),
          { seed, variantName: "v" },
        ).summary;
        const f = summary.fates;
        expect(f.conserved).toBe(true);
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
        expect(f.pending).toBe(0);
        expect(summary.counters.consumerCrashes).toBeGreaterThan(0);
        if (commit === "after-processing") expect(f.lost).toBe(0);
      }
    }
  });
});
