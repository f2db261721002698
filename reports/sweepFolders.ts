/**
 * Where a sweep keeps its finished runs before its report exists: `<out>.partial/`, holding the
 * manifest (sweep.json) and runs.jsonl, one line appended per finished run in completion order.
 * A stopped sweep (Ctrl-C, a killed job) leaves it; `--resume` reads it back and runs only what
 * is missing; the complete report replaces it. And the reading of a shard's folder for a merge.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { OutputFolderError, REPORT_MARKER } from "./outputFolder.ts";
import {
  MANIFEST_FILE,
  manifestDifference,
  manifestJson,
  parseManifest,
  parseRunLine,
  RUNS_FILE,
  SweepFileError,
  type SweepManifest,
} from "./sweepRecords.ts";

export const PARTIAL_SUFFIX = ".partial";
/** Holds `<host> <pid>` of the process writing the partial folder. */
const LOCK_FILE = ".lock";

/** The partial folder of the sweep whose report goes to `outDir`. */
export function partialFolderOf(outDir: string): string {
  return `${resolve(outDir)}${PARTIAL_SUFFIX}`;
}

/** The key of a (seed, variant) run. */
export function runKey(seed: number, variant: string): string {
  return `${seed}/${variant}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function describeManifest(manifest: SweepManifest): string {
  const shard =
    manifest.shard === null ? "" : `, shard ${manifest.shard.index}/${manifest.shard.count}`;
  return `${manifest.scenario}, seeds ${manifest.seeds}${shard}`;
}

/** A sweep's partial folder, open for appending finished runs. */
export class PartialSweep {
  private fd: number | null;

  private constructor(
    readonly dir: string,
    /** The runs.jsonl lines already there, by runKey. */
    readonly finished: Map<string, string>,
    /** Whether this process made the folder (rather than resuming one). */
    readonly created: boolean,
  ) {
    this.fd = openSync(join(dir, RUNS_FILE), "a");
    writeFileSync(join(dir, LOCK_FILE), `${hostname()} ${process.pid}\n`);
  }

  /**
   * Opens the partial folder of the sweep `manifest` whose report goes to `outDir`. A folder
   * already there is continued with `resume` when it holds the same sweep, and refused
   * otherwise (OutputFolderError, exit 2): its runs are kept until asked to start over.
   */
  static open(outDir: string, manifest: SweepManifest, resume: boolean): PartialSweep {
    const dir = partialFolderOf(outDir);
    // A folder made by a process killed before it wrote the manifest holds nothing to keep.
    if (existsSync(dir) && lstatSync(dir).isDirectory()) {
      const leftovers = readdirSync(dir).filter(
        (e) => e !== LOCK_FILE && e !== `${MANIFEST_FILE}.tmp`,
      );
      if (leftovers.length === 0) rmSync(dir, { recursive: true, force: true });
    }
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      // Written aside and renamed: a folder is either without manifest (empty) or has one whole.
      writeFileSync(join(dir, `${MANIFEST_FILE}.tmp`), manifestJson(manifest));
      renameSync(join(dir, `${MANIFEST_FILE}.tmp`), join(dir, MANIFEST_FILE));
      return new PartialSweep(dir, new Map(), true);
    }
    const stopped = readPartialManifest(dir);
    checkLock(dir);
    const finished = readFinishedRuns(dir);
    if (!resume) {
      throw new OutputFolderError(
        `${dir} holds a stopped sweep (${describeManifest(stopped)}; ${finished.size} runs finished): add --resume to continue it, or remove the folder to start over`,
      );
    }
    const difference = manifestDifference(stopped, manifest);
    const shardsDiffer =
      JSON.stringify(stopped.shard) !== JSON.stringify(manifest.shard)
        ? { field: "shard", a: JSON.stringify(stopped.shard), b: JSON.stringify(manifest.shard) }
        : null;
    const different = difference ?? shardsDiffer;
    if (different !== null) {
      throw new OutputFolderError(
        `--resume: the stopped sweep in ${dir} is another sweep (its ${different.field} is ${different.a}, now ${different.b}${different.field === "fileSha256" ? ": the scenario file changed" : ""}); remove the folder to start over, or choose another --out`,
      );
    }
    return new PartialSweep(dir, finished, false);
  }

  /** Appends a finished run's line, whole, in one write. */
  append(line: string): void {
    if (this.fd === null) throw new Error(`partial sweep ${this.dir} is closed`);
    writeSync(this.fd, `${line}\n`);
  }

  /** Closes the folder and keeps it (a stopped sweep). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(join(this.dir, LOCK_FILE), { force: true });
  }

  /** Removes the folder: its runs are in the report now (or none was ever finished). */
  remove(): void {
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readPartialManifest(dir: string): SweepManifest {
  const stat = lstatSync(dir);
  const file = join(dir, MANIFEST_FILE);
  if (!stat.isDirectory() || !existsSync(file)) {
    throw new OutputFolderError(
      `${dir} is in the way and is not a stopped queuelab sweep (no ${MANIFEST_FILE}); remove it, or choose another --out`,
    );
  }
  try {
    return parseManifest(readFileSync(file, "utf8"), file);
  } catch (error) {
    if (error instanceof SweepFileError) {
      throw new OutputFolderError(`${error.message}; remove ${dir}, or choose another --out`);
    }
    throw error;
  }
}

function checkLock(dir: string): void {
  let lock: string;
  try {
    lock = readFileSync(join(dir, LOCK_FILE), "utf8").trim();
  } catch {
    return;
  }
  const [host, pidText] = lock.split(" ");
  const pid = Number(pidText);
  // A lock from another machine (a rescheduled batch job on shared storage) cannot be checked:
  // that machine's process is taken to be gone, as a job is rescheduled when its pod is.
  if (host !== hostname() || !Number.isSafeInteger(pid) || pid === process.pid) return;
  if (processAlive(pid)) {
    throw new OutputFolderError(
      `${dir}: another queuelab sweep (process ${pid}) is writing it; wait for it, or choose another --out`,
    );
  }
}

/**
 * The complete lines of the partial runs.jsonl. A last line cut short (the process was killed
 * while writing it) is dropped from the file, and its run done again.
 */
function readFinishedRuns(dir: string): Map<string, string> {
  const file = join(dir, RUNS_FILE);
  const finished = new Map<string, string>();
  if (!existsSync(file)) return finished;
  const text = readFileSync(file, "utf8");
  const end = text.lastIndexOf("\n") + 1;
  if (end < text.length) {
    const fd = openSync(file, "r+");
    try {
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
    } finally {
      closeSync(fd);
    }
  }
  const lines = text.slice(0, end).split("\n").slice(0, -1);
  for (const [i, line] of lines.entries()) {
    const record = parseRunLine(line, `${file}:${i + 1}`);
    const key = runKey(record.seed, record.variant);
    if (!finished.has(key)) finished.set(key, line);
  }
  return finished;
}

/** A sweep folder read back: its manifest and its runs.jsonl lines. */
export interface SweepFolderContents {
  dir: string;
  manifest: SweepManifest;
  lines: string[];
}

/** Reads a shard's folder (sweep.json, runs.jsonl); SweepFileError if it is not one. */
export function readShardFolder(dir: string): SweepFolderContents {
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) {
    throw new SweepFileError(`${dir}: no such folder`);
  }
  const manifestFile = join(dir, MANIFEST_FILE);
  const runsFile = join(dir, RUNS_FILE);
  const entries = readdirSync(dir);
  if (!entries.includes(MANIFEST_FILE) || !entries.includes(RUNS_FILE)) {
    const partial = dir.endsWith(PARTIAL_SUFFIX)
      ? " (a stopped shard: finish it with --resume)"
      : "";
    throw new SweepFileError(
      `${dir}: not a shard folder (it needs ${MANIFEST_FILE} and ${RUNS_FILE})${partial}`,
    );
  }
  if (!entries.includes(REPORT_MARKER)) {
    throw new SweepFileError(
      `${dir}: not a finished shard (no ${REPORT_MARKER}); finish it with --resume`,
    );
  }
  const manifest = parseManifest(readFileSync(manifestFile, "utf8"), manifestFile);
  const text = readFileSync(runsFile, "utf8");
  if (text !== "" && !text.endsWith("\n")) throw new SweepFileError(`${runsFile}: cut short`);
  const lines = text === "" ? [] : text.slice(0, -1).split("\n");
  return { dir, manifest, lines };
}

/** The shard's folder files: the manifest and its runs, in output order. */
export function shardFiles(manifest: SweepManifest, lines: readonly string[]): [string, string][] {
  return [
    [MANIFEST_FILE, manifestJson(manifest)],
    [RUNS_FILE, lines.length === 0 ? "" : `${lines.join("\n")}\n`],
  ];
}
