/** RabbitMQ requeues a crashed consumer's unacked deliveries when its connection closes. */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

/**
 * One message at t = 1 (constant arrivals at 1/s, for 1.5 s), two instances processing for 10 s
 * each (constant); instance 0 takes it and crashes at t = 2. The visibility timeout is 30 min.
 */
function run(requeueOnDisconnect: boolean) {
  return simulate(
    scenario({
      durationS: 1.5,
      drainS: 3600,
      producers: [producer(1, { arrivals: "constant" })],
      queues: [queue({ visibilityTimeoutS: 1800, requeueOnDisconnect })],
      consumers: [consumer(2, 10, { processing: { kind: "constant", value: 10 } })],
      faults: [{ kind: "crash", atS: 2, consumer: "workers", instance: 0, downS: 5 }],
    }),
    { seed: 1, variantName: "v" },
  ).summary;
}

describe("requeue on disconnect", () => {
  it("with it, the other instance gets the message at the crash: processed at 2 + 10 s", () => {
    const s = run(true);
    expect(s.fates.processed).toBe(1);
    expect(s.counters.visibilityTimeouts).toBe(0);
    expect(s.counters.redeliveries).toBe(1);
    // Produced at 1, redelivered at 2, processed at 12: 11 s end to end.
    expect(s.latency.maxS).toBeCloseTo(11, 1);
  });

  it("without it, the message waits out the 30 min visibility timeout", () => {
    const s = run(false);
    expect(s.fates.processed).toBe(1);
    expect(s.counters.visibilityTimeouts).toBe(1);
    // Delivered at 1, visible again at 1801, processed at 1811: 1810 s end to end.
    expect(s.latency.maxS).toBeCloseTo(1810, -1);
  });
});
