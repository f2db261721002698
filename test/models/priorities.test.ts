/** Priority classes of a task queue: delivery order, and which class a full queue drops. */
import { describe, expect, it } from "vitest";
import type { OverflowPolicy, ProducerConfig, ScenarioConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

interface TraceEvent {
  t: number;
  ev: string;
  msg?: number;
  producer?: string;
}

/** Runs with a trace; names each message by its producer and its rank there (`hi0`, `lo2`). */
function runNamed(config: ScenarioConfig) {
  const events: TraceEvent[] = [];
  const trace = new Trace((line) => events.push(JSON.parse(line)));
  const result = simulate(config, { seed: 1, variantName: "v", trace });
  const names = new Map<number, string>();
  const counts = new Map<string, number>();
  for (const e of events.filter((e) => e.ev === "produce")) {
    const rank = counts.get(e.producer!) ?? 0;
    counts.set(e.producer!, rank + 1);
    names.set(e.msg!, `${e.producer}${rank}`);
  }
  const named = (ev: string) => events.filter((e) => e.ev === ev).map((e) => names.get(e.msg!));
  return { ...result, named };
}

/** Three messages, one a second from `startS` + 1, at this priority. */
function threeFrom(name: string, startS: number, extra: Partial<ProducerConfig>): ProducerConfig {
  return producer(1, {
    name,
    arrivals: "constant",
    startS,
    phases: [{ durationS: 3.2, ratePerS: 1 }],
    ...extra,
  });
}

describe("priority classes", () => {
  it("deliver the highest class first, in arrival order within a class (hand-worked)", () => {
    // The consumer is busy with the first message (lo0, at 1) until 11; meanwhile lo1, lo2,
    // mid0..2 and hi0..2 arrive. Then: hi0, hi1, hi2, mid0, mid1, mid2, lo1, lo2.
    // `high` is the queue's highest class (2 of 0..2).
    const run = runNamed(
      scenario({
        durationS: 5,
        drainS: 100,
        producers: [
          threeFrom("lo", 0, { priority: 0 }),
          threeFrom("hi", 0.25, { priority: 255 }),
          threeFrom("mid", 0.5, { priority: 1 }),
        ],
        queues: [queue({ priorities: 3 })],
        consumers: [consumer(1, 1, { processing: { kind: "constant", value: 10 } })],
      }),
    );
    expect(run.named("processed")).toEqual([
      "lo0",
      "hi0",
      "hi1",
      "hi2",
      "mid0",
      "mid1",
      "mid2",
      "lo1",
      "lo2",
    ]);
    const byPriority = run.summary.byPriority;
    expect(byPriority.map((c) => [c.queue, c.priority, c.produced, c.processed])).toEqual([
      ["orders", 0, 3, 3],
      ["orders", 1, 3, 3],
      ["orders", 2, 3, 3],
    ]);
    // hi2 arrives at 3.25 and is done at 41 (after lo0, hi0, hi1): 37.75 s.
    expect(byPriority[2].latency.maxS).toBeCloseTo(37.75, 0);
    // lo2, at 3, is done last, at 91.
    expect(byPriority[0].latency.maxS).toBeCloseTo(88, 0);
  });

  /**
   * lo0..2 at 1, 2, 3 (priority 0), hi0..2 at 1.5, 2.5, 3.5 (priority 1), maxLength 2, one
   * consumer busy with lo0 from 1 to 11. At 2.5 the queue holds hi0 and lo1 and hi1 overflows;
   * at 3 lo2 overflows; at 3.5 hi2 overflows.
   */
  function dropCase(overflow: OverflowPolicy) {
    return runNamed(
      scenario({
        durationS: 5,
        drainS: 40,
        producers: [threeFrom("lo", 0, { priority: 0 }), threeFrom("hi", 0.5, { priority: 1 })],
        queues: [queue({ priorities: 2, maxLength: 2, overflow })],
        consumers: [consumer(1, 1, { processing: { kind: "constant", value: 10 } })],
      }),
    );
  }

  it("drop-low-first drops the low class (lo1, lo2) and only then the oldest high (hi0)", () => {
    // 2.5: lo1 goes for hi1. 3: lo2 is below every ready class (hi0, hi1): it is dropped.
    // 3.5: only high ones wait: the oldest, hi0, goes for hi2.
    const run = dropCase("drop-low-first");
    expect(run.named("overflow-drop")).toEqual(["lo1", "lo2", "hi0"]);
    expect(run.named("processed")).toEqual(["lo0", "hi1", "hi2"]);
    expect(run.summary.subscriptions[0].droppedByReason).toEqual({
      "overflow: drop-low-first": 3,
    });
    expect(run.summary.byPriority.map((c) => [c.priority, c.dropped, c.processed])).toEqual([
      [0, 2, 1],
      [1, 1, 2],
    ]);
  });

  it("drop-head drops the next message to deliver, the high one first (hi0, hi1, lo1)", () => {
    // 2.5: hi0 (the head of the high class) goes for hi1. 3: hi1 goes for lo2. 3.5: only low
    // ones wait: lo1 goes for hi2.
    const run = dropCase("drop-head");
    expect(run.named("overflow-drop")).toEqual(["hi0", "hi1", "lo1"]);
    expect(run.named("processed")).toEqual(["lo0", "hi2", "lo2"]);
    expect(run.summary.byPriority.map((c) => [c.priority, c.dropped, c.processed])).toEqual([
      [0, 1, 2],
      [1, 2, 1],
    ]);
  });
});
