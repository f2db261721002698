import { describe, expect, it } from "vitest";
import { CHART_HEIGHT_PX, CHART_WIDTH_PX } from "../../reports/chart-style.ts";
import { CHART_TITLES, renderCharts } from "../../reports/charts.ts";
import { singleSubscriptionRunResult, smallRunResult } from "./fixture.ts";
import { PNG_SIGNATURE, pngSize } from "./png.ts";

/** Charts drawn only for runs that call a service or run a contention experiment. */
const CONDITIONAL_CHARTS = [
  "stored-bytes.png",
  "call-load.png",
  "contention-calls.png",
  "contention-time.png",
  "consumers.png",
];

describe("renderCharts", () => {
  const charts = renderCharts(smallRunResult());

  it("draws the six charts of a run with several subscriptions and no calls, each a PNG of the configured size", () => {
    expect(charts.map((c) => c.file)).toEqual(
      Object.keys(CHART_TITLES).filter((file) => !CONDITIONAL_CHARTS.includes(file)),
    );
    for (const chart of charts) {
      expect(chart.png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(pngSize(chart.png)).toEqual({ widthPx: CHART_WIDTH_PX, heightPx: CHART_HEIGHT_PX });
      expect(chart.title).toBe(CHART_TITLES[chart.file]);
    }
  });

  it("is deterministic: the same run gives byte-identical PNGs", () => {
    const again = renderCharts(smallRunResult());
    for (const [i, chart] of charts.entries()) {
      expect(again[i].png.equals(chart.png), chart.file).toBe(true);
    }
  });

  it("draws something different when the data differ", () => {
    const result = smallRunResult();
    result.variants[0].series.dlqDepth = result.variants[0].series.dlqDepth.map((d) => d * 3);
    const changed = renderCharts(result);
    expect(changed[5].file).toBe("dlq-depth.png");
    expect(changed[5].png.equals(charts[5].png)).toBe(false);
    expect(changed[0].png.equals(charts[0].png)).toBe(true);
  });

  it("leaves out the subscription chart when every variant has one subscription", () => {
    const single = renderCharts(singleSubscriptionRunResult());
    expect(single.map((c) => c.file)).toEqual(
      Object.keys(CHART_TITLES).filter(
        (file) => file !== "subscription-fates.png" && !CONDITIONAL_CHARTS.includes(file),
      ),
    );
  });

  it("redraws the subscription chart, and only it, when a subscription's fates change", () => {
    const result = smallRunResult();
    result.variants[1].summary.subscriptions[0].fates.lost = 40;
    const changed = renderCharts(result);
    for (const [i, chart] of changed.entries()) {
      expect(chart.png.equals(charts[i].png), chart.file).toBe(
        chart.file !== "subscription-fates.png",
      );
    }
  });

  it("copes with a run where nothing was processed (latency all null)", () => {
    const result = smallRunResult();
    for (const { series } of result.variants) {
      series.latencyP50S = series.latencyP50S.map(() => null);
      series.latencyP95S = series.latencyP95S.map(() => null);
      series.latencyP99S = series.latencyP99S.map(() => null);
    }
    const latency = renderCharts(result).find((c) => c.file === "latency.png")!;
    expect(pngSize(latency.png).widthPx).toBe(CHART_WIDTH_PX);
  });

  it("refuses series that are not on one grid", () => {
    const result = smallRunResult();
    result.variants[0].series.latencyP99S.push(1);
    expect(() => renderCharts(result)).toThrow(/no-jitter.*latencyP99S/);
  });
});
