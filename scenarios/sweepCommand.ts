/**
 * The `sweep` and `merge` commands: their options, progress on stderr, the summary on stdout,
 * Ctrl-C, and exit codes (0 all runs met the expectations, 1 some broke one, 2 bad input, 3 an
 * internal error in some run or a dead worker, 130/143 stopped by SIGINT/SIGTERM).
 */

import type { Argv } from "yargs";
import { alignTable, shellQuote, truncate } from "../reports/format.ts";
import { SweepProgress, type SweepProgressState } from "../reports/sweepProgress.ts";
import { SweepFileError } from "../reports/sweepRecords.ts";
import {
  formatInterval,
  formatMetric,
  metricLabel,
  type SweepSummary,
  sweepVerdict,
} from "../reports/sweepReport.ts";
import { EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_INTERNAL, EXIT_OK } from "./exitCodes.ts";
import { mergeShards, runSweep, type SweepOutcome, WORKERS_MAX } from "./sweep.ts";
import { SweepInputError } from "./sweepPlan.ts";
import { SweepPoolBadInput, SweepWorkerError } from "./sweepPool.ts";

/** 128 + the signal's number, as shells report a process a signal stopped. */
const EXIT_SIGNAL: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Failing runs listed on the terminal; the report lists more, summary.json all. */
const FAILING_SHOWN = 5;
const VARIANT_NAME_WIDTH_MAX = 16;

export interface SweepArgs {
  scenario: string;
  seeds: string;
  workers?: number;
  variant?: string[];
  set: string[];
  out?: string;
  shard?: string;
  resume: boolean;
  quiet: boolean;
}

export interface MergeArgs {
  shards: string[];
  out?: string;
}

export function sweepBuilder(y: Argv) {
  return y
    .positional("scenario", {
      type: "string",
      demandOption: true,
      describe: "a scenario file, or the name of a bundled scenario (see `queuelab list`)",
    })
    .option("seeds", {
      type: "string",
      demandOption: true,
      describe: "the seeds: a range 1..1000, a list 1,5,9, a number, or a mix (1..10,20)",
    })
    .option("workers", {
      type: "number",
      describe: `worker threads (1 to ${WORKERS_MAX}; default: the CPUs available, at most one per run); 0 runs in the main thread`,
    })
    .option("variant", { type: "string", array: true, describe: "run only these variants" })
    .option("set", {
      type: "string",
      array: true,
      default: [] as string[],
      describe: "override a field in every run, e.g. --set duration=10m",
    })
    .option("out", {
      type: "string",
      describe:
        "report folder (default: out/<scenario>-sweep, or out/<scenario>-sweep-shard-<i>-of-<n> for a shard); same rules as run --out",
    })
    .option("shard", {
      type: "string",
      describe:
        "run only shard i of n (1-based), e.g. 3/8; env/n takes i from JOB_COMPLETION_INDEX (Kubernetes, +1) or SLURM_ARRAY_TASK_ID; env also takes n from SLURM_ARRAY_TASK_COUNT",
    })
    .option("resume", {
      type: "boolean",
      default: false,
      describe: "continue the stopped sweep kept in <out>.partial (or start one if there is none)",
    })
    .option("quiet", { type: "boolean", default: false, describe: "no progress on stderr" })
    .example(
      "$0 sweep mmc --seeds 1..100",
      "every variant at seeds 1 to 100; report in out/mmc-sweep/",
    )
    .example(
      "$0 sweep flaky-network --seeds 1..1000 --set duration=2m --workers 4",
      "shorter runs, 4 threads",
    )
    .example("$0 sweep mmc --seeds 1..100 --resume", "continue a sweep stopped with Ctrl-C")
    .example("$0 sweep mmc --seeds 1..1000 --shard 2/8", "one of 8 slices, for 8 machines")
    .example("$0 merge out/mmc-sweep-shard-*-of-8", "join the 8 shards into one report")
    .epilogue(
      "Runs are independent and ordered by (seed, variant): the report is the same whatever --workers. Finished runs are kept in <out>.partial as they finish; Ctrl-C stops cleanly and --resume continues (same final bytes). Exit codes: 0 every run met the scenario's expectations, 1 some run broke one (the first few are listed with the command that replays each), 2 bad input, 3 some run hit an internal error (a queuelab bug; the other runs go on), 130 stopped by Ctrl-C (143 by SIGTERM). A shard exits 0 once its folder is written: the verdict is the merge's.",
    );
}

