/**
 * What all charts share: the renderer, the palette, dash styles, axis units and two small
 * drawing plugins. Kept apart from the chart definitions so each of those reads as "what is
 * plotted", not "how".
 */

import type {
  Chart,
  ChartConfiguration,
  ChartDataset,
  ChartType,
  LegendItem,
  Plugin,
  Point,
} from "chart.js";
import { ChartJSNodeCanvas } from "chartjs-node-canvas";
import { formatCompactCount } from "./format.ts";

export const CHART_WIDTH_PX = 1000;
export const CHART_HEIGHT_PX = 500;

// DejaVu Sans is what the machines have; naming it keeps text metrics, and so the PNG bytes,
// from depending on which fallback font Skia happens to pick.
export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica', 'Arial', sans-serif";

let renderer: ChartJSNodeCanvas | undefined;

/** One renderer per process: building one loads a fresh copy of chart.js. */
function chartRenderer(): ChartJSNodeCanvas {
  renderer ??= new ChartJSNodeCanvas({
    width: CHART_WIDTH_PX,
    height: CHART_HEIGHT_PX,
    backgroundColour: "white",
    chartCallback: (chartJs) => {
      chartJs.defaults.font.family = FONT_FAMILY;
      chartJs.defaults.font.size = 13;
      chartJs.defaults.color = "#222222";
    },
  });
  return renderer;
}

/** Renders synchronously: the async renderToBuffer does not work with the @napi-rs/canvas backend. */
export function renderPng<T extends ChartType>(configuration: ChartConfiguration<T>): Buffer {
  const config = configuration as unknown as ChartConfiguration;
  config.options = { ...config.options, animation: false, responsive: false };
  return chartRenderer().renderToBufferSync(config, "image/png");
}

/**
 * Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), yellow left
 * out because it vanishes on white. Variant i always gets colour i.
 */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

export function variantColour(variantIndex: number): string {
  return PALETTE[variantIndex % PALETTE.length];
}

/** The same colour, translucent: for bar fills, so that the value labels stay readable. */
export function variantFill(variantIndex: number): string {
  return `${variantColour(variantIndex)}CC`;
}

export const DASH = {
  solid: [] as number[],
  dashed: [8, 4],
  dotted: [2, 3],
};

export interface Unit {
  name: string;
  seconds: number;
}

/** Seconds for runs up to 10 min, minutes up to 10 h, then hours: ticks stay short numbers. */
export function chooseTimeUnit(spanS: number): Unit {
  if (spanS <= 600) return { name: "s", seconds: 1 };
  if (spanS <= 36000) return { name: "min", seconds: 60 };
  return { name: "h", seconds: 3600 };
}

/** The largest unit in which the longest latency is at least 1 (ms below a second). */
export function chooseLatencyUnit(maxS: number): Unit {
  if (maxS < 1) return { name: "ms", seconds: 1e-3 };
  if (maxS < 120) return { name: "s", seconds: 1 };
  return { name: "min", seconds: 60 };
}

/**
 * x/y points for a line; a null y is a gap. chart.js draws a gap for a null y although its
 * Point type says number, hence the cast.
 */
export function points(xs: readonly number[], ys: readonly (number | null)[]): Point[] {
  return xs.map((x, i) => ({ x, y: ys[i] })) as Point[];
}

/** Dots only when there are few buckets: with hundreds they would hide the line. */
export function pointRadiusFor(bucketCount: number): number {
  return bucketCount <= 60 ? 2.5 : 0;
}

export function titleOptions(text: string) {
  return { display: true, text, font: { size: 17, weight: "bold" as const }, padding: 12 };
}

export function axisTitle(text: string) {
  return { display: true, text, font: { size: 14 } };
}

/**
 * Legend entries drawn as short lines in each dataset's colour, width and dash. Generated here
 * because chart.js takes a point-style legend's dash from the point, which has none.
 */
