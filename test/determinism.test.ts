/**
 * Determinism is the product: the same scenario and seed give byte-identical summary.json and
 * trace, in two separate processes; another seed gives other bytes.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simulate } from "../models/simulation.ts";
import { loadScenario, resolveScenarioPath } from "../scenarios/index.ts";
import { Trace } from "../sim/trace.ts";
import { queuelab } from "./cliRunner.ts";

/** Runs `queuelab run` in a child process; returns summary.json and a digest of the trace. */
function runInProcess(scenario: string, variant: string, seed: number) {
  const out = mkdtempSync(join(tmpdir(), "queuelab-det-"));
  const args = ["run", scenario, "--variant", variant, "--seed", String(seed), "--out", out];
  const run = queuelab([...args, "--trace", "--quiet"]);
  expect(run.status).toBe(0);
  const trace = readFileSync(join(out, `trace-${variant}.jsonl`));
  return {
    summary: readFileSync(join(out, "summary.json"), "utf8"),
    traceBytes: trace.length,
    traceSha256: createHash("sha256").update(trace).digest("hex"),
  };
}

describe("determinism", () => {
  // A task queue with a faulty network, and a replicated topic with broker and consumer crashes.
  for (const [scenario, variant] of [
    ["flaky-network", "flaky"],
    ["kafka-acks", "acks-leader"],
  ]) {
    it(`${scenario}: same seed in two processes gives the same bytes; another seed differs`, () => {
      const first = runInProcess(scenario, variant, 7);
      const second = runInProcess(scenario, variant, 7);
      const other = runInProcess(scenario, variant, 8);
      expect(first.traceBytes).toBeGreaterThan(10_000);
      expect(second.summary).toBe(first.summary);
      expect(second.traceSha256).toBe(first.traceSha256);
      expect(other.summary).not.toBe(first.summary);
      expect(other.traceSha256).not.toBe(first.traceSha256);
    });
  }

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
