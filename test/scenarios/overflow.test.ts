/**
 * The scenario fields of capacity, overflow, TTL, delay and priorities on queues, and of
 * message sizes, priorities and rate limits on producers.
 */
import { describe, expect, it } from "vitest";
import { errorOf, load, scenarioText, topicScenarioText } from "./helpers.ts";

function queueOf(queues: string, overrides: string[] = []) {
  return load(scenarioText({ queues }), overrides).variants[0].config.queues[0];
}

function producerOf(producers: string, queues?: string) {
  return load(scenarioText({ producers, queues })).variants[0].config.producers[0];
}

describe("queue capacity and overflow", () => {
  it("are unbounded by default, with no TTL, no delay and one priority class", () => {
    expect(queueOf("  - { name: orders }")).toMatchObject({
      maxLength: null,
      maxBytes: null,
      overflow: "unbounded",
      diskLimitBytes: null,
      messageTtlS: null,
      expire: "drop",
      delayS: 0,
      priorities: 1,
    });
  });

  it("overflow defaults to drop-head with a capacity (RabbitMQ's default)", () => {
    expect(queueOf("  - { name: orders, maxLength: 100 }")).toMatchObject({
      maxLength: 100,
      overflow: "drop-head",
    });
    expect(queueOf("  - { name: orders, maxBytes: 64MiB, overflow: block }")).toMatchObject({
      maxBytes: 64 * 1024 ** 2,
      overflow: "block",
    });
  });

  it("read every field with its unit", () => {
    const q = queueOf(
      [
        "  - { name: orders, maxLength: 10, maxBytes: 1MB, overflow: reject-to-dlq,",
        "      diskLimit: 50MB, messageTtl: 4d, expire: dead-letter, delay: 15m, priorities: 3 }",
      ].join("\n"),
    );
    expect(q).toMatchObject({
      maxLength: 10,
      maxBytes: 1_000_000,
      overflow: "reject-to-dlq",
      diskLimitBytes: 50_000_000,
      messageTtlS: 4 * 86400,
      expire: "dead-letter",
      delayS: 900,
      priorities: 3,
    });
  });

  it("refuse an overflow policy without a capacity, and 'unbounded' with one", () => {
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, overflow: drop-tail }" })).message,
    ).toBe(
      "x.yaml:4:31: queues.orders.overflow: overflow 'drop-tail' needs a capacity: give maxLength or maxBytes",
    );
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, maxLength: 5, overflow: unbounded }" }))
        .message,
    ).toContain("overflow 'unbounded' contradicts maxLength or maxBytes");
  });

  it("refuse drop-low-first without priority classes", () => {
    const error = errorOf(
      scenarioText({ queues: "  - { name: orders, maxLength: 5, overflow: drop-low-first }" }),
    );
    expect(error.path).toBe("queues.orders.overflow");
    expect(error.message).toContain("needs priority classes: give priorities >= 2");
  });

  it("suggest a policy for a misspelling", () => {
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, maxLength: 5, overflow: drophead }" }))
        .message,
    ).toContain("did you mean 'drop-head'?");
  });

  it("refuse capacity, TTL and priorities on a FIFO queue, and expire without a TTL", () => {
    for (const field of ["maxLength: 5", "messageTtl: 1h", "priorities: 2"]) {
      const error = errorOf(scenarioText({ queues: `  - { name: orders, fifo: true, ${field} }` }));
      expect(error.message).toContain("is modeled on standard queues only (fifo: false)");
    }
    expect(queueOf("  - { name: orders, fifo: true, delay: 10s }").delayS).toBe(10);
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, expire: drop }" })).message,
    ).toContain("'expire' applies only with a messageTtl");
  });

  it("check ranges: maxLength >= 1, priorities 1..255, sizes >= 1B", () => {
    expect(errorOf(scenarioText({ queues: "  - { name: orders, maxLength: 0 }" })).expected).toBe(
      "a whole number >= 1",
    );
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, priorities: 256 }" })).expected,
    ).toBe("a whole number <= 255");
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, maxBytes: 0B }" })).expected,
    ).toContain("a size >= 1B");
  });

  it("can be set by --set, and restored to unbounded by null", () => {
    const q = queueOf("  - { name: orders, maxLength: 5, overflow: block }", [
      "queues.orders.maxLength=null",
      "queues.orders.overflow=null",
    ]);
    expect(q).toMatchObject({ maxLength: null, overflow: "unbounded" });
  });
});