export const LINE_LEGEND = {
  position: "bottom" as const,
  labels: {
    usePointStyle: true,
    pointStyleWidth: 40,
    padding: 14,
    generateLabels: (chart: Chart): LegendItem[] =>
      (chart.data.datasets as ChartDataset<"line">[]).map((dataset, datasetIndex) => ({
        text: dataset.label ?? "",
        datasetIndex,
        strokeStyle: dataset.borderColor as string,
        fillStyle: dataset.borderColor as string,
        lineWidth: typeof dataset.borderWidth === "number" ? dataset.borderWidth : 2,
        lineDash: (dataset.borderDash as number[] | undefined) ?? [],
        pointStyle: "line" as const,
        hidden: !chart.isDatasetVisible(datasetIndex),
      })),
  },
};

/** Log-axis tick labels at 1, 2 and 5 times a power of ten, as plain numbers ("0.05", "20"). */
export function logTickLabel(value: number | string): string {
  const v = Number(value);
  if (!(v > 0)) return "";
  const mantissa = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  return mantissa === 1 || mantissa === 2 || mantissa === 5 ? String(Number(v.toPrecision(6))) : "";
}

/**
 * A dashed vertical rule where production stops and the drain begins, so that a queue emptying
 * at the end is not read as the system catching up.
 */
export function drainMarker(atX: number): Plugin<"line"> {
  return {
    id: "drainMarker",
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const x = chart.scales.x.getPixelForValue(atX);
      if (!(x > chartArea.left && x < chartArea.right)) return;
      ctx.save();
      ctx.strokeStyle = "#888888";
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.fillStyle = "#666666";
      ctx.font = `12px ${FONT_FAMILY}`;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText("drain", x + 4, chartArea.top + 4);
      ctx.restore();
    },
  };
}

/** Writes each bar's count above it: small counts (3 lost) matter and a bar of 3 is invisible. */
export const barValueLabels: Plugin<"bar"> = {
  id: "barValueLabels",
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = "#222222";
    ctx.font = `11px ${FONT_FAMILY}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    chart.data.datasets.forEach((dataset, datasetIndex) => {
      const meta = chart.getDatasetMeta(datasetIndex);
      if (meta.hidden) return;
      meta.data.forEach((bar, index) => {
        const value = dataset.data[index];
        if (typeof value === "number") ctx.fillText(formatCompactCount(value), bar.x, bar.y - 3);
      });
    });
    ctx.restore();
  },
};

/**
 * Groups on a bar chart's category axis: a rule between consecutive groups of `groupSize`
 * categories and each group's name centred at the top of the plot, so that the tick labels need
 * not repeat it. Leave headroom (`grace`) for the names.
 */
export function categoryGroups(names: string[], groupSize: number): Plugin<"bar"> {
  /** Pixel x of a category's centre; fractional categories interpolate (a group's edges). */
  const pixelAt = (chart: Chart<"bar">, category: number) => {
    const x = chart.scales.x;
    const step = x.getPixelForValue(1) - x.getPixelForValue(0);
    return x.getPixelForValue(0) + category * step;
  };
  return {
    id: "categoryGroups",
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.strokeStyle = "#888888";
      ctx.lineWidth = 1;
      for (let group = 1; group < names.length; group++) {
        const x = pixelAt(chart, group * groupSize - 0.5);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
      }
      ctx.restore();
    },
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.fillStyle = "#222222";
      ctx.font = `bold 14px ${FONT_FAMILY}`;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      const widthMaxPx = pixelAt(chart, groupSize) - pixelAt(chart, 0) - 12;
      for (const [group, name] of names.entries()) {
        const centre = pixelAt(chart, group * groupSize + (groupSize - 1) / 2);
        ctx.fillText(fitText(ctx, name, widthMaxPx), centre, chartArea.top + 4);
      }
      ctx.restore();
    },
  };
}

/** `text`, shortened with an ellipsis until it is at most `widthMaxPx` wide in the ctx's font. */
function fitText(ctx: CanvasRenderingContext2D, text: string, widthMaxPx: number): string {
  if (ctx.measureText(text).width <= widthMaxPx) return text;
  const chars = [...text];
  while (chars.length > 1 && ctx.measureText(`${chars.join("")}…`).width > widthMaxPx) chars.pop();
  return `${chars.join("")}…`;
}
