/**
 * `queuelab run --check-determinism`: runs each variant twice in this process with its trace
 * kept in memory, and finds the first event at which the two runs differ. Determinism is the
 * product (same scenario and seed, same bytes); this is how a component that reads a clock, a
 * global random number or the iteration order of something unordered gets caught, with the place
 * it first showed.
 */
import type { VariantResult } from "../models/results.ts";
import { simulate } from "../models/simulation.ts";
import { Trace } from "../sim/trace.ts";
import type { LoadedScenario } from "./loader.ts";

/** The first event at which two runs of a variant differ. */
export interface TraceDivergence {
  variant: string;
  /** 1-based line of the trace. */
  line: number;
  /** Virtual time of the diverging event (the earlier of the two lines' times), if known. */
  timeS: number | null;
  /** The line of the first run; null where its trace had already ended. */
  firstRun: string | null;
  /** The line of the second run; null where its trace had already ended. */
  secondRun: string | null;
}

/** Identical traces, yet the summaries or series differ (a bug in summing up, say). */
export interface ResultDivergence {
  variant: string;
  /** Dotted path of the first differing value: `summary.latency.p99S`. */
  path: string;
  firstRun: string;
  secondRun: string;
}

export interface DeterminismOutcome {
  /** Each variant checked, with the number of trace lines of each of its runs. */
  variants: { name: string; traceLines: number }[];
  /** The first divergence found (the check stops at the first variant that diverges). */
  trace: TraceDivergence | null;
  result: ResultDivergence | null;
}

/**
 * A trace kept in memory as a few large strings rather than a string per line, so that a
 * million-event run costs about its size in bytes.
 */
class TraceRecording {
  readonly chunks: string[] = [];
  private parts: string[] = [];
  private partsChars = 0;
  lines = 0;

  static readonly CHUNK_CHARS = 1 << 20;

  readonly sink = (line: string) => {
    this.parts.push(line);
    this.partsChars += line.length;
    this.lines++;
    if (this.partsChars >= TraceRecording.CHUNK_CHARS) this.flush();
  };

  flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(this.parts.join(""));
    this.parts = [];
    this.partsChars = 0;
  }
}

/** Thrown from the second run's trace sink to stop the run at its first diverging line. */
class Diverged extends Error {}

/** Walks a recording line by line while the second run's lines arrive. */
class TraceComparison {
  private chunk = 0;
  private offset = 0;
  line = 0;
  divergence: { line: number; firstRun: string | null; secondRun: string | null } | null = null;

  constructor(private readonly recording: TraceRecording) {}

  /** The recording's next line (with its newline), or null at its end; advances. */
  private nextRecorded(): string | null {
    const { chunks } = this.recording;
    while (this.chunk < chunks.length && this.offset >= chunks[this.chunk].length) {
      this.chunk++;
      this.offset = 0;
    }
    if (this.chunk >= chunks.length) return null;
    const text = chunks[this.chunk];
    // Lines never span chunks: a chunk is a join of whole lines.
    const end = text.indexOf("\n", this.offset) + 1;
    const line = text.slice(this.offset, end);
    this.offset = end;
    return line;
  }

  readonly sink = (line: string) => {
    this.line++;
    const recorded = this.peekMatches(line);
    if (recorded === true) return;
    this.divergence = { line: this.line, firstRun: recorded, secondRun: line.replace(/\n$/, "") };
    throw new Diverged();
  };

  /** True when the recording's next line equals `line` (and consumes it); else that line. */
  private peekMatches(line: string): true | string | null {
    const { chunks } = this.recording;
    while (this.chunk < chunks.length && this.offset >= chunks[this.chunk].length) {
      this.chunk++;
      this.offset = 0;
    }
    if (this.chunk < chunks.length && chunks[this.chunk].startsWith(line, this.offset)) {
      this.offset += line.length;
      return true;
    }
    return this.nextRecorded()?.replace(/\n$/, "") ?? null;
  }

  /** After the second run: a recording longer than the second run diverges where it ended. */
  finish(): void {
    if (this.divergence !== null) return;
    const rest = this.nextRecorded();
    if (rest !== null) {
      this.divergence = { line: this.line + 1, firstRun: rest.replace(/\n$/, ""), secondRun: null };
    }
  }
}

