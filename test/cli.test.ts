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

  it("--out: a report folder is replaced on a re-run, traces land in it, nothing is left beside it", () => {
    const parent = tmp();
    const out = join(parent, "report");
    const file = scenarioFile(VALID);
    const first = queuelab(["run", file, "--out", out, "--quiet", "--trace"]);
    expect(first.status).toBe(0);
    const marker = JSON.parse(readFileSync(join(out, ".queuelab-report"), "utf8"));
    expect(marker.files).toContain("trace-base.jsonl");
    expect(readFileSync(join(out, "trace-base.jsonl"), "utf8")).toMatch(/^\{"t":/);
    const again = queuelab(["run", file, "--out", out, "--quiet", "--seed", "9"]);
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
    const run = queuelab(["run", scenarioFile(VALID), "--out", out, "--quiet"]);
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
  });
});
