/** Writes a whole report directory for one run, atomically (see outputFolder.ts). */

import type { RunResult } from "../models/results.ts";
import { renderCharts } from "./charts.ts";
import { indexHtml } from "./html.ts";
import { type OutputFolderOptions, StagedFolder } from "./outputFolder.ts";
import { seriesJson } from "./series.ts";
import { summaryJson, summaryMarkdown } from "./summary.ts";

export interface WrittenReport {
  /** Names of the files written, relative to the output directory, in writing order. */
  files: string[];
}

/**
 * Writes summary.json, summary.md, series.json, the chart PNGs and index.html into `outDir`:
 * into a temporary sibling folder first, renamed into place once every file is written. A
 * previous report in `outDir` is replaced with `force`, refused (OutputFolderError) without it; a
 * folder that is not a queuelab report is refused either way and left as it was. If anything
 * fails midway, `outDir` is unchanged and the temporary folder is removed.
 */
export function writeReport(
  result: RunResult,
  outDir: string,
  options: OutputFolderOptions = {},
): WrittenReport {
  const folder = StagedFolder.create(outDir, options);
  try {
    const written = writeReportInto(result, folder);
    folder.commit();
    return written;
  } catch (error) {
    folder.discard();
    throw error;
  }
}

/** Writes the report's files into a staged folder (which may hold trace files already). */
export function writeReportInto(result: RunResult, folder: StagedFolder): WrittenReport {
  const files: string[] = [];
  const write = (name: string, content: string | Buffer) => {
    folder.write(name, content);
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
