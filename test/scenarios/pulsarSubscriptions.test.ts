/**
 * `subscriptionType` on a topic consumer: what the scenario language accepts and refuses, the
 * pulsar preset's defaults (Pulsar documentation, ../shared/SYSTEMS.md: Exclusive is the
 * default type, receiverQueueSize 1000, negativeAckRedeliveryDelay 1 min, dead letter policy on
 * shared and key_shared only), and which instances work in the bundled pulsar-subscriptions
 * scenario.
 */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { loadScenario, resolveScenarioPath } from "../../scenarios/index.ts";
import { Trace } from "../../sim/trace.ts";
import { errorOf, load, scenarioText, topicScenarioText } from "./helpers.ts";

const onTopic = (consumer: string, topic = "  - { name: signups, partitions: 4 }") =>
  topicScenarioText({
    topics: topic,
    consumers: `  - { name: email, processing: 10ms, ${consumer} }`,
  });

describe("subscriptionType", () => {
  it("is read on a topic consumer; absent, the consumer is a Kafka group as before", () => {
    const pulsar = load(onTopic("subscriptionType: key_shared, count: 3")).variants[0].config;
    expect(pulsar.consumers[0].subscriptionType).toBe("key_shared");
    const kafka = load(onTopic("count: 3")).variants[0].config;
    expect(kafka.consumers[0]).not.toHaveProperty("subscriptionType");
  });

  it("exclusive admits one consumer: count 2 is an error that suggests failover", () => {
    const message = errorOf(onTopic("subscriptionType: exclusive, count: 2")).message;
    expect(message).toContain("consumers.email.count");
    expect(message).toContain("ConsumerBusy");
    expect(message).toContain("subscriptionType: failover");
  });

  it("is refused on a queue consumer, and an unknown type names the four", () => {
    const onQueue = scenarioText({
      consumers: "  - { name: workers, processing: 10ms, subscriptionType: shared }",
    });
    expect(errorOf(onQueue).message).toContain(
      "'subscriptionType' applies only to consumers of a topic",
    );
    const message = errorOf(onTopic("subscriptionType: round-robin")).message;
    for (const type of ["exclusive", "failover", "shared", "key_shared"])
      expect(message).toContain(type);
  });

  it("takes the queue consumer's fields (prefetch, concurrency, retryAt) and refuses Kafka's", () => {
    const config = load(onTopic("subscriptionType: shared, prefetch: 50, concurrency: 2, count: 2"))
      .variants[0].config.consumers[0];
    expect(config.prefetch).toBe(50);
    expect(config.concurrency).toBe(2);
    for (const [field, value] of [
      ["maxPollRecords", "10"],
      ["sessionTimeout", "10s"],
      ["autoOffsetReset", "earliest"],
    ]) {
      expect(errorOf(onTopic(`subscriptionType: shared, ${field}: ${value}`)).message).toContain(
        "a Kafka consumer-group setting",
      );
    }
    expect(errorOf(onTopic("subscriptionType: shared, commit: auto")).message).toContain(
      "acks each message",
    );
  });

  it("maxRedeliverCount: shared and key_shared only (Pulsar's dead letter policy)", () => {
    const shared = load(onTopic("subscriptionType: shared, maxRedeliverCount: 3"));
    expect(shared.variants[0].config.consumers[0].maxRedeliverCount).toBe(3);
    expect(errorOf(onTopic("subscriptionType: failover, maxRedeliverCount: 3")).message).toContain(
      "shared and key_shared subscriptions only, not failover",
    );
    expect(errorOf(onTopic("maxRedeliverCount: 3")).message).toContain("needs a subscriptionType");
  });
});

describe("the pulsar preset", () => {
  const pulsarTopic = "  - { name: signups, system: pulsar, partitions: 4 }";

  it("gives Pulsar's defaults: exclusive, receiver queue 1000, nack redelivery after 1 min", () => {
    const consumer = load(onTopic("commit: after-processing", pulsarTopic)).variants[0].config
      .consumers[0];
    expect(consumer.subscriptionType).toBe("exclusive");
    expect(consumer.prefetch).toBe(1000);
    expect(consumer.nackDelayS).toBe(60);
    expect(consumer.maxRedeliverCount).toBeUndefined(); // no dead letter policy by default
  });

  it("a second consumer on the default exclusive subscription is refused", () => {
    expect(errorOf(onTopic("count: 2", pulsarTopic)).message).toContain("ConsumerBusy");
    const failover = load(onTopic("count: 2, subscriptionType: failover", pulsarTopic));
    expect(failover.variants[0].config.consumers[0].count).toBe(2);
  });
});

describe("pulsar-subscriptions (bundled)", () => {
  it("failover keeps 2 of 6 instances busy (2 partitions); shared and key_shared all 6", () => {
    const loaded = loadScenario(resolveScenarioPath("pulsar-subscriptions"));
    const busy = new Map<string, number>();
    for (const variant of loaded.variants.filter((v) => v.name !== "kafka-group-retry-in-place")) {
      // Before the crash at 2m, so a standby taking over does not count.
      const config = { ...variant.config, durationS: 60, drainS: 10, faults: [] };
      const instances = new Set<string>();
      const trace = new Trace((line) => {
        const event = JSON.parse(line);
        if (event.ev === "process-start") instances.add(event.consumer);
      });
      simulate(config, { seed: loaded.seed, variantName: variant.name, trace });
      busy.set(variant.name, instances.size);
    }
    expect(Object.fromEntries(busy)).toEqual({
      failover: 2,
      shared: 6,
      key_shared: 6,
      "key_shared-no-failures": 6,
    });
  });
});

describe("a Pulsar subscription's lag", () => {
  it("is its backlog of unacked messages: an alert on it fires when the backlog passes", () => {
    // 50/s in (every 20 ms from 0.02 s), one consumer doing 10/s (100 ms each, from 0.02 s):
    // at 9 s, 450 arrived and 89 were acked (backlog 361); at 10 s, 500 and 99 (about 400).
    // Evaluated every second, an alert above 380 fires at 10 s.
    const config = load(`
name: lag
duration: 30s
topics: [{ name: t, partitions: 1 }]
producers: [{ name: p, to: t, rate: 50/s, arrivals: constant }]
consumers: [{ name: c, topic: t, subscriptionType: shared, prefetch: 1, processing: 100ms }]
alerts: [{ name: behind, on: lag, consumer: c, above: 380, interval: 1s }]
`).variants[0].config;
    const { summary } = simulate(config, { seed: 1, variantName: "base" });
    const alert = summary.alerts.behind;
    expect(alert.fired).toBe(1);
    expect(alert.firings[0].firedAtS).toBe(10);
  });
});
