/** `queuelab shrink`: a smaller scenario that still fails the same expectation. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { loadScenarioText, resolveScenarioPath } from "../../scenarios/index.ts";
import { halve, shrink } from "../../scenarios/shrink.ts";

/**
 * At-most-once commits with three consumer crashes, claimed lossless: any one crash loses the
 * records its instance had committed and not processed, so one crash is enough to fail.
 */
const FAILING = `
name: lossy
duration: 4m
drain: 1m
queues: [{ name: orders, visibilityTimeout: 30s }]
producers: [{ name: api, to: orders, rate: 40/s }]
consumers:
  - { name: workers, queue: orders, count: 4, processing: { exponential: 50ms }, commit: before-processing }
faults:
  - { at: 30s, crash: workers, instance: 0, for: 10s }
  - { at: 60s, crash: workers, instance: 1, for: 10s }
  - { at: 90s, crash: workers, instance: 2, for: 10s }
expect: { fates.lost: 0 }
`;

describe("shrink", () => {
  it("halves quantities as written, and stops at one of their unit", () => {
    expect(halve("100/s")).toBe("50/s");
    expect(halve("10m")).toBe("5m");
    expect(halve("1m")).toBeNull();
    expect(halve(8)).toBe(4);
    expect(halve(1)).toBeNull();
    expect(halve("auto")).toBeNull();
  });

  it("keeps one fault, and the result still fails the same expectation", () => {
    const result = shrink({ text: FAILING, file: "lossy.yaml", variant: "base", seed: 1 })!;
    expect(result.expectation).toBe("fates.lost == 0");
    const loaded = loadScenarioText(result.text, "shrunk.yaml");
    const config = loaded.variants[0].config;
    expect(config.faults).toHaveLength(1);
    expect(config.durationS).toBeLessThanOrEqual(240);
    expect(result.steps.length).toBeGreaterThanOrEqual(2);
    // Checked again here, apart from the shrinker: the written file fails as it says.
    const summary = simulate(config, { seed: 1, variantName: "base" }).summary;
    expect(summary.fates.lost).toBeGreaterThan(0);
    // The same failing run always shrinks to the same file.
    expect(shrink({ text: FAILING, file: "lossy.yaml", variant: "base", seed: 1 })!.text).toBe(
      result.text,
    );
  });

  it("has nothing to do for a run that meets its expectations", () => {
    const file = resolveScenarioPath("mm1");
    const text = readFileSync(file, "utf8");
    expect(shrink({ text, file, variant: "base", seed: 1, maxRuns: 5 })).toBeNull();
  });
});
