/**
 * The PNG charts of a run: one question per chart, every variant on the same axes, variant i in
 * colour i everywhere.
 */

import type { ChartConfiguration, ChartDataset, Point } from "chart.js";
import type {
  ContentionPoint,
  Fates,
  RunResult,
  SubscriptionSummary,
  VariantResult,
  VariantSeries,
} from "../models/results.ts";
import { alertLanes, alertLanesPaddingPx, alertMarks } from "./alertMarks.ts";
import {
  axisTitle,
  barValueLabels,
  categoryGroups,
  chooseLatencyUnit,
  chooseTimeUnit,
  DASH,
  drainMarker,
  LINE_LEGEND,
  logTickLabel,
  pointRadiusFor,
  points,
  renderPng,
  titleOptions,
  type Unit,
  variantColour,
  variantFill,
} from "./chart-style.ts";
import { formatCount } from "./format.ts";
import { autoscales } from "./scalingTables.ts";
import { assertSeriesShape } from "./series.ts";
import {
  callsSomething,
  contentionOnly,
  hasContention,
  hasSeveralSubscriptions,
  subscriptionNames,
} from "./tables.ts";

export interface ChartImage {
  /** File name inside the report directory. */
  file: string;
  /** What the chart shows, for alt text and captions. */
  title: string;
  png: Buffer;
}

/** File name and title of every chart, in the order the HTML index shows them. */
export const CHART_TITLES: Readonly<Record<string, string>> = {
  "queue-depth.png":
    "Backlog: messages waiting, queued or consumer lag (solid), and in flight (dashed)",
  "latency.png": "End-to-end latency per bucket: p50 (solid), p95 (dashed), p99 (dotted)",
  "throughput.png": "Throughput: processed (solid) and produced (dashed)",
  "fates.png": "Message fates per variant",
  "subscription-fates.png": "Message fates per subscription",
  "dlq-depth.png": "Dead-letter queue depth",
  "stored-bytes.png": "Bytes stored by the queues (ready, delayed, in flight, dead-lettered)",
  "call-load.png":
    "Calls to downstream services: attempts (dashed, retries included) and goodput (solid)",
  "contention-calls.png":
    "Contention on one row: calls (conditional writes) until every client wrote",
  "contention-time.png": "Contention on one row: time until every client wrote",
  "consumers.png": "Consumer instances (running or starting)",
};

type LineDataset = ChartDataset<"line", Point[]>;

/** Bucket midpoints, in `unit`: the series are means or rates over each bucket. */
function midpoints(series: VariantSeries, unit: Unit): number[] {
  return series.timesS.map((t) => (t + series.bucketS / 2) / unit.seconds);
}

/** Bucket ends, in `unit`: for values sampled at the end of each bucket (DLQ depth). */
function bucketEnds(series: VariantSeries, unit: Unit): number[] {
  return series.timesS.map((t) => (t + series.bucketS) / unit.seconds);
}

function lineDataset(
  label: string,
  variantIndex: number,
  data: Point[],
  dash: number[],
  widthPx = 2,
): LineDataset {
  const colour = variantColour(variantIndex);
  return {
    label,
    data,
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: widthPx,
    borderDash: dash,
    pointRadius: pointRadiusFor(data.length),
    pointStyle: "circle",
    spanGaps: false,
    tension: 0,
  };
}

interface TimeChart {
  result: RunResult;
  title: string;
  yTitle: string;
  datasets: LineDataset[];
  unit: Unit;
  yLogarithmic?: boolean;
}

function runSpanS(result: RunResult): number {
  const seriesEndS = result.variants.map(
    ({ series }) => (series.timesS.at(-1) ?? 0) + (series.timesS.length > 0 ? series.bucketS : 0),
  );
  return Math.max(result.durationS + result.drainS, ...seriesEndS);
}

function timeChartConfig(chart: TimeChart): ChartConfiguration<"line", Point[]> {
  const { result, unit } = chart;
  const lanes = alertLanes(result, unit.seconds, runSpanS(result));
  const title = titleOptions(chart.title);
  const yScale = chart.yLogarithmic
    ? {
        type: "logarithmic" as const,
        title: axisTitle(chart.yTitle),
        ticks: { callback: logTickLabel },
      }
    : { type: "linear" as const, beginAtZero: true, title: axisTitle(chart.yTitle) };
  return {
    type: "line",
    data: { datasets: chart.datasets },
    options: {
      animation: false,
      responsive: false,
      plugins: {
        // The alerts' lanes go between the title and the plot.
        title: {
          ...title,
          padding: { top: title.padding, bottom: title.padding + alertLanesPaddingPx(lanes) },
        },
        legend: LINE_LEGEND,
      },
      scales: {
        x: {
          type: "linear",
          min: 0,
          max: runSpanS(result) / unit.seconds,
          title: axisTitle(`time (${unit.name})`),
          ticks: { maxTicksLimit: 13 },
        },
        y: yScale,
      },
    },
    plugins: [
      ...(result.drainS > 0 ? [drainMarker(result.durationS / unit.seconds)] : []),
      ...alertMarks(lanes),
    ],
  };
}

