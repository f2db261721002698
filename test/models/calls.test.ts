/**
 * Calls to downstream services, worked by hand: retry amplification across layers, the
 * dead-letter queue receiving exactly the messages that used up their attempts, retries through
 * the broker, a redrive, and poison messages with and without a dead-letter queue.
 */
import { describe, expect, it } from "vitest";
import type {
  CallConfig,
  ConsumerCallConfig,
  FaultConfig,
  ServiceConfig,
} from "../../models/config.ts";
import type { RetryPolicyConfig } from "../../models/retryPolicy.ts";
import { simulate } from "../../models/simulation.ts";
import { consumer, producer, queue, scenario, streamConsumer, topic } from "./configs.ts";

function retry(maxAttempts: number, extra: Partial<RetryPolicyConfig> = {}): RetryPolicyConfig {
  return {
    preset: null,
    maxAttempts,
    backoff: { kind: "fixed", delayS: 0.5 },
    jitter: "none",
    jitterRatio: 0,
    budget: null,
    circuitBreaker: null,
    ...extra,
  };
}

function service(name: string, calls: CallConfig | null = null): ServiceConfig {
  return {
    name,
    servers: 1000,
    queueCapacity: null,
    serviceTime: { kind: "constant", value: 0.001 },
    knee: null,
    calls,
  };
}

const outage = (downstream: string, atS: number, durationS: number): FaultConfig => ({
  kind: "outage",
  atS,
  durationS,
  downstream,
  mode: "reject",
});

describe("retry amplification across layers", () => {
  it("k layers of 3 attempts send 3^k attempts per request to a dead bottom layer", () => {
    // users -> api -> orders -> db, each caller trying 3 times; db is down for the whole run.
    const call = (target: string): CallConfig => ({ target, timeoutS: null, retry: retry(3) });
    const s = simulate(
      scenario({
        durationS: 100,
        drainS: 60,
        producers: [],
        queues: [],
        consumers: [],
        downstreams: [service("api", call("orders")), service("orders", call("db")), service("db")],
        callers: [
          {
            name: "users",
            count: 5,
            thinkTime: { kind: "constant", value: 10 },
            startS: 0,
            calls: call("api"),
          },
        ],
        faults: [outage("db", 0, 1000)],
      }),
      { seed: 1, variantName: "v" },
    ).summary;
    const requests = s.calls.requests;
    // A request lasts 13 s: db's 3 attempts with two 0.5 s pauses take 1 s, orders' 3 of those
    // 4 s, api's 3 of those 13 s. Each caller thinks 10 s, so it starts at 10, 33, 56 and 79 s
    // (the next, at 102 s, is after the end of duration): 4 requests each, 20 in all.
    expect(requests).toBe(20);
    const bottom = s.downstreams.find((d) => d.name === "db")!;
    const middle = s.downstreams.find((d) => d.name === "orders")!;
    const top = s.downstreams.find((d) => d.name === "api")!;
    expect(top.requests).toBe(3 * requests);
    expect(middle.requests).toBe(9 * requests);
    expect(bottom.requests).toBe(27 * requests);
    expect(s.calls.amplification).toBe(3);
    expect(s.calls.succeeded).toBe(0);
    expect(s.calls.failed).toBe(requests);
  });
});

/** 10 messages/s into a queue whose one consumer calls `payments`, down during [100, 130). */
function paymentsPipeline(calls: Partial<ConsumerCallConfig>, faults: FaultConfig[] = []) {
  return simulate(
    scenario({
      durationS: 300,
      drainS: 120,
      producers: [producer(10, { arrivals: "constant" })],
      queues: [queue({ visibilityTimeoutS: 60 })],
      consumers: [
        consumer(20, 0.001, {
          calls: {
            target: "payments",
            timeoutS: 1,
            retry: retry(3),
            retryAt: "consumer",
            ...calls,
          },
        }),
      ],
      downstreams: [service("payments")],
      faults: [outage("payments", 100, 30), ...faults],
    }),
    { seed: 1, variantName: "v" },
  ).summary;
}

describe("consumers that call a service", () => {
  it("retrying in the consumer: what exhausts its 3 attempts is dead-lettered, the rest processed", () => {
    const s = paymentsPipeline({ retryAt: "consumer" });
    const route = s.callRoutes[0];
    // A message whose first call is at t in [100, 129) fails 3 times (t, t+0.5, t+1): a message
    // from [100, 129) is dead-lettered; later ones succeed on a retry after 130.
    expect(route.failed).toBeGreaterThanOrEqual(285);
    expect(route.failed).toBeLessThanOrEqual(300);
    expect(s.fates.deadLettered).toBe(route.failed);
    expect(s.subscriptions[0].deadLetteredByReason).toEqual({ "retries exhausted": route.failed });
    expect(s.fates.processed).toBe(route.succeeded);
    expect(s.fates.processed + s.fates.deadLettered).toBe(s.fates.produced);
    expect(s.calls.recovered).toBe(1);
  });

  it("retrying through the broker: each retry is a redelivery after the backoff", () => {
    const s = paymentsPipeline({ retryAt: "broker" });
    expect(s.fates.processed + s.fates.deadLettered).toBe(s.fates.produced);
    // Every failed call but the last of a message is retried by a nack: one redelivery each.
    const failedAttempts = s.callRoutes[0].rejections;
    expect(s.counters.redeliveries).toBe(failedAttempts - s.fates.deadLettered);
    expect(s.counters.nacks).toBe(s.counters.redeliveries);
    expect(s.fates.deadLettered).toBeGreaterThan(250);
  });

  it("a redrive after the outage sends the dead letters back, and they are processed", () => {
    const s = paymentsPipeline({ retryAt: "requeue" }, [
      { kind: "redrive", atS: 200, queue: "orders", count: null },
    ]);
    expect(s.counters.movedToDeadLetter).toBeGreaterThan(250);
    expect(s.fates.deadLettered).toBe(0);
    expect(s.fates.processed).toBe(s.fates.produced);
  });
});

