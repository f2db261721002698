/** A sweep reads its metrics from each run's summary as summary.json wrote it. */
import { describe, expect, it } from "vitest";
import { recordMetric, type SweepRecord } from "../../reports/sweepRecords.ts";

const record = (summary: Record<string, unknown> | null): SweepRecord => ({
  seed: 1,
  variant: "base",
  passed: true,
  failed: [],
  error: null,
  summary,
});

describe("recordMetric", () => {
  const summary = {
    fates: { lost: 3, conserved: true },
    subscriptions: [
      { name: "orders", fates: { duplicateEffects: 5 } },
      { name: "orders/router", fates: { duplicateEffects: 7 } },
    ],
    callRoutes: [{ from: "api", to: "payments", attempts: 12 }],
    alerts: { dlq: { fired: 1 } },
  };

  it("follows a dotted path; true counts 1", () => {
    expect(recordMetric(record(summary), "fates.lost")).toBe(3);
    expect(recordMetric(record(summary), "fates.conserved")).toBe(1);
    expect(recordMetric(record(summary), "alerts.dlq.fired")).toBe(1);
  });

  it("names list entries as expectations do: by name, or a call route by its two ends", () => {
    expect(recordMetric(record(summary), "subscriptions.orders.fates.duplicateEffects")).toBe(5);
    expect(
      recordMetric(record(summary), "subscriptions.orders/router.fates.duplicateEffects"),
    ).toBe(7);
    expect(recordMetric(record(summary), "callRoutes.api.payments.attempts")).toBe(12);
  });

  it("is null for what is missing, and for a run that stopped on an error", () => {
    expect(recordMetric(record(summary), "subscriptions.nope.fates.lost")).toBe(null);
    expect(recordMetric(record(summary), "fates.nope")).toBe(null);
    expect(recordMetric(record(null), "fates.lost")).toBe(null);
  });
});