export function mergeBuilder(y: Argv) {
  return y
    .positional("shards", {
      type: "string",
      array: true,
      demandOption: true,
      describe: "the folders of all shards of one sweep",
    })
    .option("out", {
      type: "string",
      describe: "report folder (default: out/<scenario>-sweep)",
    })
    .example("$0 merge out/mmc-sweep-shard-*-of-8 --out out/mmc-1000", "the report of all 8 shards")
    .epilogue(
      "The shards must come from the same sweep (scenario file and its contents, --set, --seeds, --variant, shard count), each of 1..n exactly once. The report is byte for byte the one a single sweep writes. Exit codes as for sweep.",
    );
}

/** The command that continues a stopped sweep: the same arguments and --resume. */
export function resumeCommand(args: SweepArgs): string {
  const words = [
    "npx",
    "queuelab",
    "sweep",
    shellQuote(args.scenario),
    "--seeds",
    shellQuote(args.seeds),
  ];
  for (const variant of args.variant ?? []) words.push("--variant", shellQuote(variant));
  for (const override of args.set) words.push("--set", shellQuote(override));
  if (args.shard !== undefined) words.push("--shard", shellQuote(args.shard));
  if (args.out !== undefined) words.push("--out", shellQuote(args.out));
  words.push("--resume");
  return words.join(" ");
}

/** Mean (confidence interval) of each metric, variants as columns. */
function meansTable(summary: SweepSummary): string[] {
  const header = ["", ...summary.variants.map((v) => truncate(v.name, VARIANT_NAME_WIDTH_MAX))];
  const rows = summary.manifest.metrics.map((metric) => [
    metricLabel(metric),
    ...summary.variants.map((variant) => formatInterval(metric, variant.metrics.get(metric)!)),
  ]);
  return alignTable([header, ...rows], ["left", ...summary.variants.map(() => "right" as const)]);
}

/** The failing runs and internal errors, the first few, each with its replay command. */
function failureLines(summary: SweepSummary): string[] {
  const failing = summary.variants.flatMap((variant) =>
    variant.failingSeeds.map((f) => ({ ...f, variant: variant.name })),
  );
  failing.sort((a, b) => a.seed - b.seed);
  const lines: string[] = [];
  for (const f of failing.slice(0, FAILING_SHOWN)) {
    const broken = f.failed
      .map((e) => `${e.text} (observed ${formatMetric(e.metric, e.observed)})`)
      .join("; ");
    lines.push(`  ✘ seed ${f.seed}, ${f.variant}: ${broken}`, `    replay: ${f.replay}`);
  }
  if (failing.length > FAILING_SHOWN) {
    lines.push(`  ... and ${failing.length - FAILING_SHOWN} more: see summary.md`);
  }
  const errors = summary.variants.flatMap((variant) => variant.errors);
  for (const e of errors.slice(0, FAILING_SHOWN)) {
    lines.push(`  internal error: ${e.error}`, `    replay: ${e.replay}`);
  }
  if (errors.length > FAILING_SHOWN)
    lines.push(`  ... and ${errors.length - FAILING_SHOWN} more internal errors`);
  return lines;
}

/** The exit code of a complete sweep: 3 if a run hit an internal error, else 1 if one broke an expectation, else 0. */
export function sweepExitCode(summary: SweepSummary): number {
  if (summary.errorRuns > 0) return EXIT_INTERNAL;
  if (summary.failedRuns > 0) return EXIT_EXPECTATION_FAILED;
  return EXIT_OK;
}

