import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../models/results.ts";
import {
  checkOutputFolder,
  defaultReportFolder,
  OutputFolderError,
  REPORT_MARKER,
  StagedFolder,
  safeFileName,
} from "../../reports/outputFolder.ts";
import { writeReport } from "../../reports/write.ts";
import { smallRunResult } from "./fixture.ts";

const root = mkdtempSync(join(tmpdir(), "queuelab-out-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
/** A fresh path under the test's root (not created). */
const fresh = () => join(root, `case-${++folders}`, "report");

/** Every file of a folder with its bytes, to compare before and after. */
function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    out[entry.name] = entry.isDirectory()
      ? JSON.stringify(snapshot(path))
      : readFileSync(path).toString("base64");
  }
  return out;
}

/** Entries beside `folder` other than itself: temporary or set-aside folders left behind. */
function leftovers(folder: string): string[] {
  const parent = join(folder, "..");
  return readdirSync(parent).filter((name) => name !== "report");
}

/** A result whose series do not line up: writing it fails after the summaries are written. */
function brokenResult(): RunResult {
  const result = smallRunResult();
  result.variants[1].series.queueDepth = [1, 2, 3];
  return result;
}

function refusal(outDir: string, force = false): OutputFolderError {
  try {
    writeReport(smallRunResult(), outDir, { force });
  } catch (error) {
    expect(error).toBeInstanceOf(OutputFolderError);
    expect((error as Error).message).not.toContain("\n");
    return error as OutputFolderError;
  }
  throw new Error("expected the folder to be refused");
}

describe("writing a report folder", () => {
  it("creates a missing folder, with a marker listing the files written", () => {
    const out = fresh();
    const { files } = writeReport(smallRunResult(), out);
    expect(readdirSync(out).sort()).toEqual([REPORT_MARKER, ...files].sort());
    const marker = JSON.parse(readFileSync(join(out, REPORT_MARKER), "utf8"));
    expect(marker).toEqual({ queuelab: "report", format: 1, files });
    expect(leftovers(out)).toEqual([]);
  });

  it("replaces a report folder when run again with force", () => {
    const out = fresh();
    writeReport(smallRunResult(), out);
    const again = smallRunResult();
    again.seed = 4242;
    again.variants = again.variants.slice(0, 1);
    writeReport(again, out, { force: true });
    expect(JSON.parse(readFileSync(join(out, "series.json"), "utf8")).seed).toBe(4242);
    expect(leftovers(out)).toEqual([]);
  });

  it("refuses a report folder without force, before writing, and leaves it as it was", () => {
    const out = fresh();
    writeReport(smallRunResult(), out);
    const before = snapshot(out);
    const message = `--out ${out}: a queuelab report is already there; add --force to replace it, or choose another --out`;
    expect(() => checkOutputFolder(out)).toThrow(message);
    expect(() => StagedFolder.create(out)).toThrow(message);
    expect(refusal(out).message).toBe(message);
    expect(snapshot(out)).toEqual(before);
    expect(leftovers(out)).toEqual([]);
    expect(() => checkOutputFolder(out, { force: true })).not.toThrow();
  });

  it("uses an empty folder", () => {
    const out = fresh();
    mkdirSync(out, { recursive: true });
    writeReport(smallRunResult(), out);
    expect(existsSync(join(out, "index.html"))).toBe(true);
  });

  it("replaces a report written before the marker existed (only report files in it)", () => {
    const out = fresh();
    mkdirSync(out, { recursive: true });
    for (const name of ["summary.json", "summary.md", "latency.png", "trace-base.jsonl"]) {
      writeFileSync(join(out, name), "old");
    }
    expect(refusal(out).message).toMatch(/a queuelab report is already there; add --force/);
    writeReport(smallRunResult(), out, { force: true });
    expect(existsSync(join(out, "trace-base.jsonl"))).toBe(false);
    expect(existsSync(join(out, REPORT_MARKER))).toBe(true);
  });
});

describe("an interrupted write", () => {
  it("leaves the previous report intact and no temporary folder behind", () => {
    const out = fresh();
    writeReport(smallRunResult(), out);
    const before = snapshot(out);
    expect(() => writeReport(brokenResult(), out, { force: true })).toThrow(
      /series queueDepth has 3 buckets/,
    );
    expect(snapshot(out)).toEqual(before);
    expect(leftovers(out)).toEqual([]);
  });

  it("into a missing folder leaves nothing at all", () => {
    const out = fresh();
    expect(() => writeReport(brokenResult(), out)).toThrow(/series queueDepth/);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(out)).toEqual([]);
  });

  it("by a killed process is cleaned up by the next run: its pid is gone, its marker is there", () => {
    const out = fresh();
    writeReport(smallRunResult(), out);
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid;
    const stale = `${out}.tmp-${deadPid}`;
    mkdirSync(stale);
    writeFileSync(join(stale, REPORT_MARKER), readFileSync(join(out, REPORT_MARKER)));
    writeFileSync(join(stale, "summary.json"), "half");
    // Same name pattern, but not ours (no marker): left alone.
    const notOurs = `${out}.tmp-${deadPid + 1}`;
    mkdirSync(notOurs);
    writeFileSync(join(notOurs, "data.csv"), "keep");
    writeReport(smallRunResult(), out, { force: true });
    expect(existsSync(stale)).toBe(false);
    expect(readFileSync(join(notOurs, "data.csv"), "utf8")).toBe("keep");
  });
});

