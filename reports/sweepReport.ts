/**
 * The report of a seed sweep, computed from its runs.jsonl lines alone (so a resumed sweep, a
 * merge of shards and one uninterrupted sweep give the same bytes): per variant, the runs, the
 * failing seeds with what broke and how to replay it, and for each key metric the mean over
 * seeds with a Student-t confidence interval, min and max. Written as summary.json (stable key
 * order), summary.md, runs.jsonl (by seed, then variant) and one PNG per metric of its
 * distribution over seeds.
 */
import type { ChartConfiguration, Point } from "chart.js";
import {
  axisTitle,
  chooseLatencyUnit,
  LINE_LEGEND,
  renderPng,
  titleOptions,
  variantColour,
} from "./chart-style.ts";
import {
  formatCount,
  formatDecimal,
  formatDurationS,
  formatRatePerS,
  NO_VALUE,
  replayCommandFor,
  shellQuote,
} from "./format.ts";
import { type JsonValue, reportJson } from "./json.ts";
import type { StagedFolder } from "./outputFolder.ts";
import { CONFIDENCE, type MeanInterval, meanInterval } from "./studentT.ts";
import {
  type FailedExpectation,
  parseRunLine,
  RUNS_FILE,
  recordMetric,
  type SweepManifest,
  type SweepRecord,
} from "./sweepRecords.ts";

/**
 * The metrics every sweep summarizes, in this order: fates, latency percentiles, throughput,
 * ordering. The scenario's `expect` metrics follow (sweepMetrics).
 */
export const KEY_METRICS: readonly string[] = [
  "fates.produced",
  "fates.processed",
  "fates.deadLettered",
  "fates.dropped",
  "fates.pending",
  "fates.lost",
  "fates.duplicateEffects",
  "latency.p50S",
  "latency.p99S",
  "throughput.processedPerS",
  "ordering.violations",
];

/** The key metrics, then every other metric the expectations name, in order of first mention. */
export function sweepMetrics(expectMetrics: Iterable<string>): string[] {
  const metrics = [...KEY_METRICS];
  for (const metric of expectMetrics) if (!metrics.includes(metric)) metrics.push(metric);
  return metrics;
}

/** Failing seeds listed per variant in summary.md and on the terminal; summary.json has all. */
export const FAILING_SEEDS_SHOWN = 10;

export interface FailingSeed {
  seed: number;
  failed: FailedExpectation[];
  replay: string;
}

export interface ErroredSeed {
  seed: number;
  error: string;
  replay: string;
}

export interface VariantSweep {
  name: string;
  runs: number;
  passedRuns: number;
  failedRuns: number;
  errorRuns: number;
  metrics: Map<string, MeanInterval>;
  failingSeeds: FailingSeed[];
  errors: ErroredSeed[];
  /** Each metric's values over the seeds, in seed order (for the charts). */
  values: Map<string, number[]>;
}

export interface SweepSummary {
  manifest: SweepManifest;
  runs: number;
  passedRuns: number;
  failedRuns: number;
  errorRuns: number;
  variants: VariantSweep[];
}

/** The command that replays one run of the sweep: `npx queuelab run <file> --seed N --variant V`. */
export function replayRunCommand(manifest: SweepManifest, seed: number, variant: string): string {
  return `${replayCommandFor(manifest.input, seed, manifest.overrides)} --variant ${shellQuote(variant)}`;
}

/** Reads ordered runs.jsonl lines (by seed, then variant) into records. */
export function parseRunLines(lines: readonly string[], where: string): SweepRecord[] {
  return lines.map((line, i) => parseRunLine(line, `${where}:${i + 1}`));
}

