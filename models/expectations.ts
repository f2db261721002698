/** Checks a scenario's stated expectations against a variant's summary. */
import type { ComparisonOp, Expectation } from "./config.ts";
import type { ExpectationOutcome, VariantSummary } from "./results.ts";

/**
 * The number at a dotted path of the summary (`fates.lost`, `latency.p99S`), or null. An entry of
 * a list is named by its `name` (`subscriptions.orders.fates.lost`), or by two parts: a call
 * route's `from` and `to`, a priority class's `queue` and `priority`. The summary may be one read
 * back from JSON (a sweep's runs.jsonl).
 */
export function metricValue(
  summary: VariantSummary | Readonly<Record<string, unknown>>,
  metric: string,
): number | null {
  let value: unknown = summary;
  const parts = metric.split(".");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (Array.isArray(value)) {
      const entries = value as Record<string, unknown>[];
      const next = parts[i + 1];
      const byName = entries.find((e) => e.name === part);
      const byPair = entries.find(
        (e) =>
          (e.from === part && e.to === next) || (e.queue === part && String(e.priority) === next),
      );
      if (byName === undefined && byPair === undefined) return null;
      value = byName ?? byPair;
      if (byName === undefined) i++;
      continue;
    }
    if (value === null || typeof value !== "object" || !(part in value)) return null;
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  return typeof value === "number" ? value : null;
}

export function compare(observed: number, op: ComparisonOp, expected: number): boolean {
  switch (op) {
    case "<":
      return observed < expected;
    case "<=":
      return observed <= expected;
    case "==":
      return observed === expected;
    case "!=":
      return observed !== expected;
    case ">=":
      return observed >= expected;
    case ">":
      return observed > expected;
  }
}

export function evaluateExpectations(
  expectations: Expectation[],
  summary: VariantSummary,
): ExpectationOutcome[] {
  return expectations.map((expectation) => {
    const observed = metricValue(summary, expectation.metric);
    return {
      text: expectation.text,
      metric: expectation.metric,
      observed,
      // A metric with no value (no message processed, so no latency) fails the expectation:
      // a claim about latency cannot hold when nothing was measured.
      passed: observed !== null && compare(observed, expectation.op, expectation.value),
    };
  });
}
