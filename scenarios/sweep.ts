/**
 * Seed sweeps: every (seed, variant) run of a scenario over worker threads, kept as it finishes
 * in `<out>.partial/` (so a stopped sweep resumes where it stopped), then written as one report
 * folder, or as a shard's folder that `mergeShards` joins with the others into the same report,
 * byte for byte, as one sweep on one machine.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { checkOutputFolder, StagedFolder } from "../reports/outputFolder.ts";
import {
  PartialSweep,
  partialFolderOf,
  readShardFolder,
  runKey,
  shardFiles,
} from "../reports/sweepFolders.ts";
import type { SweepProgressState } from "../reports/sweepProgress.ts";
import {
  manifestDifference,
  parseRunLine,
  RUNS_FILE,
  runLine,
  SweepFileError,
  type SweepManifest,
} from "../reports/sweepRecords.ts";
import {
  parseRunLines,
  type SweepSummary,
  summarizeSweep,
  sweepMetrics,
  writeSweepReportInto,
} from "../reports/sweepReport.ts";
import { loadScenario, resolveScenarioPath } from "./loader.ts";
import {
  formatSeeds,
  parseSeeds,
  parseShard,
  planJobs,
  SWEEP_RUNS_MAX,
  SweepInputError,
  type SweepJob,
} from "./sweepPlan.ts";
import { runSweepJobs } from "./sweepPool.ts";

/** Worker threads of one sweep at most. */
export const WORKERS_MAX = 256;

export interface SweepOptions {
  /** A scenario file, or the name of a bundled scenario. */
  scenario: string;
  /** `1..1000`, `1,5,9`, `7`. */
  seeds: string;
  overrides?: string[];
  /** Only these variants; all when absent. */
  variants?: string[];
  /**
   * Worker threads; os.availableParallelism() by default (never more than runs to do); 0 runs
   * everything in this thread.
   */
  workers?: number;
  /** `i/n`, `env/n` or `env`; a whole sweep when absent. */
  shard?: string;
  /** The report (or shard) folder; `out/<scenario>-sweep[-shard-i-of-n]` by default. */
  out?: string;
  /** Continue the stopped sweep kept in `<out>.partial/`. */
  resume?: boolean;
  /** The variables `--shard env` reads; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Called before the runs start, and after each finished run. */
  onProgress?: (state: SweepProgressState, phase: "start" | "run") => void;
  /** Called once, when the plan is known. */
  onPlan?: (plan: {
    total: number;
    alreadyDone: number;
    workers: number;
    variantCount: number;
    partialDir: string;
  }) => void;
  /** Aborting stops the sweep cleanly: finished runs are kept for --resume. */
  signal?: AbortSignal;
  /** Stop as if interrupted once this many runs have finished in this call (for tests). */
  stopAfterRuns?: number;
}

export interface SweepOutcome {
  manifest: SweepManifest;
  /** The report or shard folder (written only when the sweep completed). */
  outDir: string;
  /** Where the finished runs of a stopped sweep are kept. */
  partialDir: string;
  stopped: boolean;
  /** Runs of this sweep (or shard). */
  total: number;
  /** Runs finished, those of an earlier stopped run included. */
  done: number;
  /** Runs finished before this call (a resumed sweep). */
  resumed: number;
  /** The runs summed up (complete sweeps and shards only). */
  summary: SweepSummary | null;
  /** Files written into outDir. */
  files: string[];
}

function defaultOutDir(scenario: string, shard: SweepManifest["shard"]): string {
  const suffix = shard === null ? "" : `-shard-${shard.index}-of-${shard.count}`;
  return join("out", `${scenario}-sweep${suffix}`);
}

/** Refuses a --workers that is not 0 to WORKERS_MAX. */
function checkWorkers(requested: number | undefined): void {
  if (
    requested !== undefined &&
    (!Number.isSafeInteger(requested) || requested < 0 || requested > WORKERS_MAX)
  ) {
    throw new SweepInputError(
      `--workers ${requested}: expected a whole number from 0 (no threads) to ${WORKERS_MAX}`,
    );
  }
}

/** The threads to start: as asked, or one per CPU, never more than runs to do; 0 is none. */
function workerCount(requested: number | undefined, jobs: number): number {
  if (requested === 0) return 0;
  return Math.max(1, Math.min(requested ?? availableParallelism(), jobs));
}

