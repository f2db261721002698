/**
 * The fuzz properties on a fixed, seeded sample, so the suite is deterministic and quick;
 * `npm run fuzz` runs 10,000 loader cases with a fresh seed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkLoaderCase, checkRunCase, type RunOutcome } from "./properties.ts";
import { describeCase, loaderCase, runnableScenario } from "./scenarioArbitraries.ts";

const SEED = 20_251_127;

describe("the scenario loader under fuzzing", () => {
  it("300 mutated, random and hostile documents: a sane scenario or a one-line ScenarioError", () => {
    const outcomes = { loaded: 0, error: 0 };
    fc.assert(
      fc.property(loaderCase, (c) => {
        try {
          outcomes[checkLoaderCase(c).kind]++;
        } catch (error) {
          throw new Error(`${(error as Error).message}\n${describeCase(c)}`, { cause: error });
        }
      }),
      { numRuns: 300, seed: SEED },
    );
    // The sample exercises both sides of the property.
    expect(outcomes.loaded).toBeGreaterThan(10);
    expect(outcomes.error).toBeGreaterThan(100);
  });
});

describe("valid scenarios under fuzzing", () => {
  it("20 small scenarios run to the end, or stop with a ModelConfigError", () => {
    const outcomes = new Map<RunOutcome, number>();
    fc.assert(
      fc.property(runnableScenario(), (scenario) => {
        try {
          const outcome = checkRunCase(scenario);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        } catch (error) {
          throw new Error(`${(error as Error).message}\n--- scenario ---\n${scenario.text}`, {
            cause: error,
          });
        }
      }),
      { numRuns: 20, seed: SEED },
    );
    expect(outcomes.get("ran") ?? 0).toBeGreaterThan(0);
  });
});
