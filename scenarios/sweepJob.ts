/**
 * One run of a seed sweep: one variant of a loaded scenario at one seed. Runs anywhere (a worker
 * thread or the main one) and gives plain data, so where it ran cannot change what it found.
 */
import { InvariantError, ModelConfigError } from "../models/errors.ts";
import { simulate } from "../models/simulation.ts";
import type { SweepRunResult } from "../reports/sweepRecords.ts";
import { DistributionError } from "../sim/distributions.ts";
import { ScenarioError } from "./errors.ts";
import type { LoadedScenario } from "./loader.ts";

/** One run's result (its shape, and its runs.jsonl line, live in reports/sweepRecords.ts). */
export type SweepRun = SweepRunResult;

/** The scenario cannot be run at all (bad input): the whole sweep stops, exit 2. */
export class SweepBadInput extends Error {}

/** Runs variant `variantIndex` of `variants` (the sweep's chosen ones) at `seed`. */
export function runSweepJob(
  loaded: LoadedScenario,
  variants: readonly string[],
  seed: number,
  variantIndex: number,
): SweepRun {
  const name = variants[variantIndex];
  const variant = loaded.variants.find((v) => v.name === name);
  if (variant === undefined) throw new SweepBadInput(`the scenario has no variant '${name}'`);
  try {
    const { summary } = simulate(variant.config, { seed, variantName: name });
    const failed = summary.expectations.filter((outcome) => !outcome.passed);
    return { seed, variant: name, passed: failed.length === 0, failed, error: null, summary };
  } catch (error) {
    if (
      error instanceof ModelConfigError ||
      error instanceof ScenarioError ||
      error instanceof DistributionError
    ) {
      throw new SweepBadInput(error.message);
    }
    // A broken invariant names its seed and variant already; any other crash is a bug too, and
    // just as reproducible by its seed, so it is recorded the same way and the sweep goes on.
    const message =
      error instanceof InvariantError
        ? error.message
        : `${(error as Error).name ?? "Error"}: ${(error as Error).message ?? String(error)} (seed ${seed}, variant ${name})`;
    return { seed, variant: name, passed: false, failed: [], error: message, summary: null };
  }
}