/** Loads the scenario and plans the sweep: manifest, jobs, folders. Throws for bad input. */
function planSweep(options: SweepOptions) {
  checkWorkers(options.workers);
  const file = resolveScenarioPath(options.scenario);
  const overrides = options.overrides ?? [];
  const loaded = loadScenario(file, overrides);
  const names = loaded.variants.map((variant) => variant.name);
  for (const wanted of options.variants ?? []) {
    if (!names.includes(wanted)) {
      throw new SweepInputError(
        `--variant ${wanted}: no such variant; the variants are ${names.join(", ")}`,
      );
    }
  }
  // The scenario's order, whatever the order of --variant.
  const variants = options.variants
    ? names.filter((name) => options.variants!.includes(name))
    : names;
  const seeds = parseSeeds(options.seeds);
  if (seeds.length * variants.length > SWEEP_RUNS_MAX) {
    throw new SweepInputError(
      `--seeds ${options.seeds}: ${seeds.length} seeds × ${variants.length} variants is more than ${SWEEP_RUNS_MAX} runs; split the seeds over several sweeps`,
    );
  }
  const shard =
    options.shard === undefined ? null : parseShard(options.shard, options.env ?? process.env);
  const chosen = loaded.variants.filter((variant) => variants.includes(variant.name));
  const expectMetrics = chosen.flatMap((variant) => variant.config.expect.map((e) => e.metric));
  const base = chosen[0].config;
  const manifest: SweepManifest = {
    scenario: loaded.name,
    description: loaded.description,
    input: options.scenario,
    file,
    fileSha256: createHash("sha256").update(readFileSync(file)).digest("hex"),
    overrides,
    seeds: formatSeeds(seeds),
    seedCount: seeds.length,
    variants,
    metrics: sweepMetrics(expectMetrics),
    durationS: base.durationS,
    drainS: base.drainS,
    shard,
  };
  const jobs = planJobs(seeds, variants.length, shard);
  const outDir = options.out ?? defaultOutDir(loaded.name, shard);
  return { file, overrides, variants, manifest, jobs, outDir };
}

/** Writes the finished sweep (report) or shard (manifest and runs) into `outDir`. */
function writeSweepFolder(
  outDir: string,
  manifest: SweepManifest,
  lines: string[],
): { summary: SweepSummary; files: string[] } {
  const folder = StagedFolder.create(outDir);
  try {
    let written: { summary: SweepSummary; files: string[] };
    if (manifest.shard === null) {
      written = writeSweepReportInto(folder, manifest, lines);
    } else {
      const files: string[] = [];
      for (const [name, content] of shardFiles(manifest, lines)) {
        folder.write(name, content);
        files.push(name);
      }
      written = { summary: summarizeSweep(manifest, parseRunLines(lines, RUNS_FILE)), files };
    }
    folder.commit();
    return written;
  } catch (error) {
    folder.discard();
    throw error;
  }
}

/**
 * Runs a sweep (or one shard of it). Resolves when every run is done and the folder written, or
 * when stopped (signal, stopAfterRuns): then the finished runs stay in `<out>.partial/`.
 */
