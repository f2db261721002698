/** Producer acknowledgements, retries, idempotence and in-flight limits. */
import { describe, expect, it } from "vitest";
import type { ProducerConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { consumer, link, producer, queue, scenario } from "./configs.ts";

function run(producerExtra: Partial<ProducerConfig>, links: ReturnType<typeof link>[], seed = 1) {
  return simulate(
    scenario({
      durationS: 2000,
      drainS: 60,
      producers: [producer(5, producerExtra)],
      queues: [queue({ visibilityTimeoutS: 30 })],
      consumers: [consumer(4, 0.1)],
      links,
    }),
    { seed, variantName: "v" },
  ).summary;
}

describe("producer acknowledgements", () => {
  it("fire and forget: a lossy publish link loses messages at its loss rate", () => {
    const s = run({ acks: "none" }, [link("api", "orders", { lossProbability: 0.05 })]);
    expect(Math.abs(s.fates.lost / s.fates.produced - 0.05)).toBeLessThan(0.01);
    expect(s.subscriptions[0].lostByCause).toEqual({ "lost on link api->orders": s.fates.lost });
  });

  it("acks all with retries: the same lossy link loses nothing, at one retry per loss", () => {
    const s = run({ acks: "all", maxRetries: 3, requestTimeoutS: 1 }, [
      link("api", "orders", { lossProbability: 0.05 }),
    ]);
    expect(s.fates.lost).toBe(0);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.counters.producerRetries).toBe(s.counters.linkLosses);
  });

  it("a lost acknowledgement makes the producer write the message twice: a duplicate", () => {
    const s = run({ acks: "all", maxRetries: 3, requestTimeoutS: 1 }, [
      link("orders", "api", { lossProbability: 0.05 }),
    ]);
    expect(s.fates.lost).toBe(0);
    // Every lost acknowledgement is one retry, and every retry lands a second copy.
    expect(s.counters.producerRetries).toBe(s.counters.linkLosses);
    expect(s.fates.duplicateEffects).toBe(s.counters.producerRetries);
    expect(Math.abs(s.fates.duplicateEffects / s.fates.produced - 0.05)).toBeLessThan(0.01);
    expect(s.subscriptions[0].duplicatesByCause).toEqual({
      "producer-duplicate": s.fates.duplicateEffects,
    });
  });

  it("an idempotent producer's broker drops the retried copy", () => {
    const s = run({ acks: "all", maxRetries: 3, requestTimeoutS: 1, idempotent: true }, [
      link("orders", "api", { lossProbability: 0.05 }),
    ]);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.counters.producerRetries).toBeGreaterThan(300);
    expect(s.counters.deduplicatedByBroker).toBe(s.counters.producerRetries);
  });

  it("a partition longer than all the retries: the producer gives up and the message is lost", () => {
    // Attempts at t, t+1 and t+2 (1 s timeout, no backoff); given up at t+3. The link is cut
    // from t=100 to t=200: messages produced in [100, 197) never get through.
    const s = simulate(
      scenario({
        durationS: 300,
        drainS: 30,
        producers: [
          producer(1, {
            arrivals: "constant",
            acks: "all",
            maxRetries: 2,
            requestTimeoutS: 1,
            retryBackoffS: 0,
          }),
        ],
        queues: [queue()],
        consumers: [consumer(1, 0.1)],
        faults: [{ kind: "partition", atS: 100, durationS: 100, a: "api", b: "orders" }],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    // Constant arrivals at t = 1, 2, ..., 299. The message of t=197 tries at 197, 198 and 199,
    // all cut: those of t = 100..197 are lost (98). The one of t=198 tries a third time at
    // t=200, after the partition ended (that event was scheduled first).
    expect(s.fates.lost).toBe(s.counters.producerGaveUp);
    expect(s.fates.lost).toBe(98);
    expect(s.subscriptions[0].lostByCause).toEqual({ "producer gave up after 3 attempts": 98 });
  });
});

describe("in-flight requests and ordering", () => {
  const ordered = (maxInFlight: number) =>
    simulate(
      scenario({
        durationS: 2000,
        drainS: 60,
        producers: [
          producer(10, { acks: "all", maxRetries: 5, requestTimeoutS: 0.5, maxInFlight }),
        ],
        queues: [queue()],
        consumers: [consumer(1, 0.01)],
        links: [
          link("api", "orders", {
            lossProbability: 0.02,
            latency: { kind: "constant", value: 0.01 },
          }),
        ],
      }),
      { seed: 2, variantName: "v" },
    ).summary;

  it("with several requests in flight a retried message lands after later ones: reordering", () => {
    expect(ordered(5).ordering.violations).toBeGreaterThan(50);
  });

  it("with one request in flight the producer keeps the order, and still loses nothing", () => {
    const s = ordered(1);
    expect(s.ordering.violations).toBe(0);
    expect(s.fates.lost).toBe(0);
  });
});
