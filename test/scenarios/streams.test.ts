/** Topics, topic consumers (consumer groups), the consumer fields they brought, and faults. */
import { describe, expect, it } from "vitest";
import type { ConsumerConfig, ScenarioConfig } from "../../models/config.ts";
import { TOPIC_CONSUMER_KEYS } from "../../scenarios/consumers.ts";
import { errorOf, load, scenarioText, topicScenarioText } from "./helpers.ts";

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

/** A topic consumer with every default, as the loader fills it. */
function topicConsumer(extra: Partial<ConsumerConfig>): ConsumerConfig {
  return {
    name: "email",
    queue: null,
    topic: "signups",
    group: "email",
    count: 1,
    concurrency: 1,
    prefetch: 1,
    processing: { kind: "constant", value: 0.01 },
    failureProbability: 0,
    poisonProbability: 0,
    calls: null,
    onFailure: "nack",
    nackDelayS: 0,
    leaseExtensionS: 0,
    commit: "after-processing",
    autoCommitIntervalS: 5,
    idempotency: { kind: "none" },
    startS: 0,
    restartS: 10,
    crashRatePerS: 0,
    maxPollRecords: 500,
    sessionTimeoutS: 45,
    heartbeatIntervalS: 3,
    maxPollIntervalS: 300,
    autoOffsetReset: "latest",
    autoscale: null,
    forward: null,
    ...extra,
  };
}

const GIB = 1024 ** 3;
const DAY_S = 86400;