export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  const plan = planSweep(options);
  const { manifest, jobs, outDir } = plan;
  // Refused now rather than after hours of runs.
  checkOutputFolder(outDir);
  const partial = PartialSweep.open(outDir, manifest, options.resume === true);
  const byKey = new Map(
    jobs.map((job) => [runKey(job.seed, manifest.variants[job.variantIndex]), job]),
  );
  /** runs.jsonl lines by job order. */
  const lines = new Map<number, string>();
  const counts = { failing: 0, errors: 0 };
  const count = (line: string) => {
    const record = parseRunLine(line, RUNS_FILE);
    if (record.error !== null) counts.errors++;
    else if (!record.passed) counts.failing++;
  };
  for (const [key, line] of partial.finished) {
    const job = byKey.get(key);
    if (job === undefined) continue;
    lines.set(job.order, line);
    count(line);
  }
  const resumed = lines.size;
  const pending: SweepJob[] = jobs.filter((job) => !lines.has(job.order));
  const workers = workerCount(options.workers, pending.length);
  const state = (): SweepProgressState => ({ done: lines.size, total: jobs.length, ...counts });
  options.onPlan?.({
    total: jobs.length,
    alreadyDone: resumed,
    workers,
    variantCount: manifest.variants.length,
    partialDir: partial.dir,
  });
  options.onProgress?.(state(), "start");
  let stopped: boolean;
  try {
    ({ stopped } = await runSweepJobs({
      file: plan.file,
      overrides: plan.overrides,
      variants: manifest.variants,
      jobs: pending,
      workers,
      signal: options.signal,
      stopAfterRuns: options.stopAfterRuns,
      onRun: (job, run) => {
        const line = runLine(run);
        partial.append(line);
        lines.set(job.order, line);
        count(line);
        options.onProgress?.(state(), "run");
      },
    }));
  } catch (error) {
    // Bad input or a dead worker: what finished is kept for --resume, unless it is nothing new.
    if (partial.created && lines.size === 0) partial.remove();
    else partial.close();
    throw error;
  }
  const base = {
    manifest,
    outDir,
    partialDir: partial.dir,
    total: jobs.length,
    done: lines.size,
    resumed,
  };
  if (stopped) {
    partial.close();
    return { ...base, stopped: true, summary: null, files: [] };
  }
  const ordered = jobs.map((job) => lines.get(job.order)!);
  let written: { summary: SweepSummary; files: string[] };
  try {
    written = writeSweepFolder(outDir, manifest, ordered);
  } catch (error) {
    partial.close();
    throw error;
  }
  partial.remove();
  return { ...base, stopped: false, ...written };
}

/**
 * Joins the folders of all shards of one sweep into its report at `out` (by default
 * `out/<scenario>-sweep`): the same bytes as the sweep run whole. The shards must agree on
 * everything but their index, and be 1..n exactly once (SweepFileError otherwise, exit 2).
 */
export function mergeShards(dirs: readonly string[], out?: string): SweepOutcome {
  if (dirs.length === 0) throw new SweepInputError("merge: name the shard folders");
  const shards = dirs.map(readShardFolder);
  const first = shards[0].manifest;
  for (const shard of shards) {
    if (shard.manifest.shard === null) {
      throw new SweepFileError(`${shard.dir}: a whole sweep's folder, not a shard's`);
    }
    const difference = manifestDifference(first, shard.manifest);
    if (difference !== null) {
      throw new SweepFileError(
        `${shard.dir} is not a shard of the same sweep as ${shards[0].dir}: ${difference.field} ${difference.b} against ${difference.a}`,
      );
    }
  }
  const count = first.shard!.count;
  const byIndex = new Map<number, string>();
  for (const shard of shards) {
    const { index, count: itsCount } = shard.manifest.shard!;
    if (itsCount !== count) {
      throw new SweepFileError(
        `${shard.dir} is shard ${index} of ${itsCount}, but ${shards[0].dir} is one of ${count}`,
      );
    }
    const twin = byIndex.get(index);
    if (twin !== undefined)
      throw new SweepFileError(`${twin} and ${shard.dir} are both shard ${index}/${count}`);
    byIndex.set(index, shard.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new SweepFileError(
      `merge: shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${count} missing`,
    );
  }
  const seeds = parseSeeds(first.seeds);
  const lines: string[] = new Array(seeds.length * first.variants.length);
  for (const shard of shards) {
    const jobs = planJobs(seeds, first.variants.length, shard.manifest.shard);
    if (shard.lines.length !== jobs.length) {
      throw new SweepFileError(
        `${join(shard.dir, RUNS_FILE)}: ${shard.lines.length} runs, the shard has ${jobs.length}`,
      );
    }
    for (const [i, job] of jobs.entries()) {
      const where = `${join(shard.dir, RUNS_FILE)}:${i + 1}`;
      const record = parseRunLine(shard.lines[i], where);
      if (record.seed !== job.seed || record.variant !== first.variants[job.variantIndex]) {
        throw new SweepFileError(
          `${where}: seed ${record.seed} variant ${record.variant}, expected seed ${job.seed} variant ${first.variants[job.variantIndex]}`,
        );
      }
      lines[job.order] = shard.lines[i];
    }
  }
  const manifest: SweepManifest = { ...first, shard: null };
  const outDir = out ?? defaultOutDir(manifest.scenario, null);
  checkOutputFolder(outDir);
  const written = writeSweepFolder(outDir, manifest, lines);
  return {
    manifest,
    outDir,
    partialDir: partialFolderOf(outDir),
    stopped: false,
    total: lines.length,
    done: lines.length,
    resumed: 0,
    ...written,
  };
}
