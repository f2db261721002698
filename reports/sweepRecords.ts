/**
 * The files a seed sweep keeps between its runs and its report: one JSON line per (seed, variant)
 * run (`runs.jsonl`), and the sweep's manifest (`sweep.json`), which says what was swept, so that
 * a stopped sweep is resumed only by the same sweep and shards are merged only with their kin.
 */
import { metricValue } from "../models/expectations.ts";
import type { ExpectationOutcome, VariantSummary } from "../models/results.ts";
import { type JsonValue, reportJson, reportJsonLine } from "./json.ts";
import { summaryObject } from "./summary.ts";

/** A run of a sweep as the workers hand it over (scenarios/sweepJob.ts). */
export interface SweepRunResult {
  seed: number;
  variant: string;
  /** No expectation broken and no internal error. */
  passed: boolean;
  /** The broken expectations, with the values observed. */
  failed: ExpectationOutcome[];
  /** An internal error (a broken invariant: a queuelab bug) that stopped the run, or null. */
  error: string | null;
  /** The variant's summary; null when the run stopped on an error. */
  summary: VariantSummary | null;
}

/** A broken expectation of one run. */
export interface FailedExpectation {
  text: string;
  metric: string;
  observed: number | null;
}

/** A line of runs.jsonl, read back. Its numbers are the rounded ones the line holds. */
export interface SweepRecord {
  seed: number;
  variant: string;
  passed: boolean;
  failed: FailedExpectation[];
  error: string | null;
  /** The summary as summary.json writes it (key order, rounding); null after an error. */
  summary: Record<string, unknown> | null;
}

/** The runs.jsonl line of a run (no newline): seed, variant, verdict, then the summary. */
export function runLine(run: SweepRunResult): string {
  const failed = run.failed.map((outcome) => {
    const entry: { [K in keyof FailedExpectation]: JsonValue } = {
      text: outcome.text,
      metric: outcome.metric,
      observed: outcome.observed,
    };
    return entry;
  });
  return reportJsonLine({
    seed: run.seed,
    variant: run.variant,
    passed: run.passed,
    failed,
    error: run.error,
    summary: run.summary === null ? null : summaryObject(run.summary),
  });
}

/** Thrown for a runs.jsonl or sweep.json that is not what queuelab wrote. */
export class SweepFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SweepFileError";
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Reads a runs.jsonl line; `where` (file:line) names it in the error. */
export function parseRunLine(line: string, where: string): SweepRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new SweepFileError(`${where}: not a JSON line`);
  }
  const valid =
    isObject(value) &&
    Number.isSafeInteger(value.seed) &&
    typeof value.variant === "string" &&
    typeof value.passed === "boolean" &&
    Array.isArray(value.failed) &&
    value.failed.every(
      (f) =>
        isObject(f) &&
        typeof f.text === "string" &&
        typeof f.metric === "string" &&
        (f.observed === null || typeof f.observed === "number"),
    ) &&
    (value.error === null || typeof value.error === "string") &&
    (value.summary === null || isObject(value.summary));
  if (!valid) throw new SweepFileError(`${where}: not a queuelab sweep record`);
  return value as unknown as SweepRecord;
}

/** A number at a dotted path of a record's summary (`fates.lost`, `subscriptions.orders.fates.lost`), or null. */
export function recordMetric(record: SweepRecord, metric: string): number | null {
  return record.summary === null ? null : metricValue(record.summary, metric);
}

/** Shard `index` (1-based) of `count`. */
export interface ShardOf {
  index: number;
  count: number;
}

/** What was swept: everything a run's result depends on, and what the report shows of it. */
export interface SweepManifest {
  /** The scenario's name. */
  scenario: string;
  description: string;
  /** The scenario as given on the command line (a path or a bundled name): for replay commands. */
  input: string;
  /** The scenario file the runs loaded. */
  file: string;
  /** SHA-256 of that file's bytes when the sweep started: an edited file is another sweep. */
  fileSha256: string;
  overrides: string[];
  /** The seeds, canonical (`1..1000`, `1,5,9`). */
  seeds: string;
  seedCount: number;
  /** The variants run, in the scenario's order. */
  variants: string[];
  /** The metrics summarized over seeds: the key ones, then those the scenario's `expect` names. */
  metrics: string[];
  durationS: number;
  drainS: number;
  /** This folder holds one shard's runs; null for a whole sweep. */
  shard: ShardOf | null;
}

export const MANIFEST_FILE = "sweep.json";
export const RUNS_FILE = "runs.jsonl";
const MANIFEST_FORMAT = 1;

/** sweep.json: the manifest, keys in a fixed order. */
export function manifestJson(manifest: SweepManifest): string {
  const fields: { [K in keyof SweepManifest]: JsonValue } = {
    scenario: manifest.scenario,
    description: manifest.description,
    input: manifest.input,
    file: manifest.file,
    fileSha256: manifest.fileSha256,
    overrides: manifest.overrides,
    seeds: manifest.seeds,
    seedCount: manifest.seedCount,
    variants: manifest.variants,
    metrics: manifest.metrics,
    durationS: manifest.durationS,
    drainS: manifest.drainS,
    shard:
      manifest.shard === null ? null : { index: manifest.shard.index, count: manifest.shard.count },
  };
  return reportJson({ queuelab: "sweep", format: MANIFEST_FORMAT, ...fields });
}

const isStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** Reads sweep.json text; throws SweepFileError naming `where` if it is not a sweep manifest. */
export function parseManifest(text: string, where: string): SweepManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SweepFileError(`${where}: not JSON`);
  }
  const shard = isObject(value) ? value.shard : undefined;
  const valid =
    isObject(value) &&
    value.queuelab === "sweep" &&
    value.format === MANIFEST_FORMAT &&
    ["scenario", "description", "input", "file", "fileSha256", "seeds"].every(
      (key) => typeof value[key] === "string",
    ) &&
    ["overrides", "variants", "metrics"].every((key) => isStringList(value[key])) &&
    ["seedCount", "durationS", "drainS"].every((key) => typeof value[key] === "number") &&
    (shard === null ||
      (isObject(shard) && Number.isSafeInteger(shard.index) && Number.isSafeInteger(shard.count)));
  if (!valid) throw new SweepFileError(`${where}: not a queuelab sweep manifest`);
  const { queuelab: _queuelab, format: _format, ...manifest } = value as Record<string, unknown>;
  return manifest as unknown as SweepManifest;
}

/**
 * The first field in which two manifests differ, shards aside (`overrides`, `seeds`, ...), with
 * both values; null when they describe the same sweep.
 */
export function manifestDifference(
  a: SweepManifest,
  b: SweepManifest,
): { field: string; a: string; b: string } | null {
  for (const field of Object.keys(a) as (keyof SweepManifest)[]) {
    if (field === "shard") continue;
    const left = JSON.stringify(a[field]);
    const right = JSON.stringify(b[field]);
    if (left !== right) return { field, a: left, b: right };
  }
  return null;
}
