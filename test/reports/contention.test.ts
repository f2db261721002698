/**
 * Reports of a contention experiment: its summary.json section, its table (a few client counts,
 * the message tables left out when there are no messages) and its two charts with clients on
 * the x axis.
 */
import { describe, expect, it } from "vitest";
import type { ContentionSummary, RunResult } from "../../models/results.ts";
import { CHART_TITLES, renderCharts } from "../../reports/charts.ts";
import { summaryJson } from "../../reports/summary.ts";
import { summarySections } from "../../reports/tables.ts";
import { smallRunResult } from "./fixture.ts";
import { PNG_SIGNATURE } from "./png.ts";

const COUNTS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

/** Calls growing as n^2 / slope and times as n / 20 s; `gaveUpAt` clients give up at 100. */
function contention(slope: number, gaveUpAt100 = 0): ContentionSummary {
  const byClients = COUNTS.map((clients) => ({
    clients,
    calls: (clients * clients) / slope,
    completionS: clients / 20 / slope,
    gaveUp: clients === 100 ? gaveUpAt100 : 0,
  }));
  return { repetitions: 10, byClients, callsAtMax: 10_000 / slope, completionAtMaxS: 5 / slope };
}

/** The fixture's two variants as a contention experiment alone: no message, no call. */
function contentionRun(): RunResult {
  const result = smallRunResult();
  result.variants.forEach((variant, i) => {
    const { summary } = variant;
    summary.fates = { ...summary.fates, produced: 0, processed: 0, deadLettered: 0, lost: 0 };
    summary.fates.duplicateEffects = 0;
    summary.subscriptions = [];
    summary.contention = contention(i === 0 ? 2 : 8, i === 0 ? 0 : 3);
    summary.expectations = [];
  });
  return result;
}

describe("a contention experiment in the reports", () => {
  it("summary.json: the contention section in its documented key order, null without one", () => {
    const parsed = JSON.parse(summaryJson(contentionRun()));
    const section = parsed.variants[0].contention;
    expect(Object.keys(section)).toEqual([
      "repetitions",
      "byClients",
      "callsAtMax",
      "completionAtMaxS",
    ]);
    expect(Object.keys(section.byClients[0])).toEqual([
      "clients",
      "calls",
      "completionS",
      "gaveUp",
    ]);
    expect(section.byClients).toHaveLength(10);
    expect(section.callsAtMax).toBe(5000);
    expect(JSON.parse(summaryJson(smallRunResult())).variants[0].contention).toBeNull();
  });

  it("tables: only the contention section, at five client counts, gave-up rows where some gave up", () => {
    const sections = summarySections(contentionRun());
    expect(sections.map((s) => s.title)).toEqual(["Contention on one row"]);
    const labels = sections[0].rows.map((row) => row.label);
    expect(labels).toEqual([
      "contests per client count",
      "10 clients: calls",
      "10 clients: completion",
      "30 clients: calls",
      "30 clients: completion",
      "60 clients: calls",
      "60 clients: completion",
      "80 clients: calls",
      "80 clients: completion",
      "100 clients: calls",
      "100 clients: completion",
      "100 clients: gave up",
    ]);
    const at100 = sections[0].rows.find((row) => row.label === "100 clients: calls")!;
    expect(at100.cells.map((cell) => cell.text)).toEqual(["5,000", "1,250"]);
    const time100 = sections[0].rows.find((row) => row.label === "100 clients: completion")!;
    expect(time100.cells.map((cell) => cell.text)).toEqual(["2.50 s", "625 ms"]);
  });

  it("tables: next to messages, the message tables stay and the contention section follows", () => {
    const result = smallRunResult();
    result.variants[0].summary.contention = contention(2);
    const titles = summarySections(result).map((s) => s.title);
    expect(titles[0]).toBe("Message fates");
    expect(titles).toContain("Counters");
    expect(titles.indexOf("Contention on one row")).toBe(titles.indexOf("Counters") + 1);
    // The variant without contention shows no value.
    const row = summarySections(result)
      .find((s) => s.title === "Contention on one row")!
      .rows.find((r) => r.label === "100 clients: calls")!;
    expect(row.cells.map((cell) => cell.text)).toEqual(["5,000", "—"]);
  });

  it("charts: calls and completion time against clients, alone when there is nothing else", () => {
    const alone = renderCharts(contentionRun());
    expect(alone.map((chart) => chart.file)).toEqual([
      "contention-calls.png",
      "contention-time.png",
    ]);
    for (const chart of alone) {
      expect(chart.png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(chart.title).toBe(CHART_TITLES[chart.file]);
    }
    const changed = contentionRun();
    changed.variants[1].summary.contention!.byClients[4].calls *= 2;
    const redrawn = renderCharts(changed);
    expect(redrawn[0].png.equals(alone[0].png)).toBe(false);
    expect(redrawn[1].png.equals(alone[1].png)).toBe(true);

    const withMessages = smallRunResult();
    withMessages.variants[1].summary.contention = contention(4);
    const files = renderCharts(withMessages).map((chart) => chart.file);
    expect(files.slice(0, 2)).toEqual(["queue-depth.png", "latency.png"]);
    expect(files.slice(-2)).toEqual(["contention-calls.png", "contention-time.png"]);
  });
});
