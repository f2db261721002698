/**
 * Seed sweeps: the plan (seeds, shards), results independent of the number of worker threads,
 * shards merged into the same bytes as one sweep, a stopped sweep resumed into the same bytes,
 * internal errors recorded and the sweep carried on, and the progress lines.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InvariantError } from "../models/errors.ts";
import { World } from "../models/world.ts";
import { OutputFolderError } from "../reports/outputFolder.ts";
import { summaryJson } from "../reports/summary.ts";
import { partialFolderOf } from "../reports/sweepFolders.ts";
import { SweepProgress } from "../reports/sweepProgress.ts";
import { SweepFileError } from "../reports/sweepRecords.ts";
import { loadScenario } from "../scenarios/loader.ts";
import { runScenario } from "../scenarios/run.ts";
import { mergeShards, runSweep, type SweepOptions } from "../scenarios/sweep.ts";
import { sweepExitCode } from "../scenarios/sweepCommand.ts";
import {
  formatSeeds,
  parseSeeds,
  parseShard,
  planJobs,
  SweepInputError,
} from "../scenarios/sweepPlan.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "queuelab-sweep-"));

/** Two variants, 20 s of 5 messages/s: a run takes a few milliseconds. */
const TINY = `name: tiny
duration: 20s
queues: [{ name: q }]
producers: [{ name: p, rate: 5/s }]
consumers: [{ name: c, count: 2, processing: { exponential: 100ms } }]
expect: { latency.p99S: "< 400ms" }
variants:
  - { name: two }
  - { name: three, set: { consumers.c.count: 3 } }
`;

function scenarioFile(text = TINY): string {
  const file = join(tmp(), "tiny.yaml");
  writeFileSync(file, text);
  return file;
}

const REPORT_TEXT_FILES = ["summary.json", "runs.jsonl", "summary.md"];

function reportBytes(dir: string): Record<string, string> {
  return Object.fromEntries(
    REPORT_TEXT_FILES.map((name) => [name, readFileSync(join(dir, name), "utf8")]),
  );
}

describe("the sweep plan", () => {
  it("seeds: ranges, lists and numbers, sorted without repeats, in a canonical text", () => {
    expect(parseSeeds("1..5")).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds("9,1,5")).toEqual([1, 5, 9]);
    expect(parseSeeds("7")).toEqual([7]);
    expect(parseSeeds("3..6, 1, 5, 20..21")).toEqual([1, 3, 4, 5, 6, 20, 21]);
    expect(formatSeeds([1, 3, 4, 5, 6, 20, 21])).toBe("1,3..6,20,21");
    expect(formatSeeds(parseSeeds("1..1000"))).toBe("1..1000");
    for (const bad of ["", "1..", "a", "5..1", "1.5", "-3", "1..1000001"]) {
      expect(() => parseSeeds(bad), bad).toThrow(SweepInputError);
    }
  });

  it("shards split the runs by seed index: every run in exactly one shard", () => {
    const seeds = parseSeeds("10..19");
    const all = planJobs(seeds, 3);
    expect(all.map((job) => job.order)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const shards = [1, 2, 3, 4].map((index) => planJobs(seeds, 3, { index, count: 4 }));
    // Seed indexes 0, 4, 8 go to shard 1: seeds 10, 14, 18, with all three variants each.
    expect([...new Set(shards[0].map((job) => job.seed))]).toEqual([10, 14, 18]);
    const orders = shards.flatMap((jobs) => jobs.map((job) => job.order)).sort((a, b) => a - b);
    expect(orders).toEqual(all.map((job) => job.order));
  });

  it("--shard i/n, and the batch systems' variables with env", () => {
    expect(parseShard("3/8")).toEqual({ index: 3, count: 8 });
    // Kubernetes Indexed Jobs count from 0.
    expect(parseShard("env/8", { JOB_COMPLETION_INDEX: "0" })).toEqual({ index: 1, count: 8 });
    expect(parseShard("env/8", { JOB_COMPLETION_INDEX: "7" })).toEqual({ index: 8, count: 8 });
    // A Slurm array --array=1-8 has SLURM_ARRAY_TASK_MIN=1; --array=0-7 has 0.
    const slurm = {
      SLURM_ARRAY_TASK_ID: "3",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_COUNT: "8",
    };
    expect(parseShard("env", slurm)).toEqual({ index: 3, count: 8 });
    expect(parseShard("env", { ...slurm, SLURM_ARRAY_TASK_MIN: "0" })).toEqual({
      index: 4,
      count: 8,
    });
    for (const [spec, env] of [
      ["0/8", {}],
      ["9/8", {}],
      ["3", {}],
      ["env/8", {}],
      ["env", { JOB_COMPLETION_INDEX: "2" }],
      ["env/8", { JOB_COMPLETION_INDEX: "8" }],
    ] as const) {
      expect(() => parseShard(spec, env), spec).toThrow(SweepInputError);
    }
  });
});