function queueDepthChart(result: RunResult, unit: Unit): ChartImage {
  const datasets = result.variants.flatMap(({ name, series }, i) => {
    const xs = midpoints(series, unit);
    return [
      lineDataset(`${name} ready`, i, points(xs, series.queueDepth), DASH.solid),
      lineDataset(`${name} in flight`, i, points(xs, series.inFlight), DASH.dashed, 1.5),
    ];
  });
  const file = "queue-depth.png";
  const title = CHART_TITLES[file];
  const config = timeChartConfig({ result, title, yTitle: "messages", datasets, unit });
  return { file, title, png: renderPng(config) };
}

const PERCENTILES = [
  { name: "p50", dash: DASH.solid, pick: (s: VariantSeries) => s.latencyP50S },
  { name: "p95", dash: DASH.dashed, pick: (s: VariantSeries) => s.latencyP95S },
  { name: "p99", dash: DASH.dotted, pick: (s: VariantSeries) => s.latencyP99S },
];

/** Log scale once the positive values span 1.5 decades: a p99 storm flattens a linear p50. */
const LOG_SCALE_RATIO_MIN = 30;

function latencyChart(result: RunResult, unit: Unit): ChartImage {
  const all = result.variants.flatMap(({ series }) => PERCENTILES.flatMap((p) => p.pick(series)));
  // A loop, not Math.max(...values): a week of 1 s buckets would overflow the argument list.
  let minS = Number.POSITIVE_INFINITY;
  let maxS = 0;
  for (const v of all) {
    if (v === null || !(v > 0)) continue;
    minS = Math.min(minS, v);
    maxS = Math.max(maxS, v);
  }
  const latencyUnit = chooseLatencyUnit(maxS);
  const yLogarithmic = maxS > 0 && maxS / minS >= LOG_SCALE_RATIO_MIN;
  const toUnit = (v: number | null) => (v === null ? null : v / latencyUnit.seconds);
  const datasets = result.variants.flatMap(({ name, series }, i) => {
    const xs = midpoints(series, unit);
    return PERCENTILES.map((p) =>
      lineDataset(`${name} ${p.name}`, i, points(xs, p.pick(series).map(toUnit)), p.dash),
    );
  });
  const file = "latency.png";
  const title = CHART_TITLES[file];
  const yTitle = `latency (${latencyUnit.name}${yLogarithmic ? ", log scale" : ""})`;
  const config = timeChartConfig({ result, title, yTitle, datasets, unit, yLogarithmic });
  return { file, title, png: renderPng(config) };
}

function throughputChart(result: RunResult, unit: Unit): ChartImage {
  const datasets = result.variants.flatMap(({ name, series }, i) => {
    const xs = midpoints(series, unit);
    return [
      lineDataset(`${name} processed`, i, points(xs, series.processedPerS), DASH.solid),
      lineDataset(`${name} produced`, i, points(xs, series.producedPerS), DASH.dashed, 1.5),
    ];
  });
  const file = "throughput.png";
  const title = CHART_TITLES[file];
  const config = timeChartConfig({ result, title, yTitle: "messages/s", datasets, unit });
  return { file, title, png: renderPng(config) };
}

function callLoadChart(result: RunResult, unit: Unit): ChartImage {
  const datasets = result.variants.flatMap(({ name, series }, i) => {
    const xs = midpoints(series, unit);
    return [
      lineDataset(`${name} goodput`, i, points(xs, series.goodputPerS), DASH.solid),
      lineDataset(`${name} attempts`, i, points(xs, series.callAttemptsPerS), DASH.dashed, 1.5),
    ];
  });
  const file = "call-load.png";
  const title = CHART_TITLES[file];
  const config = timeChartConfig({ result, title, yTitle: "requests/s", datasets, unit });
  return { file, title, png: renderPng(config) };
}

