/**
 * Number, duration and table formatting shared by the Markdown, HTML and terminal reports.
 * Everything here is locale-free (no toLocaleString) so that reports are byte-identical on every
 * machine.
 */

import type { RunResult } from "../models/results.ts";

/** Shown where a statistic has no value (no message was processed, say). */
export const NO_VALUE = "—";

/** Rounds to `digits` significant digits; keeps integers and non-finite values as they are. */
export function roundSignificant(x: number, digits: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x === 0 ? 0 : x;
  return Number(x.toPrecision(digits));
}

/** Integer part grouped by thousands with commas: 1234567 -> "1,234,567". */
function groupThousands(digitsText: string): string {
  return digitsText.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A count of messages or events. Non-integers (a mean, say) keep 4 significant digits. */
export function formatCount(n: number): string {
  if (!Number.isInteger(n)) return formatDecimal(n);
  const sign = n < 0 ? "-" : "";
  return sign + groupThousands(String(Math.abs(n)));
}

/** A count short enough for a chart label: 985, 9,999, 12.3k, 1.23M. */
export function formatCompactCount(n: number): string {
  const magnitude = Math.abs(n);
  if (magnitude < 10_000) return formatCount(n);
  const [divisor, suffix] = magnitude < 999_500 ? [1e3, "k"] : [1e6, "M"];
  return `${Number((n / divisor).toPrecision(3))}${suffix}`;
}

/** About 4 significant digits without exponent: 499.8, 12.35, 0.1235; 1000 and up as integers. */
export function formatDecimal(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const magnitude = Math.abs(x);
  if (magnitude >= 1000) return formatCount(Math.round(x));
  const decimals = Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(magnitude))));
  return x.toFixed(decimals);
}

export function formatRatePerS(perS: number): string {
  return `${formatDecimal(perS)}/s`;
}

const DURATION_UNITS: readonly { name: string; seconds: number }[] = [
  { name: "d", seconds: 86400 },
  { name: "h", seconds: 3600 },
  { name: "min", seconds: 60 },
  { name: "s", seconds: 1 },
  { name: "ms", seconds: 1e-3 },
  { name: "µs", seconds: 1e-6 },
  { name: "ns", seconds: 1e-9 },
];

/** 3 significant digits in the largest unit that keeps the value >= 1: "12.3 ms", "1.25 s". */
export function formatDurationS(seconds: number | null): string {
  if (seconds === null) return NO_VALUE;
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds === 0) return "0 s";
  // Round first so that 0.9996 s reads "1.00 s", not "1000 ms".
  const magnitude = roundSignificant(Math.abs(seconds), 3);
  const unit =
    DURATION_UNITS.find((u) => magnitude >= u.seconds) ?? DURATION_UNITS[DURATION_UNITS.length - 1];
  const value = magnitude / unit.seconds;
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(value)));
  const sign = seconds < 0 ? "-" : "";
  return `${sign}${value.toFixed(decimals)} ${unit.name}`;
}

/** Quotes a shell argument only when it needs it, POSIX single-quote style. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=,%@+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The one command that reproduces this run, overrides included. */
export function replayCommand(result: RunResult): string {
  return replayCommandFor(result.file, result.seed, result.overrides);
}

/** The command that runs `scenario` (a path or a bundled name) again with this seed and these overrides. */
export function replayCommandFor(
  scenario: string,
  seed: number,
  overrides: readonly string[],
): string {
  const words = ["npx", "queuelab", "run", shellQuote(scenario), "--seed", String(seed)];
  for (const override of overrides) words.push("--set", shellQuote(override));
  return words.join(" ");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matches ANSI escape sequences
const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}

/** Width in terminal columns: code points, ignoring colour codes (all our symbols are narrow). */
export function displayWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/** Shortens to `widthMax` columns with an ellipsis; plain text only (no colour codes). */
export function truncate(text: string, widthMax: number): string {
  const chars = [...text];
  return chars.length <= widthMax ? text : `${chars.slice(0, widthMax - 1).join("")}…`;
}

export type Align = "left" | "right";

/**
 * Pads every cell to its column's width. Every returned line has the same display width (the
 * last column is padded too), so a table block is a clean rectangle.
 */
export function alignTable(rows: readonly string[][], aligns: readonly Align[], gap = 2): string[] {
  const columnCount = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columnCount }, (_, column) =>
    Math.max(0, ...rows.map((row) => displayWidth(row[column] ?? ""))),
  );
  return rows.map((row) =>
    widths
      .map((width, column) => {
        const cell = row[column] ?? "";
        const padding = " ".repeat(width - displayWidth(cell));
        return (aligns[column] ?? "left") === "right" ? padding + cell : cell + padding;
      })
      .join(" ".repeat(gap)),
  );
}