/** The `t` of a trace line, or null. */
function timeOf(line: string | null): number | null {
  if (line === null) return null;
  const match = /^\{"t":(-?[0-9.eE+-]+),/.exec(line);
  return match === null ? null : Number(match[1]);
}

/** The first path at which two JSON-like values differ, or null. */
export function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return null;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return path;
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const key of keys) {
    const found = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      path === "" ? key : `${path}.${key}`,
    );
    if (found !== null) return found;
  }
  return null;
}

function valueAt(root: unknown, path: string): string {
  let value: unknown = root;
  for (const part of path.split(".")) {
    value =
      value !== null && typeof value === "object"
        ? (value as Record<string, unknown>)[part]
        : undefined;
  }
  return value === undefined ? "(absent)" : JSON.stringify(value);
}

export interface DeterminismOptions {
  seed: number;
  /** Only these variants (by name); all when absent. */
  variants?: string[];
}

/** Runs each chosen variant twice at `seed` and compares traces, summaries and series. */
export function checkDeterminism(
  loaded: LoadedScenario,
  options: DeterminismOptions,
): DeterminismOutcome {
  const chosen = options.variants
    ? loaded.variants.filter((variant) => options.variants!.includes(variant.name))
    : loaded.variants;
  const checked: DeterminismOutcome["variants"] = [];
  for (const variant of chosen) {
    const run = (trace: Trace): VariantResult =>
      simulate(variant.config, { seed: options.seed, variantName: variant.name, trace });
    const recording = new TraceRecording();
    const first = run(new Trace(recording.sink));
    recording.flush();
    const comparison = new TraceComparison(recording);
    let second: VariantResult | null = null;
    try {
      second = run(new Trace(comparison.sink));
    } catch (error) {
      if (!(error instanceof Diverged)) throw error;
    }
    comparison.finish();
    const divergence = comparison.divergence;
    if (divergence !== null) {
      const times = [timeOf(divergence.firstRun), timeOf(divergence.secondRun)].filter(
        (t): t is number => t !== null,
      );
      return {
        variants: checked,
        trace: {
          variant: variant.name,
          line: divergence.line,
          timeS: times.length === 0 ? null : Math.min(...times),
          firstRun: divergence.firstRun,
          secondRun: divergence.secondRun,
        },
        result: null,
      };
    }
    const a = { summary: first.summary, series: first.series };
    const b = { summary: second!.summary, series: second!.series };
    const path = firstDifference(a, b, "");
    if (path !== null) {
      return {
        variants: checked,
        trace: null,
        result: {
          variant: variant.name,
          path,
          firstRun: valueAt(a, path),
          secondRun: valueAt(b, path),
        },
      };
    }
    checked.push({ name: variant.name, traceLines: recording.lines });
  }
  return { variants: checked, trace: null, result: null };
}

/** What the command line prints: the verdict, and where a divergence first showed. */
export function describeDeterminism(outcome: DeterminismOutcome): string[] {
  if (outcome.trace !== null) {
    const d = outcome.trace;
    const at = d.timeS === null ? "" : ` (virtual time ${d.timeS}s)`;
    return [
      `determinism: variant ${d.variant} is not deterministic: its two runs differ at trace line ${d.line}${at}:`,
      `  first run:  ${d.firstRun ?? "(trace ended)"}`,
      `  second run: ${d.secondRun ?? "(trace ended)"}`,
    ];
  }
  if (outcome.result !== null) {
    const d = outcome.result;
    return [
      `determinism: variant ${d.variant}: identical traces, but the results differ at ${d.path}:`,
      `  first run:  ${d.firstRun}`,
      `  second run: ${d.secondRun}`,
    ];
  }
  const grouped = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const counts = outcome.variants
    .map((v) => `${v.name}: ${grouped(v.traceLines)} events`)
    .join(", ");
  return [`determinism: each variant ran twice with identical traces and results (${counts})`];
}

/**
 * Runs the check and writes its verdict: stdout when deterministic, stderr (with the command
 * that replays the diverging variant with its trace) when not. True when deterministic.
 */
export function reportDeterminism(
  loaded: LoadedScenario,
  options: DeterminismOptions,
  replay: string,
): boolean {
  const outcome = checkDeterminism(loaded, options);
  const lines = describeDeterminism(outcome);
  const diverged = outcome.trace?.variant ?? outcome.result?.variant ?? null;
  if (diverged === null) {
    for (const line of lines) process.stdout.write(`${line}\n`);
    return true;
  }
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.stderr.write(`replay: ${replay} --variant ${diverged} --trace\n`);
  return false;
}
