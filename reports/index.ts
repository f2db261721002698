export { CHART_HEIGHT_PX, CHART_WIDTH_PX } from "./chart-style.ts";
export { CHART_TITLES, type ChartImage, renderCharts } from "./charts.ts";
export {
  formatCount,
  formatDurationS,
  formatRatePerS,
  replayCommand,
  replayCommandFor,
} from "./format.ts";
export { escapeHtml, indexHtml } from "./html.ts";
export {
  checkOutputFolder,
  defaultReportFolder,
  OutputFolderError,
  type OutputFolderOptions,
  REPORT_MARKER,
  StagedFolder,
} from "./outputFolder.ts";
export { seriesJson } from "./series.ts";
export { summaryJson, summaryMarkdown } from "./summary.ts";
export { type TerminalOptions, terminalTable } from "./terminal.ts";
export { type WrittenReport, writeReport, writeReportInto } from "./write.ts";
