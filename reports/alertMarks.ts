/**
 * Alerts drawn on the time charts: each alert that fired gets a lane between the title and the
 * plot, labelled with its name, holding one thin bar per variant (in the variant's colour) where
 * that variant's alert was firing; a thin line across the plot marks each time one fired.
 */

import type { Chart, Plugin } from "chart.js";
import type { RunResult } from "../models/results.ts";
import { FONT_FAMILY, variantColour } from "./chart-style.ts";

interface Span {
  fromX: number;
  toX: number;
}

/** One alert that fired in some variant: its firing spans per variant, in chart x units. */
export interface AlertLane {
  name: string;
  /** One list per variant of the run, empty where that variant's alert never fired. */
  spans: Span[][];
}

/** Lanes drawn at most; further alerts are left off rather than squeeze the plot. */
const LANES_MAX = 6;
const LABEL_HEIGHT_PX = 13;
const BAR_HEIGHT_PX = 3;
const BAR_GAP_PX = 1;
/** Firings marked by a line across the plot, per lane and variant: a flapping alert would hide the data. */
const MARKED_FIRINGS_MAX = 20;

/** Every alert that fired in some variant, in the order of first appearance. */
export function alertLanes(result: RunResult, secondsPerX: number, endS: number): AlertLane[] {
  const lanes: AlertLane[] = [];
  result.variants.forEach((variant, variantIndex) => {
    for (const [name, alert] of Object.entries(variant.summary.alerts)) {
      if (alert.firings.length === 0) continue;
      let lane = lanes.find((l) => l.name === name);
      if (lane === undefined) {
        lane = { name, spans: result.variants.map(() => []) };
        lanes.push(lane);
      }
      lane.spans[variantIndex] = alert.firings.map((firing) => ({
        fromX: firing.firedAtS / secondsPerX,
        toX: (firing.clearedAtS ?? endS) / secondsPerX,
      }));
    }
  });
  return lanes.slice(0, LANES_MAX);
}

function laneHeightPx(variantCount: number): number {
  return LABEL_HEIGHT_PX + variantCount * (BAR_HEIGHT_PX + BAR_GAP_PX) + 2;
}

/** Room the lanes need above the plot, in pixels: what the title's bottom padding must add. */
export function alertLanesPaddingPx(lanes: AlertLane[]): number {
  return lanes.length === 0 ? 0 : lanes.length * laneHeightPx(lanes[0].spans.length);
}

/** Pixel extent of a span, inside the plot; one that lasted no time still shows 2 px wide. */
function pixelSpan(chart: Chart, span: Span): { from: number; to: number } {
  const { left, right } = chart.chartArea;
  const x = chart.scales.x;
  const from = Math.max(left, Math.min(right, x.getPixelForValue(span.fromX)));
  return { from, to: Math.max(from + 2, Math.min(right, x.getPixelForValue(span.toX))) };
}

/** The plugin drawing `lanes` above the plot (see alertLanesPaddingPx); none when no alert fired. */
export function alertMarks(lanes: AlertLane[]): Plugin<"line">[] {
  if (lanes.length === 0) return [];
  const variantCount = lanes[0].spans.length;
  const laneHeight = laneHeightPx(variantCount);
  return [
    {
      id: "alertMarks",
      beforeDatasetsDraw(chart) {
        const { ctx, chartArea } = chart;
        ctx.save();
        ctx.lineWidth = 1;
        for (const lane of lanes) {
          lane.spans.forEach((spans, variantIndex) => {
            ctx.strokeStyle = `${variantColour(variantIndex)}88`;
            for (const span of spans.slice(0, MARKED_FIRINGS_MAX)) {
              const { from } = pixelSpan(chart as unknown as Chart, span);
              ctx.beginPath();
              ctx.moveTo(from, chartArea.top);
              ctx.lineTo(from, chartArea.bottom);
              ctx.stroke();
            }
          });
        }
        ctx.restore();
      },
      afterDatasetsDraw(chart) {
        const { ctx, chartArea } = chart;
        ctx.save();
        ctx.font = `11px ${FONT_FAMILY}`;
        ctx.textBaseline = "bottom";
        lanes.forEach((lane, i) => {
          const laneTop = chartArea.top - (lanes.length - i) * laneHeight;
          const firstX = Math.min(
            ...lane.spans.flatMap((spans) =>
              spans.slice(0, 1).map((span) => pixelSpan(chart as unknown as Chart, span).from),
            ),
          );
          const width = ctx.measureText(lane.name).width;
          ctx.fillStyle = "#444444";
          ctx.fillText(
            lane.name,
            Math.max(chartArea.left, Math.min(firstX, chartArea.right - width)),
            laneTop + LABEL_HEIGHT_PX,
          );
          lane.spans.forEach((spans, variantIndex) => {
            ctx.fillStyle = variantColour(variantIndex);
            const barTop =
              laneTop + LABEL_HEIGHT_PX + 1 + variantIndex * (BAR_HEIGHT_PX + BAR_GAP_PX);
            for (const span of spans) {
              const { from, to } = pixelSpan(chart as unknown as Chart, span);
              ctx.fillRect(from, barTop, to - from, BAR_HEIGHT_PX);
            }
          });
        });
        ctx.restore();
      },
    },
  ];
}
