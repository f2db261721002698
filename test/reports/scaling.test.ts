/**
 * Backlog, consumer instances and alerts in the reports: summary.json keys and order, the
 * Markdown and terminal tables (an unwatched dead-letter queue says so), consumers.png, and the
 * alerts marked on the time charts.
 */
import { describe, expect, it } from "vitest";
import type { RunResult } from "../../models/results.ts";
import { renderCharts } from "../../reports/charts.ts";
import { seriesJson } from "../../reports/series.ts";
import { summaryJson, summaryMarkdown } from "../../reports/summary.ts";
import { terminalTable } from "../../reports/terminal.ts";
import { smallRunResult } from "./fixture.ts";

/** The fixture, its second variant autoscaled, with two alerts and a DLQ that received messages. */
function scaledRunResult(): RunResult {
  const result = smallRunResult();
  const [storm, jitter] = result.variants;
  storm.summary.subscriptions[0].deadLetteredByReason = { "max receives": 12 };
  jitter.summary.subscriptions[0].deadLetteredByReason = { "max receives": 2 };
  jitter.summary.scaling = {
    autoscaledConsumers: 1,
    instancesMin: 2,
    instancesMax: 9,
    instancesMean: 5.5,
    instanceSeconds: 330,
    scaleUps: 3,
    scaleDowns: 2,
  };
  jitter.series.consumerCount = [2, 2, 2, 5, 9, 9, 9, 9, 5, 2, 2, 2];
  const backlog = {
    rule: "depth of payments > 100 for 10s",
    on: "depth",
    subject: "payments",
  };
  storm.summary.alerts = {
    backlog: {
      ...backlog,
      fired: 2,
      firstFiredAtS: 20,
      firingS: 45,
      firings: [
        { firedAtS: 20, clearedAtS: 35 },
        { firedAtS: 45, clearedAtS: null },
      ],
    },
    "dlq-growing": {
      rule: "dlqDepth of payments > 0 for 0s",
      on: "dlqDepth",
      subject: "payments",
      fired: 1,
      firstFiredAtS: 25,
      firingS: 35,
      firings: [{ firedAtS: 25, clearedAtS: null }],
    },
  };
  // The second variant's scenario has the backlog alert only: its DLQ is watched by nobody.
  jitter.summary.alerts = {
    backlog: { ...backlog, fired: 0, firstFiredAtS: null, firingS: 0, firings: [] },
  };
  return result;
}

describe("summary.json", () => {
  const parsed = JSON.parse(summaryJson(scaledRunResult()));

  it("has backlog, scaling and alerts before the expectations, keys in the documented order", () => {
    const [storm, jitter] = parsed.variants;
    expect(Object.keys(storm).slice(-6)).toEqual([
      "backlog",
      "scaling",
      "alerts",
      "publishWait",
      "byPriority",
      "expectations",
    ]);
    expect(Object.keys(storm.backlog)).toEqual([
      "depthMax",
      "depthMaxAtS",
      "drainedAtS",
      "timeToDrainS",
    ]);
    expect(Object.keys(jitter.scaling)).toEqual([
      "autoscaledConsumers",
      "instancesMin",
      "instancesMax",
      "instancesMean",
      "instanceSeconds",
      "scaleUps",
      "scaleDowns",
    ]);
    expect(Object.keys(storm.alerts)).toEqual(["backlog", "dlq-growing"]);
    expect(Object.keys(storm.alerts.backlog)).toEqual([
      "rule",
      "on",
      "subject",
      "fired",
      "firstFiredAtS",
      "firingS",
      "firings",
    ]);
    expect(storm.alerts.backlog.firings).toEqual([
      { firedAtS: 20, clearedAtS: 35 },
      { firedAtS: 45, clearedAtS: null },
    ]);
  });

  it("series.json has the consumer count", () => {
    const series = JSON.parse(seriesJson(scaledRunResult()));
    expect(series.variants[1].series.consumerCount).toEqual([2, 2, 2, 5, 9, 9, 9, 9, 5, 2, 2, 2]);
  });
});

describe("tables", () => {
  const markdown = summaryMarkdown(scaledRunResult());

  it("show the backlog and its time to drain", () => {
    expect(markdown).toContain("| deepest backlog | 1,041 | 130 |");
    expect(markdown).toContain("| time to drain | 26.8 s | 18.5 s |");
  });

  it("show consumer instances when a variant autoscales", () => {
    expect(markdown).toContain("## Consumer instances");
    expect(markdown).toContain("| fewest / most | 4 / 4 | 2 / 9 |");
    expect(markdown).toContain("| scale-ups / scale-downs | 0 / 0 | 3 / 2 |");
    expect(summaryMarkdown(smallRunResult())).not.toContain("## Consumer instances");
  });

  it("show when each alert fired and cleared, per variant", () => {
    expect(markdown).toContain("| backlog: fired | 2 | 0 |");
    expect(markdown).toContain(
      "| backlog: fired at → cleared at | 20.0 s → 35.0 s, 45.0 s → still firing | never fired |",
    );
    expect(markdown).toContain("| dlq-growing: fired | 1 | — |");
    expect(markdown).toContain("backlog: depth of payments &gt; 100 for 10s");
  });

  it("say when a dead-letter queue received messages and no alert watched it", () => {
    expect(markdown).toContain(
      "| payments dead-letter queue: no alert watches it | — | 2 dead-lettered, unwatched |",
    );
    const terminal = terminalTable(scaledRunResult());
    expect(terminal).toMatch(/payments dead-letter queue: no alert .* 2 dead-lettered, unwatched/);
    // With nothing dead-lettered, or every DLQ watched, there is nothing to say.
    expect(summaryMarkdown(smallRunResult())).not.toContain("## Alerts");
  });
});

describe("charts", () => {
  it("draw consumers.png when a variant autoscales, and mark fired alerts on the time charts", () => {
    const plain = renderCharts(smallRunResult());
    const scaled = renderCharts(scaledRunResult());
    expect(scaled.map((c) => c.file)).toEqual([...plain.map((c) => c.file), "consumers.png"]);
    for (const file of ["queue-depth.png", "latency.png", "throughput.png", "dlq-depth.png"]) {
      const before = plain.find((c) => c.file === file)!;
      const after = scaled.find((c) => c.file === file)!;
      expect(after.png.equals(before.png), file).toBe(false);
    }
    // No alert on a bar chart.
    const fates = (charts: typeof plain) => charts.find((c) => c.file === "fates.png")!.png;
    expect(fates(scaled).equals(fates(plain))).toBe(true);
  });
});
