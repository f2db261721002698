/** A queue consumer starts consuming at its `start` time (it used to start at once). */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { consumer, producer, scenario } from "./configs.ts";

describe("a queue consumer's start time", () => {
  it("messages wait for it: the first, produced at 1 s, is processed at 50 + 0.1 s", () => {
    const s = simulate(
      scenario({
        durationS: 100,
        drainS: 10,
        producers: [producer(1, { arrivals: "constant" })],
        consumers: [consumer(1, 0.1, { processing: { kind: "constant", value: 0.1 }, startS: 50 })],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    expect(s.fates.processed).toBe(s.fates.produced);
    // 1% histogram resolution: 49.1 s end to end for the first message.
    expect(s.latency.maxS!).toBeGreaterThan(48.6);
    expect(s.latency.maxS!).toBeLessThan(49.6);
    expect(s.queueWait.maxS!).toBeGreaterThan(48.5);
  });
});
