/**
 * index.html: one self-contained page (inline CSS, no scripts, nothing fetched from a network)
 * with the summary tables and the chart images that sit beside it in the report directory.
 */

import type { RunResult } from "../models/results.ts";
import { CHART_HEIGHT_PX, CHART_WIDTH_PX } from "./chart-style.ts";
import { CHART_TITLES } from "./charts.ts";
import { formatDurationS, replayCommand } from "./format.ts";
import { type Cell, expectationsVerdict, type Section, summarySections } from "./tables.ts";

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STYLE = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 2rem auto;
  max-width: 1040px; padding: 0 1rem; color: #222; }
h1 small { color: #777; font-weight: normal; font-size: 60%; }
.description { white-space: pre-wrap; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.facts dt { color: #666; }
dl.facts dd { margin: 0; }
pre { background: #f4f4f4; padding: 0.6rem 0.8rem; overflow-x: auto; }
.tables { display: flex; flex-wrap: wrap; gap: 0 2.5rem; }
table { border-collapse: collapse; margin-bottom: 1.5rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
th, td { padding: 0.2rem 0.7rem; border-bottom: 1px solid #e2e2e2; }
th { text-align: right; }
th.metric, td.metric { text-align: left; color: #444; }
td { text-align: right; white-space: nowrap; }
td.note { text-align: left; white-space: normal; color: #777; font-size: 85%;
  border-bottom: none; }
.pass { color: #007a3d; }
.fail { color: #c0001a; font-weight: bold; }
figure { margin: 0 0 2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e2e2e2; }
figcaption { color: #555; font-size: 90%; }
`;

function cellHtml(cell: Cell): string {
  const cls = cell.status ? ` class="${cell.status}"` : "";
  return `<td${cls}>${escapeHtml(cell.text)}</td>`;
}

function tableHtml(section: Section, variantNames: string[]): string {
  const header = variantNames.map((name) => `<th scope="col">${escapeHtml(name)}</th>`).join("");
  const rows = section.rows.map(
    (row) =>
      `<tr><th scope="row" class="metric">${escapeHtml(row.label)}</th>` +
      `${row.cells.map(cellHtml).join("")}</tr>`,
  );
  const note =
    section.note === undefined
      ? []
      : [
          `<tfoot><tr><td class="note" colspan="${variantNames.length + 1}">` +
            `${escapeHtml(section.note)}</td></tr></tfoot>`,
        ];
  return [
    `<table>`,
    `<caption>${escapeHtml(section.title)}</caption>`,
    `<thead><tr><th class="metric"></th>${header}</tr></thead>`,
    `<tbody>`,
    ...rows,
    `</tbody>`,
    ...note,
    `</table>`,
  ].join("\n");
}

function factsHtml(result: RunResult): string {
  const facts: [string, string][] = [
    ["scenario file", result.file],
    ["seed", String(result.seed)],
    [
      "duration",
      `${formatDurationS(result.durationS)}, then drain ${formatDurationS(result.drainS)}`,
    ],
    ["variants", result.variants.map((v) => v.name).join(", ")],
  ];
  if (result.overrides.length > 0) facts.push(["overrides", result.overrides.join(", ")]);
  const items = facts.map(([term, value]) => `<dt>${term}</dt><dd>${escapeHtml(value)}</dd>`);
  return `<dl class="facts">\n${items.join("\n")}\n</dl>`;
}

function figureHtml(file: string): string {
  const title = CHART_TITLES[file] ?? file;
  return (
    `<figure><img src="${escapeHtml(file)}" alt="${escapeHtml(title)}" ` +
    `width="${CHART_WIDTH_PX}" height="${CHART_HEIGHT_PX}">` +
    `<figcaption>${escapeHtml(title)}</figcaption></figure>`
  );
}

/** The page; `chartFiles` are names relative to the page, as written by writeReport. */
export function indexHtml(result: RunResult, chartFiles: string[]): string {
  const names = result.variants.map((v) => v.name);
  const verdict = expectationsVerdict(result);
  const body = [
    `<h1>${escapeHtml(result.scenario)} <small>queuelab report</small></h1>`,
    result.description.trim() === ""
      ? ""
      : `<p class="description">${escapeHtml(result.description)}</p>`,
    factsHtml(result),
    verdict === null
      ? ""
      : `<p class="${verdict.passed ? "pass" : "fail"}">${escapeHtml(verdict.text)}</p>`,
    `<p>Replay this run:</p>\n<pre><code>${escapeHtml(replayCommand(result))}</code></pre>`,
    `<div class="tables">`,
    ...summarySections(result).map((section) => tableHtml(section, names)),
    `</div>`,
    ...chartFiles.map(figureHtml),
  ].filter((part) => part !== "");
  return [
    "<!doctype html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<title>${escapeHtml(result.scenario)}: queuelab report</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
