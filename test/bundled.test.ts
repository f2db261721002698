/** Every bundled scenario runs, conserves its messages and meets its own expectations. */
import { describe, expect, it } from "vitest";
import { listBundledScenarios, loadScenario } from "../scenarios/index.ts";
import { failedExpectations, runScenario } from "../scenarios/run.ts";

describe("bundled scenarios", () => {
  for (const bundled of listBundledScenarios()) {
    it(`${bundled.name}: produced = processed + dead-lettered + dropped + pending + lost`, () => {
      const result = runScenario(loadScenario(bundled.file));
      for (const variant of result.variants) {
        const f = variant.summary.fates;
        expect(f.produced).toBeGreaterThan(0);
        expect(f.conserved).toBe(true);
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
      }
      expect(failedExpectations(result)).toEqual([]);
    });
  }
});
