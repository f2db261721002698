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
