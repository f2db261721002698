import { describe, expect, it } from "vitest";
import { errorOf, scenarioText } from "./helpers.ts";

/** The first error's one-line message. */
function messageOf(text: string, overrides: string[] = []): string {
  const { message } = errorOf(text, overrides);
  expect(message).not.toContain("\n");
  return message;
}

describe("error fields", () => {
  it("name the file, line, column, path and expectation", () => {
    const error = errorOf(
      scenarioText({ consumers: "  - name: workers\n    count: -3\n    processing: 10ms" }),
    );
    expect(error.name).toBe("ScenarioError");
    expect(error.file).toBe("x.yaml");
    expect(error.line).toBe(9);
    expect(error.column).toBe(12);
    expect(error.path).toBe("consumers.workers.count");
    expect(error.expected).toBe("a whole number >= 1");
    expect(error.origin).toBeNull();
    expect(error.message).toBe(
      "x.yaml:9:12: consumers.workers.count: expected a whole number >= 1, got -3",
    );
  });
});

describe("YAML syntax errors", () => {
  it("report the parser's line", () => {
    expect(messageOf("name: t\n  duration: 1m\n")).toBe(
      "x.yaml:1:7: YAML syntax error: Nested mappings are not allowed in compact mappings",
    );
  });

  it("report duplicate keys", () => {
    expect(messageOf("name: t\nduration: 1m\nname: u\n")).toBe(
      "x.yaml:3:1: YAML syntax error: Map keys must be unique",
    );
  });

  it("report an unterminated flow collection", () => {
    expect(messageOf("name: t\nduration: [1m\nqueues: x\n")).toMatch(
      /^x\.yaml:3:1: YAML syntax error: Flow sequence/,
    );
  });

  it("reject a document that is not a mapping", () => {
    expect(messageOf("- a\n- b\n")).toBe(
      "x.yaml:1:1: expected a mapping with name, duration, queues or topics, producers and consumers (or downstreams and callers), got a list of 2 items",
    );
    expect(messageOf("")).toBe(
      "x.yaml: expected a mapping with name, duration, queues or topics, producers and consumers (or downstreams and callers), got nothing",
    );
  });
});

describe("unknown keys", () => {
  it("suggest the closest known key", () => {
    const text = scenarioText({ queues: "  - { name: orders, visibiltyTimeout: 30s }" });
    expect(messageOf(text)).toBe(
      "x.yaml:4:21: queues.orders.visibiltyTimeout: unknown key 'visibiltyTimeout', did you mean 'visibilityTimeout'?",
    );
  });

  it("suggest at the top level, ignoring case", () => {
    expect(messageOf(scenarioText({ top: "durration: 5m" }))).toBe(
      "x.yaml:3:1: durration: unknown key 'durration', did you mean 'duration'?",
    );
    expect(messageOf(scenarioText({ top: "Warmup: 5s" }))).toContain("did you mean 'warmup'?");
  });

  it("list the keys when nothing is close", () => {
    const text = scenarioText({ queues: "  - { name: orders, zzzzzzzz: 1 }" });
    expect(messageOf(text)).toBe(
      "x.yaml:4:21: queues.orders.zzzzzzzz: unknown key 'zzzzzzzz' (expected one of: name, system, visibilityTimeout, maxReceives, fifo, orderingKeys, deduplicationWindow, maxLength, maxBytes, overflow, diskLimit, messageTtl, expire, delay, priorities, requeueOnDisconnect, apiLimit, requeueToHead, dispatchLimit, maxInFlight, redeliveryBackoff)",
    );
  });

  it("suggest distribution kinds", () => {
    const text = scenarioText({
      consumers: "  - { name: workers, processing: { exponentail: 1s } }",
    });
    expect(messageOf(text)).toBe(
      "x.yaml:8:36: consumers.workers.processing.exponentail: unknown key 'exponentail', did you mean 'exponential'?",
    );
  });

  it("suggest choices", () => {
    const text = scenarioText({
      consumers: "  - { name: workers, processing: 1s, onFailure: nak }",
    });
    expect(messageOf(text)).toBe(
      "x.yaml:8:49: consumers.workers.onFailure: expected 'nack' or 'timeout', got nak, did you mean 'nack'?",
    );
  });
});