function dlqDepthChart(result: RunResult, unit: Unit): ChartImage {
  const datasets = result.variants.map(({ name, series }, i) =>
    lineDataset(name, i, points(bucketEnds(series, unit), series.dlqDepth), DASH.solid),
  );
  const file = "dlq-depth.png";
  const title = CHART_TITLES[file];
  const config = timeChartConfig({ result, title, yTitle: "messages", datasets, unit });
  return { file, title, png: renderPng(config) };
}

function storedBytesChart(result: RunResult, unit: Unit): ChartImage {
  const datasets = result.variants.map(({ name, series }, i) =>
    lineDataset(
      name,
      i,
      points(
        midpoints(series, unit),
        series.storedBytes.map((b) => b / 2 ** 20),
      ),
      DASH.solid,
    ),
  );
  const file = "stored-bytes.png";
  const title = CHART_TITLES[file];
  const config = timeChartConfig({ result, title, yTitle: "MiB", datasets, unit });
  return { file, title, png: renderPng(config) };
}

/** Some variant's queues stored bytes (a scenario with queues; topics keep their own logs). */
function storesBytes(result: RunResult): boolean {
  return result.variants.some(({ series }) => series.storedBytes.some((bytes) => bytes > 0));
}

function consumersChart(result: RunResult, unit: Unit): ChartImage {
  const datasets = result.variants.map(({ name, series }, i) =>
    lineDataset(name, i, points(midpoints(series, unit), series.consumerCount), DASH.solid),
  );
  const file = "consumers.png";
  const title = CHART_TITLES[file];
  const config = timeChartConfig({ result, title, yTitle: "instances", datasets, unit });
  return { file, title, png: renderPng(config) };
}

const FATE_BARS = [
  { label: "processed", pick: (v: VariantResult) => v.summary.fates.processed },
  { label: "duplicate effects", pick: (v: VariantResult) => v.summary.fates.duplicateEffects },
  { label: "dead-lettered", pick: (v: VariantResult) => v.summary.fates.deadLettered },
  { label: "dropped", pick: (v: VariantResult) => v.summary.fates.dropped },
  { label: "pending at end", pick: (v: VariantResult) => v.summary.fates.pending },
  { label: "lost", pick: (v: VariantResult) => v.summary.fates.lost },
];

function fatesChart(result: RunResult): ChartImage {
  const datasets = result.variants.map((variant, i) => ({
    label: `${variant.name} (produced ${formatCount(variant.summary.fates.produced)})`,
    data: FATE_BARS.map((bar) => bar.pick(variant)),
    backgroundColor: variantFill(i),
    borderColor: variantColour(i),
    borderWidth: 1,
  }));
  const file = "fates.png";
  const title = CHART_TITLES[file];
  const config: ChartConfiguration<"bar", number[], string> = {
    type: "bar",
    data: { labels: FATE_BARS.map((bar) => bar.label), datasets },
    options: {
      animation: false,
      responsive: false,
      plugins: { title: titleOptions(title), legend: { position: "bottom" } },
      scales: {
        x: { title: axisTitle("fate") },
        // Headroom for the count written above the tallest bar.
        y: { beginAtZero: true, grace: "8%", title: axisTitle("messages") },
      },
    },
    plugins: [barValueLabels],
  };
  return { file, title, png: renderPng(config) };
}

const SUBSCRIPTION_FATE_BARS: { label: string; pick: (f: Fates) => number }[] = [
  { label: "processed", pick: (f) => f.processed },
  { label: "duplicate effects", pick: (f) => f.duplicateEffects },
  { label: "lost", pick: (f) => f.lost },
  { label: "pending at end", pick: (f) => f.pending },
];

/**
 * Grouped bars: for each subscription, its processed, duplicate effects, lost and pending
 * messages, one bar per variant. No bar where a variant lacks the subscription.
 */
function subscriptionFatesChart(result: RunResult): ChartImage {
  const names = subscriptionNames(result);
  const labels = names.flatMap(() => SUBSCRIPTION_FATE_BARS.map((bar) => bar.label));
  const datasets = result.variants.map((variant, i) => {
    const byName = new Map<string, SubscriptionSummary>(
      variant.summary.subscriptions.map((subscription) => [subscription.name, subscription]),
    );
    return {
      label: variant.name,
      data: names.flatMap((name) => {
        const subscription = byName.get(name);
        return SUBSCRIPTION_FATE_BARS.map((bar) =>
          subscription === undefined ? null : bar.pick(subscription.fates),
        );
      }),
      backgroundColor: variantFill(i),
      borderColor: variantColour(i),
      borderWidth: 1,
    };
  });
  const file = "subscription-fates.png";
  const title = CHART_TITLES[file];
  const config: ChartConfiguration<"bar", (number | null)[], string> = {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: false,
      plugins: { title: titleOptions(title), legend: { position: "bottom" } },
      scales: {
        x: { grid: { display: false }, ticks: { autoSkip: false } },
        // Headroom for the subscription names and the counts above the tallest bars.
        y: { beginAtZero: true, grace: "15%", title: axisTitle("messages") },
      },
    },
    plugins: [barValueLabels, categoryGroups(names, SUBSCRIPTION_FATE_BARS.length)],
  };
  return { file, title, png: renderPng(config) };
}