describe("a topic scenario", () => {
  it("loads with Kafka's defaults filled in", () => {
    expect(only(topicScenarioText())).toEqual({
      name: "t",
      description: "",
      seed: 1,
      durationS: 60,
      drainS: 60,
      warmupS: 0,
      sampleIntervalS: null,
      producers: [
        {
          name: "api",
          to: "signups",
          routingKeys: [],
          arrivals: "poisson",
          startS: 0,
          phases: [{ durationS: 60, ratePerS: 10 }],
          repeatPhases: false,
          keys: { count: 1, skew: "uniform", zipfExponent: 1 },
          messageSizeBytes: 1024,
          acks: "none",
          maxRetries: 3,
          requestTimeoutS: 30,
          retryBackoffS: 0.1,
          idempotent: false,
          maxInFlight: 5,
          messageSizeDistribution: null,
          priority: 0,
          rateLimit: null,
        },
      ],
      queues: [],
      exchanges: [],
      topics: [
        {
          name: "signups",
          partitions: 4,
          retentionS: 7 * DAY_S,
          retentionBytes: null,
          segmentBytes: GIB,
          segmentS: 7 * DAY_S,
          retentionCheckIntervalS: 300,
          brokers: 1,
          replicationFactor: 1,
          replicationLagS: 0.01,
          minInsyncReplicas: 1,
          writeLimit: null,
          readLimit: null,
        },
      ],
      consumers: [topicConsumer({})],
      downstreams: [],
      callers: [],
      links: [],
      faults: [],
      expect: [],
      // The documented defaults of limits: (docs/scenario-format.md).
      limits: { eventsMax: 2e9, wallTimeSMax: null, virtualTimeSMax: 365 * 86400 },
      contention: null,
      alerts: [],
    } satisfies ScenarioConfig);
  });

  it("reads every topic, consumer-group and fault field, with two groups on one topic", () => {
    const text = [
      "name: signup-emails",
      "duration: 10m",
      "drain: 2m",
      "topics:",
      "  - name: signups",
      "    partitions: 12",
      "    retention: forever",
      "    retentionBytes: 10GiB",
      "    segmentBytes: 64MiB",
      "    segment: never",
      "    retentionCheckInterval: 30s",
      "producers:",
      "  - { name: api, rate: 100/s, messageSize: 2KB, keys: { count: 1000 } }",
      "consumers:",
      "  - name: email",
      "    topic: signups",
      "    group: mailers",
      "    count: 3",
      "    processing: { exponential: 20ms }",
      "    failure: 1%",
      "    onFailure: nack",
      "    nackDelay: 1s",
      "    commit: auto",
      "    autoCommitInterval: 1s",
      "    idempotency: { seenTable: { ttl: 1h, capacity: 100000 } }",
      "    start: 30s",
      "    restart: 20s",
      "    crashRate: 1/h",
      "    maxPollRecords: 100",
      "    sessionTimeout: 10s",
      "    heartbeatInterval: 2s",
      "    maxPollInterval: 1m",
      "    autoOffsetReset: earliest",
      "  - name: audit",
      "    processing: 5ms",
      "    commit: transactional",
      "    idempotency: conditional-write",
      "links:",
      "  - { between: [signups, audit], latency: 1ms }",
      "faults:",
      "  - { at: 2m, crash: email, instance: 0, for: 30s }",
      "  - { at: 3m, crash: audit }",
      "  - { at: 5m, partition: [email, signups], for: 60s }",
      "  - { at: 11m, partition: [api, signups], for: 5m }",
      "",
    ].join("\n");
    const config = only(text);
    expect(config.topics).toEqual([
      {
        name: "signups",
        partitions: 12,
        retentionS: null,
        retentionBytes: 10 * GIB,
        segmentBytes: 64 * 1024 ** 2,
        segmentS: null,
        retentionCheckIntervalS: 30,
        brokers: 1,
        replicationFactor: 1,
        replicationLagS: 0.01,
        minInsyncReplicas: 1,
        writeLimit: null,
        readLimit: null,
      },
    ]);
    expect(config.producers[0]).toMatchObject({ to: "signups", messageSizeBytes: 2000 });
    expect(config.consumers).toEqual([
      topicConsumer({
        group: "mailers",
        count: 3,
        processing: { kind: "exponential", mean: 0.02 },
        failureProbability: 0.01,
        poisonProbability: 0,
        calls: null,
        nackDelayS: 1,
        commit: "auto",
        autoCommitIntervalS: 1,
        idempotency: { kind: "seen-table", ttlS: 3600, capacity: 100_000 },
        startS: 30,
        restartS: 20,
        crashRatePerS: 1 / 3600,
        maxPollRecords: 100,
        sessionTimeoutS: 10,
        heartbeatIntervalS: 2,
        maxPollIntervalS: 60,
        autoOffsetReset: "earliest",
        autoscale: null,
        forward: null,
      }),
      topicConsumer({
        name: "audit",
        group: "audit",
        processing: { kind: "constant", value: 0.005 },
        commit: "transactional",
        idempotency: { kind: "conditional-write" },
      }),
    ]);
    expect(config.links.map((l) => `${l.from} -> ${l.to}`)).toEqual([
      "signups -> audit",
      "audit -> signups",
    ]);
    expect(config.faults).toEqual([
      { kind: "crash", atS: 120, consumer: "email", instance: 0, downS: 30 },
      // `for` left out: the consumer's `restart` (10s by default).
      { kind: "crash", atS: 180, consumer: "audit", instance: null, downS: 10 },
      { kind: "partition", atS: 300, durationS: 60, a: "email", b: "signups" },
      // During the drain, and lasting past the end: allowed.
      { kind: "partition", atS: 660, durationS: 300, a: "api", b: "signups" },
    ]);
  });

  it("is reachable by overrides and variants, like queues", () => {
    const text = topicScenarioText({
      bottom: "variants:\n  - { name: a }\n  - { name: b, set: { topics.signups.retention: 1h } }",
    });
    const loaded = load(text, ["topics.signups.partitions=8", "consumers.email.group=g1"]);
    expect(loaded.variants.map((v) => v.config.topics[0].partitions)).toEqual([8, 8]);
    expect(loaded.variants.map((v) => v.config.topics[0].retentionS)).toEqual([7 * DAY_S, 3600]);
    expect(loaded.variants.map((v) => v.config.consumers[0].group)).toEqual(["g1", "g1"]);
    // An empty value restores the default (7 days), as for every field; `forever` keeps forever.
    const withForever = topicScenarioText({
      topics: "  - { name: signups, partitions: 4, retention: forever }",
    });
    expect(only(withForever).topics[0].retentionS).toBeNull();
    expect(only(withForever, ["topics.signups.retention="]).topics[0].retentionS).toBe(7 * DAY_S);
  });

  it("mixes queues and topics", () => {
    const config = only(
      scenarioText({
        top: "topics: [{ name: signups, partitions: 2 }]",
        producers:
          "  - { name: api, to: orders, rate: 1/s }\n  - { name: web, to: signups, rate: 1/s }",
        consumers: [
          "  - { name: workers, queue: orders, processing: 1ms }",
          "  - { name: email, topic: signups, processing: 1ms }",
        ].join("\n"),
      }),
    );
    expect(config.producers.map((p) => p.to)).toEqual(["orders", "signups"]);
    expect(config.consumers.map((c) => [c.queue, c.topic, c.group])).toEqual([
      ["orders", null, "workers"],
      [null, "signups", "email"],
    ]);
  });
});

