/** Replicated topics, producer acks and broker crashes in the scenario language. */
import { describe, expect, it } from "vitest";
import type { ScenarioConfig } from "../../models/config.ts";
import { errorOf, load, topicScenarioText } from "./helpers.ts";

function only(text: string, overrides: string[] = []): ScenarioConfig {
  const loaded = load(text, overrides);
  expect(loaded.variants).toHaveLength(1);
  return loaded.variants[0].config;
}

function messageOf(text: string, overrides: string[] = []): string {
  const { message } = errorOf(text, overrides);
  expect(message).not.toContain("\n");
  return message;
}

/** Line 4 holds the topic `signups` with these fields. */
const withTopic = (fields: string, parts: { producers?: string; bottom?: string } = {}) =>
  topicScenarioText({ topics: `  - { name: signups, partitions: 4, ${fields} }`, ...parts });

describe("a replicated topic", () => {
  it("is one replica on one broker by default (Kafka default.replication.factor 1)", () => {
    expect(only(topicScenarioText()).topics[0]).toMatchObject({
      brokers: 1,
      replicationFactor: 1,
      replicationLagS: 0.01,
      minInsyncReplicas: 1,
    });
  });

  it("reads replicationFactor, brokers, replicationLag and minInsyncReplicas", () => {
    const config = only(
      withTopic("replicationFactor: 3, brokers: 5, replicationLag: 5ms, minInsyncReplicas: 2"),
    );
    expect(config.topics[0]).toMatchObject({
      brokers: 5,
      replicationFactor: 3,
      replicationLagS: 0.005,
      minInsyncReplicas: 2,
    });
  });

  it("has 3 brokers when replicated and not told, or as many as its replicas", () => {
    expect(only(withTopic("replicationFactor: 2")).topics[0].brokers).toBe(3);
    expect(only(withTopic("replicationFactor: 5")).topics[0].brokers).toBe(5);
    expect(only(withTopic("brokers: 3")).topics[0]).toMatchObject({
      brokers: 3,
      replicationFactor: 1,
    });
  });

  it("is reachable by overrides", () => {
    const config = only(topicScenarioText(), [
      "topics.signups.replicationFactor=3",
      "topics.signups.minInsyncReplicas=2",
      "topics.signups.replicationLag=40ms",
    ]);
    expect(config.topics[0]).toMatchObject({
      brokers: 3,
      replicationFactor: 3,
      replicationLagS: 0.04,
      minInsyncReplicas: 2,
    });
  });

  it("refuses impossible clusters, naming the field", () => {
    expect(messageOf(withTopic("replicationFactor: 3, brokers: 2"))).toBe(
      "x.yaml:4:56: topics.signups.replicationFactor: replicationFactor 3 needs 3 brokers (each replica on its own), the topic has 2",
    );
    expect(messageOf(withTopic("replicationFactor: 0"))).toBe(
      "x.yaml:4:56: topics.signups.replicationFactor: expected a whole number >= 1, got 0",
    );
    expect(messageOf(withTopic("brokers: 101"))).toBe(
      "x.yaml:4:46: topics.signups.brokers: expected a whole number <= 100, got 101",
    );
    expect(messageOf(withTopic("replicationFactor: 2, minInsyncReplicas: 3"))).toBe(
      "x.yaml:4:78: topics.signups.minInsyncReplicas: minInsyncReplicas 3 is more than replicationFactor (2): every acks=all write would be refused",
    );
    expect(messageOf(withTopic("replicationLag: 10ms"))).toBe(
      "x.yaml:4:53: topics.signups.replicationLag: 'replicationLag' applies only with replicationFactor > 1 (a single replica has no followers)",
    );
    expect(messageOf(withTopic("replicationFactor: 3, replicationLag: -1s"))).toBe(
      "x.yaml:4:75: topics.signups.replicationLag: expected a duration >= 0 (like 250ms, 30s or 5m), got -1s",
    );
    expect(messageOf(withTopic("replicationFactr: 3"))).toBe(
      "x.yaml:4:37: topics.signups.replicationFactr: unknown key 'replicationFactr', did you mean 'replicationFactor'?",
    );
  });
});

