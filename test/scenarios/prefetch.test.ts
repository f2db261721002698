/** The consumers' `prefetch` field: its default, its bounds and where it applies. */
import { describe, expect, it } from "vitest";
import { errorOf, load, scenarioText, topicScenarioText } from "./helpers.ts";

const consumerWith = (fields: string) => `  - { name: workers, processing: 10ms, ${fields} }`;

describe("prefetch", () => {
  it("defaults to concurrency (no buffer) and takes a larger number", () => {
    const [defaulted] = load(scenarioText({ consumers: consumerWith("concurrency: 3") }))
      .variants[0].config.consumers;
    expect(defaulted).toMatchObject({ concurrency: 3, prefetch: 3 });
    const [given] = load(scenarioText({ consumers: consumerWith("concurrency: 3, prefetch: 12") }))
      .variants[0].config.consumers;
    expect(given).toMatchObject({ concurrency: 3, prefetch: 12 });
  });

  it("refuses less than concurrency, RabbitMQ's 0 (unlimited), and topic consumers", () => {
    expect(
      errorOf(scenarioText({ consumers: consumerWith("concurrency: 4, prefetch: 2") })).message,
    ).toMatch(/consumers\.workers\.prefetch: prefetch \(2\) is below concurrency \(4\)/);
    expect(errorOf(scenarioText({ consumers: consumerWith("prefetch: 0") })).message).toMatch(
      /consumers\.workers\.prefetch: prefetch 0 means unlimited in RabbitMQ, which queuelab does not model/,
    );
    expect(
      errorOf(topicScenarioText({ consumers: "  - { name: email, processing: 1ms, prefetch: 4 }" }))
        .message,
    ).toMatch(/consumers\.email\.prefetch: 'prefetch' applies only to consumers of a queue/);
  });
});

describe("prefetchMultiplier", () => {
  it("is prefetch in multiples of concurrency; Celery's preset reserves 4 x concurrency", () => {
    const [multiplied] = load(
      scenarioText({ consumers: consumerWith("concurrency: 8, prefetchMultiplier: 4") }),
    ).variants[0].config.consumers;
    expect(multiplied).toMatchObject({ concurrency: 8, prefetch: 32 });
    // Celery 5.x: worker_prefetch_multiplier 4, a worker reserves 4 x concurrency messages.
    const [celery] = load(
      scenarioText({
        queues: "  - { name: orders, system: celery }",
        consumers: consumerWith("concurrency: 3"),
      }),
    ).variants[0].config.consumers;
    expect(celery.prefetch).toBe(12);
    // A prefetch written in the file wins over the preset's multiplier.
    const [written] = load(
      scenarioText({
        queues: "  - { name: orders, system: celery }",
        consumers: consumerWith("concurrency: 3, prefetch: 3"),
      }),
    ).variants[0].config.consumers;
    expect(written.prefetch).toBe(3);
  });

  it("refuses both fields at once, and topic consumers", () => {
    expect(
      errorOf(scenarioText({ consumers: consumerWith("prefetch: 4, prefetchMultiplier: 2") }))
        .message,
    ).toMatch(/consumers\.workers\.prefetchMultiplier: give either 'prefetch'/);
    expect(
      errorOf(
        topicScenarioText({
          consumers: "  - { name: email, processing: 1ms, prefetchMultiplier: 4 }",
        }),
      ).message,
    ).toMatch(/consumers\.email\.prefetchMultiplier: 'prefetchMultiplier' applies only/);
  });
});
