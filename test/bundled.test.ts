/**
 * Every bundled scenario runs, conserves its messages, meets its own expectations, and gives the
 * same summary when run again with the same seed.
 */
import { describe, expect, it } from "vitest";
import { summaryJson } from "../reports/summary.ts";
import { listBundledScenarios, loadScenario } from "../scenarios/index.ts";
import { failedExpectations, runScenario } from "../scenarios/run.ts";

describe("bundled scenarios", () => {
  for (const bundled of listBundledScenarios()) {
    it(`${bundled.name}: conserves messages, meets its expectations, runs deterministically`, () => {
      const loaded = loadScenario(bundled.file);
      const result = runScenario(loaded);
      for (const variant of result.variants) {
        const f = variant.summary.fates;
        // A scenario of callers and services has requests instead of messages, a contention
        // experiment its contests.
        const contests = variant.summary.contention?.callsAtMax ?? 0;
        expect(f.produced + variant.summary.calls.requests + contests).toBeGreaterThan(0);
        expect(f.conserved).toBe(true);
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
      }
      expect(failedExpectations(result)).toEqual([]);
      expect(summaryJson(runScenario(loaded))).toBe(summaryJson(result));
    });
  }
});
