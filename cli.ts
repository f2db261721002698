/**
 * The queuelab command line. Parses arguments, calls the scenario loader, the simulation and the
 * reports, and sets the exit code: 0 success, 1 a stated expectation failed, 2 bad input,
 * 3 an internal error (an invariant broke: a bug, reported with its seed), 4 a budget of the run
 * (limits:, --max-*) stopped it.
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { RunLimits } from "./models/config.ts";
import {
  BudgetExceededError,
  EventLoopError,
  InvariantError,
  ModelConfigError,
} from "./models/errors.ts";
import type { RunResult } from "./models/results.ts";
import {
  defaultReportFolder,
  OutputFolderError,
  replayCommandFor,
  StagedFolder,
  terminalTable,
  writeReportInto,
} from "./reports/index.ts";
import { reportDeterminism } from "./scenarios/determinism.ts";
import { ScenarioError } from "./scenarios/errors.ts";
import {
  EXIT_BAD_INPUT,
  EXIT_BUDGET_EXCEEDED,
  EXIT_EXPECTATION_FAILED,
  EXIT_INTERNAL,
  EXIT_OK,
  UsageError,
} from "./scenarios/exitCodes.ts";
import {
  listBundledScenarios,
  loadScenario,
  resolveScenarioPath,
  UnitError,
} from "./scenarios/index.ts";
import {
  presetsCommand,
  type ReplayArgs,
  replayCommand,
  type ShrinkArgs,
  shrinkCommand,
} from "./scenarios/inspectCommands.ts";
import { parseDurationBudgetS, parseEventsBudget } from "./scenarios/limits.ts";
import { failedExpectations, runScenario } from "./scenarios/run.ts";
import {
  type MergeArgs,
  mergeBuilder,
  mergeCommand,
  type SweepArgs,
  sweepBuilder,
  sweepCommand,
} from "./scenarios/sweepCommand.ts";
import { DistributionError } from "./sim/distributions.ts";
import { fileTraceSink, Trace } from "./sim/trace.ts";

interface RunArgs {
  scenario: string;
  seed?: number;
  out?: string;
  set: string[];
  trace: boolean;
  variant?: string[];
  quiet: boolean;
  checkDeterminism: boolean;
  force: boolean;
  maxEvents?: string;
  maxWallTime?: string;
  maxVirtualTime?: string;
}

/** The budgets given on the command line, which override the scenario's `limits:`. */
function limitFlags(args: RunArgs): Partial<RunLimits> {
  const limits: Partial<RunLimits> = {};
  const parse = <T>(flag: string, text: string, read: (text: string) => T): T => {
    try {
      return read(text);
    } catch (error) {
      if (error instanceof UnitError) throw new UsageError(`${flag} ${text}: ${error.message}`);
      throw error;
    }
  };
  if (args.maxEvents !== undefined) {
    limits.eventsMax = parse("--max-events", args.maxEvents, parseEventsBudget);
  }
  if (args.maxWallTime !== undefined) {
    limits.wallTimeSMax = parse("--max-wall-time", args.maxWallTime, parseDurationBudgetS);
  }
  if (args.maxVirtualTime !== undefined) {
    limits.virtualTimeSMax = parse("--max-virtual-time", args.maxVirtualTime, parseDurationBudgetS);
  }
  return limits;
}