describe("a folder that is not a queuelab report", () => {
  it("is never deleted, force or not: refused with a one-line error, left exactly as it was", () => {
    const out = fresh();
    mkdirSync(join(out, "sub"), { recursive: true });
    writeFileSync(join(out, "thesis.tex"), "years of work");
    writeFileSync(join(out, "summary.json"), "{}");
    const before = snapshot(out);
    for (const force of [false, true]) {
      expect(refusal(out, force).message).toBe(
        `--out ${out}: the report folder also holds files queuelab did not write (sub, thesis.tex); not replacing it: move them, or choose another --out`,
      );
    }
    expect(snapshot(out)).toEqual(before);
    expect(leftovers(out)).toEqual([]);
  });

  it("without any report file is refused, and says so before a run", () => {
    const out = fresh();
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "notes.txt"), "mine");
    expect(() => checkOutputFolder(out, { force: true })).toThrow(OutputFolderError);
    expect(refusal(out, true).message).toBe(
      `--out ${out}: the folder exists and is not a queuelab report (no ${REPORT_MARKER} in it); queuelab replaces only its own report folders: choose another --out, or empty the folder yourself`,
    );
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("mine");
  });

  it("a report folder someone added a file to is refused too", () => {
    const out = fresh();
    writeReport(smallRunResult(), out);
    writeFileSync(join(out, "my-notes.md"), "mine");
    expect(refusal(out, true).message).toMatch(
      /also holds files queuelab did not write \(my-notes\.md\)/,
    );
    expect(readFileSync(join(out, "my-notes.md"), "utf8")).toBe("mine");
  });

  it("a file in the way is refused", () => {
    const out = fresh();
    mkdirSync(join(out, ".."), { recursive: true });
    writeFileSync(out, "a file");
    expect(refusal(out, true).message).toBe(
      `--out ${out}: it exists and is not a folder; not replacing it: choose another --out`,
    );
    expect(readFileSync(out, "utf8")).toBe("a file");
  });

  it("a report appearing during a run without force is refused at the end, and kept", () => {
    const out = fresh();
    const folder = StagedFolder.create(out);
    folder.write("summary.json", "{}");
    // Another run's report lands there meanwhile.
    const other = fresh();
    writeReport(smallRunResult(), other);
    renameSync(other, out);
    const before = snapshot(out);
    expect(() => folder.commit()).toThrow(/a queuelab report is already there; add --force/);
    expect(snapshot(out)).toEqual(before);
    expect(leftovers(out)).toEqual([]);
  });

  it("appearing during the run is refused at the end, and the new report discarded", () => {
    const out = fresh();
    const folder = StagedFolder.create(out);
    folder.write("summary.json", "{}");
    mkdirSync(out);
    writeFileSync(join(out, "arrived.txt"), "meanwhile");
    expect(() => folder.commit()).toThrow(OutputFolderError);
    expect(readdirSync(out)).toEqual(["arrived.txt"]);
    expect(leftovers(out)).toEqual([]);
  });
});

describe("file names", () => {
  it("cannot leave the report folder", () => {
    for (const bad of [
      "../x",
      "a/b",
      "..",
      "",
      ".hidden",
      "a\\b",
      "trace-..jsonl",
      "x".repeat(201),
    ]) {
      expect(() => safeFileName(bad), bad).toThrow(/unsafe file name/);
    }
    expect(safeFileName("trace-flaky_net-2.jsonl")).toBe("trace-flaky_net-2.jsonl");
    const folder = StagedFolder.create(fresh());
    expect(() => folder.file("trace-../../etc.jsonl")).toThrow(/unsafe file name/);
    expect(() => folder.file(REPORT_MARKER)).toThrow();
    folder.discard();
  });

  it("the default folder, out/<scenario name>, cannot leave out/", () => {
    expect(defaultReportFolder("mmc")).toBe(join("out", "mmc"));
    for (const bad of [
      "..",
      "../x",
      "../../etc",
      "/etc",
      "/",
      "a/b",
      "a\\b",
      "",
      ".",
      "x\u0000y",
      "~",
    ]) {
      expect(() => defaultReportFolder(bad), JSON.stringify(bad)).toThrow(/unsafe file name/);
    }
  });
});
