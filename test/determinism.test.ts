/**
 * Determinism is the product: the same scenario and seed give byte-identical summary.json and
 * trace, in two separate processes; another seed gives other bytes.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simulate } from "../models/simulation.ts";
import { loadScenario, resolveScenarioPath } from "../scenarios/index.ts";
import { Trace } from "../sim/trace.ts";
import { queuelab } from "./cliRunner.ts";

function runInProcess(seed: number): { summary: string; trace: string } {
  const out = mkdtempSync(join(tmpdir(), "queuelab-det-"));
  const run = queuelab([
    "run",
    "flaky-network",
    "--seed",
    String(seed),
    "--out",
    out,
    "--trace",
    "--quiet",
  ]);
  expect(run.status).toBe(0);
  const variant = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).variants[0].name;
  return {
    summary: readFileSync(join(out, "summary.json"), "utf8"),
    trace: readFileSync(join(out, `trace-${variant}.jsonl`), "utf8"),
  };
}

describe("determinism", () => {
  it("same seed in two processes: byte-identical summary.json and trace; another seed differs", () => {
    const first = runInProcess(7);
    const second = runInProcess(7);
    const other = runInProcess(8);
    expect(first.trace.length).toBeGreaterThan(10_000);
    expect(second.summary).toBe(first.summary);
    expect(second.trace).toBe(first.trace);
    expect(other.summary).not.toBe(first.summary);
    expect(other.trace).not.toBe(first.trace);
  });

  it("variants see the same arrivals (common random numbers)", () => {
    const loaded = loadScenario(resolveScenarioPath("mmc"));
    expect(loaded.variants.length).toBeGreaterThan(1);
    const arrivals = loaded.variants.map((variant) => {
      const lines: string[] = [];
      const trace = new Trace((line) => {
        if (line.includes('"ev":"produce"')) lines.push(line);
      });
      simulate(variant.config, { seed: 3, variantName: variant.name, trace });
      return lines.join("");
    });
    expect(arrivals[0].length).toBeGreaterThan(1000);
    for (const other of arrivals.slice(1)) expect(other).toBe(arrivals[0]);
  });
});