/** Sums up a sweep's records, given in output order (by seed, then variant). */
export function summarizeSweep(
  manifest: SweepManifest,
  records: readonly SweepRecord[],
): SweepSummary {
  const variants = manifest.variants.map(
    (name): VariantSweep => ({
      name,
      runs: 0,
      passedRuns: 0,
      failedRuns: 0,
      errorRuns: 0,
      metrics: new Map(),
      failingSeeds: [],
      errors: [],
      values: new Map(manifest.metrics.map((metric) => [metric, [] as number[]])),
    }),
  );
  const byName = new Map(variants.map((variant) => [variant.name, variant]));
  for (const record of records) {
    const variant = byName.get(record.variant);
    if (variant === undefined) continue;
    variant.runs++;
    if (record.error !== null) {
      variant.errorRuns++;
      const replay = `${replayRunCommand(manifest, record.seed, record.variant)} --trace`;
      variant.errors.push({ seed: record.seed, error: record.error, replay });
      continue;
    }
    if (record.passed) variant.passedRuns++;
    else {
      variant.failedRuns++;
      variant.failingSeeds.push({
        seed: record.seed,
        failed: record.failed,
        replay: replayRunCommand(manifest, record.seed, record.variant),
      });
    }
    for (const metric of manifest.metrics) {
      const value = recordMetric(record, metric);
      if (value !== null) variant.values.get(metric)!.push(value);
    }
  }
  for (const variant of variants) {
    for (const metric of manifest.metrics) {
      variant.metrics.set(metric, meanInterval(variant.values.get(metric)!, CONFIDENCE));
    }
  }
  const total = (pick: (v: VariantSweep) => number) => variants.reduce((s, v) => s + pick(v), 0);
  return {
    manifest,
    runs: total((v) => v.runs),
    passedRuns: total((v) => v.passedRuns),
    failedRuns: total((v) => v.failedRuns),
    errorRuns: total((v) => v.errorRuns),
    variants,
  };
}

function intervalObject(interval: MeanInterval): Record<string, JsonValue> {
  return {
    runs: interval.runs,
    mean: interval.mean,
    ci95Low: interval.ciLow,
    ci95High: interval.ciHigh,
    min: interval.min,
    max: interval.max,
  };
}

/** summary.json of a sweep: what was swept, totals, then per variant its metrics and failures. */
export function sweepSummaryJson(summary: SweepSummary): string {
  const { manifest } = summary;
  return reportJson({
    scenario: manifest.scenario,
    description: manifest.description,
    file: manifest.file,
    overrides: manifest.overrides,
    seeds: manifest.seeds,
    seedCount: manifest.seedCount,
    durationS: manifest.durationS,
    drainS: manifest.drainS,
    confidence: CONFIDENCE,
    runs: summary.runs,
    passedRuns: summary.passedRuns,
    failedRuns: summary.failedRuns,
    errorRuns: summary.errorRuns,
    variants: summary.variants.map((variant) => ({
      name: variant.name,
      runs: variant.runs,
      passedRuns: variant.passedRuns,
      failedRuns: variant.failedRuns,
      errorRuns: variant.errorRuns,
      metrics: Object.fromEntries(
        manifest.metrics.map((metric) => [metric, intervalObject(variant.metrics.get(metric)!)]),
      ),
      failingSeeds: variant.failingSeeds.map((failing) => ({
        seed: failing.seed,
        failed: failing.failed.map((f) => ({
          text: f.text,
          metric: f.metric,
          observed: f.observed,
        })),
        replay: failing.replay,
      })),
      errors: variant.errors.map((error) => ({
        seed: error.seed,
        error: error.error,
        replay: error.replay,
      })),
    })),
  });
}

const METRIC_LABELS: Readonly<Record<string, string>> = {
  "fates.produced": "produced",
  "fates.processed": "processed",
  "fates.deadLettered": "dead-lettered",
  "fates.dropped": "dropped",
  "fates.pending": "pending at end",
  "fates.lost": "lost",
  "fates.duplicateEffects": "duplicate effects",
  "latency.p50S": "latency p50",
  "latency.p99S": "latency p99",
  "throughput.processedPerS": "throughput (processed)",
  "ordering.violations": "ordering violations",
};

/** A metric's name for people: "duplicate effects"; the dotted path for the others. */
export function metricLabel(metric: string): string {
  return Object.hasOwn(METRIC_LABELS, metric) ? METRIC_LABELS[metric] : metric;
}

/** A value of `metric` in its unit: durations for `...S`, rates for `...PerS`, counts otherwise. */
export function formatMetric(metric: string, value: number | null): string {
  if (value === null) return NO_VALUE;
  if (/PerS$/.test(metric)) return formatRatePerS(value);
  if (/S$/.test(metric)) return formatDurationS(value);
  return Number.isInteger(value) ? formatCount(value) : formatDecimal(value);
}

/** "12.3 (11.9 – 12.7)": the mean and its confidence interval. */
export function formatInterval(metric: string, interval: MeanInterval): string {
  if (interval.mean === null) return NO_VALUE;
  const mean = formatMetric(metric, interval.mean);
  if (interval.ciLow === null || interval.ciHigh === null) return mean;
  return `${mean} (${formatMetric(metric, interval.ciLow)} – ${formatMetric(metric, interval.ciHigh)})`;
}

