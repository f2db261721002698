/** Message sizes drawn from a distribution: what the logs and queues store. */
import { describe, expect, it } from "vitest";
import { World } from "../../models/world.ts";
import { producer, scenario, streamConsumer, topic } from "./configs.ts";

describe("message sizes from a distribution", () => {
  it("lognormal by median and p99: the stored bytes average exp(mu + sigma^2 / 2)", () => {
    // median 2 KiB, p99 64 KiB: mu = ln 2048, sigma = ln 32 / z(0.99) = 1.4898; mean 6.22 KiB.
    const sigma = Math.log(32) / 2.3263478740408408;
    const meanBytes = 2048 * Math.exp((sigma * sigma) / 2);
    const world = new World(
      scenario({
        durationS: 2000,
        producers: [
          producer(50, {
            to: "events",
            messageSizeDistribution: { kind: "lognormal-quantiles", median: 2048, p99: 65536 },
          }),
        ],
        queues: [],
        topics: [topic({ retentionS: null, segmentBytes: 1024 ** 4 })],
        consumers: [streamConsumer(1, 0.001)],
      }),
      3,
      null,
    );
    world.run();
    const logs = world.topics.get("events")!.logs;
    const records = logs.reduce((n, log) => n + log.logEndOffset, 0);
    const bytes = logs.reduce((n, log) => n + log.sizeBytes, 0);
    expect(records).toBeGreaterThan(90_000);
    // The sample mean of a lognormal of this sigma has a relative spread of about
    // sqrt(exp(sigma^2) - 1) / sqrt(n) = 2.9 / 316 = 0.9%: allow 4%.
    expect(Math.abs(bytes / records / meanBytes - 1)).toBeLessThan(0.04);
  });
});