describe("names", () => {
  it("must be unique within a kind", () => {
    const text = scenarioText({ queues: "  - { name: orders }\n  - { name: orders }" });
    expect(messageOf(text)).toBe(
      "x.yaml:5:13: queues.orders.name: 'orders' is already the name of a queue (line 4); names must be unique across queues, topics, exchanges, producers, consumers, downstreams and callers",
    );
  });

  it("must be unique across kinds, since links name either", () => {
    const text = scenarioText({ producers: "  - { name: orders, rate: 1/s }" });
    expect(messageOf(text)).toMatch(/^x\.yaml:6:13: producers\.orders\.name: 'orders' is already/);
  });

  it("must match [A-Za-z0-9_-]+", () => {
    expect(messageOf(scenarioText({ queues: "  - { name: 'or ders' }" }))).toBe(
      "x.yaml:4:13: queues.0.name: expected a name of letters, digits, '-' and '_', got 'or ders'",
    );
  });

  it("the scenario's is lowercase", () => {
    const text = scenarioText().replace("name: t", "name: My Scenario");
    expect(messageOf(text)).toBe(
      "x.yaml:1:7: name: expected a lowercase name of letters, digits and '-', got My Scenario",
    );
  });

  it("are required", () => {
    expect(messageOf(scenarioText({ queues: "  - { visibilityTimeout: 1s }" }))).toBe(
      "x.yaml:4:5: queues.0.name: missing 'name' (expected a name)",
    );
  });
});

describe("references", () => {
  const twoQueues = "  - { name: orders }\n  - { name: other }";

  it("producer.to names a queue or topic, with a suggestion", () => {
    const text = scenarioText({
      queues: twoQueues,
      producers: "  - { name: api, rate: 1/s, to: ordrs }",
    });
    expect(messageOf(text)).toBe(
      "x.yaml:7:33: producers.api.to: no queue, topic or exchange named 'ordrs', did you mean 'orders'?",
    );
  });

  it("producer.to is required when there are several queues", () => {
    const text = scenarioText({ queues: twoQueues, producers: "  - { name: api, rate: 1/s }" });
    expect(messageOf(text)).toBe(
      "x.yaml:7:5: producers.api.to: missing 'to' (expected the name of a queue (there are 2: orders, other))",
    );
  });

  it("names of the wrong kind are told apart", () => {
    const text = scenarioText({ producers: "  - { name: api, rate: 1/s, to: workers }" });
    expect(messageOf(text)).toBe(
      "x.yaml:6:33: producers.api.to: 'workers' is a consumer, expected a queue, topic or exchange",
    );
  });

  it("consumer.queue names a queue", () => {
    const text = scenarioText({
      consumers: "  - { name: workers, queue: nope, processing: 1s }",
    });
    expect(messageOf(text)).toBe(
      "x.yaml:8:29: consumers.workers.queue: no queue named 'nope' (known: orders)",
    );
  });

  it("link ends name a producer, queue, topic or consumer", () => {
    const text = scenarioText({ top: "links:\n  - { from: api, to: nowhere }" });
    expect(messageOf(text)).toBe(
      "x.yaml:4:22: links.0.to: no producer, queue, topic, exchange or consumer named 'nowhere' (known: orders, api, workers)",
    );
  });

  it("a link joins two different components, once per direction", () => {
    expect(messageOf(scenarioText({ top: "links: [{ between: [api, api] }]" }))).toBe(
      "x.yaml:3:20: links.0.between: a link joins two different components, got 'api' twice",
    );
    const text = scenarioText({
      top: "links:\n  - { between: [api, orders] }\n  - { from: orders, to: api }",
    });
    expect(messageOf(text)).toBe(
      "x.yaml:5:5: links.1: the link orders -> api is already defined at line 4",
    );
  });
});

