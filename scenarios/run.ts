/**
 * Runs every variant of a loaded scenario with the same seed (so they see the same arrivals and
 * service times) and gathers the results for the reports.
 */
import type { RunLimits } from "../models/config.ts";
import type { RunResult, VariantResult } from "../models/results.ts";
import { checkVirtualTimeBudget } from "../models/runGuard.ts";
import { simulate } from "../models/simulation.ts";
import type { Trace } from "../sim/trace.ts";
import type { LoadedScenario } from "./loader.ts";

export interface RunScenarioOptions {
  /** Seed for every variant; the scenario's own seed when absent. */
  seed?: number;
  /** The `--set` overrides already applied to `loaded`, recorded for the replay command. */
  overrides?: string[];
  /** Only these variants (by name); all when absent. */
  variants?: string[];
  /** A trace per variant, or none. */
  traceFor?: (variantName: string) => Trace | null;
  /** Called before each variant runs, for progress output. */
  onVariantStart?: (variantName: string, index: number, total: number) => void;
  /** Budgets that override the scenario's `limits:` (the command line's --max-* flags). */
  limits?: Partial<RunLimits>;
}

export function runScenario(loaded: LoadedScenario, options: RunScenarioOptions = {}): RunResult {
  const seed = options.seed ?? loaded.seed;
  const chosen = options.variants
    ? loaded.variants.filter((variant) => options.variants!.includes(variant.name))
    : loaded.variants;
  const limitsOf = (config: RunLimits): RunLimits => ({ ...config, ...options.limits });
  // Every variant that would be refused is refused before the first one runs.
  for (const variant of chosen) {
    const { durationS, drainS, limits } = variant.config;
    checkVirtualTimeBudget(durationS, drainS, limitsOf(limits), { seed, variant: variant.name });
  }
  const results: VariantResult[] = chosen.map((variant, index) => {
    options.onVariantStart?.(variant.name, index, chosen.length);
    return simulate(variant.config, {
      seed,
      variantName: variant.name,
      trace: options.traceFor?.(variant.name) ?? null,
      limits: limitsOf(variant.config.limits),
    });
  });
  const base = chosen[0].config;
  return {
    scenario: loaded.name,
    description: loaded.description,
    file: loaded.file,
    seed,
    overrides: options.overrides ?? [],
    durationS: base.durationS,
    drainS: base.drainS,
    variants: results,
  };
}

/** Every failed expectation of a run, as `variant: text (observed x)`. */
export function failedExpectations(result: RunResult): string[] {
  const failures: string[] = [];
  for (const variant of result.variants) {
    for (const outcome of variant.summary.expectations) {
      if (!outcome.passed) {
        failures.push(
          `${variant.name}: ${outcome.text} (observed ${outcome.observed ?? "no value"})`,
        );
      }
    }
  }
  return failures;
}