/** What a finished sweep or merge prints on stdout, and its exit code. */
function reportOutcome(outcome: SweepOutcome): number {
  const summary = outcome.summary!;
  const { manifest } = outcome;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (manifest.shard !== null) {
    const { index, count } = manifest.shard;
    out(`shard ${index}/${count}: ${outcome.total} runs written to ${outcome.outDir}`);
    out(`${sweepVerdict(summary)}`);
    for (const line of failureLines(summary)) out(line);
    out(
      `when all ${count} shards are done: npx queuelab merge <their folders> --out <report folder>`,
    );
    // The verdict is the merge's: a shard that wrote its folder did its job, and a batch system
    // would only retry it to the same end.
    return EXIT_OK;
  }
  for (const line of meansTable(summary)) out(line.trimEnd());
  out("");
  out(`report: ${outcome.outDir}/summary.md (${outcome.files.length} files)`);
  out(sweepVerdict(summary));
  for (const line of failureLines(summary)) out(line);
  return sweepExitCode(summary);
}

/** One-line errors for what the sweep refuses; null for errors it leaves to the caller. */
function sweepErrorExit(error: unknown, resume: string | null): number | null {
  if (
    error instanceof SweepInputError ||
    error instanceof SweepFileError ||
    error instanceof SweepPoolBadInput
  ) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof SweepWorkerError) {
    process.stderr.write(`internal error: ${error.message}\n`);
    if (resume !== null) process.stderr.write(`finished runs are kept; continue with: ${resume}\n`);
    return EXIT_INTERNAL;
  }
  return null;
}

export async function sweepCommand(args: SweepArgs): Promise<number> {
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C does not wait for the workers to stop.
    if (stoppedBy !== null) process.exit(EXIT_SIGNAL[signal] ?? EXIT_INTERNAL);
    stoppedBy = signal;
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const log = (line: string) => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  let progress: SweepProgress | null = null;
  let last: SweepProgressState | null = null;
  try {
    const outcome = await runSweep({
      scenario: args.scenario,
      seeds: args.seeds,
      overrides: args.set,
      variants: args.variant,
      workers: args.workers,
      shard: args.shard,
      out: args.out,
      resume: args.resume,
      signal: controller.signal,
      onPlan: (plan) => {
        const resumed = plan.alreadyDone > 0 ? `, ${plan.alreadyDone} already finished` : "";
        const where =
          plan.workers === 0
            ? "in the main thread"
            : `on ${plan.workers} worker thread${plan.workers === 1 ? "" : "s"}`;
        log(`sweep: ${plan.total} runs ${where}${resumed}`);
        if (!args.quiet) {
          progress = new SweepProgress({
            write: (text) => process.stderr.write(text),
            tty: process.stderr.isTTY === true,
            columns: process.stderr.columns,
            variantCount: plan.variantCount,
            doneAtStart: plan.alreadyDone,
          });
        }
      },
      onProgress: (state, phase) => {
        last = state;
        if (phase === "run") (progress as SweepProgress | null)?.update(state);
      },
    });
    if (last !== null) (progress as SweepProgress | null)?.finish(last);
    if (outcome.stopped) {
      process.stderr.write(
        `stopped: ${outcome.done} of ${outcome.total} runs finished, kept in ${outcome.partialDir}\ncontinue with: ${resumeCommand(args)}\n`,
      );
      return (stoppedBy === null ? undefined : EXIT_SIGNAL[stoppedBy]) ?? EXIT_SIGNAL.SIGINT!;
    }
    return reportOutcome(outcome);
  } catch (error) {
    if (last !== null) (progress as SweepProgress | null)?.finish(last);
    const code = sweepErrorExit(error, resumeCommand(args));
    if (code === null) throw error;
    return code;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function mergeCommand(args: MergeArgs): number {
  try {
    return reportOutcome(mergeShards(args.shards, args.out));
  } catch (error) {
    const code = sweepErrorExit(error, null);
    if (code === null) throw error;
    return code;
  }
}
