/**
 * `run --check-determinism`: two runs of each variant compared event by event. A deterministic
 * scenario passes; a component patched to behave differently on its second run is caught at its
 * first diverging event, found here independently by comparing the two traces line by line.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { simulate } from "../models/simulation.ts";
import { World } from "../models/world.ts";
import { checkDeterminism, describeDeterminism } from "../scenarios/determinism.ts";
import { loadScenario, resolveScenarioPath } from "../scenarios/index.ts";
import { RandomStreams } from "../sim/random.ts";
import { Trace } from "../sim/trace.ts";
import { queuelab } from "./cliRunner.ts";

const flaky = () => loadScenario(resolveScenarioPath("flaky-network"), ["duration=20s"]);

/**
 * From its second use on, the consumers' processing-time stream is seeded differently: the
 * kind of bug a component reading a global random source or a clock would be.
 */
function skewProcessingAfterFirstRun(): void {
  const stream = RandomStreams.prototype.stream;
  let uses = 0;
  vi.spyOn(RandomStreams.prototype, "stream").mockImplementation(function (
    this: RandomStreams,
    name: string,
  ) {
    if (name.endsWith("/processing") && ++uses > 1) return stream.call(this, `${name}/skewed`);
    return stream.call(this, name);
  });
}

describe("check determinism", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a deterministic scenario: identical traces and results for every variant", () => {
    const loaded = flaky();
    const outcome = checkDeterminism(loaded, { seed: 5 });
    expect(outcome.trace).toBeNull();
    expect(outcome.result).toBeNull();
    expect(outcome.variants.map((v) => v.name)).toEqual(loaded.variants.map((v) => v.name));
    // As many lines as a trace of the same run counted independently.
    let lines = 0;
    simulate(loaded.variants[0].config, {
      seed: 5,
      variantName: loaded.variants[0].name,
      trace: new Trace(() => lines++),
    });
    expect(outcome.variants[0].traceLines).toBe(lines);
    expect(lines).toBeGreaterThan(1000);
    expect(describeDeterminism(outcome)[0]).toMatch(/identical traces and results/);
  });

  it("a component that differs on its second run: the first diverging event, both lines", () => {
    const loaded = flaky();
    skewProcessingAfterFirstRun();
    const outcome = checkDeterminism(loaded, { seed: 5, variants: ["clean"] });
    vi.restoreAllMocks();

    // The same two runs, traces kept whole and compared by a plain loop.
    skewProcessingAfterFirstRun();
    const config = loaded.variants.find((v) => v.name === "clean")!.config;
    const traces = [0, 1].map(() => {
      const lines: string[] = [];
      simulate(config, {
        seed: 5,
        variantName: "clean",
        trace: new Trace((line) => lines.push(line.trimEnd())),
      });
      return lines;
    });
    let first = 0;
    while (traces[0][first] === traces[1][first]) first++;
    expect(first).toBeGreaterThan(0);
    const t = (line: string) => JSON.parse(line).t as number;

    expect(outcome.trace).toEqual({
      variant: "clean",
      line: first + 1,
      timeS: Math.min(t(traces[0][first]), t(traces[1][first])),
      firstRun: traces[0][first],
      secondRun: traces[1][first],
    });
    const text = describeDeterminism(outcome);
    expect(text[0]).toBe(
      `determinism: variant clean is not deterministic: its two runs differ at trace line ${first + 1} (virtual time ${outcome.trace!.timeS}s):`,
    );
    expect(text[1]).toBe(`  first run:  ${traces[0][first]}`);
    expect(text[2]).toBe(`  second run: ${traces[1][first]}`);
  });

  it("identical traces but a result that differs: the first differing field", () => {
    const loaded = flaky();
    const run = World.prototype.run;
    let runs = 0;
    vi.spyOn(World.prototype, "run").mockImplementation(function (this: World) {
      run.call(this);
      // A phantom message counted after the run, on the second run only: no trace line shows it.
      if (++runs === 2) this.stats.producedInWindow++;
    });
    const outcome = checkDeterminism(loaded, { seed: 5, variants: ["flaky"] });
    expect(outcome.trace).toBeNull();
    expect(outcome.result).toMatchObject({
      variant: "flaky",
      path: "summary.throughput.producedPerS",
    });
    // 20 s of producing at 100/s (the scenario's rate): one more message is 0.05/s more.
    const first = Number(outcome.result!.firstRun);
    expect(Number(outcome.result!.secondRun) - first).toBeCloseTo(1 / 20, 9);
  });

  it("on the command line: says so, then writes the report as a normal run", () => {
    const out = join(mkdtempSync(join(tmpdir(), "queuelab-det-")), "report");
    const args = ["run", "flaky-network", "--set", "duration=20s", "--variant", "flaky"];
    const run = queuelab([...args, "--check-determinism", "--quiet", "--out", out]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^determinism: each variant ran twice with identical traces and results \(flaky: [\d,]+ events\)\n/,
    );
    expect(existsSync(join(out, "summary.json"))).toBe(true);
  });
});