describe("a consumer group that calls a service", () => {
  it("retries in place, keeping order, and sends what used up its attempts to the dead-letter topic", () => {
    const s = simulate(
      scenario({
        durationS: 300,
        drainS: 120,
        producers: [
          producer(10, { to: "events", keys: { count: 5, skew: "uniform", zipfExponent: 1 } }),
        ],
        queues: [],
        topics: [topic({ partitions: 2 })],
        consumers: [
          streamConsumer(2, 0.001, {
            calls: { target: "payments", timeoutS: 1, retry: retry(3), retryAt: "consumer" },
          }),
        ],
        downstreams: [service("payments")],
        faults: [outage("payments", 100, 30)],
      }),
      { seed: 2, variantName: "v" },
    ).summary;
    const route = s.callRoutes[0];
    // The partition waits while a record retries: during the 30 s outage each partition's
    // head record fails 3 times in 1 s and is dead-lettered, then the next: about 30 per
    // partition, far fewer than the 300 produced meanwhile (the rest wait their turn).
    expect(s.fates.deadLettered).toBe(route.failed);
    expect(s.fates.deadLettered).toBeGreaterThan(40);
    expect(s.fates.deadLettered).toBeLessThan(80);
    expect(s.subscriptions[0].deadLetteredByReason).toEqual({ "retries exhausted": route.failed });
    expect(s.fates.processed + s.fates.deadLettered).toBe(s.fates.produced);
    expect(s.ordering.violations).toBe(0);
  });
});

describe("poison messages", () => {
  const run = (maxReceives: number | null) =>
    simulate(
      scenario({
        durationS: 600,
        drainS: 60,
        producers: [producer(5)],
        queues: [queue({ visibilityTimeoutS: 30, maxReceives })],
        consumers: [consumer(2, 0.1, { poisonProbability: 0.01, nackDelayS: 0 })],
      }),
      { seed: 3, variantName: "v" },
    ).summary;

  it("with a max-receives redrive, about 1% of messages are parked in the DLQ after 5 receives", () => {
    const s = run(5);
    const poison = s.fates.deadLettered;
    // 3,000 messages, 1% poison: 30 expected, binomial sd 5.4.
    expect(poison).toBeGreaterThan(13);
    expect(poison).toBeLessThan(47);
    expect(s.fates.processed + poison).toBe(s.fates.produced);
    expect(s.counters.redeliveries).toBe(4 * poison);
  });

  it("without one, they loop for ever and take the consumers' time from everyone else", () => {
    const s = run(null);
    const parked = run(5);
    // The same poison messages (same seed), still in the queue at the end, never processed.
    expect(s.fates.deadLettered).toBe(0);
    expect(s.fates.pending).toBe(parked.fates.deadLettered);
    expect(s.fates.processed).toBe(parked.fates.processed);
    // Redelivered at once, again and again: the consumers spend their time on them.
    expect(s.counters.redeliveries).toBeGreaterThan(s.fates.produced);
    expect(s.latency.meanS!).toBeGreaterThan(5 * parked.latency.meanS!);
  });
});

describe("an alert on a consumer group's dead-letter topic", () => {
  it("fires once its calls start dead-lettering records", async () => {
    const { loadScenarioText } = await import("../../scenarios/index.ts");
    const loaded = loadScenarioText(
      `
name: g
duration: 3m
topics: [{ name: events, partitions: 2 }]
producers: [{ name: api, to: events, rate: 10/s }]
consumers:
  - name: c
    topic: events
    processing: 1ms
    calls: { service: payments, timeout: 1s, retry: { maxAttempts: 2, backoff: immediate, jitter: none } }
downstreams: [{ name: payments, servers: 100, service: 1ms }]
faults: [{ at: 60s, outage: payments, for: 20s }]
alerts: [{ name: dlq, on: dlqDepth, consumer: c, above: 0 }]
`,
      "g.yaml",
    );
    const s = simulate(loaded.variants[0].config, { seed: 1, variantName: "base" }).summary;
    expect(s.fates.deadLettered).toBeGreaterThan(0);
    const alert = s.alerts.dlq;
    expect(alert.fired).toBe(1);
    // The first record dead-lettered at 60 s; evaluations every 15 s: fired at 60 or 75 s.
    expect(alert.firstFiredAtS).toBeGreaterThanOrEqual(60);
    expect(alert.firstFiredAtS).toBeLessThanOrEqual(75);
  });
});
