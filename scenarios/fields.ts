/**
 * Reading typed fields out of the raw tree. Each reader takes the node and its path and either
 * returns the value in SI units or throws a ScenarioError pointing at the node.
 */
import { ScenarioError } from "./errors.ts";
import {
  describeRaw,
  entryOf,
  isAbsent,
  type RawMap,
  type RawNode,
  type RawScalar,
} from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";
import {
  DURATION_EXPECTED,
  formatBytes,
  parseBytes,
  parseDurationS,
  parseProbability,
  parseRatePerS,
  RATE_EXPECTED,
  SIZE_EXPECTED,
  UnitError,
} from "./units.ts";

export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
export const NAME_EXPECTED = "a name of letters, digits, '-' and '_'";
/** Names become file names (`trace-<variant>.jsonl`, `out/<scenario>/`): keep them well short. */
export const NAME_LENGTH_MAX = 100;
/**
 * The longest duration anywhere, about 31 years: a virtual clock of doubles keeps sub-microsecond
 * steps up to there, and sums of durations (duration + drain) stay finite.
 */
export const DURATION_MAX_S = 1e9;

export function joinPath(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

export function fail(node: RawNode, path: string, expected: string): never {
  throw new ScenarioError({ at: node.at, path, expected, got: describeRaw(node) });
}

export function failWith(node: RawNode, path: string, expected: string, problem: string): never {
  throw new ScenarioError({ at: node.at, path, expected, problem });
}

/** A mapping whose keys are checked against the allowed ones as soon as it is opened. */
export class Fields {
  private constructor(
    readonly map: RawMap,
    readonly path: string,
  ) {}

  static open(node: RawNode, path: string, allowed: readonly string[], expected: string): Fields {
    if (node.kind !== "map") fail(node, path, expected);
    for (const entry of node.entries) {
      if (!allowed.includes(entry.key)) {
        throw new ScenarioError({
          at: entry.keyAt,
          path: joinPath(path, entry.key),
          expected: `one of ${allowed.join(", ")}`,
          problem: `unknown key '${entry.key}'${suggestionSuffix(entry.key, allowed)}`,
        });
      }
    }
    return new Fields(node, path);
  }

  pathOf(key: string): string {
    return joinPath(this.path, key);
  }

  /** The value, or undefined when the key is missing or null. */
  get(key: string): RawNode | undefined {
    const value = entryOf(this.map, key)?.value;
    return isAbsent(value) ? undefined : value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  required(key: string, expected: string): RawNode {
    const value = this.get(key);
    if (value !== undefined) return value;
    const entry = entryOf(this.map, key);
    throw new ScenarioError({
      at: entry ? entry.keyAt : this.map.at,
      path: this.pathOf(key),
      expected,
      problem: `missing '${key}' (expected ${expected})`,
    });
  }

  /** Reads `key` with `read`, or returns `fallback` when it is missing. */
  read<T>(key: string, read: (node: RawNode, path: string) => T, fallback: T): T {
    const value = this.get(key);
    return value === undefined ? fallback : read(value, this.pathOf(key));
  }

  /** The location to blame for a rule that spans fields: the key if present, else the mapping. */
  nodeOrSelf(key: string): RawNode {
    return this.get(key) ?? this.map;
  }

  /** Fails at field `key` (or this mapping when it is absent), e.g. a field that does not apply. */
  refuse(key: string, expected: string, problem: string): never {
    failWith(this.nodeOrSelf(key), this.pathOf(key), expected, problem);
  }
}

function scalar(node: RawNode, path: string, expected: string): RawScalar {
  if (node.kind !== "scalar") fail(node, path, expected);
  return node;
}

export function readText(node: RawNode, path: string): string {
  const { value } = scalar(node, path, "text");
  if (typeof value === "string" || typeof value === "number") return String(value);
  fail(node, path, "text");
}

export function readName(
  node: RawNode,
  path: string,
  pattern = NAME_PATTERN,
  expected = NAME_EXPECTED,
): string {
  const { value } = scalar(node, path, expected);
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !pattern.test(text)) fail(node, path, expected);
  if (text.length > NAME_LENGTH_MAX) {
    fail(node, path, `a name of at most ${NAME_LENGTH_MAX} characters`);
  }
  return text;
}

export function readBoolean(node: RawNode, path: string): boolean {
  const { value } = scalar(node, path, "true or false");
  if (typeof value !== "boolean") fail(node, path, "true or false");
  return value;
}

export function readChoice<T extends string>(
  node: RawNode,
  path: string,
  choices: readonly T[],
): T {
  const expected = choices.map((c) => `'${c}'`).join(" or ");
  const { value } = scalar(node, path, expected);
  if (typeof value === "string" && (choices as readonly string[]).includes(value))
    return value as T;
  const hint = typeof value === "string" ? suggestionSuffix(value, choices) : "";
  const suffix = hint.startsWith(",") ? hint : "";
  failWith(node, path, expected, `expected ${expected}, got ${describeRaw(node)}${suffix}`);
}

export function readWholeNumber(node: RawNode, path: string, min: number, max: number): number {
  const expected = `a whole number from ${min} to ${max}`;
  const { value } = scalar(node, path, expected);
  if (typeof value !== "number" || !Number.isInteger(value))
    fail(node, path, `a whole number >= ${min}`);
  if (value < min) fail(node, path, `a whole number >= ${min}`);
  if (value > max) fail(node, path, `a whole number <= ${max}`);
  return value;
}

/** Any finite number (zipf exponents, lognormal mu/sigma, pareto shape). */
export function readNumber(node: RawNode, path: string): number {
  const { value } = scalar(node, path, "a number");
  if (typeof value !== "number" || !Number.isFinite(value)) fail(node, path, "a finite number");
  return value;
}

export interface DurationRange {
  /** Smallest allowed value; zero unless given. */
  minS?: number;
  /** When true the minimum itself is not allowed (`> 0`). */
  exclusive?: boolean;
}

export function readDurationS(node: RawNode, path: string, range: DurationRange = {}): number {
  const seconds = withUnits(node, path, parseDurationS);
  const minS = range.minS ?? 0;
  const tooSmall = range.exclusive ? seconds <= minS : seconds < minS;
  if (tooSmall) {
    const bound = `${range.exclusive ? ">" : ">="} ${minS === 0 ? "0" : `${minS}s`}`;
    fail(node, path, `a duration ${bound} (${DURATION_EXPECTED.replace("a duration ", "")})`);
  }
  if (seconds > DURATION_MAX_S) fail(node, path, "a duration <= 1e9s (about 31 years)");
  return seconds;
}

export function readRatePerS(node: RawNode, path: string): number {
  const perS = withUnits(node, path, parseRatePerS);
  if (perS < 0) fail(node, path, `a rate >= 0 (${RATE_EXPECTED.replace("a rate ", "")})`);
  return perS;
}

/** A size in bytes, a whole number in [minBytes, maxBytes]. */
export function readBytes(node: RawNode, path: string, minBytes: number, maxBytes: number): number {
  const bytes = withUnits(node, path, parseBytes);
  const like = SIZE_EXPECTED.replace("a size ", "");
  if (bytes < minBytes) fail(node, path, `a size >= ${formatBytes(minBytes)} (${like})`);
  if (bytes > maxBytes) fail(node, path, `a size <= ${formatBytes(maxBytes)} (${like})`);
  return bytes;
}

export function readProbability(node: RawNode, path: string): number {
  return withUnits(node, path, parseProbability);
}

/** Runs a units parser on a scalar and turns its UnitError into a ScenarioError at the node. */
export function withUnits<T>(node: RawNode, path: string, parse: (value: unknown) => T): T {
  const { value } = scalar(node, path, "a value with a unit");
  try {
    return parse(value);
  } catch (error) {
    if (!(error instanceof UnitError)) throw error;
    // Show the text as written (quotes and all) unless the parser added a hint to it.
    const shown = error.got === String(value) ? describeRaw(node) : error.got;
    throw new ScenarioError({ at: node.at, path, expected: error.expected, got: shown });
  }
}

export function readList(node: RawNode, path: string, expected: string): RawNode[] {
  if (node.kind !== "list") fail(node, path, expected);
  return node.items;
}
