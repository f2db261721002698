/**
 * The commands that look into a scenario rather than run its report: `replay` (the story of a
 * message or a key, in virtual time), `shrink` (a smaller scenario that fails the same way) and
 * `presets` (the system and retry-policy presets).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { formatDurationS, replayCommandFor } from "../reports/index.ts";
import { fileTraceSink } from "../sim/trace.ts";
import { EXIT_EXPECTATION_FAILED, EXIT_OK, UsageError } from "./exitCodes.ts";
import { loadScenario, resolveScenarioPath } from "./index.ts";
import { presetDetails, presetList, unknownPreset } from "./presetListing.ts";
import { firstFailingSeed, formatStory, replay } from "./replay.ts";
import { shrink } from "./shrink.ts";

export interface ReplayArgs {
  scenario: string;
  seed?: number;
  variant?: string;
  message?: number;
  key?: string;
  set: string[];
  trace?: string;
  untilFailure: boolean;
  maxSeeds: number;
}

/** Re-runs one variant and prints the life story of a message or of a key's messages. */
export function replayCommand(args: ReplayArgs): number {
  if ((args.message === undefined) === (args.key === undefined)) {
    throw new UsageError("replay: give --message <id> or --key <key> (one of them)");
  }
  const file = resolveScenarioPath(args.scenario);
  const loaded = loadScenario(file, args.set);
  const names = loaded.variants.map((v) => v.name);
  const variant = args.variant ?? names[0];
  if (!names.includes(variant)) {
    throw new UsageError(
      `--variant ${variant}: no such variant; the variants are ${names.join(", ")}`,
    );
  }
  let seed = args.seed ?? loaded.seed;
  if (args.untilFailure) {
    const found = firstFailingSeed(loaded, variant, seed, args.maxSeeds, (s) =>
      process.stderr.write(`seed ${s}\r`),
    );
    if (found === null) {
      process.stdout.write(
        `${loaded.name} / ${variant} met its expectations at seeds ${seed} to ${seed + args.maxSeeds - 1}\n`,
      );
      return EXIT_OK;
    }
    process.stdout.write(`first broken expectation at seed ${found}\n`);
    seed = found;
  }
  const key =
    args.key === undefined
      ? undefined
      : /^k?\d+$/.test(args.key)
        ? `k${args.key.replace(/^k/, "")}`
        : args.key;
  const sink = args.trace === undefined ? null : fileTraceSink(args.trace);
  let story: ReturnType<typeof replay>;
  try {
    story = replay(loaded, {
      seed,
      variant,
      filter: { messageId: args.message, key },
      fullTrace: sink?.write,
    });
  } finally {
    sink?.close();
  }
  const who = args.message !== undefined ? `message #${args.message}` : `key ${key}`;
  process.stdout.write(`${loaded.name} / ${variant}, seed ${seed}: the story of ${who}\n`);
  if (story.events.length === 0) {
    process.stdout.write(`  nothing happened to ${who} in this run\n`);
  }
  for (const line of formatStory(story.events, formatDurationS)) process.stdout.write(`${line}\n`);
  if (args.trace !== undefined) process.stdout.write(`full trace: ${args.trace}\n`);
  if (story.error !== null) throw story.error;
  const failures = story.summary!.expectations.filter((e) => !e.passed);
  for (const failure of failures) {
    process.stdout.write(`✘ ${failure.text} (observed ${failure.observed ?? "no value"})\n`);
  }
  return failures.length > 0 ? EXIT_EXPECTATION_FAILED : EXIT_OK;
}

export interface ShrinkArgs {
  scenario: string;
  seed?: number;
  variant?: string;
  set: string[];
  out?: string;
  maxRuns: number;
}

/** Writes a smaller scenario that fails the same expectation as the given run. */
export function shrinkCommand(args: ShrinkArgs): number {
  const file = resolveScenarioPath(args.scenario);
  const loaded = loadScenario(file, args.set);
  if (args.set.length > 0) {
    throw new UsageError("shrink: write the overrides into the file (--set is not applied here)");
  }
  const names = loaded.variants.map((v) => v.name);
  const variant = args.variant ?? names[0];
  if (!names.includes(variant)) {
    throw new UsageError(
      `--variant ${variant}: no such variant; the variants are ${names.join(", ")}`,
    );
  }
  const seed = args.seed ?? loaded.seed;
  const out = args.out ?? `${loaded.name}-${variant}-seed${seed}-shrunk.yaml`;
  if (existsSync(out)) {
    throw new UsageError(
      `${out} already exists; choose another --out (queuelab never overwrites it)`,
    );
  }
  const result = shrink({
    text: readFileSync(file, "utf8"),
    file,
    variant,
    seed,
    maxRuns: args.maxRuns,
    onRun: (runs, step) => process.stderr.write(`[run ${runs}] removed: ${step}\n`),
  });
  if (result === null) {
    process.stdout.write(
      `${loaded.name} / ${variant} at seed ${seed} breaks no expectation: nothing to shrink\n`,
    );
    return EXIT_OK;
  }
  writeFileSync(out, result.text, { flag: "wx" });
  process.stdout.write(
    `still fails "${result.expectation}" after ${result.steps.length} reductions (${result.runs} runs): ${out}\n` +
      `replay: ${replayCommandFor(out, seed, [])}\n`,
  );
  return EXIT_EXPECTATION_FAILED;
}

export function presetsCommand(args: { name?: string }): number {
  if (args.name === undefined) {
    for (const line of presetList()) process.stdout.write(`${line}\n`);
    return EXIT_OK;
  }
  const details = presetDetails(args.name);
  if (details === null) throw new UsageError(unknownPreset(args.name));
  for (const line of details) process.stdout.write(`${line}\n`);
  return EXIT_OK;
}
