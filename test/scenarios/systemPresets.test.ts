/**
 * `system:` presets: a queue or topic, and the producers and consumers attached to it, get the
 * system's documented defaults (checked here against ../shared/SYSTEMS.md's figures, written out
 * independently of models/systemPresets.ts), and what the scenario writes wins.
 */
import { describe, expect, it } from "vitest";
import { SYSTEM_PRESETS } from "../../models/systemPresets.ts";
import { listBundledScenarios, loadScenarioText } from "../../scenarios/loader.ts";
import { errorOf } from "./helpers.ts";

const KAFKA = `
name: k
duration: 1m
topics: [{ name: orders, system: kafka, partitions: 3 }]
producers: [{ name: api, to: orders, rate: 10/s }]
consumers: [{ name: fulfil, topic: orders, processing: 1ms }]
`;

describe("system presets", () => {
  it("kafka: topic, producer and consumer-group defaults of Kafka 3.x", () => {
    const config = loadScenarioText(KAFKA, "k.yaml").variants[0].config;
    const topic = config.topics[0];
    expect(topic.retentionS).toBe(7 * 86400); // retention.ms 7 days
    expect(topic.segmentBytes).toBe(1024 ** 3); // segment.bytes 1 GiB
    expect(topic.minInsyncReplicas).toBe(1);
    expect(topic.partitions).toBe(3); // written in the file: kept
    const producer = config.producers[0];
    expect(producer.acks).toBe("all"); // acks=all since 3.0
    expect(producer.idempotent).toBe(true); // enable.idempotence=true since 3.0
    expect(producer.maxInFlight).toBe(5);
    expect(producer.requestTimeoutS).toBe(30);
    expect(producer.retryBackoffS).toBe(0.1);
    const consumer = config.consumers[0];
    expect(consumer.commit).toBe("auto"); // enable.auto.commit=true
    expect(consumer.autoCommitIntervalS).toBe(5);
    expect(consumer.sessionTimeoutS).toBe(45);
    expect(consumer.heartbeatIntervalS).toBe(3);
    expect(consumer.maxPollRecords).toBe(500);
    expect(consumer.maxPollIntervalS).toBe(300);
    expect(consumer.autoOffsetReset).toBe("latest");
  });

  it("what the scenario writes wins, and what contradicts it is left out", () => {
    const text = KAFKA.replace("rate: 10/s }", "rate: 10/s, acks: leader }").replace(
      "processing: 1ms }",
      "processing: 1ms, commit: after-processing }",
    );
    const config = loadScenarioText(text, "k.yaml").variants[0].config;
    expect(config.producers[0].acks).toBe("leader");
    // Kafka enables idempotence by default only with acks=all.
    expect(config.producers[0].idempotent).toBe(false);
    expect(config.consumers[0].commit).toBe("after-processing");
  });

  it("sqs-fifo, rabbitmq-quorum and pubsub queues", () => {
    const text = (system: string) => `
name: q
duration: 1m
queues: [{ name: orders, system: ${system} }]
producers: [{ name: api, rate: 10/s }]
consumers: [{ name: workers, processing: 1ms }]
`;
    const fifo = loadScenarioText(text("sqs-fifo"), "q.yaml").variants[0].config;
    expect(fifo.queues[0].fifo).toBe(true);
    expect(fifo.queues[0].deduplicationWindowS).toBe(300); // 5 minutes
    expect(fifo.queues[0].visibilityTimeoutS).toBe(30);
    expect(fifo.queues[0].apiLimitPerS).toBe(300); // 300 calls/s per action, unbatched
    expect(fifo.producers[0].acks).toBe("all");
    const quorum = loadScenarioText(text("rabbitmq-quorum"), "q.yaml").variants[0].config;
    expect(quorum.queues[0].maxReceives).toBe(20); // delivery-limit 20 (4.x)
    expect(quorum.consumers[0].nackDelayS).toBe(0); // requeued at once
    const pubsub = loadScenarioText(text("pubsub"), "q.yaml").variants[0].config;
    expect(pubsub.queues[0].visibilityTimeoutS).toBe(10); // ack deadline 10 s
    // The client libraries extend leases up to 60 min (Java maxAckExtensionPeriod, Python
    // max_lease_duration 3600 s); message ordering is off unless the subscription enables it.
    expect(pubsub.consumers[0].leaseExtensionS).toBe(3600);
    expect(pubsub.queues[0].orderingKeys).toBe(false);
  });

  it("sqs's in-flight limit; cloud-tasks' rate limits and retry backoff", () => {
    const text = (system: string) => `
name: q
duration: 1m
queues: [{ name: tasks, system: ${system} }]
producers: [{ name: api, rate: 10/s }]
consumers: [{ name: workers, processing: 1ms }]
`;
    const sqs = loadScenarioText(text("sqs"), "q.yaml").variants[0].config.queues[0];
    expect(sqs.maxInFlight).toBe(120_000); // about 120,000 in flight
    const tasks = loadScenarioText(text("cloud-tasks"), "q.yaml").variants[0].config.queues[0];
    // 500 dispatches/s, burst 100, 1000 concurrent; max attempts 100; backoff 0.1 s to 3600 s,
    // doubling 16 times then linear.
    expect(tasks.dispatchLimit).toEqual({ ratePerS: 500, burst: 100 });
    expect(tasks.maxInFlight).toBe(1000);
    expect(tasks.maxReceives).toBe(100);
    expect(tasks.redeliveryBackoff).toEqual({
      kind: "doublings-then-linear",
      minS: 0.1,
      maxS: 3600,
      maxDoublings: 16,
    });
  });

  it("the queue presets' documented semantics, item by item", () => {
    const load = (system: string) =>
      loadScenarioText(
        `
name: q
duration: 1m
queues: [{ name: orders, system: ${system} }]
producers: [{ name: api, rate: 10/s }]
consumers: [{ name: workers, processing: 1ms }]
`,
        "q.yaml",
      ).variants[0].config;
    // SQS: visibility timeout 30 s; a message not deleted comes back when it expires.
    const sqs = load("sqs");
    expect(sqs.queues[0]).toMatchObject({ visibilityTimeoutS: 30, fifo: false });
    expect(sqs.consumers[0]).toMatchObject({ commit: "after-processing", onFailure: "timeout" });
    // RabbitMQ classic: consumer ack timeout 30 min, requeue near the head, unacked deliveries
    // requeued when the channel closes, nack with requeue redelivers at once.
    const rabbit = load("rabbitmq");
    expect(rabbit.queues[0]).toMatchObject({
      visibilityTimeoutS: 1800,
      requeueToHead: true,
      requeueOnDisconnect: true,
      maxReceives: null,
    });
    expect(rabbit.consumers[0]).toMatchObject({ onFailure: "nack", nackDelayS: 0 });
    // Quorum queues: delivery limit 20, requeue at the tail.
    expect(load("rabbitmq-quorum").queues[0]).toMatchObject({
      maxReceives: 20,
      requeueToHead: false,
      requeueOnDisconnect: true,
    });
    // Pub/Sub: ack deadline 10 s, leases extended up to 1 h, a nack redelivers at once when no
    // retry policy is set.
    const pubsub = load("pubsub");
    expect(pubsub.queues[0]).toMatchObject({ visibilityTimeoutS: 10, redeliveryBackoff: null });
    expect(pubsub.consumers[0]).toMatchObject({ leaseExtensionS: 3600, nackDelayS: 0 });
    // Celery: acks before the task runs.
    expect(load("celery").consumers[0].commit).toBe("before-processing");
    // Cloud Tasks: dispatch deadline 10 min.
    expect(load("cloud-tasks").queues[0].visibilityTimeoutS).toBe(600);
  });

  it("kinesis: 24 h retention, three availability zones", () => {
    const topic = loadScenarioText(KAFKA.replace("system: kafka", "system: kinesis"), "k.yaml")
      .variants[0].config.topics[0];
    expect(topic).toMatchObject({ retentionS: 24 * 3600, replicationFactor: 3, brokers: 3 });
  });

  it("names, for what each preset models, bundled scenarios that exist", () => {
    const bundled = new Set(listBundledScenarios().map((scenario) => scenario.name));
    for (const preset of Object.values(SYSTEM_PRESETS)) {
      expect(preset.modeled.length, preset.name).toBeGreaterThan(0);
      for (const line of preset.modeled) {
        const named = /\(([a-z0-9-]+(?:, [a-z0-9-]+)*)\)$/.exec(line)?.[1].split(", ") ?? [];
        for (const name of named) expect(bundled.has(name), `${preset.name}: ${name}`).toBe(true);
      }
    }
  });

  it("every preset's defaults load on a scenario of its kind", () => {
    for (const preset of Object.values(SYSTEM_PRESETS)) {
      const broker = preset.kind === "queue" ? "queues" : "topics";
      const reader = preset.kind === "queue" ? "queue: b" : "topic: b";
      const text = `
name: p
duration: 1m
${broker}: [{ name: b, system: ${preset.name}${preset.kind === "topic" ? ", partitions: 2" : ""} }]
producers: [{ name: api, to: b, rate: 1/s }]
consumers: [{ name: c, ${reader}, processing: 1ms }]
`;
      expect(() => loadScenarioText(text, "p.yaml"), preset.name).not.toThrow();
      for (const d of [...preset.broker, ...preset.producer, ...preset.consumer]) {
        expect(d.source.length, `${preset.name}.${d.field}`).toBeGreaterThan(10);
      }
    }
  });

  it("an unknown system, or one of the other kind, is a one-line error at its line", () => {
    const unknown = KAFKA.replace("system: kafka", "system: kafak");
    expect(errorOf(unknown).message).toContain(":4:");
    expect(errorOf(unknown).message).toContain("did you mean 'kafka'");
    const wrongKind = KAFKA.replace("system: kafka", "system: sqs");
    expect(errorOf(wrongKind).message).toContain("'sqs' is a queue, not a topic");
  });
});

describe("docs/presets.md", () => {
  it("is the text generated from the presets (npm run docs:presets)", async () => {
    const { readFileSync } = await import("node:fs");
    const { presetsMarkdown } = await import("../../scenarios/presetListing.ts");
    const file = new URL("../../docs/presets.md", import.meta.url);
    expect(readFileSync(file, "utf8")).toBe(presetsMarkdown());
  });
});
