/** Writes a whole report directory for one run. */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../models/results.ts";
import { renderCharts } from "./charts.ts";
import { indexHtml } from "./html.ts";
import { seriesJson } from "./series.ts";
import { summaryJson, summaryMarkdown } from "./summary.ts";

export interface WrittenReport {
  /** Names of the files written, relative to the output directory, in writing order. */
  files: string[];
}

/**
 * Creates `outDir` if needed and writes summary.json, summary.md, series.json, the chart PNGs
 * and index.html into it, replacing files of the same names.
 */
export function writeReport(result: RunResult, outDir: string): WrittenReport {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, content: string | Buffer) => {
    writeFileSync(join(outDir, name), content);
    files.push(name);
  };
  write("summary.json", summaryJson(result));
  write("summary.md", summaryMarkdown(result));
  write("series.json", seriesJson(result));
  const charts = renderCharts(result);
  for (const chart of charts) write(chart.file, chart.png);
  write(
    "index.html",
    indexHtml(
      result,
      charts.map((chart) => chart.file),
    ),
  );
  return { files };
}