function runCommand(args: RunArgs): number {
  const limits = limitFlags(args);
  const file = resolveScenarioPath(args.scenario);
  const loaded = loadScenario(file, args.set);
  if (args.variant) {
    const names = loaded.variants.map((v) => v.name);
    for (const wanted of args.variant) {
      if (!names.includes(wanted)) {
        throw new UsageError(
          `--variant ${wanted}: no such variant; the variants are ${names.join(", ")}`,
        );
      }
    }
  }
  const seed = args.seed ?? loaded.seed;
  // Each variant twice, traces compared, before the report's own run.
  if (args.checkDeterminism) {
    const replay = replayCommandFor(args.scenario, seed, args.set);
    if (!reportDeterminism(loaded, { seed, variants: args.variant }, replay)) return EXIT_INTERNAL;
  }
  const outDir = args.out ?? defaultReportFolder(loaded.name);
  const log = (line: string) => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  // Checked (and a temporary folder made) before the run: a refusal comes at once, and trace
  // files written during the run land in the report folder with the rest, all at once.
  const folder = StagedFolder.create(outDir, { force: args.force });
  const sinks: { close: () => void }[] = [];
  let files: string[];
  let result: RunResult;
  try {
    result = runScenario(loaded, {
      seed,
      overrides: args.set,
      variants: args.variant,
      limits,
      traceFor: args.trace
        ? (variant) => {
            const sink = fileTraceSink(folder.file(`trace-${variant}.jsonl`));
            sinks.push(sink);
            return new Trace(sink.write);
          }
        : undefined,
      onVariantStart: (variant, index, total) =>
        log(`[${index + 1}/${total}] ${loaded.name} / ${variant} (seed ${seed})`),
    });
    for (const sink of sinks.splice(0)) sink.close();
    files = writeReportInto(result, folder).files;
    folder.commit();
  } catch (error) {
    for (const sink of sinks) sink.close();
    folder.discard();
    if (error instanceof InvariantError && error.variant !== null) {
      // A loop's trace would hold millions of lines at one instant: its replay goes without.
      const trace = error instanceof EventLoopError ? "" : " --trace";
      error.replay = `${replayCommandFor(args.scenario, seed, args.set)} --variant ${error.variant}${trace}`;
    }
    throw error;
  }
  process.stdout.write(terminalTable(result, { color: process.stdout.isTTY === true }));
  process.stdout.write(`\nreport: ${join(outDir, "index.html")} (${files.length} files)\n`);
  const failures = failedExpectations(result);
  if (failures.length > 0) {
    process.stdout.write(`\n${failures.length} expectation(s) failed at seed ${seed}:\n`);
    for (const failure of failures) process.stdout.write(`  ✘ ${failure}\n`);
    process.stdout.write(`replay: ${replayCommandFor(args.scenario, seed, args.set)}\n`);
    return EXIT_EXPECTATION_FAILED;
  }
  return EXIT_OK;
}

function validateCommand(args: { scenario: string; set: string[] }): number {
  const file = resolveScenarioPath(args.scenario);
  const loaded = loadScenario(file, args.set);
  const names = loaded.variants.map((v) => v.name).join(", ");
  process.stdout.write(`${file}: ok (${loaded.variants.length} variant(s): ${names})\n`);
  return EXIT_OK;
}

function listCommand(): number {
  const bundled = listBundledScenarios();
  const width = Math.max(...bundled.map((s) => s.name.length));
  for (const scenario of bundled) {
    process.stdout.write(`${scenario.name.padEnd(width)}  ${scenario.description}\n`);
  }
  return EXIT_OK;
}

/** guarded, for a command that returns a promise (sweep). */
function guardedAsync(command: () => Promise<number>): Promise<void> {
  return command().then(
    (code) => {
      process.exitCode = code;
    },
    (error) =>
      guarded(() => {
        throw error;
      }),
  );
}

/**
 * Runs a command, turning user mistakes into one-line errors (exit 2), bugs into exit 3 and a
 * run stopped by its budget into exit 4.
 */
function guarded(command: () => number): void {
  try {
    process.exitCode = command();
  } catch (error) {
    if (
      error instanceof ScenarioError ||
      error instanceof ModelConfigError ||
      error instanceof DistributionError ||
      error instanceof OutputFolderError ||
      error instanceof UsageError
    ) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT_BAD_INPUT;
    } else if (error instanceof BudgetExceededError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT_BUDGET_EXCEEDED;
    } else if (error instanceof InvariantError) {
      // A loop at one instant may be the scenario's doing: its message says which it can be.
      const prefix =
        error instanceof EventLoopError
          ? "error"
          : "internal error (a queuelab bug, please report it)";
      process.stderr.write(`${prefix}: ${error.message}\n`);
      if (error.replay !== null) process.stderr.write(`replay: ${error.replay}\n`);
      process.exitCode = EXIT_INTERNAL;
    } else {
      throw error;
    }
  }
}

