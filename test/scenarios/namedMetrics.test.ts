/** Expectations on named entries of a summary's lists: subscriptions, downstreams, call routes, priority classes. */
import { describe, expect, it } from "vitest";
import { metricValue } from "../../models/expectations.ts";
import type { VariantSummary } from "../../models/results.ts";
import { loadScenarioText } from "../../scenarios/loader.ts";

const SUMMARY = {
  subscriptions: [
    { name: "orders", fates: { lost: 3 } },
    { name: "events/email", fates: { lost: 7 } },
  ],
  downstreams: [{ name: "payments", responseTime: { p99S: 1.5 } }],
  callRoutes: [
    { from: "workers", to: "payments", attempts: 40 },
    { from: "api", to: "payments", attempts: 9 },
  ],
  byPriority: [
    { queue: "orders", priority: 0, dropped: 11 },
    { queue: "orders", priority: 1, dropped: 0 },
  ],
} as unknown as VariantSummary;

describe("named metrics", () => {
  it("find a list entry by its name, or by two parts", () => {
    expect(metricValue(SUMMARY, "subscriptions.events/email.fates.lost")).toBe(7);
    expect(metricValue(SUMMARY, "downstreams.payments.responseTime.p99S")).toBe(1.5);
    expect(metricValue(SUMMARY, "callRoutes.api.payments.attempts")).toBe(9);
    expect(metricValue(SUMMARY, "byPriority.orders.0.dropped")).toBe(11);
    expect(metricValue(SUMMARY, "byPriority.orders.1.dropped")).toBe(0);
    expect(metricValue(SUMMARY, "subscriptions.nothing.fates.lost")).toBeNull();
  });

  it("a scenario may name its own entries, and a name it does not have is an error", () => {
    const text = (metric: string) => `
name: n
duration: 1m
queues: [{ name: orders }]
producers: [{ name: api, rate: 1/s }]
consumers: [{ name: workers, processing: 1ms }]
expect: { ${metric}: 0 }
`;
    const loaded = loadScenarioText(text("subscriptions.orders.fates.lost"), "n.yaml");
    expect(loaded.variants[0].config.expect[0].metric).toBe("subscriptions.orders.fates.lost");
    expect(() => loadScenarioText(text("subscriptions.ordres.fates.lost"), "n.yaml")).toThrow(
      /did you mean 'subscriptions\.orders\.fates\.lost'/,
    );
  });
});