describe("numbers and units", () => {
  it("durations have a unit we know", () => {
    const text = scenarioText({ queues: "  - { name: orders, visibilityTimeout: 5x }" });
    expect(messageOf(text)).toBe(
      "x.yaml:4:40: queues.orders.visibilityTimeout: expected a duration like 250ms, 30s or 5m, got 5x",
    );
  });

  it("durations are >= 0, and the scenario's duration > 0", () => {
    expect(messageOf(scenarioText({ top: "drain: -1s" }))).toBe(
      "x.yaml:3:8: drain: expected a duration >= 0 (like 250ms, 30s or 5m), got -1s",
    );
    expect(messageOf(scenarioText().replace("duration: 1m", "duration: 0s"))).toBe(
      "x.yaml:2:11: duration: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    );
  });

  it("numbers are finite", () => {
    const text = scenarioText({ queues: "  - { name: orders, visibilityTimeout: .inf }" });
    expect(messageOf(text)).toBe(
      "x.yaml:4:40: queues.orders.visibilityTimeout: expected a duration like 250ms, 30s or 5m (a finite number), got .inf",
    );
    const zipf = scenarioText({
      producers: "  - { name: api, rate: 1/s, keys: { skew: zipf, exponent: .nan } }",
    });
    expect(messageOf(zipf)).toBe(
      "x.yaml:6:59: producers.api.keys.exponent: expected a finite number, got .nan",
    );
  });

  it("rates are >= 0 and have a unit we know", () => {
    expect(messageOf(scenarioText({ producers: "  - { name: api, rate: -5/s }" }))).toBe(
      "x.yaml:6:24: producers.api.rate: expected a rate >= 0 (like 500/s, 30/m or 1000/h), got -5/s",
    );
    expect(messageOf(scenarioText({ producers: "  - { name: api, rate: 5/x }" }))).toBe(
      "x.yaml:6:24: producers.api.rate: expected a rate like 500/s, 30/m or 1000/h, got 5/x",
    );
  });

  it("probabilities are in [0, 1]", () => {
    const text = scenarioText({
      consumers: "  - { name: workers, processing: 10ms, failure: 5 }",
    });
    expect(messageOf(text)).toBe(
      "x.yaml:8:49: consumers.workers.failure: expected a probability like 1% or 0.01 (between 0 and 1), got 5 (did you mean 5%?)",
    );
    const link = scenarioText({ top: "links: [{ from: api, to: orders, loss: 150% }]" });
    expect(messageOf(link)).toBe(
      "x.yaml:3:40: links.0.loss: expected a probability like 1% or 0.01 (between 0 and 1), got 150%",
    );
  });

  it("counts are whole numbers >= 1 with an upper bound", () => {
    const consumer = (count: string) =>
      scenarioText({ consumers: `  - { name: workers, count: ${count}, processing: 10ms }` });
    expect(messageOf(consumer("1.5"))).toBe(
      "x.yaml:8:29: consumers.workers.count: expected a whole number >= 1, got 1.5",
    );
    expect(messageOf(consumer("1000000"))).toBe(
      "x.yaml:8:29: consumers.workers.count: expected a whole number <= 100000, got 1000000",
    );
    expect(messageOf(consumer("'3'"))).toBe(
      "x.yaml:8:29: consumers.workers.count: expected a whole number >= 1, got '3'",
    );
    const concurrency = scenarioText({
      consumers: "  - { name: workers, concurrency: 0, processing: 10ms }",
    });
    expect(messageOf(concurrency)).toContain("consumers.workers.concurrency: expected a whole");
    const receives = scenarioText({ queues: "  - { name: orders, maxReceives: 0 }" });
    expect(messageOf(receives)).toBe(
      "x.yaml:4:34: queues.orders.maxReceives: expected a whole number >= 1, got 0",
    );
  });

  it("warmup is shorter than duration; producers start before it ends", () => {
    expect(messageOf(scenarioText({ top: "warmup: 2m" }))).toBe(
      "x.yaml:3:9: warmup: warmup (120s) must be shorter than duration (60s)",
    );
    const late = scenarioText({ producers: "  - { name: api, rate: 1/s, start: 5m }" });
    expect(messageOf(late)).toBe(
      "x.yaml:6:36: producers.api.start: starts at 300s, at or after the end of duration (60s): it would never publish",
    );
  });
});

describe("required parts", () => {
  it("at least one producer, queue or topic, and consumer", () => {
    expect(
      messageOf(scenarioText({ producers: "    []" }).replace("producers:\n", "producers:")),
    ).toBe("x.yaml:5:15: producers: expected at least one producer");
    const noQueues = "name: t\nduration: 1m\nproducers: [{ name: p, rate: 1 }]\n";
    expect(messageOf(noQueues)).toBe(
      "x.yaml:1:1: queues: missing 'queues' or 'topics' (expected at least one queue or topic)",
    );
    const noConsumers =
      "name: t\nduration: 1m\nqueues: [{ name: q }]\nproducers: [{ name: p, rate: 1 }]\nconsumers: []\n";
    expect(messageOf(noConsumers)).toBe("x.yaml:5:12: consumers: expected at least one consumer");
    const emptyBoth = "name: t\nduration: 1m\nqueues: []\ntopics: []\nproducers: [{ name: p }]\n";
    expect(messageOf(emptyBoth)).toBe(
      "x.yaml:3:9: queues: expected at least one queue or topic (in 'queues' or 'topics')",
    );
    const emptyTopics = "name: t\nduration: 1m\ntopics: []\nproducers: [{ name: p }]\n";
    expect(messageOf(emptyTopics)).toBe(
      "x.yaml:3:9: topics: expected at least one queue or topic (in 'queues' or 'topics')",
    );
  });

  it("a producer has rate or phases, not both", () => {
    expect(messageOf(scenarioText({ producers: "  - { name: api }" }))).toBe(
      "x.yaml:6:5: producers.api.rate: missing 'rate' (expected a rate like 500/s (or 'phases'))",
    );
    const both = scenarioText({
      producers: "  - { name: api, rate: 1/s, phases: [{ for: 1m, rate: 1/s }] }",
    });
    expect(messageOf(both)).toBe(
      "x.yaml:6:37: producers.api: give either 'rate' or 'phases', not both",
    );
  });

  it("a consumer has a processing time", () => {
    expect(messageOf(scenarioText({ consumers: "  - { name: workers }" }))).toBe(
      "x.yaml:8:5: consumers.workers.processing: missing 'processing' (expected a distribution like { exponential: 40ms })",
    );
  });

  it("options that only apply to another choice are rejected", () => {
    const nack = scenarioText({
      consumers: "  - { name: workers, processing: 1s, onFailure: timeout, nackDelay: 1s }",
    });
    expect(messageOf(nack)).toBe(
      "x.yaml:8:69: consumers.workers.nackDelay: 'nackDelay' applies only to onFailure: nack",
    );
    const zipf = scenarioText({
      producers: "  - { name: api, rate: 1/s, keys: { exponent: 2 } }",
    });
    expect(messageOf(zipf)).toBe(
      "x.yaml:6:47: producers.api.keys.exponent: 'exponent' applies only to skew: zipf",
    );
  });
});

describe("distributions", () => {
  const processing = (spec: string) =>
    messageOf(scenarioText({ consumers: `  - { name: workers, processing: ${spec} }` }));

  it("turn the kernel's validation error into a field error", () => {
    expect(processing("{ exponential: 0s }")).toBe(
      "x.yaml:8:34: consumers.workers.processing: exponential mean must be > 0, got 0",
    );
    expect(processing("{ uniform: [50ms, 10ms] }")).toBe(
      "x.yaml:8:34: consumers.workers.processing: uniform min must be <= max, got 0.05 > 0.01",
    );
  });

  it("check their own syntax", () => {
    expect(processing("{ uniform: [1s] }")).toBe(
      "x.yaml:8:45: consumers.workers.processing.uniform: expected [min, max] or { min, max }, got a list of 1 item",
    );
    expect(processing("{ exponential: 1s, constant: 1s }")).toBe(
      "x.yaml:8:34: consumers.workers.processing: give exactly one distribution kind, got exponential and constant",
    );
    expect(processing("{ lognormal: { median: 1s, sigma: 1 } }")).toBe(
      "x.yaml:8:47: consumers.workers.processing.lognormal: give { median, p99 } or { mu, sigma }, not both",
    );
    expect(processing("{ empirical: [] }")).toBe(
      "x.yaml:8:47: consumers.workers.processing.empirical: expected a list of 1 to 100000 durations, got an empty list",
    );
    expect(processing("{ normal: { mean: 1s, stddev: -1ms } }")).toBe(
      "x.yaml:8:64: consumers.workers.processing.normal.stddev: expected a duration >= 0 (like 250ms, 30s or 5m), got -1ms",
    );
  });
});

describe("expectations", () => {
  const withExpect = (expectText: string) =>
    messageOf(scenarioText({ top: `expect: ${expectText}` }));

  it("name a known metric, with a suggestion", () => {
    expect(withExpect("{ fates.lots: 0 }")).toBe(
      "x.yaml:3:23: expect.fates.lots: unknown metric 'fates.lots', did you mean 'fates.lost'?",
    );
  });

  it("say when a short name is ambiguous", () => {
    expect(withExpect("{ p99S: 1 }")).toBe(
      "x.yaml:3:17: expect.p99S: 'p99S' is ambiguous: say latency.p99S or queueWait.p99S or publishWait.p99S",
    );
  });

  it("take the metric's unit", () => {
    expect(withExpect("{ latency.p99S: '< 2x' }")).toBe(
      "x.yaml:3:25: expect.latency.p99S: expected a duration like 250ms, 30s or 5m, got 2x",
    );
    expect(withExpect("{ fates.lost: '< 2s' }")).toBe(
      "x.yaml:3:23: expect.fates.lost: expected a plain number, got 2s",
    );
  });

  it("in a list, are conditions", () => {
    expect(withExpect("['fates.lost is zero']")).toBe(
      `x.yaml:3:10: expect.0: expected a condition like "fates.lost == 0", got 'fates.lost is zero'`,
    );
  });
});