/**
 * Every chart of the run, in the order the HTML index shows them; subscription-fates.png only
 * when some variant has more than one subscription, consumers.png when some consumer autoscales.
 * Alerts that fired are marked on every time chart.
 */
export function renderCharts(result: RunResult): ChartImage[] {
  for (const variant of result.variants) assertSeriesShape(variant);
  // A contention experiment alone has no time line: its charts have clients on the x axis.
  if (contentionOnly(result)) return contentionCharts(result);
  const unit = chooseTimeUnit(runSpanS(result));
  return [
    queueDepthChart(result, unit),
    latencyChart(result, unit),
    throughputChart(result, unit),
    fatesChart(result),
    ...(hasSeveralSubscriptions(result) ? [subscriptionFatesChart(result)] : []),
    dlqDepthChart(result, unit),
    ...(storesBytes(result) ? [storedBytesChart(result, unit)] : []),
    ...(callsSomething(result) ? [callLoadChart(result, unit)] : []),
    ...(hasContention(result) ? contentionCharts(result) : []),
    ...(autoscales(result) ? [consumersChart(result, unit)] : []),
  ];
}

/** A y axis turns logarithmic when the variants differ tenfold at the largest client count. */
const CONTENTION_LOG_RATIO_MIN = 10;

/**
 * One line per variant against the number of clients, as the study drew them: the calls, and
 * the completion time, of each client count (means over its contests).
 */
function contentionChart(
  result: RunResult,
  file: string,
  yTitle: (unit: Unit | null, logarithmic: boolean) => string,
  pick: (point: ContentionPoint) => number,
  inTime: boolean,
): ChartImage {
  const withContention = result.variants.filter((v) => v.summary.contention !== null);
  const atMax = withContention.map(({ summary }) => {
    const byClients = summary.contention!.byClients;
    return pick(byClients[byClients.length - 1]);
  });
  const maxValue = Math.max(
    ...withContention.flatMap(({ summary }) => summary.contention!.byClients.map(pick)),
  );
  const smallestAtMax = Math.min(...atMax);
  const logarithmic =
    smallestAtMax > 0 && Math.max(...atMax) / smallestAtMax >= CONTENTION_LOG_RATIO_MIN;
  const unit = inTime ? chooseLatencyUnit(maxValue) : null;
  const datasets = result.variants.flatMap(({ name, summary }, i) => {
    if (summary.contention === null) return [];
    const { byClients } = summary.contention;
    const xs = byClients.map((point) => point.clients);
    const ys = byClients.map((point) => pick(point) / (unit?.seconds ?? 1));
    const dataset = lineDataset(name, i, points(xs, ys), DASH.solid);
    return [{ ...dataset, pointRadius: 3 }];
  });
  const title = CHART_TITLES[file];
  const config: ChartConfiguration<"line", Point[]> = {
    type: "line",
    data: { datasets },
    options: {
      animation: false,
      responsive: false,
      plugins: { title: titleOptions(title), legend: LINE_LEGEND },
      scales: {
        x: { type: "linear", min: 0, title: axisTitle("clients") },
        y: logarithmic
          ? {
              type: "logarithmic",
              title: axisTitle(yTitle(unit, true)),
              ticks: { callback: logTickLabel },
            }
          : { type: "linear", beginAtZero: true, title: axisTitle(yTitle(unit, false)) },
      },
    },
  };
  return { file, title, png: renderPng(config) };
}

function contentionCharts(result: RunResult): ChartImage[] {
  const logNote = (logarithmic: boolean) => (logarithmic ? ", log scale" : "");
  return [
    contentionChart(
      result,
      "contention-calls.png",
      (_, logarithmic) => `calls${logNote(logarithmic)}`,
      (point) => point.calls,
      false,
    ),
    contentionChart(
      result,
      "contention-time.png",
      (unit, logarithmic) => `completion time (${unit?.name ?? "s"}${logNote(logarithmic)})`,
      (point) => point.completionS,
      true,
    ),
  ];
}
