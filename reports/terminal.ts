/**
 * The summary for a terminal: one aligned table, metrics as rows and variants as columns, then
 * the failed expectations and the command that replays them.
 */

import type { RunResult } from "../models/results.ts";
import {
  type Align,
  alignTable,
  displayWidth,
  formatDurationS,
  replayCommand,
  truncate,
} from "./format.ts";
import { type Cell, failedExpectations, formatObserved, summarySections } from "./tables.ts";

export interface TerminalOptions {
  /** ANSI colours: verdicts green or red, headings bold. Off unless asked for. */
  color?: boolean;
}

// Caps that keep 4 variants within 100 columns; the full texts are in summary.md.
const LABEL_WIDTH_MAX = 30;
const VARIANT_NAME_WIDTH_MAX = 16;

const ANSI = { bold: "\u001b[1m", red: "\u001b[31m", green: "\u001b[32m", reset: "\u001b[0m" };

type Paint = (text: string, style: keyof typeof ANSI) => string;

function painter(color: boolean): Paint {
  return color ? (text, style) => `${ANSI[style]}${text}${ANSI.reset}` : (text) => text;
}

function cellText(cell: Cell, paint: Paint): string {
  if (cell.status === "pass") return paint(cell.text, "green");
  if (cell.status === "fail") return paint(cell.text, "red");
  return cell.text;
}

function tableLines(result: RunResult, paint: Paint): string[] {
  const names = result.variants.map((v) => paint(truncate(v.name, VARIANT_NAME_WIDTH_MAX), "bold"));
  const rows: string[][] = [["", ...names]];
  const blanks = names.map(() => "");
  for (const section of summarySections(result)) {
    rows.push([paint(section.title, "bold"), ...blanks]);
    for (const row of section.rows) {
      const label = `  ${truncate(row.label, LABEL_WIDTH_MAX)}`;
      rows.push([label, ...row.cells.map((cell) => cellText(cell, paint))]);
    }
  }
  const aligns: Align[] = ["left", ...names.map((): Align => "right")];
  const [header, ...body] = alignTable(rows, aligns);
  return [header, "─".repeat(displayWidth(header)), ...body];
}

function failureLines(result: RunResult, paint: Paint): string[] {
  const failures = failedExpectations(result).map(
    ({ variant, outcome }) =>
      `  ${paint("✘", "red")} ${variant}: ${outcome.text} (observed ${formatObserved(outcome)})`,
  );
  for (const variant of result.variants) {
    if (!variant.summary.fates.conserved) {
      failures.push(`  ${paint("✘", "red")} ${variant.name}: messages not conserved (a bug)`);
    }
  }
  if (failures.length === 0) return [];
  return [
    "",
    paint(`Failed (${failures.length}):`, "red"),
    ...failures,
    "",
    `Replay: ${replayCommand(result)}`,
  ];
}

export function terminalTable(result: RunResult, opts: TerminalOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const heading =
    `${paint(result.scenario, "bold")}  seed ${result.seed}  ` +
    `duration ${formatDurationS(result.durationS)} + drain ${formatDurationS(result.drainS)}`;
  return `${[heading, "", ...tableLines(result, paint), ...failureLines(result, paint)].join("\n")}\n`;
}