describe("the only queue or topic", () => {
  const both = "topics: [{ name: signups, partitions: 2 }]";

  it("is the default of a producer's to and a consumer's queue or topic", () => {
    const config = only(topicScenarioText());
    expect(config.producers[0].to).toBe("signups");
    expect(config.consumers[0]).toMatchObject({ queue: null, topic: "signups" });
    const queued = only(scenarioText());
    expect(queued.consumers[0]).toMatchObject({ queue: "orders", topic: null });
  });

  it("counts queues and topics together", () => {
    expect(messageOf(scenarioText({ top: both }))).toBe(
      "x.yaml:7:5: producers.api.to: missing 'to' (expected the name of a queue or topic (there are 2: orders, signups))",
    );
    const consumer = scenarioText({
      top: both,
      producers: "  - { name: api, to: orders, rate: 1/s }",
    });
    expect(messageOf(consumer)).toBe(
      "x.yaml:9:5: consumers.workers: missing 'queue' or 'topic' (expected the name of a queue or topic (there are 2: orders, signups))",
    );
  });

  it("asks for the one kind the scenario has", () => {
    const twoTopics = topicScenarioText({
      topics: "  - { name: signups, partitions: 4 }\n  - { name: orders, partitions: 4 }",
      producers: "  - { name: api, to: signups, rate: 1/s }",
    });
    expect(messageOf(twoTopics)).toBe(
      "x.yaml:9:5: consumers.email.topic: missing 'topic' (expected the name of a topic (there are 2: signups, orders))",
    );
  });
});

describe("names", () => {
  it("of topics share one namespace with queues, producers and consumers", () => {
    const text = scenarioText({ top: "topics: [{ name: orders, partitions: 1 }]" });
    expect(messageOf(text)).toBe(
      "x.yaml:3:18: topics.orders.name: 'orders' is already the name of a queue (line 5); names must be unique across queues, topics, exchanges, producers, consumers, downstreams and callers",
    );
    const producer = topicScenarioText({ producers: "  - { name: signups, rate: 1/s }" });
    expect(messageOf(producer)).toBe(
      "x.yaml:6:13: producers.signups.name: 'signups' is already the name of a topic (line 4); names must be unique across queues, topics, exchanges, producers, consumers, downstreams and callers",
    );
  });

  it("a link end may be a topic", () => {
    const config = only(
      topicScenarioText({ top: "links: [{ from: api, to: signups, loss: 1% }]" }),
    );
    expect(config.links).toEqual([
      { from: "api", to: "signups", latency: null, lossProbability: 0.01, duplicateProbability: 0 },
    ]);
    const unknown = topicScenarioText({ top: "links: [{ from: api, to: signup }]" });
    expect(messageOf(unknown)).toBe(
      "x.yaml:3:26: links.0.to: no producer, queue, topic, exchange or consumer named 'signup', did you mean 'signups'?",
    );
  });

  it("a consumer's queue and topic name the right kind", () => {
    const mixed = (consumer: string) =>
      messageOf(
        scenarioText({
          top: "topics: [{ name: signups, partitions: 2 }]",
          producers: "  - { name: api, to: orders, rate: 1/s }",
          consumers: `  - { name: workers, processing: 1ms, ${consumer} }`,
        }),
      );
    expect(mixed("queue: signups")).toBe(
      "x.yaml:9:46: consumers.workers.queue: 'signups' is a topic, not a queue: write 'topic: signups'",
    );
    expect(mixed("topic: orders")).toBe(
      "x.yaml:9:46: consumers.workers.topic: 'orders' is a queue, not a topic: write 'queue: orders'",
    );
    expect(mixed("topic: api")).toBe(
      "x.yaml:9:46: consumers.workers.topic: 'api' is a producer, expected a topic",
    );
    expect(mixed("topic: signup")).toBe(
      "x.yaml:9:46: consumers.workers.topic: no topic named 'signup', did you mean 'signups'?",
    );
    expect(mixed("queue: orders, topic: signups")).toBe(
      "x.yaml:9:61: consumers.workers.topic: give either 'queue' or 'topic', not both",
    );
  });
});

