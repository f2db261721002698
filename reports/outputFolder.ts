/**
 * Where a report goes, safely. A report is written into a temporary sibling folder
 * (`<out>.tmp-<pid>`) and renamed into place only when it is complete, so an interrupted run
 * never leaves a half report, and the previous report stays until the new one replaces it.
 *
 * The rule for an existing `<out>`:
 * - missing, or an empty folder: the report is put there;
 * - a queuelab report folder (it holds the marker file `.queuelab-report`, which lists the files
 *   queuelab wrote, and nothing else): replaced with `force` (`--force`), refused without it;
 * - anything else (a file, a folder that is not a report, a report folder in which someone put
 *   other files): refused, `force` or not. queuelab never deletes what it did not write; there
 *   is no option to make it.
 * A refusal is an OutputFolderError (exit 2), before the run starts.
 *
 * A report folder written before the marker existed is recognised by holding only report files
 * (summary.json, summary.md, series.json, index.html, the charts, trace-*.jsonl).
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CHART_TITLES } from "./charts.ts";

/** The marker file of a report folder. */
export const REPORT_MARKER = ".queuelab-report";
/** Version of the report folder's layout, written into the marker. */
export const REPORT_FORMAT = 1;

/** A report folder cannot go where it was asked to: a one-line message for the user (exit 2). */
export class OutputFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputFolderError";
  }
}

interface Marker {
  queuelab: "report";
  format: number;
  files: string[];
}

/** How an existing report folder at `<out>` is treated. */
export interface OutputFolderOptions {
  /** Replace a queuelab report folder (only that: anything else is refused all the same). */
  force?: boolean;
}

/** Names queuelab writes into a report folder; a name from a scenario must also be one. */
const SAFE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/**
 * `name` if it is a plain file name (letters, digits, `_`, `-`, `.`, no `..`, no separator),
 * so that nothing written under it can land outside the report folder; throws otherwise.
 */
export function safeFileName(name: string): string {
  if (!SAFE_FILE_NAME.test(name) || name.includes("..")) {
    throw new Error(`unsafe file name for a report: ${JSON.stringify(name)}`);
  }
  return name;
}

/** Where a scenario's report goes unless `--out` says otherwise: `out/<name>`, never outside `out/`. */
export function defaultReportFolder(scenarioName: string): string {
  return join("out", safeFileName(scenarioName));
}

const LEGACY_REPORT_FILES = new Set([
  "summary.json",
  "summary.md",
  "series.json",
  "index.html",
  ...Object.keys(CHART_TITLES),
]);

function isLegacyReportFile(name: string): boolean {
  return LEGACY_REPORT_FILES.has(name) || /^trace-[A-Za-z0-9_-]+\.jsonl$/.test(name);
}

function readMarker(folder: string): Marker | null {
  try {
    const marker = JSON.parse(readFileSync(join(folder, REPORT_MARKER), "utf8")) as Marker;
    const valid =
      marker.queuelab === "report" &&
      typeof marker.format === "number" &&
      Array.isArray(marker.files) &&
      marker.files.every((f) => typeof f === "string");
    return valid ? marker : null;
  } catch {
    return null;
  }
}

type Existing = { kind: "missing" } | { kind: "empty" } | { kind: "report" };

/** What is at `outDir` now; throws OutputFolderError when it must not be replaced. */
function inspect(outDir: string, shown: string, force: boolean): Existing {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(outDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    throw new OutputFolderError(`--out ${shown}: cannot inspect it (${describe(error)})`);
  }
  if (!stat.isDirectory()) {
    throw new OutputFolderError(
      `--out ${shown}: it exists and is not a folder; not replacing it: choose another --out`,
    );
  }
  const entries = readdirSync(outDir);
  if (entries.length === 0) return { kind: "empty" };
  const marker = readMarker(outDir);
  const ours = marker === null ? null : new Set([REPORT_MARKER, ...marker.files]);
  const foreign = entries.filter((entry) => {
    const isFile = lstatSync(join(outDir, entry)).isFile();
    return !isFile || (ours === null ? !isLegacyReportFile(entry) : !ours.has(entry));
  });
  const legacy = marker === null && entries.includes("summary.json");
  if ((marker !== null || legacy) && foreign.length === 0) {
    if (force) return { kind: "report" };
    throw new OutputFolderError(
      `--out ${shown}: a queuelab report is already there; add --force to replace it, or choose another --out`,
    );
  }
  if (marker === null && !legacy) {
    throw new OutputFolderError(
      `--out ${shown}: the folder exists and is not a queuelab report (no ${REPORT_MARKER} in it); queuelab replaces only its own report folders: choose another --out, or empty the folder yourself`,
    );
  }
  const listed = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? ", ..." : "");
  throw new OutputFolderError(
    `--out ${shown}: the report folder also holds files queuelab did not write (${listed}); not replacing it: move them, or choose another --out`,
  );
}

