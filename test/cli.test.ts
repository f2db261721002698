import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { queuelab } from "./cliRunner.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "queuelab-cli-"));

function scenarioFile(text: string): string {
  const file = join(tmp(), "scenario.yaml");
  writeFileSync(file, text);
  return file;
}

const VALID = `name: tiny
duration: 60s
queues: [{ name: q }]
producers: [{ name: p, rate: 5/s }]
consumers: [{ name: c, count: 2, processing: { exponential: 100ms } }]
`;

describe("queuelab command line", () => {
  it("runs a scenario and writes the whole report", () => {
    const out = tmp();
    const run = queuelab(["run", scenarioFile(VALID), "--out", out, "--quiet"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("produced");
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.scenario).toBe("tiny");
    expect(summary.variants[0].fates.conserved).toBe(true);
    for (const file of [
      "index.html",
      "summary.md",
      "queue-depth.png",
      "latency.png",
      "throughput.png",
      "fates.png",
    ]) {
      expect(readFileSync(join(out, file)).length).toBeGreaterThan(100);
    }
  });

  it("bad input: exit 2 and one line naming the file, line and field, no stack trace", () => {
    const cases: [string, RegExp][] = [
      [`name: x\nduration: [1\n`, /scenario\.yaml:\d+/], // malformed YAML
      [VALID.replace("60s", "-5s"), /scenario\.yaml:2:\d+: duration: .*got/],
      [
        VALID.replace("count: 2", "count: two"),
        /scenario\.yaml:5:\d+: consumers\.c\.count: expected/,
      ],
      [
        VALID.replace("{ name: q }", "{ name: q, visibilityTimeuot: 5s }"),
        /visibilityTimeuot.*did you mean 'visibilityTimeout'/,
      ],
    ];
    for (const [text, pattern] of cases) {
      const run = queuelab(["run", scenarioFile(text), "--out", tmp()]);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("a missing file, a bad --set and a bad flag are bad input too", () => {
    const missing = queuelab(["run", "no-such-file.yaml"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no-such-file\.yaml/);
    const badSet = queuelab(["run", scenarioFile(VALID), "--set", "consumers.c.count=-1"]);
    expect(badSet.status).toBe(2);
    expect(badSet.stderr).toMatch(/--set consumers\.c\.count=-1/);
    const badFlag = queuelab(["run", scenarioFile(VALID), "--sed", "3"]);
    expect(badFlag.status).toBe(2);
  });

  it("a failed expectation: exit 1, the observed value, the seed and the replay command", () => {
    const text = `${VALID}expect: { latency.p99S: "< 1ms" }\n`;
    const file = scenarioFile(text);
    const run = queuelab(["run", file, "--seed", "42", "--out", tmp(), "--quiet"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/latency\.p99S/);
    expect(run.stdout).toMatch(/seed 42/);
    expect(run.stdout).toContain(`npx queuelab run ${file} --seed 42`);
  });

  it("validate and list", () => {
    const ok = queuelab(["validate", scenarioFile(VALID)]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/ok/);
    const list = queuelab(["list"]);
    expect(list.status).toBe(0);
    for (const name of ["mmc", "mm1", "visibility-timeout", "flaky-network"]) {
      expect(list.stdout).toMatch(new RegExp(`^${name}\\s+\\S`, "m"));
    }
  });

  it("--out: a report folder is replaced on a re-run with --force, traces land in it, nothing is left beside it", () => {
    const parent = tmp();
    const out = join(parent, "report");
    const file = scenarioFile(VALID);
    const first = queuelab(["run", file, "--out", out, "--quiet", "--trace"]);
    expect(first.status).toBe(0);
    const marker = JSON.parse(readFileSync(join(out, ".queuelab-report"), "utf8"));
    expect(marker.files).toContain("trace-base.jsonl");
    expect(readFileSync(join(out, "trace-base.jsonl"), "utf8")).toMatch(/^\{"t":/);
    const firstSummary = readFileSync(join(out, "summary.json"), "utf8");
    // Without --force: refused before the run, the report left as it was.
    const refused = queuelab(["run", file, "--out", out, "--seed", "9"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      `error: --out ${out}: a queuelab report is already there; add --force to replace it, or choose another --out\n`,
    );
    expect(refused.stdout).toBe("");
    expect(readFileSync(join(out, "summary.json"), "utf8")).toBe(firstSummary);
    const again = queuelab(["run", file, "--out", out, "--quiet", "--seed", "9", "--force"]);
    expect(again.status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).seed).toBe(9);
    // The trace of the first run went with the report it belonged to.
    expect(existsSync(join(out, "trace-base.jsonl"))).toBe(false);
    expect(readdirSync(parent)).toEqual(["report"]);
  });

  it("--out: a folder that is not a queuelab report is refused before the run, and kept", () => {
    const out = tmp();
    writeFileSync(join(out, "notes.txt"), "mine");
    mkdirSync(join(out, "data"));
    const run = queuelab(["run", scenarioFile(VALID), "--out", out, "--quiet", "--force"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `error: --out ${out}: the folder exists and is not a queuelab report (no .queuelab-report in it); queuelab replaces only its own report folders: choose another --out, or empty the folder yourself\n`,
    );
    expect(run.stdout).toBe("");
    expect(readdirSync(out).sort()).toEqual(["data", "notes.txt"]);
    expect(
      readdirSync(join(out, "..")).filter((n) => n.startsWith(`${out.split("/").pop()}.`)),
    ).toEqual([]);
  });

  it("--help shows the commands with examples", () => {
    const help = queuelab(["run", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    expect(help.stdout).toMatch(/--seed/);
    expect(help.stdout).toMatch(/\.queuelab-report/);
    for (const flag of ["--force", "--max-events", "--max-wall-time", "--max-virtual-time"]) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toMatch(/4 a budget/);
  });

  it("the default report folder is out/<scenario name>, and a name cannot lead out of it", () => {
    const cwd = tmp();
    const file = scenarioFile(VALID);
    expect(queuelab(["run", file, "--quiet"], cwd).status).toBe(0);
    expect(readdirSync(cwd)).toEqual(["out"]);
    expect(readdirSync(join(cwd, "out"))).toEqual(["tiny"]);
    for (const name of ["../escape", "/tmp/escape", "a/b"]) {
      const run = queuelab(["run", file, "--quiet", "--set", `name=${name}`], cwd);
      expect(run.status, name).toBe(2);
      expect(run.stderr).toMatch(/name: expected a lowercase name of letters, digits and '-'/);
    }
    expect(readdirSync(cwd)).toEqual(["out"]);
    expect(readdirSync(join(cwd, "out"))).toEqual(["tiny"]);
  });
});

describe("budgets of a run", () => {
  const eventsOf = (out: string): number =>
    JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).variants[0].counters.eventsFired;

  it("--max-events: the events the run needs let it finish, one fewer stops it with exit 4", () => {
    const file = scenarioFile(VALID);
    const full = tmp();
    expect(queuelab(["run", file, "--out", full, "--quiet", "--seed", "3"]).status).toBe(0);
    const events = eventsOf(full);
    expect(events).toBeGreaterThan(200); // about 300 messages, each an arrival at least
    const enough = tmp();
    const exact = ["run", file, "--out", enough, "--quiet", "--seed", "3"];
    expect(queuelab([...exact, "--max-events", String(events)]).status).toBe(0);
    expect(readFileSync(join(enough, "summary.json"), "utf8")).toBe(
      readFileSync(join(full, "summary.json"), "utf8"),
    );
    const parent = tmp();
    const out = join(parent, "report");
    const stopped = queuelab([
      "run",
      file,
      "--out",
      out,
      "--seed",
      "3",
      "--max-events",
      String(events - 1),
    ]);
    expect(stopped.status).toBe(4);
    const count = (events - 1).toLocaleString("en-US");
    expect(stopped.stderr).toMatch(
      new RegExp(
        `^\\[1/1\\] tiny / base \\(seed 3\\)\\nerror: budget exceeded: ${count} events at virtual time [0-9.]+ (s|min) \\(seed 3, variant base\\); raise it with --max-events or limits\\.events\\n$`,
      ),
    );
    expect(stopped.stdout).toBe("");
    // No report, and nothing left beside where it would have gone.
    expect(readdirSync(parent)).toEqual([]);
  });

  it("limits: in the file stops a run; the command line overrides it", () => {
    const file = scenarioFile(`${VALID}limits: { events: 100, wallTime: 1h }\n`);
    const stopped = queuelab(["run", file, "--out", tmp(), "--quiet"]);
    expect(stopped.status).toBe(4);
    expect(stopped.stderr).toMatch(/^error: budget exceeded: 100 events at virtual time /);
    expect(stopped.stderr.trim().split("\n")).toHaveLength(1);
    expect(queuelab(["run", file, "--out", tmp(), "--quiet", "--max-events", "none"]).status).toBe(
      0,
    );
    expect(queuelab(["run", file, "--out", tmp(), "--quiet", "--max-events", "1e9"]).status).toBe(
      0,
    );
  });

  it("--max-virtual-time shorter than duration + drain: refused before the run, exit 4", () => {
    // duration 60s + the default drain of 60s.
    const file = scenarioFile(VALID);
    const refused = queuelab(["run", file, "--out", tmp(), "--max-virtual-time", "119s"]);
    expect(refused.status).toBe(4);
    expect(refused.stderr).toBe(
      "error: budget exceeded: virtual time 1.98 min is shorter than duration + drain (2 min): not started (seed 1, variant base); raise it with --max-virtual-time or limits.virtualTime\n",
    );
    expect(
      queuelab(["run", file, "--out", tmp(), "--quiet", "--max-virtual-time", "2min"]).status,
    ).toBe(0);
  });

  it("a budget flag that is not a number or a duration is bad input (exit 2)", () => {
    const file = scenarioFile(VALID);
    const cases: [string[], string][] = [
      [
        ["--max-events", "1.5"],
        "error: --max-events 1.5: expected a whole number of events >= 1, or 'none', got 1.5\n",
      ],
      [
        ["--max-events", "0"],
        "error: --max-events 0: expected a whole number of events >= 1, or 'none', got 0\n",
      ],
      [
        ["--max-wall-time", "10x"],
        "error: --max-wall-time 10x: expected a duration > 0 like 250ms, 30s or 5m, or 'none', got 10x\n",
      ],
      [
        ["--max-virtual-time", "0s"],
        "error: --max-virtual-time 0s: expected a duration > 0 like 250ms, 30s or 5m, or 'none', got 0s\n",
      ],
    ];
    for (const [flags, message] of cases) {
      const run = queuelab(["run", file, "--out", tmp(), ...flags]);
      expect(run.status, flags.join(" ")).toBe(2);
      expect(run.stderr).toBe(message);
    }
  });
});