describe("topics", () => {
  const topic = (fields: string) =>
    messageOf(topicScenarioText({ topics: `  - { name: signups, ${fields} }` }));

  it("have a whole number of partitions from 1 to 10000", () => {
    expect(messageOf(topicScenarioText({ topics: "  - { name: signups }" }))).toBe(
      "x.yaml:4:5: topics.signups.partitions: missing 'partitions' (expected a whole number of partitions from 1 to 10000)",
    );
    expect(topic("partitions: 0")).toBe(
      "x.yaml:4:34: topics.signups.partitions: expected a whole number >= 1, got 0",
    );
    expect(topic("partitions: 10001")).toBe(
      "x.yaml:4:34: topics.signups.partitions: expected a whole number <= 10000, got 10001",
    );
    expect(topic("partitions: 2.5")).toBe(
      "x.yaml:4:34: topics.signups.partitions: expected a whole number >= 1, got 2.5",
    );
  });

  it("take durations > 0 or a word for retention and segment", () => {
    expect(topic("partitions: 1, retention: 0s")).toBe(
      "x.yaml:4:48: topics.signups.retention: expected a duration > 0 (like 250ms, 30s or 5m), or 'forever', got 0s",
    );
    expect(topic("partitions: 1, retention: forevr")).toBe(
      "x.yaml:4:48: topics.signups.retention: expected a duration like 250ms, 30s or 5m, or 'forever', got forevr, did you mean 'forever'?",
    );
    expect(topic("partitions: 1, segment: never-ever")).toBe(
      "x.yaml:4:46: topics.signups.segment: expected a duration like 250ms, 30s or 5m, or 'never', got never-ever",
    );
    expect(topic("partitions: 1, retentionCheckInterval: 0s")).toBe(
      "x.yaml:4:61: topics.signups.retentionCheckInterval: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    );
  });

  it("take sizes in bytes, or unlimited retention", () => {
    const unlimited = topicScenarioText({
      topics:
        "  - { name: signups, partitions: 1, retentionBytes: unlimited, segmentBytes: 1048576 }",
    });
    expect(only(unlimited).topics[0]).toMatchObject({
      retentionBytes: null,
      segmentBytes: 1048576,
    });
    expect(topic("partitions: 1, segmentBytes: 0")).toBe(
      "x.yaml:4:51: topics.signups.segmentBytes: expected a size >= 1B (like 1KiB, 64MB or 1048576), got 0",
    );
    expect(topic("partitions: 1, segmentBytes: 2TiB")).toBe(
      "x.yaml:4:51: topics.signups.segmentBytes: expected a size <= 1TiB (like 1KiB, 64MB or 1048576), got 2TiB",
    );
    expect(topic("partitions: 1, retentionBytes: 1gib")).toBe(
      "x.yaml:4:53: topics.signups.retentionBytes: expected a size like 1KiB, 64MB or 1048576, or 'unlimited', got 1gib (did you mean 1GiB?)",
    );
    expect(topic("partitions: 1, retentionBytes: -1")).toBe(
      "x.yaml:4:53: topics.signups.retentionBytes: expected a size >= 1B (like 1KiB, 64MB or 1048576), or 'unlimited', got -1",
    );
  });

  it("have the keys they have, with suggestions", () => {
    expect(topic("partitions: 1, retentionMs: 1000")).toBe(
      "x.yaml:4:37: topics.signups.retentionMs: unknown key 'retentionMs', did you mean 'retention'?",
    );
  });
});

describe("producers", () => {
  const producer = (fields: string) =>
    messageOf(topicScenarioText({ producers: `  - { name: api, rate: 1/s, ${fields} }` }));

  it("have a message size in bytes, 1KiB by default", () => {
    expect(only(topicScenarioText()).producers[0].messageSizeBytes).toBe(1024);
    const sized = topicScenarioText({
      producers: "  - { name: api, rate: 1/s, messageSize: 512 }",
    });
    expect(only(sized).producers[0].messageSizeBytes).toBe(512);
    expect(producer("messageSize: 0B")).toBe(
      "x.yaml:6:42: producers.api.messageSize: expected a size >= 1B (like 1KiB, 64MB or 1048576), got 0B",
    );
    expect(producer("messageSize: 2GiB")).toBe(
      "x.yaml:6:42: producers.api.messageSize: expected a size <= 1GiB (like 1KiB, 64MB or 1048576), got 2GiB",
    );
    expect(producer("messageSize: 1kb")).toBe(
      "x.yaml:6:42: producers.api.messageSize: expected a size like 1KiB, 64MB or 1048576, got 1kb (did you mean 1KB?)",
    );
    expect(producer("messageSize: 10.5")).toBe(
      "x.yaml:6:42: producers.api.messageSize: expected a size like 1KiB, 64MB or 1048576, got 10.5 (not a whole number of bytes)",
    );
  });
});

describe("consumer fields", () => {
  const onQueue = (fields: string) =>
    messageOf(scenarioText({ consumers: `  - { name: workers, processing: 1ms, ${fields} }` }));
  const onTopic = (fields: string) =>
    messageOf(topicScenarioText({ consumers: `  - { name: email, processing: 1ms, ${fields} }` }));

  it.each(
    TOPIC_CONSUMER_KEYS.map((key): [string, string] => [
      key,
      {
        group: "g",
        maxPollRecords: "10",
        sessionTimeout: "10s",
        heartbeatInterval: "1s",
        maxPollInterval: "1m",
        autoOffsetReset: "earliest",
        autoscale: null,
        forward: null,
      }[key]!,
    ]),
  )("'%s' is an error on a queue consumer", (key, value) => {
    expect(onQueue(`${key}: ${value}`)).toBe(
      `x.yaml:8:${41 + key.length}: consumers.workers.${key}: '${key}' applies only to consumers of a topic`,
    );
  });

  it("commit: auto and its interval are for topic consumers", () => {
    expect(onQueue("commit: auto")).toBe(
      "x.yaml:8:47: consumers.workers.commit: commit: auto applies only to consumers of a topic (it is Kafka's enable.auto.commit); a queue consumer acks before-processing, after-processing or transactional",
    );
    expect(onTopic("autoCommitInterval: 1s")).toBe(
      "x.yaml:8:57: consumers.email.autoCommitInterval: 'autoCommitInterval' applies only to commit: auto",
    );
    expect(onTopic("commit: auto, autoCommitInterval: 0s")).toBe(
      "x.yaml:8:71: consumers.email.autoCommitInterval: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    );
    expect(onTopic("commit: after")).toBe(
      "x.yaml:8:45: consumers.email.commit: expected 'before-processing' or 'after-processing' or 'auto' or 'transactional', got after",
    );
  });

  it("a topic consumer has concurrency 1 and nacks failures", () => {
    expect(onTopic("concurrency: 4")).toBe(
      "x.yaml:8:50: consumers.email.concurrency: a consumer of a topic processes one record at a time (Kafka's poll loop runs on one thread), so concurrency must be 1; for more parallelism raise 'count' (up to one instance per partition)",
    );
    expect(onTopic("onFailure: timeout")).toBe(
      "x.yaml:8:48: consumers.email.onFailure: onFailure: timeout applies only to consumers of a queue: a topic has no visibility timeout (with nack, a failed record is retried in place after nackDelay)",
    );
    const explicit = topicScenarioText({
      consumers:
        "  - { name: email, processing: 1ms, concurrency: 1, onFailure: nack, nackDelay: 2s }",
    });
    expect(only(explicit).consumers[0]).toMatchObject({ concurrency: 1, nackDelayS: 2 });
  });

  it("a topic consumer's group is its name unless given, and unique per topic", () => {
    const two = (consumers: string) => topicScenarioText({ consumers });
    const config = only(
      two("  - { name: email, processing: 1ms }\n  - { name: audit, processing: 1ms, group: g }"),
    );
    expect(config.consumers.map((c) => c.group)).toEqual(["email", "g"]);
    expect(
      messageOf(
        two(
          "  - { name: a, processing: 1ms, group: g }\n  - { name: b, processing: 1ms, group: g }",
        ),
      ),
    ).toBe(
      "x.yaml:9:40: consumers.b.group: consumer 'a' (line 8) already reads topic 'signups' in group 'g'; give each consumer its own group, and raise 'count' for more members of one group",
    );
    expect(
      messageOf(
        two("  - { name: a, processing: 1ms, group: b }\n  - { name: b, processing: 1ms }"),
      ),
    ).toBe(
      "x.yaml:9:5: consumers.b.group: consumer 'a' (line 8) already reads topic 'signups' in group 'b' (by default a consumer's group is its name); give each consumer its own group, and raise 'count' for more members of one group",
    );
    expect(onTopic("group: 'a b'")).toBe(
      "x.yaml:8:44: consumers.email.group: expected a name of letters, digits, '-' and '_', got 'a b'",
    );
  });

  it("the same group name on two topics is two groups", () => {
    const config = only(
      topicScenarioText({
        topics: "  - { name: signups, partitions: 1 }\n  - { name: orders, partitions: 1 }",
        producers: "  - { name: api, to: signups, rate: 1/s }",
        consumers: [
          "  - { name: a, topic: signups, group: g, processing: 1ms }",
          "  - { name: b, topic: orders, group: g, processing: 1ms }",
        ].join("\n"),
      }),
    );
    expect(config.consumers.map((c) => [c.topic, c.group])).toEqual([
      ["signups", "g"],
      ["orders", "g"],
    ]);
  });

  it("heartbeats are more frequent than the session timeout", () => {
    expect(onTopic("heartbeatInterval: 45s")).toBe(
      "x.yaml:8:56: consumers.email.heartbeatInterval: heartbeatInterval (45s) must be shorter than sessionTimeout (45s), or the group drops the member between heartbeats",
    );
    expect(onTopic("sessionTimeout: 2s")).toBe(
      "x.yaml:8:53: consumers.email.sessionTimeout: heartbeatInterval (3s) must be shorter than sessionTimeout (2s), or the group drops the member between heartbeats",
    );
  });

  it("topic-only fields are checked", () => {
    expect(onTopic("maxPollRecords: 0")).toBe(
      "x.yaml:8:53: consumers.email.maxPollRecords: expected a whole number >= 1, got 0",
    );
    expect(onTopic("maxPollRecords: 100001")).toBe(
      "x.yaml:8:53: consumers.email.maxPollRecords: expected a whole number <= 100000, got 100001",
    );
    expect(onTopic("maxPollInterval: 0s")).toBe(
      "x.yaml:8:54: consumers.email.maxPollInterval: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    );
    expect(onTopic("autoOffsetReset: earlist")).toBe(
      "x.yaml:8:54: consumers.email.autoOffsetReset: expected 'earliest' or 'latest', got earlist, did you mean 'earliest'?",
    );
  });

  it("start, restart and crashRate apply to every consumer", () => {
    const config = only(
      scenarioText({
        consumers:
          "  - { name: workers, processing: 1ms, start: 90s, restart: 1s, crashRate: 6/m }",
      }),
    );
    expect(config.consumers[0]).toMatchObject({ startS: 90, restartS: 1, crashRatePerS: 0.1 });
    // Starting in the drain is allowed; at its end, the consumer would never run.
    expect(onQueue("start: 2m")).toBe(
      "x.yaml:8:46: consumers.workers.start: starts at 120s, at or after the end of the run (duration + drain = 120s): it would never consume",
    );
    expect(onQueue("restart: 0s")).toBe(
      "x.yaml:8:48: consumers.workers.restart: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    );
    expect(onQueue("crashRate: -1/h")).toBe(
      "x.yaml:8:50: consumers.workers.crashRate: expected a rate >= 0 (like 500/s, 30/m or 1000/h), got -1/h",
    );
  });

  it("commit points other than auto apply to queue consumers too", () => {
    for (const commit of ["before-processing", "after-processing", "transactional"] as const) {
      const config = only(
        scenarioText({ consumers: `  - { name: workers, processing: 1ms, commit: ${commit} }` }),
      );
      expect(config.consumers[0].commit).toBe(commit);
    }
  });
});

describe("idempotency", () => {
  const idempotency = (value: string) =>
    scenarioText({ consumers: `  - { name: workers, processing: 1ms, idempotency: ${value} }` });

  it("is none, a conditional write or a seen table", () => {
    expect(only(idempotency("none")).consumers[0].idempotency).toEqual({ kind: "none" });
    expect(only(idempotency("conditional-write")).consumers[0].idempotency).toEqual({
      kind: "conditional-write",
    });
    expect(only(idempotency("{ seenTable: { ttl: 10m } }")).consumers[0].idempotency).toEqual({
      kind: "seen-table",
      ttlS: 600,
      capacity: 1_000_000,
    });
  });

  it("reports a seen table without a ttl, typos and bad capacities", () => {
    expect(messageOf(idempotency("seen-table"))).toBe(
      "x.yaml:8:52: consumers.workers.idempotency: a seen table needs a ttl: write { seenTable: { ttl: 1h } } (capacity is optional)",
    );
    expect(messageOf(idempotency("conditonal-write"))).toBe(
      "x.yaml:8:52: consumers.workers.idempotency: expected 'none', 'conditional-write' or { seenTable: { ttl, capacity } }, got conditonal-write, did you mean 'conditional-write'?",
    );
    expect(messageOf(idempotency("{ seenTable: { capacity: 10 } }"))).toBe(
      "x.yaml:8:65: consumers.workers.idempotency.seenTable.ttl: missing 'ttl' (expected how long an id is remembered, a duration like 1h)",
    );
    expect(messageOf(idempotency("{ seenTable: { ttl: 1h, capacity: 0 } }"))).toBe(
      "x.yaml:8:86: consumers.workers.idempotency.seenTable.capacity: expected a whole number >= 1, got 0",
    );
    expect(messageOf(idempotency("{ seenTable: { tll: 1h } }"))).toBe(
      "x.yaml:8:67: consumers.workers.idempotency.seenTable.tll: unknown key 'tll', did you mean 'ttl'?",
    );
    expect(messageOf(idempotency("{ seentable: { ttl: 1h } }"))).toBe(
      "x.yaml:8:54: consumers.workers.idempotency.seentable: unknown key 'seentable', did you mean 'seenTable'?",
    );
  });
});

describe("faults", () => {
  /** Lines 1-8 as in scenarioText with 3 workers; the faults start at line 10. */
  const withFaults = (...faults: string[]) =>
    scenarioText({
      consumers: "  - { name: workers, count: 3, processing: 1ms }",
      bottom: ["faults:", ...faults.map((f) => `  - ${f}`)].join("\n"),
    });

  it("crash a consumer's instance, or all of them, for its restart time by default", () => {
    const config = only(
      withFaults(
        "{ at: 10s, crash: workers, instance: 2, for: 5s }",
        "{ at: 1m, crash: workers }",
        "{ at: 0s, partition: [orders, workers], for: 1ms }",
        "{ at: 30s, partition: [api, orders], for: 1h }",
      ),
    );
    expect(config.faults).toEqual([
      { kind: "crash", atS: 10, consumer: "workers", instance: 2, downS: 5 },
      { kind: "crash", atS: 60, consumer: "workers", instance: null, downS: 10 },
      { kind: "partition", atS: 0, durationS: 0.001, a: "orders", b: "workers" },
      { kind: "partition", atS: 30, durationS: 3600, a: "api", b: "orders" },
    ]);
  });

  it("happen before the end of duration + drain", () => {
    expect(messageOf(withFaults("{ at: 2m, crash: workers }"))).toBe(
      "x.yaml:10:11: faults.0.at: at 120s is at or after the end of the run (duration + drain = 120s): the fault would never happen",
    );
    expect(messageOf(withFaults("{ crash: workers }"))).toBe(
      "x.yaml:10:5: faults.0.at: missing 'at' (expected a time like 2m)",
    );
  });

  it("are a crash, a partition or a broker crash", () => {
    expect(messageOf(withFaults("{ at: 1s }"))).toBe(
      "x.yaml:10:5: faults.0: missing the kind of fault (expected one of crash, partition, crashBroker, redrive, outage, slowdown or capacityDrop)",
    );
    expect(messageOf(withFaults("{ at: 1s, crash: workers, partition: [api, orders] }"))).toBe(
      "x.yaml:10:42: faults.0: give one kind of fault, not both 'crash' and 'partition'",
    );
    expect(messageOf(withFaults("{ at: 1s, partition: [api, orders], crashBroker: 0 }"))).toBe(
      "x.yaml:10:54: faults.0: give one kind of fault, not both 'partition' and 'crashBroker'",
    );
    expect(messageOf(withFaults("{ at: 1s, crash: workers, duration: 5s }"))).toBe(
      "x.yaml:10:31: faults.0.duration: unknown key 'duration' (expected one of: at, crash, instance, for, partition, crashBroker, topic, redrive, count, outage, slowdown, capacityDrop, mode, factor, servers)",
    );
    expect(messageOf(scenarioText({ bottom: "faults: { at: 1s }" }))).toBe(
      "x.yaml:9:9: faults: expected a list of faults, each { at, ... } with one of crash, partition, crashBroker, redrive, outage, slowdown or capacityDrop, got a mapping",
    );
    expect(messageOf(withFaults("{ at: 1s, crash: workers, topic: orders }"))).toBe(
      "x.yaml:10:38: faults.0.topic: 'topic' applies only to crashBroker faults (the topic whose broker crashes)",
    );
  });

  it("crash a consumer, one of its instances", () => {
    expect(messageOf(withFaults("{ at: 1s, crash: workerz }"))).toBe(
      "x.yaml:10:22: faults.0.crash: no consumer named 'workerz', did you mean 'workers'?",
    );
    expect(messageOf(withFaults("{ at: 1s, crash: orders }"))).toBe(
      "x.yaml:10:22: faults.0.crash: 'orders' is a queue, expected a consumer",
    );
    expect(messageOf(withFaults("{ at: 1s, crash: workers, instance: 3 }"))).toBe(
      "x.yaml:10:41: faults.0.instance: 'workers' has 3 instances, numbered 0 to 2; got 3",
    );
    expect(messageOf(withFaults("{ at: 1s, crash: workers, instance: -1 }"))).toBe(
      "x.yaml:10:41: faults.0.instance: 'workers' has 3 instances, numbered 0 to 2; got -1",
    );
    const single = scenarioText({ bottom: "faults: [{ at: 1s, crash: workers, instance: 1 }]" });
    expect(messageOf(single)).toBe(
      "x.yaml:9:46: faults.0.instance: 'workers' has 1 instance, number 0; got 1",
    );
    const late = scenarioText({
      consumers: "  - { name: workers, processing: 1ms, start: 30s }",
      bottom: "faults: [{ at: 10s, crash: workers }]",
    });
    expect(messageOf(late)).toBe(
      "x.yaml:9:16: faults.0.at: at 10s is before 'workers' starts (start: 30s): there is nothing to crash yet",
    );
    expect(messageOf(withFaults("{ at: 1s, crash: workers, for: 0s }"))).toBe(
      "x.yaml:10:36: faults.0.for: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    );
  });

  it("partition two components that exchange messages, for a time > 0", () => {
    expect(messageOf(withFaults("{ at: 1s, partition: [orders, workers] }"))).toBe(
      "x.yaml:10:5: faults.0.for: missing 'for' (expected how long the partition lasts, a duration > 0 like 30s)",
    );
    expect(messageOf(withFaults("{ at: 1s, partition: [orders, workers], for: 0s }"))).toBe(
      "x.yaml:10:50: faults.0.for: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    );
    expect(messageOf(withFaults("{ at: 1s, partition: [api, workers], for: 1s }"))).toBe(
      "x.yaml:10:26: faults.0.partition: 'api' and 'workers' exchange no messages (a producer talks only to its queue or topic, a consumer only to the queue or topic it reads), so a partition between them would cut nothing",
    );
    expect(messageOf(withFaults("{ at: 1s, partition: [api, api], for: 1s }"))).toBe(
      "x.yaml:10:26: faults.0.partition: a partition is between two different components, got 'api' twice",
    );
    expect(messageOf(withFaults("{ at: 1s, partition: [api], for: 1s }"))).toBe(
      "x.yaml:10:26: faults.0.partition: expected a list of two names [a, b], got a list of 1 item",
    );
    expect(messageOf(withFaults("{ at: 1s, partition: [api, nowhere], for: 1s }"))).toBe(
      "x.yaml:10:32: faults.0.partition.1: no producer, queue, topic, exchange or consumer named 'nowhere' (known: orders, api, workers)",
    );
    expect(
      messageOf(withFaults("{ at: 1s, partition: [orders, workers], instance: 0, for: 1s }")),
    ).toBe("x.yaml:10:55: faults.0.instance: 'instance' applies only to crash faults");
  });

  it("partition a topic from its consumer group's consumer", () => {
    const config = only(
      topicScenarioText({ bottom: "faults: [{ at: 5s, partition: [signups, email], for: 10s }]" }),
    );
    expect(config.faults).toEqual([
      { kind: "partition", atS: 5, durationS: 10, a: "signups", b: "email" },
    ]);
  });
});