function describe(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/**
 * Throws OutputFolderError when a report could not be put at `outDir` (see the rule above);
 * the command line calls it before a run, so that a long run does not end in a refusal.
 */
export function checkOutputFolder(outDir: string, options: OutputFolderOptions = {}): void {
  inspect(resolve(outDir), outDir, options.force === true);
}

/** Whether a process with this id is running (on this machine). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Folders beside `target` left by runs that were killed (`<out>.tmp-<pid>` being written,
 * `<out>.old-<pid>` being replaced): removed when their process is gone and they hold our marker.
 */
function removeStaleSiblings(target: string): void {
  const parent = dirname(target);
  let siblings: string[];
  try {
    siblings = readdirSync(parent);
  } catch {
    return;
  }
  for (const sibling of siblings) {
    const match = /^(.*)\.(?:tmp|old)-(\d+)$/.exec(sibling);
    if (match === null || match[1] !== basename(target)) continue;
    const pid = Number(match[2]);
    const folder = join(parent, sibling);
    if (pid === process.pid || alive(pid) || readMarker(folder) === null) continue;
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A folder of ours at `path` (marker, or empty) is removed; anything else there is refused. */
function clearOwn(path: string, shown: string): void {
  if (!existsSync(path)) return;
  const ours =
    readMarker(path) !== null || (lstatSync(path).isDirectory() && readdirSync(path).length === 0);
  if (!ours) {
    throw new OutputFolderError(
      `--out ${shown}: ${path} is in the way and is not queuelab's; not replacing it: remove it, or choose another --out`,
    );
  }
  rmSync(path, { recursive: true, force: true });
}

/**
 * A report folder being written: files go into a temporary sibling of `outDir`, and `commit()`
 * renames it into place; `discard()` removes it. Create it before the run, so that trace files
 * written during the run land with the report.
 */
export class StagedFolder {
  private readonly files: string[] = [];
  private done = false;

  private constructor(
    /** The folder as the user named it, for messages. */
    readonly outDir: string,
    /** Absolute path of the final folder. */
    readonly target: string,
    /** Absolute path of the temporary folder the files are written into. */
    readonly tempDir: string,
    /** Whether a report folder at `outDir` may be replaced (`--force`). */
    private readonly force: boolean,
  ) {}

  /** Checks `outDir` (OutputFolderError when it must not be replaced) and makes the temporary folder. */
  static create(outDir: string, options: OutputFolderOptions = {}): StagedFolder {
    const force = options.force === true;
    const target = resolve(outDir);
    inspect(target, outDir, force);
    removeStaleSiblings(target);
    const tempDir = `${target}.tmp-${process.pid}`;
    mkdirSync(dirname(target), { recursive: true });
    // A leftover of this very process id (an earlier report in the same process).
    clearOwn(tempDir, outDir);
    mkdirSync(tempDir);
    const folder = new StagedFolder(outDir, target, tempDir, force);
    folder.writeMarker();
    return folder;
  }

  /** The path to write the file `name` to; `name` must be a plain file name (safeFileName). */
  file(name: string): string {
    if (this.done) throw new Error(`report folder ${this.outDir} already committed or discarded`);
    safeFileName(name);
    if (name === REPORT_MARKER) throw new Error(`${REPORT_MARKER} is the report folder's own`);
    if (!this.files.includes(name)) this.files.push(name);
    return join(this.tempDir, name);
  }

  /** Writes `content` to the file `name`. */
  write(name: string, content: string | Buffer): void {
    writeFileSync(this.file(name), content);
  }

  private writeMarker(): void {
    const marker: Marker = { queuelab: "report", format: REPORT_FORMAT, files: [...this.files] };
    writeFileSync(join(this.tempDir, REPORT_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  }

  /**
   * Puts the complete report in place of `outDir`, replacing a previous report there with
   * `force` (checked again now: the folder may have changed during the run). The old report is
   * moved aside first and deleted last, so that at any moment one complete report exists.
   */
  commit(): void {
    if (this.done) throw new Error(`report folder ${this.outDir} already committed or discarded`);
    let existing: Existing;
    try {
      this.writeMarker();
      existing = inspect(this.target, this.outDir, this.force);
    } catch (error) {
      this.discard();
      throw error;
    }
    this.done = true;
    if (existing.kind === "empty") rmdirSync(this.target);
    if (existing.kind !== "report") {
      renameSync(this.tempDir, this.target);
      return;
    }
    const aside = `${this.target}.old-${process.pid}`;
    try {
      clearOwn(aside, this.outDir);
    } catch (error) {
      this.discard();
      throw error;
    }
    renameSync(this.target, aside);
    try {
      renameSync(this.tempDir, this.target);
    } catch (error) {
      renameSync(aside, this.target);
      rmSync(this.tempDir, { recursive: true, force: true });
      throw error;
    }
    rmSync(aside, { recursive: true, force: true });
  }

  /** Removes the temporary folder and everything in it; `outDir` is left as it was. */
  discard(): void {
    this.done = true;
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}