export function main(argv: string[]): void {
  yargs(argv)
    .scriptName("queuelab")
    .usage("$0 <command> [options]\n\nDeterministic simulation of distributed queues and streams.")
    .command(
      "run <scenario>",
      "run every variant of a scenario and write its report",
      (y) =>
        y
          .positional("scenario", {
            type: "string",
            demandOption: true,
            describe: "a scenario file, or the name of a bundled scenario (see `queuelab list`)",
          })
          .option("seed", { type: "number", describe: "run seed (default: the scenario's seed)" })
          .option("out", {
            type: "string",
            describe:
              "report folder (default: out/<scenario name>). Written whole or not at all; an earlier queuelab report there is replaced only with --force; any other existing folder is refused, never deleted",
          })
          .option("force", {
            type: "boolean",
            default: false,
            describe:
              "replace the queuelab report already at --out (a folder holding .queuelab-report and only the files it lists); nothing else is ever deleted",
          })
          .option("set", {
            type: "string",
            array: true,
            default: [] as string[],
            describe: "override a field, e.g. --set consumers.workers.count=12",
          })
          .option("variant", { type: "string", array: true, describe: "run only these variants" })
          .option("trace", {
            type: "boolean",
            default: false,
            describe: "write a JSON Lines trace per variant into the report folder",
          })
          .option("quiet", { type: "boolean", default: false, describe: "no progress lines" })
          .option("check-determinism", {
            type: "boolean",
            default: false,
            describe:
              "first run each variant twice, traces kept in memory, and compare them; a difference is reported with its first diverging event (exit 3)",
          })
          .option("max-events", {
            type: "string",
            describe:
              "events budget per variant (default: limits.events of the scenario, else 2e9; 'none': no limit)",
          })
          .option("max-wall-time", {
            type: "string",
            describe:
              "wall-time budget per variant, e.g. 60s or 10m (default: limits.wallTime, else none)",
          })
          .option("max-virtual-time", {
            type: "string",
            describe:
              "virtual-time budget: a scenario whose duration + drain is longer is refused before it runs (default: limits.virtualTime, else 365d)",
          })
          .example("$0 run mmc", "run the bundled M/M/c scenario, report in out/mmc/")
          .example("$0 run mmc --force", "run it again, replacing the report in out/mmc/")
          .example("$0 run scenarios/mm1.yaml --seed 7 --out /tmp/mm1", "another seed and folder")
          .example("$0 run mmc --set consumers.workers.count=9", "override a field")
          .example("$0 run visibility-timeout --trace", "also write the event trace")
          .example("$0 run flaky-network --check-determinism", "same seed twice, same events?")
          .example(
            "$0 run mm1 --max-wall-time 60s",
            "stop (exit 4) a variant that runs over a minute",
          )
          .epilogue(
            "The report is written into <out>.tmp-<pid> and renamed to <out> once complete, so an interrupted run leaves the previous report as it was. <out> may be missing or empty; a queuelab report folder (it holds .queuelab-report, listing the files queuelab wrote, and nothing else) is replaced only with --force. Anything else is refused with exit 2 before the run starts, --force or not.\n\nExit codes: 0 success, 1 an expectation failed, 2 bad input, 3 an internal error (a broken invariant, or a zero-delay event loop), 4 a budget (--max-*, limits:) stopped the run.",
          ),
      (args) => guarded(() => runCommand(args as unknown as RunArgs)),
    )
    .command(
      "validate <scenario>",
      "check a scenario file without running it",
      (y) =>
        y
          .positional("scenario", { type: "string", demandOption: true })
          .option("set", { type: "string", array: true, default: [] as string[] })
          .example("$0 validate my-scenario.yaml", "report the first error with file:line"),
      (args) =>
        guarded(() => validateCommand(args as unknown as { scenario: string; set: string[] })),
    )
    .command("list", "list the bundled scenarios", {}, () => guarded(listCommand))
    .command(
      "presets [name]",
      "list the system and retry-policy presets, or show one with every default and its source",
      (y) =>
        y
          .positional("name", {
            type: "string",
            describe: "a preset (kafka, sqs, aws-standard, ...)",
          })
          .example("$0 presets", "every preset, one line each")
          .example(
            "$0 presets kafka",
            "Kafka's defaults, with their sources, and what is not modeled",
          ),
      (args) => guarded(() => presetsCommand(args as { name?: string })),
    )
    .command(
      "shrink <scenario>",
      "from a failing run, write a smaller scenario that fails the same expectation",
      (y) =>
        y
          .positional("scenario", { type: "string", demandOption: true })
          .option("seed", { type: "number", describe: "the failing run's seed" })
          .option("variant", {
            type: "string",
            describe: "the failing variant (default: the first)",
          })
          .option("set", { type: "string", array: true, default: [] as string[], hidden: true })
          .option("out", { type: "string", describe: "where to write it (never overwritten)" })
          .option("max-runs", { type: "number", default: 500, describe: "simulations at most" })
          .example(
            "$0 shrink delivery-guarantees --variant at-most-once --seed 3",
            "a minimal loss",
          ),
      (args) => guarded(() => shrinkCommand(args as unknown as ShrinkArgs)),
    )
    .command(
      "replay <scenario>",
      "re-run one variant exactly and tell the story of a message or a key in virtual time",
      (y) =>
        y
          .positional("scenario", { type: "string", demandOption: true })
          .option("seed", { type: "number", describe: "run seed (default: the scenario's seed)" })
          .option("variant", { type: "string", describe: "the variant (default: the first)" })
          .option("message", { type: "number", describe: "a message id (#123 in reports)" })
          .option("key", { type: "string", describe: "a key: every message of it (k12 or 12)" })
          .option("set", { type: "string", array: true, default: [] as string[] })
          .option("trace", {
            type: "string",
            describe: "also write the full JSON Lines trace here",
          })
          .option("until-failure", {
            type: "boolean",
            default: false,
            describe:
              "from --seed on, find the first seed at which the variant breaks an expectation, and tell the story there",
          })
          .option("max-seeds", {
            type: "number",
            default: 1000,
            describe: "seeds --until-failure tries at most",
          })
          .example("$0 replay visibility-timeout --message 42", "what happened to message 42")
          .example("$0 replay ordering --variant standard-queue --seed 1 --key k0", "a key's story")
          .example(
            "$0 replay flaky-network --key k3 --until-failure",
            "the first failing seed, and the key's story there",
          ),
      (args) => guarded(() => replayCommand(args as unknown as ReplayArgs)),
    )
    .command(
      "sweep <scenario>",
      "run every variant at many seeds, in parallel, and sum them up",
      sweepBuilder,
      (args) => guardedAsync(() => sweepCommand(args as unknown as SweepArgs)),
    )
    .command(
      "merge <shards..>",
      "join the shard folders of one sweep into its report",
      mergeBuilder,
      (args) => guarded(() => mergeCommand(args as unknown as MergeArgs)),
    )
    .demandCommand(
      1,
      "name a command: run, validate, list, presets, replay, shrink, sweep or merge",
    )
    .strict()
    .fail((message, error, y) => {
      if (error) throw error;
      process.stderr.write(`${y.help() && ""}error: ${message}\nsee: queuelab --help\n`);
      process.exit(EXIT_BAD_INPUT);
    })
    .help()
    .alias("h", "help")
    .version(false)
    .wrap(100)
    .parse();
}

// Output piped into `head` and closed early is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? EXIT_OK);
  throw error;
});

main(hideBin(process.argv));
