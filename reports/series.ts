/**
 * The per-variant time series: a shape check (every array on the same grid) and `series.json`,
 * for people who want to re-plot.
 */

import type { RunResult, VariantResult, VariantSeries } from "../models/results.ts";
import { type JsonValue, reportJson } from "./json.ts";

/** Field order of a series in series.json; `satisfies` makes the compiler flag a missing field. */
const SERIES_KEYS = {
  bucketS: true,
  timesS: true,
  queueDepth: true,
  inFlight: true,
  callAttemptsPerS: true,
  goodputPerS: true,
  dlqDepth: true,
  storedBytes: true,
  producedPerS: true,
  processedPerS: true,
  latencyP50S: true,
  latencyP95S: true,
  latencyP99S: true,
  consumerCount: true,
} as const satisfies Record<keyof VariantSeries, true>;

type SeriesArrayKey = Exclude<keyof VariantSeries, "bucketS">;

/** Throws when a variant's series are not all on the grid of `timesS`: a bug, not a chart. */
export function assertSeriesShape(variant: VariantResult): void {
  const series = variant.series;
  if (!(series.bucketS > 0)) {
    throw new Error(`variant ${variant.name}: series bucketS must be > 0, got ${series.bucketS}`);
  }
  const bucketCount = series.timesS.length;
  for (const key of Object.keys(SERIES_KEYS) as (keyof VariantSeries)[]) {
    if (key === "bucketS") continue;
    const length = series[key as SeriesArrayKey].length;
    if (length !== bucketCount) {
      throw new Error(
        `variant ${variant.name}: series ${key} has ${length} buckets, timesS has ${bucketCount}`,
      );
    }
  }
}

function seriesObject(series: VariantSeries): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(SERIES_KEYS) as (keyof VariantSeries)[]) out[key] = series[key];
  return out;
}

/** series.json: enough context to label a re-plot, then every variant's series. */
export function seriesJson(result: RunResult): string {
  for (const variant of result.variants) assertSeriesShape(variant);
  return reportJson({
    scenario: result.scenario,
    seed: result.seed,
    durationS: result.durationS,
    drainS: result.drainS,
    variants: result.variants.map((variant) => ({
      name: variant.name,
      series: seriesObject(variant.series),
    })),
  });
}
