/**
 * The summary as a list of sections of rows (metric x variant), built once so that the Markdown,
 * HTML and terminal reports show the same numbers with the same labels.
 */

import type {
  ExpectationOutcome,
  LatencyStats,
  RunResult,
  VariantSummary,
} from "../models/results.ts";
import { formatCount, formatDecimal, formatDurationS, formatRatePerS, NO_VALUE } from "./format.ts";

export type CellStatus = "pass" | "fail";

export interface Cell {
  text: string;
  /** Set where the cell is a verdict: a conservation check or an expectation. */
  status?: CellStatus;
}

export interface TableRow {
  label: string;
  /** One cell per variant, in the run's variant order. */
  cells: Cell[];
}

export interface Section {
  title: string;
  rows: TableRow[];
}

type Metric = (summary: VariantSummary) => Cell;

function row(result: RunResult, label: string, metric: Metric): TableRow {
  return { label, cells: result.variants.map((variant) => metric(variant.summary)) };
}

const text = (value: string): Cell => ({ text: value });

function verdictCell(passed: boolean, observed: string): Cell {
  return { text: `${passed ? "✔" : "✘"} ${observed}`, status: passed ? "pass" : "fail" };
}

type CountPick = [label: string, pick: (s: VariantSummary) => number];

function countRows(result: RunResult, picks: CountPick[]): TableRow[] {
  return picks.map(([label, pick]) => row(result, label, (s) => text(formatCount(pick(s)))));
}

function fatesSection(result: RunResult): Section {
  const conserved: Metric = (s) => verdictCell(s.fates.conserved, s.fates.conserved ? "yes" : "NO");
  return {
    title: "Message fates",
    rows: [
      ...countRows(result, [
        ["produced", (s) => s.fates.produced],
        ["processed", (s) => s.fates.processed],
        ["dead-lettered", (s) => s.fates.deadLettered],
        ["dropped", (s) => s.fates.dropped],
        ["pending at end", (s) => s.fates.pending],
        ["lost", (s) => s.fates.lost],
        ["duplicate effects", (s) => s.fates.duplicateEffects],
      ]),
      row(result, "conserved", conserved),
    ],
  };
}

function latencySection(
  result: RunResult,
  title: string,
  pick: (s: VariantSummary) => LatencyStats,
): Section {
  const duration =
    (stat: (l: LatencyStats) => number | null): Metric =>
    (s) =>
      text(formatDurationS(stat(pick(s))));
  return {
    title,
    rows: [
      row(result, "samples", (s) => text(formatCount(pick(s).count))),
      row(
        result,
        "mean",
        duration((l) => l.meanS),
      ),
      row(
        result,
        "p50",
        duration((l) => l.p50S),
      ),
      row(
        result,
        "p95",
        duration((l) => l.p95S),
      ),
      row(
        result,
        "p99",
        duration((l) => l.p99S),
      ),
      row(
        result,
        "p99.9",
        duration((l) => l.p999S),
      ),
      row(
        result,
        "max",
        duration((l) => l.maxS),
      ),
    ],
  };
}

function throughputSection(result: RunResult): Section {
  return {
    title: "Throughput",
    rows: [
      row(result, "produced", (s) => text(formatRatePerS(s.throughput.producedPerS))),
      row(result, "processed", (s) => text(formatRatePerS(s.throughput.processedPerS))),
    ],
  };
}

function countersSection(result: RunResult): Section {
  return {
    title: "Counters",
    rows: [
      ...countRows(result, [
        ["deliveries", (s) => s.counters.deliveries],
        ["redeliveries", (s) => s.counters.redeliveries],
        ["acks", (s) => s.counters.acks],
        ["nacks", (s) => s.counters.nacks],
        ["visibility timeouts", (s) => s.counters.visibilityTimeouts],
        ["moved to dead-letter queue", (s) => s.counters.movedToDeadLetter],
        ["processing failures", (s) => s.counters.processingFailures],
        ["link losses", (s) => s.counters.linkLosses],
        ["link duplicates", (s) => s.counters.linkDuplicates],
        ["events fired", (s) => s.counters.eventsFired],
      ]),
      row(result, "ended at", (s) => text(formatDurationS(s.counters.endS))),
    ],
  };
}

/** The observed value of an expectation: a duration when its metric is one, else a number. */
export function formatObserved(outcome: ExpectationOutcome): string {
  if (outcome.observed === null) return NO_VALUE;
  if (/S$/.test(outcome.metric)) return formatDurationS(outcome.observed);
  return Number.isInteger(outcome.observed)
    ? formatCount(outcome.observed)
    : formatDecimal(outcome.observed);
}

/**
 * One row per distinct expectation text, in order of first appearance: variants of a scenario
 * normally share the scenario's expectations, but a variant may lack one.
 */
function expectationsSection(result: RunResult): Section {
  const texts: string[] = [];
  for (const variant of result.variants) {
    for (const outcome of variant.summary.expectations) {
      if (!texts.includes(outcome.text)) texts.push(outcome.text);
    }
  }
  return {
    title: "Expectations",
    rows: texts.map((expectation) =>
      row(result, expectation, (s) => {
        const outcome = s.expectations.find((o) => o.text === expectation);
        return outcome ? verdictCell(outcome.passed, formatObserved(outcome)) : text(NO_VALUE);
      }),
    ),
  };
}

/** Every section of the summary; the expectations section only when there are expectations. */
export function summarySections(result: RunResult): Section[] {
  const sections = [
    fatesSection(result),
    latencySection(result, "End-to-end latency", (s) => s.latency),
    latencySection(result, "Queue wait", (s) => s.queueWait),
    throughputSection(result),
    countersSection(result),
  ];
  const expectations = expectationsSection(result);
  if (expectations.rows.length > 0) sections.push(expectations);
  return sections;
}

export interface FailedExpectation {
  variant: string;
  outcome: ExpectationOutcome;
}

export function failedExpectations(result: RunResult): FailedExpectation[] {
  return result.variants.flatMap((variant) =>
    variant.summary.expectations
      .filter((outcome) => !outcome.passed)
      .map((outcome) => ({ variant: variant.name, outcome })),
  );
}

/** One line on all expectations of all variants; null when the scenario states none. */
export function expectationsVerdict(result: RunResult): { text: string; passed: boolean } | null {
  const total = result.variants.reduce((n, v) => n + v.summary.expectations.length, 0);
  if (total === 0) return null;
  const failed = failedExpectations(result).length;
  return failed === 0
    ? { text: `✔ All ${total} expectation checks passed.`, passed: true }
    : { text: `✘ ${failed} of ${total} expectation checks failed.`, passed: false };
}
