/**
 * Quantities with units, as written in scenario files: durations (`250ms`, `5m`), rates
 * (`500/s`, `30/m`), probabilities (`1%`, `0.01`) and sizes (`1KiB`, `64MB`). Everything comes
 * out in seconds, per second, a fraction in [0, 1] or bytes. A bare number is seconds
 * (durations), per second (rates) or bytes (sizes).
 * Range checks other than a probability's [0, 1] are the caller's: it knows the field.
 */

export class UnitError extends Error {
  constructor(
    /** What the value should look like, e.g. "a duration like 250ms, 30s or 5m". */
    readonly expected: string,
    /** The value as the parser saw it, with any hint ("150 (did you mean 150%?)"). */
    readonly got: string,
  ) {
    super(`expected ${expected}, got ${got}`);
    this.name = "UnitError";
  }
}

export const DURATION_EXPECTED = "a duration like 250ms, 30s or 5m";
export const RATE_EXPECTED = "a rate like 500/s, 30/m or 1000/h";
export const PROBABILITY_EXPECTED = "a probability like 1% or 0.01";
export const SIZE_EXPECTED = "a size like 1KiB, 64MB or 1048576";

/** Seconds per unit. Lowercase only: `5M` could be months or minutes. */
const SECONDS_PER_UNIT: Record<string, number> = {
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86400,
};

/**
 * Bytes per unit: decimal (KB = 1000, as disks and networks count) and binary (KiB = 1024, as
 * Kafka's defaults are written). Case matters: `mb` would be millibits, `Mb` megabits.
 */
const BYTES_PER_UNIT: Record<string, number> = {
  B: 1,
  KB: 1e3,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const DURATION_PATTERN = new RegExp(`^(${NUMBER})\\s*(us|µs|ms|s|min|m|h|d)$`);
const RATE_PATTERN = new RegExp(`^(${NUMBER})\\s*/\\s*(us|µs|ms|s|min|m|h|d)$`);
const PERCENT_PATTERN = new RegExp(`^(${NUMBER})\\s*%$`);
const BARE_NUMBER_PATTERN = new RegExp(`^${NUMBER}$`);
const SIZE_PATTERN = new RegExp(`^(${NUMBER})\\s*([A-Za-z]+)$`);

/** A duration in seconds; a bare number is seconds. */
export function parseDurationS(value: unknown): number {
  const bare = bareNumber(value);
  if (bare !== null) return finite(bare, DURATION_EXPECTED, value);
  const match = typeof value === "string" ? DURATION_PATTERN.exec(value.trim()) : null;
  if (match === null) throw new UnitError(DURATION_EXPECTED, show(value));
  return finite(scaled(match[1], match[2]), DURATION_EXPECTED, value);
}

/** A rate in events per second; a bare number is per second. */
export function parseRatePerS(value: unknown): number {
  const bare = bareNumber(value);
  if (bare !== null) return finite(bare, RATE_EXPECTED, value);
  const match = typeof value === "string" ? RATE_PATTERN.exec(value.trim()) : null;
  if (match === null) throw new UnitError(RATE_EXPECTED, show(value));
  // Divide by the unit's seconds: 30/m is 30 / 60 per second.
  return finite(Number(match[1]) / SECONDS_PER_UNIT[match[2]], RATE_EXPECTED, value);
}

/** A probability in [0, 1], written as a fraction (`0.01`) or a percentage (`1%`). */
export function parseProbability(value: unknown): number {
  const expected = `${PROBABILITY_EXPECTED} (between 0 and 1)`;
  const bare = bareNumber(value);
  if (bare !== null) {
    const p = finite(bare, expected, value);
    if (p >= 0 && p <= 1) return p;
    const hint = p > 1 && p <= 100 ? ` (did you mean ${show(value)}%?)` : "";
    throw new UnitError(expected, `${show(value)}${hint}`);
  }
  const match = typeof value === "string" ? PERCENT_PATTERN.exec(value.trim()) : null;
  if (match === null) throw new UnitError(expected, show(value));
  const p = Number(match[1]) / 100;
  if (!(p >= 0 && p <= 1)) throw new UnitError(expected, show(value));
  return p;
}

/**
 * A size in bytes, a whole number: a bare whole number is bytes; `1.5KiB` is allowed when it
 * comes to whole bytes (1536). A unit in the wrong case gets a hint (`1kib (did you mean 1KiB?)`).
 */
export function parseBytes(value: unknown): number {
  const bare = bareNumber(value);
  if (bare !== null) return wholeBytes(finite(bare, SIZE_EXPECTED, value), value);
  const match = typeof value === "string" ? SIZE_PATTERN.exec(value.trim()) : null;
  if (match === null) throw new UnitError(SIZE_EXPECTED, show(value));
  const [, numberText, unit] = match;
  const perUnit = BYTES_PER_UNIT[unit];
  if (perUnit === undefined) {
    const sameIgnoringCase = Object.keys(BYTES_PER_UNIT).find(
      (u) => u.toLowerCase() === unit.toLowerCase(),
    );
    const hint =
      sameIgnoringCase === undefined ? "" : ` (did you mean ${numberText}${sameIgnoringCase}?)`;
    throw new UnitError(SIZE_EXPECTED, `${show(value)}${hint}`);
  }
  return wholeBytes(finite(Number(numberText) * perUnit, SIZE_EXPECTED, value), value);
}

/** A size for messages: the largest binary unit that divides it (`1GiB`), else bytes (`1000B`). */
export function formatBytes(bytes: number): string {
  for (const unit of ["TiB", "GiB", "MiB", "KiB"]) {
    const perUnit = BYTES_PER_UNIT[unit];
    if (bytes >= perUnit && bytes % perUnit === 0) return `${bytes / perUnit}${unit}`;
  }
  return `${bytes}B`;
}

/** Rounds away float noise (`1.1KB` is 1100.0000000000002); a fraction of a byte is an error. */
function wholeBytes(bytes: number, value: unknown): number {
  const rounded = Math.round(bytes);
  if (Math.abs(bytes - rounded) <= 4 * Number.EPSILON * Math.abs(bytes)) return rounded;
  throw new UnitError(SIZE_EXPECTED, `${show(value)} (not a whole number of bytes)`);
}

/**
 * A number with an optional unit, for comparisons in `expect`: a duration unit gives seconds,
 * a rate unit per second, `%` a fraction. `allowed` says which units the metric takes.
 */
export function parseQuantity(value: unknown, allowed: "duration" | "rate" | "plain"): number {
  const bare = bareNumber(value);
  if (bare !== null) return finite(bare, "a number", value);
  if (allowed === "duration") return parseDurationS(value);
  if (allowed === "rate") return parseRatePerS(value);
  throw new UnitError("a plain number", show(value));
}

function scaled(numberText: string, unit: string): number {
  const perUnit = SECONDS_PER_UNIT[unit];
  // Dividing by 1000 rather than multiplying by 0.001 keeps 250ms exactly 0.25.
  return perUnit < 1 ? Number(numberText) / Math.round(1 / perUnit) : Number(numberText) * perUnit;
}

function bareNumber(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "string" && BARE_NUMBER_PATTERN.test(value.trim())) return Number(value);
  return null;
}

function finite(n: number, expected: string, value: unknown): number {
  if (!Number.isFinite(n)) throw new UnitError(`${expected} (a finite number)`, show(value));
  return n;
}

function show(value: unknown): string {
  if (typeof value === "string") return value === "" ? "an empty string" : value;
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