function formatRange(metric: string, interval: MeanInterval): string {
  if (interval.min === null || interval.max === null) return NO_VALUE;
  return `${formatMetric(metric, interval.min)} – ${formatMetric(metric, interval.max)}`;
}

/** The verdict over all runs, one sentence. */
export function sweepVerdict(summary: SweepSummary): string {
  const parts: string[] = [];
  if (summary.failedRuns === 0 && summary.errorRuns === 0) {
    return `All ${summary.runs} runs met the expectations.`;
  }
  if (summary.failedRuns > 0) {
    parts.push(`${summary.failedRuns} of ${summary.runs} runs broke an expectation`);
  }
  if (summary.errorRuns > 0) {
    parts.push(
      `${summary.errorRuns} of ${summary.runs} runs stopped on an internal error (a queuelab bug)`,
    );
  }
  return `${parts.join("; ")}.`;
}

/** Text safe in a Markdown table cell or paragraph. */
function markdownText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, " ");
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function metricTable(
  summary: SweepSummary,
  cell: (metric: string, interval: MeanInterval) => string,
): string {
  const names = summary.variants.map((variant) => markdownText(variant.name));
  const lines = [
    `| metric | ${names.join(" | ")} |`,
    `|:--|${names.map(() => "--:|").join("")}`,
    ...summary.manifest.metrics.map(
      (metric) =>
        `| ${markdownText(metricLabel(metric))} | ${summary.variants
          .map((variant) => markdownText(cell(metric, variant.metrics.get(metric)!)))
          .join(" | ")} |`,
    ),
  ];
  return lines.join("\n");
}

function failureLines(variant: VariantSweep): string[] {
  const lines = variant.failingSeeds.slice(0, FAILING_SEEDS_SHOWN).map((failing) => {
    const broken = failing.failed
      .map((f) => `${f.text} (observed ${formatMetric(f.metric, f.observed)})`)
      .join("; ");
    return `- seed ${failing.seed}: ${markdownText(broken)}: ${code(failing.replay)}`;
  });
  const more = variant.failingSeeds.length - FAILING_SEEDS_SHOWN;
  if (more > 0) lines.push(`- and ${more} more: see summary.json or runs.jsonl`);
  return lines;
}

/** summary.md: what was swept, the verdict, the means and ranges, failing seeds, the charts. */
export function sweepSummaryMarkdown(summary: SweepSummary, charts: readonly ChartFile[]): string {
  const { manifest } = summary;
  const parts = [`# ${markdownText(manifest.scenario)}: queuelab seed sweep\n`];
  if (manifest.description.trim() !== "") parts.push(`${markdownText(manifest.description)}\n`);
  const facts = [
    `- Scenario file: ${code(manifest.file)}`,
    `- Seeds: ${manifest.seeds} (${manifest.seedCount} seeds)`,
    `- Variants: ${manifest.variants.map(markdownText).join(", ")}`,
    `- Duration: ${formatDurationS(manifest.durationS)}, then drain ${formatDurationS(manifest.drainS)}`,
  ];
  if (manifest.overrides.length > 0) {
    facts.push(`- Overrides: ${manifest.overrides.map(code).join(", ")}`);
  }
  parts.push(`${facts.join("\n")}\n`);
  parts.push(`**${sweepVerdict(summary)}**\n`);
  const percent = Math.round(CONFIDENCE * 100);
  parts.push(
    `## Mean over seeds (${percent}% confidence interval)\n\n${metricTable(summary, (metric, interval) => formatInterval(metric, interval))}\n`,
  );
  parts.push(
    `_The interval is the mean ± t(${(1 + CONFIDENCE) / 2}, n − 1) · s / √n over the n seeds that had a value (Student t, s the sample standard deviation)._\n`,
  );
  parts.push(`## Range over seeds (min – max)\n\n${metricTable(summary, formatRange)}\n`);
  const failing = summary.variants.filter((variant) => variant.failingSeeds.length > 0);
  if (failing.length > 0) {
    const sections = failing.map(
      (variant) =>
        `### ${markdownText(variant.name)}: ${variant.failedRuns} of ${variant.runs} runs\n\n${failureLines(variant).join("\n")}\n`,
    );
    parts.push(`## Failing seeds\n\n${sections.join("\n")}`);
  }
  const errored = summary.variants.filter((variant) => variant.errors.length > 0);
  if (errored.length > 0) {
    const lines = errored.flatMap((variant) =>
      variant.errors
        .slice(0, FAILING_SEEDS_SHOWN)
        .map(
          (e) =>
            `- ${markdownText(variant.name)}, seed ${e.seed}: ${markdownText(e.error)}: ${code(e.replay)}`,
        ),
    );
    parts.push(`## Internal errors (queuelab bugs, please report them)\n\n${lines.join("\n")}\n`);
  }
  if (charts.length > 0) {
    const images = charts.map((chart) => `![${markdownText(chart.title)}](${chart.file})`);
    parts.push(`## Distributions over seeds\n\n${images.join("\n\n")}\n`);
  }
  return parts.join("\n");
}

