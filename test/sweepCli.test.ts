/**
 * `queuelab sweep` and `queuelab merge` as a user runs them: exit codes, progress lines when
 * stderr is not a terminal, the replay command of a failing seed (which must fail again on its
 * own), and Ctrl-C on a real sweep.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { queuelab } from "./cliRunner.ts";

const BIN = fileURLToPath(new URL("../bin/queuelab.js", import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), "queuelab-sweep-cli-"));

const TINY = `name: tiny
duration: 20s
queues: [{ name: q }]
producers: [{ name: p, rate: 5/s }]
consumers: [{ name: c, count: 2, processing: { exponential: 100ms } }]
expect: { fates.lost: 0 }
variants:
  - { name: two }
  - { name: three, set: { consumers.c.count: 3 } }
`;

function scenarioFile(text = TINY): string {
  const file = join(tmp(), "tiny.yaml");
  writeFileSync(file, text);
  return file;
}

describe("queuelab sweep", () => {
  it("every run meets the expectations: exit 0, the report, progress as plain lines", () => {
    const out = join(tmp(), "report");
    const run = queuelab([
      "sweep",
      scenarioFile(),
      "--seeds",
      "1..3",
      "--workers",
      "1",
      "--out",
      out,
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`report: ${out}/summary.md`);
    expect(run.stdout).toContain("All 6 runs met the expectations.");
    // stderr is a pipe here: lines, no carriage returns, the last one complete.
    expect(run.stderr).not.toContain("\r");
    expect(run.stderr).not.toContain("\u001b[");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("sweep: 6 runs on 1 worker thread");
    for (const line of lines.slice(1))
      expect(line).toMatch(/^sweep: \d\/6 runs \(\d+%\), 0 failing/);
    expect(lines.at(-1)).toMatch(/^sweep: 6\/6 runs \(100%\), 0 failing/);
    for (const file of ["summary.json", "summary.md", "runs.jsonl", ".queuelab-report"]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const quiet = queuelab([
      "sweep",
      scenarioFile(),
      "--seeds",
      "1",
      "--out",
      join(tmp(), "r"),
      "--quiet",
    ]);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe("");
  });

  it("a broken expectation: exit 1, the failing seeds and a replay command that fails alone", () => {
    const file = scenarioFile(TINY.replace("fates.lost: 0", 'latency.p99S: "< 400ms"'));
    const run = queuelab([
      "sweep",
      file,
      "--seeds",
      "1..4",
      "--workers",
      "2",
      "--quiet",
      "--out",
      join(tmp(), "r"),
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/\d+ of 8 runs broke an expectation\./);
    const failing =
      /✘ seed (\d+), (\w+): latency\.p99S < 400ms \(observed ([\d.]+) (ms|s)\)\n {4}replay: (.*)\n/.exec(
        run.stdout,
      );
    expect(failing).not.toBeNull();
    const [, seed, variant, observed, unit, replay] = failing!;
    expect(replay).toBe(`npx queuelab run ${file} --seed ${seed} --variant ${variant}`);
    const replayed = queuelab([
      ...replay.split(" ").slice(2),
      "--quiet",
      "--out",
      join(tmp(), "r"),
    ]);
    expect(replayed.status).toBe(1);
    const again = new RegExp(`${variant}: latency\\.p99S < 400ms \\(observed ([\\d.]+)\\)`).exec(
      replayed.stdout,
    );
    expect(again).not.toBeNull();
    // The same value, shown to 3 significant digits by the sweep.
    const observedS = Number(observed) / (unit === "ms" ? 1000 : 1);
    expect(Math.abs(Number(again![1]) - observedS)).toBeLessThan(observedS * 0.005);
  });

  it("bad input: exit 2, one line", () => {
    const file = scenarioFile();
    const cases: [string[], RegExp][] = [
      [["--seeds", "10..1"], /--seeds 10\.\.1: the range 10\.\.1 goes backwards/],
      [["--seeds", "1..3", "--shard", "4/3"], /--shard 4\/3: the shard index must be 1 to 3/],
      [["--seeds", "1..3", "--shard", "env/3"], /neither JOB_COMPLETION_INDEX/],
      [["--seeds", "1..3", "--workers", "-1"], /--workers -1: expected a whole number/],
      [
        ["--seeds", "1..3", "--variant", "four"],
        /--variant four: no such variant; the variants are two, three/,
      ],
      [["--seeds", "1..3", "--set", "consumers.c.count=0"], /consumers\.c\.count/],
    ];
    for (const [args, pattern] of cases) {
      const parent = tmp();
      const run = queuelab(["sweep", file, ...args, "--out", join(parent, "r")]);
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      // Refused before anything was written: no report, no partial folder.
      expect(readdirSync(parent)).toEqual([]);
    }
    const merge = queuelab(["merge", tmp(), "--out", join(tmp(), "r")]);
    expect(merge.status).toBe(2);
    expect(merge.stderr).toMatch(/not a shard folder/);
  });

  it("shards exit 0 once written; their merge gives the verdict", () => {
    const file = scenarioFile(TINY.replace("fates.lost: 0", 'latency.p99S: "< 400ms"'));
    const parent = tmp();
    const shards = [1, 2].map((i) => {
      const out = join(parent, `shard-${i}`);
      const env = { ...process.env, JOB_COMPLETION_INDEX: String(i - 1) };
      const run = spawnSyncWithEnv(
        ["sweep", file, "--seeds", "1..4", "--shard", "env/2", "--quiet", "--out", out],
        env,
      );
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`shard ${i}/2: 4 runs written to ${out}`);
      return out;
    });
    const merged = queuelab(["merge", ...shards, "--out", join(parent, "report")]);
    expect(merged.status).toBe(1);
    expect(merged.stdout).toMatch(/of 8 runs broke an expectation/);
  });

  it("Ctrl-C: stops cleanly, keeps the finished runs, says how to resume", async () => {
    const file = scenarioFile();
    const out = join(tmp(), "report");
    const partialRuns = `${out}.partial/runs.jsonl`;
    // Far more runs than can finish before the signal.
    const args = ["sweep", file, "--seeds", "1..20000", "--variant", "two", "--workers", "1"];
    const child = spawn(process.execPath, [BIN, ...args, "--set", "duration=5s", "--out", out]);
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    const finishedRuns = () =>
      existsSync(partialRuns) ? readFileSync(partialRuns, "utf8").split("\n").length - 1 : 0;
    try {
      for (let waitedMs = 0; finishedRuns() < 3; waitedMs += 20) {
        if (waitedMs > 60_000) throw new Error(`no runs finished; stderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill("SIGINT");
      expect(await exited).toBe(130);
    } finally {
      child.kill("SIGKILL");
    }
    const kept = readFileSync(partialRuns, "utf8");
    expect(kept.endsWith("\n")).toBe(true);
    const lines = kept.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThan(20000);
    for (const line of lines) expect(JSON.parse(line).variant).toBe("two");
    expect(stderr).toContain(
      `stopped: ${lines.length} of 20000 runs finished, kept in ${out}.partial\n`,
    );
    expect(stderr).toContain(
      `continue with: npx queuelab sweep ${file} --seeds 1..20000 --variant two --set duration=5s --out ${out} --resume\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("--help shows the options and examples", () => {
    const help = queuelab(["sweep", "--help"]);
    expect(help.status).toBe(0);
    for (const word of ["--seeds", "--workers", "--shard", "--resume", "Examples:", "merge"]) {
      expect(help.stdout).toContain(word);
    }
    expect(queuelab(["merge", "--help"]).stdout).toMatch(/byte for byte/);
  });
});

function spawnSyncWithEnv(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}
