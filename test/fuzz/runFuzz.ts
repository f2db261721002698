/**
 * `npm run fuzz`: many more cases than the test suite runs, with a fresh seed each time.
 *
 *   npm run fuzz                                 10,000 loader cases and 200 runs, a new seed
 *   npm run fuzz -- --seed 123                   the same cases again
 *   npm run fuzz -- --runs 50000 --only loader   more loader cases, no runs
 *   npm run fuzz -- --run-cases 1000 --only runs more runs, no loader cases
 *   npm run fuzz -- --extreme                    runs also draw distributions that overflow
 *   npm run fuzz -- --only runs --seed 123 --path "42:1:0"   replay a counterexample (printed)
 *
 * Prints what the cases came to (loaded, or which errors) and, for a broken property, the
 * shrunk case: its text, file name and overrides, and the command that replays it. Exit code 1
 * when a property broke.
 */
import { parseArgs } from "node:util";
import fc from "fast-check";
import {
  checkLoaderCase,
  checkRunCase,
  type LoaderOutcome,
  PropertyFailure,
  type RunOutcome,
} from "./properties.ts";
import {
  describeCase,
  type LoaderCase,
  loaderCase,
  runnableScenario,
} from "./scenarioArbitraries.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    "run-cases": { type: "string", default: "200" },
    seed: { type: "string" },
    path: { type: "string" },
    extreme: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const runs = Number(values.runs);
const runCases = Number(values["run-cases"]);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const replay = values.path === undefined ? {} : { path: values.path, endOnFailure: true };

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function top(map: Map<string, number>, n: number): string[] {
  return [...map]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([key, times]) => `${String(times).padStart(7)}  ${key}`);
}

let failed = false;

function report<T>(
  title: "loader" | "runs",
  details: fc.RunDetails<[T]>,
  describe: (value: T) => string,
): void {
  if (!details.failed) return;
  failed = true;
  process.stdout.write(`\n${title}: PROPERTY BROKEN after ${details.numRuns} case(s)\n`);
  if (details.counterexample !== null) {
    process.stdout.write(`${describe(details.counterexample[0])}\n`);
  }
  const error = details.errorInstance;
  process.stdout.write(
    `why: ${error instanceof PropertyFailure ? error.message : String(error)}\n`,
  );
  if (error instanceof Error && error.cause instanceof Error) {
    process.stdout.write(`cause: ${error.cause.stack ?? error.cause.message}\n`);
  }
  process.stdout.write(
    `replay: npm run fuzz -- --only ${title} --seed ${details.seed} --path "${details.counterexamplePath}"${values.extreme ? " --extreme" : ""}\n`,
  );
}

/** The loader: `runs` documents, each loaded and held to the loader's property. */
function fuzzLoader(): void {
  const origins = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const expectations = new Map<string, number>();
  let withoutExpectedWord = 0;
  let longestMessage = "";
  let slowest = { ms: 0, origin: "" };
  const started = performance.now();
  const loaderDetails = fc.check(
    fc.property(loaderCase, (c: LoaderCase) => {
      const outcome: LoaderOutcome = checkLoaderCase(c);
      count(origins, c.origin);
      if (outcome.ms > slowest.ms) slowest = { ms: outcome.ms, origin: c.origin };
      if (outcome.kind === "loaded") {
        count(outcomes, `loaded (${outcome.variants} variant(s))`);
        return;
      }
      count(outcomes, "ScenarioError");
      const { message, expected } = outcome.error;
      count(expectations, expected.length > 70 ? `${expected.slice(0, 67)}...` : expected);
      if (!message.includes("expected")) withoutExpectedWord++;
      if (message.length > longestMessage.length) longestMessage = message;
    }),
    { numRuns: runs, seed, ...replay },
  );
  const loaderS = (performance.now() - started) / 1000;

  process.stdout.write(`loader: ${loaderDetails.numRuns} case(s) in ${loaderS.toFixed(1)} s\n`);
  process.stdout.write(`  by origin:\n${top(origins, 10).join("\n")}\n`);
  process.stdout.write(`  outcomes:\n${top(outcomes, 10).join("\n")}\n`);
  process.stdout.write(
    `  most frequent expectations in errors:\n${top(expectations, 15).join("\n")}\n`,
  );
  process.stdout.write(
    `  errors stated as a complete problem (no "expected ..., got ..."): ${withoutExpectedWord}\n`,
  );
  process.stdout.write(`  slowest case: ${slowest.ms.toFixed(1)} ms (${slowest.origin})\n`);
  process.stdout.write(
    `  longest message (${longestMessage.length} chars): ${longestMessage.slice(0, 300)}\n`,
  );
  report("loader", loaderDetails, describeCase);
}

/** Valid scenarios, run: `run-cases` of them. */
function fuzzRuns(): void {
  const runOutcomes = new Map<RunOutcome, number>();
  const runStarted = performance.now();
  const runDetails = fc.check(
    fc.property(runnableScenario(values.extreme), (scenario) => {
      count(runOutcomes, checkRunCase(scenario));
    }),
    { numRuns: runCases, seed, ...replay },
  );
  const runS = (performance.now() - runStarted) / 1000;
  process.stdout.write(`\nruns: ${runDetails.numRuns} scenario(s) in ${runS.toFixed(1)} s\n`);
  process.stdout.write(`${top(runOutcomes as Map<string, number>, 5).join("\n")}\n`);
  report("runs", runDetails, (s) => `--- scenario (with --set duration=10s) ---\n${s.text}`);
}

if (values.only !== undefined && values.only !== "loader" && values.only !== "runs") {
  process.stderr.write(`--only takes loader or runs, got ${values.only}\n`);
  process.exit(2);
}
process.stdout.write(`fuzz seed ${seed}\n\n`);
if (values.only !== "runs") fuzzLoader();
if (values.only !== "loader" && runCases > 0 && !failed) fuzzRuns();
process.stdout.write(failed ? "\nFAILED\n" : "\nok: every property held\n");
process.exitCode = failed ? 1 : 0;