export interface ChartFile {
  file: string;
  title: string;
}

export interface SweepChart extends ChartFile {
  png: Buffer;
}

/** `dist-fates-lost.png`: the file of a metric's distribution chart. */
export function distributionChartFile(metric: string): string {
  return `dist-${metric.replace(/\./g, "-")}.png`;
}

/** Metrics worth a chart: some value, and not the same value in every run of every variant. */
function chartedMetrics(summary: SweepSummary): string[] {
  return summary.manifest.metrics.filter((metric) => {
    const all = summary.variants.flatMap((variant) => variant.values.get(metric)!);
    return all.length > 0 && all.some((value) => value !== all[0]);
  });
}

/**
 * One chart per metric that varies: each variant's values over the seeds, sorted, against the
 * share of seeds (a quantile plot: the median at 50%, the worst seeds at the right).
 */
export function renderSweepCharts(summary: SweepSummary): SweepChart[] {
  return chartedMetrics(summary).map((metric) => {
    const isDuration = /S$/.test(metric) && !/PerS$/.test(metric);
    const all = summary.variants.flatMap((variant) => variant.values.get(metric)!);
    // A loop, not Math.max(...all): 100,000 seeds would overflow the argument list.
    let maxValue = 0;
    for (const value of all) if (value > maxValue) maxValue = value;
    const unit = isDuration ? chooseLatencyUnit(maxValue) : { name: "", seconds: 1 };
    const datasets = summary.variants.map((variant, i) => {
      const sorted = [...variant.values.get(metric)!].sort((a, b) => a - b);
      const data: Point[] = sorted.map((value, rank) => ({
        x: ((rank + 0.5) / sorted.length) * 100,
        y: value / unit.seconds,
      }));
      const colour = variantColour(i);
      return {
        label: `${variant.name} (${sorted.length} seeds)`,
        data,
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: 2,
        borderDash: [] as number[],
        pointRadius: sorted.length <= 100 ? 3 : 0,
        stepped: "middle" as const,
      };
    });
    const label = metricLabel(metric);
    const yTitle = isDuration
      ? `${label} (${unit.name})`
      : /PerS$/.test(metric)
        ? `${label} (/s)`
        : label;
    const title = `${label}: one value per seed, sorted`;
    const config: ChartConfiguration<"line", Point[]> = {
      type: "line",
      data: { datasets },
      options: {
        plugins: { title: titleOptions(title), legend: LINE_LEGEND },
        scales: {
          x: { type: "linear", min: 0, max: 100, title: axisTitle("share of seeds (%)") },
          y: { type: "linear", title: axisTitle(yTitle) },
        },
      },
    };
    return { file: distributionChartFile(metric), title, png: renderPng(config) };
  });
}

/**
 * Writes a whole sweep's report into `folder`: runs.jsonl (the given lines, in output order),
 * summary.json, summary.md and the charts. Returns the summary and the files written.
 */
export function writeSweepReportInto(
  folder: StagedFolder,
  manifest: SweepManifest,
  lines: readonly string[],
): { summary: SweepSummary; files: string[] } {
  const summary = summarizeSweep(manifest, parseRunLines(lines, RUNS_FILE));
  const files: string[] = [];
  const write = (name: string, content: string | Buffer) => {
    folder.write(name, content);
    files.push(name);
  };
  const charts = renderSweepCharts(summary);
  write("summary.json", sweepSummaryJson(summary));
  write("summary.md", sweepSummaryMarkdown(summary, charts));
  write(RUNS_FILE, runsText(lines));
  for (const chart of charts) write(chart.file, chart.png);
  return { summary, files };
}

/** runs.jsonl text: one line each, newline-terminated. */
export function runsText(lines: readonly string[]): string {
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
