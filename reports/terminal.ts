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
  NO_VALUE,
  replayCommand,
  truncate,
} from "./format.ts";
import { type Cell, failedExpectations, formatObserved, summarySections } from "./tables.ts";

export interface TerminalOptions {
  /** ANSI colours: verdicts green or red, headings bold. Off unless asked for. */
  color?: boolean;
}

// The table keeps within TABLE_WIDTH_MAX columns for up to 4 variants: variant names are capped,
// and labels get the room the value columns leave, at least LABEL_WIDTH_MIN. With 4 long variant
// names that is about 26 columns, so long labels (loss causes, expectations) are shortened with
// an ellipsis; summary.md has them in full.
const TABLE_WIDTH_MAX = 100;
const LABEL_WIDTH_MIN = 24;
const VARIANT_NAME_WIDTH_MAX = 16;
const GAP = 2;
const INDENT = "  ";

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

/** A line of the table: aligned cells, or a phrase on a line of its own. */
type Line = { cells: string[] } | { prose: string };

function tableLines(result: RunResult, paint: Paint): string[] {
  const sections = summarySections(result);
  const names = result.variants.map((v) => truncate(v.name, VARIANT_NAME_WIDTH_MAX));
  const valueRows = sections.flatMap((section) => section.rows.filter((row) => !row.prose));
  const valuesWidth = names.reduce(
    (width, name, i) =>
      width +
      GAP +
      Math.max(displayWidth(name), ...valueRows.map((r) => displayWidth(r.cells[i].text))),
    0,
  );
  const labelWidthMax = Math.max(LABEL_WIDTH_MIN, TABLE_WIDTH_MAX - valuesWidth);
  const blanks = names.map(() => "");
  const header = { cells: ["", ...names.map((name) => paint(name, "bold"))] };
  const lines: Line[] = [header];
  for (const section of sections) {
    lines.push({ cells: [paint(truncate(section.title, labelWidthMax), "bold"), ...blanks] });
    for (const row of section.rows) {
      const label = INDENT + truncate(row.label, labelWidthMax - INDENT.length);
      if (!row.prose) {
        lines.push({ cells: [label, ...row.cells.map((cell) => cellText(cell, paint))] });
        continue;
      }
      // Phrases are too wide for a column: one line per variant that has one, under the label.
      lines.push({ cells: [label, ...blanks] });
      for (const [i, cell] of row.cells.entries()) {
        if (cell.text === NO_VALUE) continue;
        const prose = `${INDENT}${INDENT}${names[i]}: ${cell.text}`;
        lines.push({ prose: truncate(prose, TABLE_WIDTH_MAX) });
      }
    }
  }
  // Widen the label column (through the header's empty corner) until the phrases fit.
  const proseWidth = Math.max(
    0,
    ...lines.map((line) => ("prose" in line ? displayWidth(line.prose) : 0)),
  );
  header.cells[0] = " ".repeat(Math.max(0, proseWidth - valuesWidth));
  const aligns: Align[] = ["left", ...names.map((): Align => "right")];
  const aligned = alignTable(
    lines.flatMap((line) => ("cells" in line ? [line.cells] : [])),
    aligns,
    GAP,
  );
  const width = displayWidth(aligned[0]);
  let next = 0;
  const [head, ...body] = lines.map((line) =>
    "cells" in line ? aligned[next++] : line.prose + " ".repeat(width - displayWidth(line.prose)),
  );
  return [head, "─".repeat(width), ...body];
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