describe("sweeps", () => {
  const file = scenarioFile();
  const base = (out: string, more: Partial<SweepOptions> = {}): SweepOptions => ({
    scenario: file,
    seeds: "1..6",
    out,
    ...more,
  });

  it("the same bytes with 1 or 2 worker threads, or none", async () => {
    const outs = [tmp(), tmp(), tmp()];
    const [one, two, none] = await Promise.all([
      runSweep(base(join(outs[0], "r"), { workers: 1 })),
      runSweep(base(join(outs[1], "r"), { workers: 2 })),
      runSweep(base(join(outs[2], "r"), { workers: 0 })),
    ]);
    expect(one.stopped).toBe(false);
    expect(one.total).toBe(12);
    const expected = reportBytes(one.outDir);
    expect(reportBytes(two.outDir)).toEqual(expected);
    expect(reportBytes(none.outDir)).toEqual(expected);
    // runs.jsonl: by seed, then variant in the scenario's order.
    const runs = expected["runs.jsonl"]
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(runs.map((r) => `${r.seed}/${r.variant}`)).toEqual(
      [1, 2, 3, 4, 5, 6].flatMap((seed) => [`${seed}/two`, `${seed}/three`]),
    );
    expect(Object.keys(runs[0])).toEqual([
      "seed",
      "variant",
      "passed",
      "failed",
      "error",
      "summary",
    ]);
    // The summary keys in summary.json's order.
    expect(Object.keys(runs[0].summary)).toEqual([
      "fates",
      "latency",
      "queueWait",
      "throughput",
      "ordering",
      "counters",
      "subscriptions",
      "exchanges",
      "calls",
      "callRoutes",
      "downstreams",
      "contention",
      "backlog",
      "scaling",
      "alerts",
      "publishWait",
      "byPriority",
      "expectations",
    ]);
    // Each run's summary is the one a single `run` of that seed and variant writes.
    const single = runScenario(loadScenario(file), { seed: 4, variants: ["three"] });
    const { name, ...written } = JSON.parse(summaryJson(single)).variants[0];
    expect(name).toBe("three");
    expect(runs.find((r) => r.seed === 4 && r.variant === "three").summary).toEqual(written);
    const summary = JSON.parse(expected["summary.json"]);
    expect(summary.runs).toBe(12);
    expect(summary.variants.map((v: { runs: number }) => v.runs)).toEqual([6, 6]);
  });

  it("the summary's means, intervals and failing seeds agree with runs.jsonl", async () => {
    const outcome = await runSweep(base(join(tmp(), "r"), { workers: 0, seeds: "1..8" }));
    const runs = readFileSync(join(outcome.outDir, "runs.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    const summary = JSON.parse(readFileSync(join(outcome.outDir, "summary.json"), "utf8"));
    const two = runs.filter((r) => r.variant === "two");
    const produced = two.map((r) => r.summary.fates.produced as number);
    const mean = produced.reduce((a, b) => a + b, 0) / produced.length;
    const sd = Math.sqrt(produced.reduce((s, x) => s + (x - mean) ** 2, 0) / (produced.length - 1));
    // t(0.975, 7) = 2.365 (table).
    const half = (2.365 * sd) / Math.sqrt(produced.length);
    const stats = summary.variants[0].metrics["fates.produced"];
    expect(stats.mean).toBeCloseTo(mean, 9);
    expect(stats.ci95High - stats.mean).toBeCloseTo(half, 1);
    expect(stats.min).toBe(Math.min(...produced));
    expect(stats.max).toBe(Math.max(...produced));
    // The metric the scenario's expect names is summed up too.
    expect(Object.keys(summary.variants[0].metrics)).toContain("latency.p99S");
    const failing = two.filter((r) => !r.passed).map((r) => r.seed);
    expect(summary.variants[0].failingSeeds.map((f: { seed: number }) => f.seed)).toEqual(failing);
    expect(failing.length).toBeGreaterThan(0);
    expect(summary.variants[0].failingSeeds[0].replay).toBe(
      `npx queuelab run ${file} --seed ${failing[0]} --variant two`,
    );
    expect(sweepExitCode(outcome.summary!)).toBe(1);
  });

  it("shards merged give the same bytes as one sweep", async () => {
    const whole = await runSweep(base(join(tmp(), "whole"), { workers: 0, seeds: "1..7" }));
    const parent = tmp();
    const shardDirs: string[] = [];
    for (const index of [3, 1, 2]) {
      const shard = await runSweep(
        base(join(parent, `s${index}`), { workers: 1, seeds: "1..7", shard: `${index}/3` }),
      );
      expect(shard.summary).not.toBeNull();
      shardDirs.push(shard.outDir);
    }
    const merged = mergeShards(shardDirs, join(tmp(), "merged"));
    expect(reportBytes(merged.outDir)).toEqual(reportBytes(whole.outDir));
    for (const chart of whole.files.filter((f) => f.endsWith(".png"))) {
      expect(readFileSync(join(merged.outDir, chart))).toEqual(
        readFileSync(join(whole.outDir, chart)),
      );
    }
    // Not all shards, a shard twice, shards of another sweep: refused.
    expect(() => mergeShards(shardDirs.slice(0, 2), join(tmp(), "m"))).toThrow(
      /shard 2 of 3 missing/,
    );
    expect(() => mergeShards([...shardDirs, shardDirs[0]], join(tmp(), "m"))).toThrow(
      /both shard 3\/3/,
    );
    const other = await runSweep(
      base(join(parent, "other"), { workers: 0, seeds: "1..8", shard: "1/3" }),
    );
    expect(() => mergeShards([other.outDir, ...shardDirs.slice(0, 2)], join(tmp(), "m"))).toThrow(
      /seeds "1\.\.7" against "1\.\.8"/,
    );
    // A run line edited by hand.
    const runsFile = join(shardDirs[0], "runs.jsonl");
    writeFileSync(runsFile, readFileSync(runsFile, "utf8").replace('"seed":3', '"seed":4'));
    expect(() => mergeShards(shardDirs, join(tmp(), "m"))).toThrow(SweepFileError);
  });

  it("a stopped sweep, resumed, gives the same bytes as one that ran through", async () => {
    const whole = await runSweep(base(join(tmp(), "whole"), { workers: 0 }));
    const out = join(tmp(), "r");
    const stopped = await runSweep(base(out, { workers: 2, stopAfterRuns: 5 }));
    expect(stopped).toMatchObject({ stopped: true, done: 5, total: 12 });
    const partial = partialFolderOf(out);
    expect(readFileSync(join(partial, "runs.jsonl"), "utf8").split("\n")).toHaveLength(6);
    // Without --resume, the kept runs are not thrown away; with other seeds, not mixed in.
    await expect(runSweep(base(out, { workers: 1 }))).rejects.toThrow(/add --resume/);
    await expect(runSweep(base(out, { workers: 1, seeds: "1..7", resume: true }))).rejects.toThrow(
      OutputFolderError,
    );
    // Stopped again, and killed while writing a line: the cut line is dropped and run again.
    const again = await runSweep(base(out, { workers: 1, resume: true, stopAfterRuns: 2 }));
    expect(again).toMatchObject({ stopped: true, resumed: 5, done: 7 });
    appendFileSync(join(partial, "runs.jsonl"), '{"seed":6,"variant":"th');
    const resumed = await runSweep(base(out, { workers: 1, resume: true }));
    expect(resumed).toMatchObject({ stopped: false, resumed: 7, done: 12 });
    expect(reportBytes(out)).toEqual(reportBytes(whole.outDir));
    expect(() => readFileSync(join(partial, "runs.jsonl"))).toThrow(/ENOENT/);
  });

  describe("a run that breaks an internal invariant", () => {
    afterEach(() => vi.restoreAllMocks());

    it("is recorded with its seed and variant, the other runs go on, exit 3", async () => {
      const run = World.prototype.run;
      vi.spyOn(World.prototype, "run").mockImplementation(function (this: World) {
        if (this.seed === 3 && this.config.consumers[0].count === 3) {
          throw new InvariantError("broken on purpose by the test", 1.5);
        }
        run.call(this);
      });
      // Threads would load their own, unpatched modules: this thread only.
      const outcome = await runSweep(base(join(tmp(), "r"), { workers: 0, seeds: "1..4" }));
      const summary = outcome.summary!;
      expect(summary.runs).toBe(8);
      expect(summary.errorRuns).toBe(1);
      const three = summary.variants[1];
      expect(three.errors).toEqual([
        {
          seed: 3,
          error:
            "invariant broken at t=1.5s (seed 3, variant three): broken on purpose by the test",
          replay: `npx queuelab run ${file} --seed 3 --variant three --trace`,
        },
      ]);
      expect(three.metrics.get("fates.produced")!.runs).toBe(3);
      expect(sweepExitCode(summary)).toBe(3);
    });
  });
});

describe("progress without a terminal", () => {
  it("a plain line at every tenth of the runs, none redrawn", () => {
    const written: string[] = [];
    let nowMs = 0;
    const progress = new SweepProgress({
      write: (text) => written.push(text),
      tty: false,
      variantCount: 2,
      doneAtStart: 0,
      nowMs: () => nowMs,
    });
    for (let done = 1; done <= 40; done++) {
      nowMs += 10; // 40 runs in 0.4 s: no line for time alone.
      progress.update({ done, total: 40, failing: done >= 30 ? 1 : 0, errors: 0 });
    }
    progress.finish({ done: 40, total: 40, failing: 1, errors: 0 });
    expect(written).toHaveLength(10);
    expect(written.join("")).not.toMatch(/\r/);
    expect(written[0]).toMatch(
      /^sweep: 4\/40 runs \(10%\), 0 failing, [\d.]+ seeds\/s, ETA \d+s\n$/,
    );
    // 39 runs after the first took 0.39 s: 100 runs/s, 50 seeds/s of 2 variants.
    expect(written[9]).toBe("sweep: 40/40 runs (100%), 1 failing, 50.0 seeds/s\n");
  });

  it("and at least every 5 s when runs are slow", () => {
    const written: string[] = [];
    let nowMs = 0;
    const progress = new SweepProgress({
      write: (text) => written.push(text),
      tty: false,
      variantCount: 1,
      doneAtStart: 0,
      nowMs: () => nowMs,
    });
    for (let done = 1; done <= 5; done++) {
      nowMs += 6000;
      progress.update({ done, total: 1000, failing: 0, errors: 0 });
    }
    expect(written).toHaveLength(5);
    expect(written[4]).toMatch(
      /^sweep: 5\/1000 runs \(0%\), 0 failing, 0\.2 seeds\/s, ETA 1h39m\n$/,
    );
  });

  it("on a terminal: one line redrawn in place, ended at the finish", () => {
    const written: string[] = [];
    let nowMs = 0;
    const progress = new SweepProgress({
      write: (text) => written.push(text),
      tty: true,
      variantCount: 1,
      doneAtStart: 0,
      nowMs: () => nowMs,
    });
    for (let done = 1; done <= 3; done++) {
      nowMs += 200;
      progress.update({ done, total: 10, failing: 0, errors: 0 });
    }
    progress.finish({ done: 3, total: 10, failing: 0, errors: 0 });
    expect(
      written.slice(0, -1).every((text) => text.startsWith("\r") && text.endsWith("\u001b[K")),
    ).toBe(true);
    expect(written.at(-1)).toBe("\n");
    expect(written[2]).toContain("3/10 runs");
  });
});
