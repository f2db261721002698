/**
 * Pub/Sub ordering keys and lease extension in scenario files: the fields, their refusals, and
 * the bundled pubsub-ordering-redelivery scenario against the rule it demonstrates.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, resolveScenarioPath } from "../../scenarios/index.ts";
import { runScenario } from "../../scenarios/run.ts";
import { errorOf, load, scenarioText, topicScenarioText } from "./helpers.ts";

describe("orderingKeys and leaseExtension", () => {
  it("read orderingKeys on a queue and leaseExtension on its consumer", () => {
    const config = load(
      scenarioText({
        queues: "  - { name: orders, orderingKeys: true }",
        consumers: "  - { name: workers, processing: 10ms, leaseExtension: 1h }",
      }),
    ).variants[0].config;
    expect(config.queues[0].orderingKeys).toBe(true);
    expect(config.consumers[0].leaseExtensionS).toBe(3600);
    const plain = load(scenarioText()).variants[0].config;
    expect([plain.queues[0].orderingKeys, plain.consumers[0].leaseExtensionS]).toEqual([false, 0]);
  });

  it("refuse ordering keys on a FIFO queue or with a capacity, and a lease on a topic", () => {
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, fifo: true, orderingKeys: true }" }))
        .message,
    ).toContain("queues.orders.orderingKeys: 'orderingKeys' (Pub/Sub message ordering) and fifo");
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, orderingKeys: true, maxLength: 10 }" }))
        .message,
    ).toContain("queues.orders.maxLength: 'maxLength' is modeled on queues without ordering keys");
    expect(
      errorOf(
        topicScenarioText({
          consumers: "  - { name: email, processing: 10ms, leaseExtension: 1h }",
        }),
      ).message,
    ).toContain(
      "consumers.email.leaseExtension: 'leaseExtension' applies only to consumers of a queue",
    );
  });
});

describe("the bundled pubsub-ordering-redelivery scenario", () => {
  it("a lost ack redelivers about 1 + 0.4/s x 10 s = 5 messages with keys, 1 without", () => {
    const result = runScenario(loadScenario(resolveScenarioPath("pubsub-ordering-redelivery")));
    const [keyed, unkeyed, idempotent] = result.variants.map((v) => v.summary);
    // Each lost ack makes one deadline expire (the lease stops when the callback ends).
    const perExpiry = (s: typeof keyed) => s.fates.duplicateEffects / s.counters.visibilityTimeouts;
    expect(perExpiry(keyed)).toBeGreaterThan(4);
    expect(perExpiry(keyed)).toBeLessThan(6);
    expect(perExpiry(unkeyed)).toBeGreaterThan(0.9);
    expect(perExpiry(unkeyed)).toBeLessThan(1.1);
    expect(keyed.ordering.violations).toBe(0);
    expect(unkeyed.ordering.violations).toBeGreaterThan(0);
    // Common random numbers: the idempotent variant sees the same redeliveries, and skips them.
    expect(idempotent.counters.duplicatesSkipped).toBe(keyed.fates.duplicateEffects);
    expect(idempotent.fates.duplicateEffects).toBe(0);
  });
});
