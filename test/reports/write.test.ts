import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { indexHtml } from "../../reports/html.ts";
import { OutputFolderError } from "../../reports/outputFolder.ts";
import { writeReport } from "../../reports/write.ts";
import { smallRunResult } from "./fixture.ts";
import { pngSize } from "./png.ts";

const CHART_FILES = [
  "queue-depth.png",
  "latency.png",
  "throughput.png",
  "fates.png",
  "subscription-fates.png",
  "dlq-depth.png",
];

describe("writeReport", () => {
  const root = mkdtempSync(join(tmpdir(), "queuelab-report-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // A directory that does not exist yet: writeReport creates it.
  const outDir = join(root, "nested", "report");
  const { files } = writeReport(smallRunResult(), outDir);

  it("writes every file and returns their relative names", () => {
    expect(files).toEqual([
      "summary.json",
      "summary.md",
      "series.json",
      ...CHART_FILES,
      "index.html",
    ]);
    expect(readdirSync(outDir).sort()).toEqual([".queuelab-report", ...files].sort());
  });

  it("writes PNGs of 1000 x 500 px", () => {
    for (const file of CHART_FILES) {
      expect(pngSize(readFileSync(join(outDir, file)))).toEqual({ widthPx: 1000, heightPx: 500 });
    }
  });

  it("writes parseable JSON with every variant's series", () => {
    const summary = JSON.parse(readFileSync(join(outDir, "summary.json"), "utf8"));
    expect(summary.seed).toBe(1187);
    const series = JSON.parse(readFileSync(join(outDir, "series.json"), "utf8"));
    expect(series.variants).toHaveLength(2);
  });

  it("writes the same bytes on a second run", () => {
    const again = join(root, "again");
    writeReport(smallRunResult(), again);
    for (const file of files) {
      const first = readFileSync(join(outDir, file));
      expect(readFileSync(join(again, file)).equals(first), file).toBe(true);
    }
  });

  it("writes into a folder holding a report only with force", () => {
    const twice = join(root, "twice");
    writeReport(smallRunResult(), twice);
    expect(() => writeReport(smallRunResult(), twice)).toThrow(OutputFolderError);
    expect(writeReport(smallRunResult(), twice, { force: true }).files).toEqual(files);
    expect(readdirSync(root).filter((name) => name.startsWith("twice"))).toEqual(["twice"]);
  });
});

describe("indexHtml", () => {
  const html = indexHtml(smallRunResult(), CHART_FILES);

  it("shows every chart and every variant", () => {
    for (const file of CHART_FILES) expect(html).toContain(`<img src="${file}"`);
    expect(html).toContain('<th scope="col">no-jitter</th>');
    expect(html).toContain('<th scope="col">full-jitter</th>');
    expect(html).toContain("<caption>Message fates</caption>");
    expect(html).toContain('<td class="fail">✘ 3</td>');
  });

  it("shows a table per subscription, the first violation and the hidden counters", () => {
    expect(html).toContain("<caption>Message fates: events/audit</caption>");
    expect(html).toContain(
      '<th scope="row" class="metric">lost: deleted by retention before the group read it</th>' +
        "<td>2</td><td>—</td>",
    );
    expect(html).toContain("<td>k12: #1041 after #1057 at 12.5 s (events/audit)</td><td>—</td>");
    expect(html).toMatch(
      /<tfoot><tr><td class="note" colspan="3">Zero in every variant, not shown: fenced commits, /,
    );
    expect(html).not.toContain(">link duplicates</th>");
  });

  it("escapes text from the scenario", () => {
    expect(html).toContain("p99 &lt; 2s &amp; the DLQ");
    expect(html).not.toContain("p99 < 2s");
    const result = smallRunResult();
    result.variants[0].name = "<script>alert(1)</script>";
    const hostile = indexHtml(result, CHART_FILES);
    expect(hostile).not.toContain("<script>");
    expect(hostile).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("is self-contained: no scripts, nothing fetched", () => {
    expect(html).not.toMatch(/<script|<link|https?:\/\//i);
    expect(html.startsWith("<!doctype html>")).toBe(true);
  });

  it("gives the replay command", () => {
    expect(html).toContain("npx queuelab run scenarios/retry-storm.yaml --seed 1187");
  });
});