describe("producer acks", () => {
  const producer = (fields: string) =>
    withTopic("", { producers: `  - { name: api, rate: 1/s, ${fields} }` });

  it("are none, leader or all", () => {
    expect(only(producer("acks: leader")).producers[0].acks).toBe("leader");
    expect(only(producer("acks: all")).producers[0].acks).toBe("all");
    expect(messageOf(producer("acks: 1"))).toBe(
      "x.yaml:6:35: producers.api.acks: expected 'none' or 'leader' or 'all', got 1",
    );
    expect(messageOf(producer("acks: leadr"))).toBe(
      "x.yaml:6:35: producers.api.acks: expected 'none' or 'leader' or 'all', got leadr, did you mean 'leader'?",
    );
  });

  it("leader takes the retry settings; idempotence needs all", () => {
    expect(only(producer("acks: leader, retries: 7")).producers[0].maxRetries).toBe(7);
    expect(messageOf(producer("retries: 7"))).toBe(
      "x.yaml:6:38: producers.api.retries: 'retries' applies only with acks: leader or all",
    );
    expect(messageOf(producer("acks: leader, idempotent: true"))).toBe(
      "x.yaml:6:55: producers.api.idempotent: 'idempotent: true' needs acks: all (Kafka's enable.idempotence requires acks=all)",
    );
    expect(only(producer("acks: leader, idempotent: false")).producers[0].idempotent).toBe(false);
  });
});

describe("broker crashes", () => {
  const replicated = (fault: string, topics = "") =>
    topicScenarioText({
      topics: `  - { name: signups, partitions: 4, replicationFactor: 3 }${topics}`,
      bottom: `faults:\n  - ${fault}`,
    });

  it("crash a broker of a topic's cluster for a while", () => {
    expect(
      only(replicated("{ at: 30s, crashBroker: 2, topic: signups, for: 10s }")).faults,
    ).toEqual([{ kind: "broker-crash", atS: 30, topic: "signups", broker: 2, downS: 10 }]);
    // `topic` may be left out when there is one topic.
    expect(only(replicated("{ at: 30s, crashBroker: 0, for: 1m }")).faults).toEqual([
      { kind: "broker-crash", atS: 30, topic: "signups", broker: 0, downS: 60 },
    ]);
  });

  it("name a broker that exists, a topic, and how long", () => {
    expect(messageOf(replicated("{ at: 30s, crashBroker: 3, for: 10s }"))).toBe(
      "x.yaml:10:29: faults.0.crashBroker: topic 'signups' has 3 brokers, numbered 0 to 2; got 3",
    );
    expect(messageOf(replicated("{ at: 30s, crashBroker: one, for: 10s }"))).toBe(
      "x.yaml:10:29: faults.0.crashBroker: topic 'signups' has 3 brokers, numbered 0 to 2; got one",
    );
    expect(messageOf(replicated("{ at: 30s, crashBroker: 1 }"))).toBe(
      "x.yaml:10:5: faults.0.for: missing 'for' (expected how long the broker stays down, a duration > 0 like 60s)",
    );
    expect(messageOf(replicated("{ at: 30s, crashBroker: 1, topic: api, for: 1s }"))).toBe(
      "x.yaml:10:39: faults.0.topic: 'api' is a producer, expected a topic",
    );
    expect(messageOf(replicated("{ at: 30s, crashBroker: 1, instance: 0, for: 1s }"))).toBe(
      "x.yaml:10:42: faults.0.instance: 'instance' applies only to crash faults",
    );
    const single = topicScenarioText({
      bottom: "faults:\n  - { at: 1s, crashBroker: 1, for: 1s }",
    });
    expect(messageOf(single)).toBe(
      "x.yaml:10:28: faults.0.crashBroker: topic 'signups' has 1 broker, number 0; got 1",
    );
    const two = replicated(
      "{ at: 1s, crashBroker: 0, for: 1s }",
      "\n  - { name: orders, partitions: 1 }",
    )
      .replace("{ name: api, rate: 10/s }", "{ name: api, to: signups, rate: 10/s }")
      .replace(
        "{ name: email, processing: 10ms }",
        "{ name: email, topic: signups, processing: 10ms }",
      );
    expect(messageOf(two)).toBe(
      "x.yaml:11:5: faults.0.topic: missing 'topic' (expected the name of a topic (there are 2: signups, orders))",
    );
  });

  it("need a topic", () => {
    const queued = [
      "name: t",
      "duration: 1m",
      "queues: [{ name: orders }]",
      "producers: [{ name: api, rate: 1/s }]",
      "consumers: [{ name: workers, processing: 1ms }]",
      "faults: [{ at: 1s, crashBroker: 0, for: 1s }]",
      "",
    ].join("\n");
    expect(messageOf(queued)).toBe(
      "x.yaml:6:33: faults.0.crashBroker: 'crashBroker' crashes a broker of a topic's cluster, and the scenario has no topic",
    );
  });
});