describe("producer message sizes, priorities and rate limits", () => {
  it("a fixed size stays a fixed size", () => {
    expect(producerOf("  - { name: api, rate: 10/s, messageSize: 2KiB }")).toMatchObject({
      messageSizeBytes: 2048,
      messageSizeDistribution: null,
    });
    expect(
      producerOf("  - { name: api, rate: 10/s, messageSize: { constant: 512B } }"),
    ).toMatchObject({ messageSizeBytes: 512, messageSizeDistribution: null });
  });

  it("a distribution of sizes, in bytes, with its mean as the nominal size", () => {
    const p = producerOf(
      "  - { name: api, rate: 10/s, messageSize: { lognormal: { median: 2KiB, p99: 64KiB } } }",
    );
    expect(p.messageSizeDistribution).toEqual({
      kind: "lognormal-quantiles",
      median: 2048,
      p99: 65536,
    });
    // exp(mu + sigma^2 / 2) with mu = ln 2048, sigma = ln 32 / 2.3263...: 6,228 bytes.
    const sigma = Math.log(32) / 2.3263478740408408;
    expect(p.messageSizeBytes).toBe(Math.round(2048 * Math.exp((sigma * sigma) / 2)));
    expect(
      producerOf("  - { name: api, rate: 10/s, messageSize: { uniform: [1KB, 3KB] } }")
        .messageSizeBytes,
    ).toBe(2000);
  });

  it("a size distribution is checked like a time one, with sizes for its values", () => {
    const error = errorOf(
      scenarioText({
        producers: "  - { name: api, rate: 10/s, messageSize: { exponential: 10ms } }",
      }),
    );
    expect(error.path).toBe("producers.api.messageSize.exponential");
    expect(error.expected).toContain("a size like 1KiB");
  });

  it("priority: low is 0, high the queue's highest class, or a number", () => {
    expect(producerOf("  - { name: api, rate: 10/s }").priority).toBe(0);
    expect(producerOf("  - { name: api, rate: 10/s, priority: low }").priority).toBe(0);
    expect(producerOf("  - { name: api, rate: 10/s, priority: high }").priority).toBe(255);
    expect(producerOf("  - { name: api, rate: 10/s, priority: 3 }").priority).toBe(3);
    expect(
      errorOf(scenarioText({ producers: "  - { name: api, rate: 10/s, priority: urgent }" }))
        .expected,
    ).toBe("'low', 'high' or a whole number from 0 to 255");
  });

  it("priority is refused on a topic's producer", () => {
    const error = errorOf(
      topicScenarioText({ producers: "  - { name: api, rate: 10/s, priority: high }" }),
    );
    expect(error.message).toContain("'priority' applies only to producers of a queue");
  });

  it("rateLimit: rate required and > 0, burst 1 and onLimit wait by default", () => {
    expect(
      producerOf("  - { name: api, rate: 10/s, rateLimit: { rate: 100/s } }").rateLimit,
    ).toEqual({ ratePerS: 100, burst: 1, onLimit: "wait" });
    expect(
      producerOf(
        "  - { name: api, rate: 10/s, rateLimit: { rate: 5/m, burst: 20, onLimit: drop } }",
      ).rateLimit,
    ).toEqual({ ratePerS: 5 / 60, burst: 20, onLimit: "drop" });
    expect(
      errorOf(
        scenarioText({ producers: "  - { name: api, rate: 10/s, rateLimit: { rate: 0/s } }" }),
      ).expected,
    ).toBe("a rate > 0 like 100/s");
    expect(
      errorOf(scenarioText({ producers: "  - { name: api, rate: 10/s, rateLimit: { burst: 2 } }" }))
        .message,
    ).toContain("missing 'rate'");
  });
});
