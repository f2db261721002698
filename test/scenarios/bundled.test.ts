import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  listBundledScenarios,
  loadScenario,
  loadScenarioText,
  resolveScenarioPath,
  ScenarioError,
} from "../../scenarios/index.ts";

const scenariosFolder = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "scenarios");

/** Messages a run would produce if every producer ran at its rate for the whole duration. */
function messagesEstimate(file: string): number {
  return Math.max(
    ...loadScenario(file).variants.map(({ config }) =>
      config.producers.reduce((sum, p) => sum + (p.phases[0]?.ratePerS ?? 0) * config.durationS, 0),
    ),
  );
}

describe("bundled scenarios", () => {
  const bundled = listBundledScenarios();

  it("are listed by name with their description", () => {
    const files = readdirSync(scenariosFolder).filter((f) => f.endsWith(".yaml"));
    expect(bundled.map((b) => `${b.name}.yaml`)).toEqual(files.sort());
    expect(bundled.map((b) => b.name)).toContain("mmc");
    for (const b of bundled) {
      expect(b.file).toBe(join(scenariosFolder, `${b.name}.yaml`));
      expect(b.description.length).toBeGreaterThan(20);
    }
  });

  it.each(bundled.map((b) => [b.name, b.file]))(
    "%s loads, is named after its file, and is small",
    (name, file) => {
      const loaded = loadScenario(file);
      expect(loaded.name).toBe(name);
      expect(loaded.description).not.toBe("");
      expect(messagesEstimate(file)).toBeLessThanOrEqual(200_000);
    },
  );

  it("resolve by name or by path", () => {
    expect(resolveScenarioPath("mmc")).toBe(join(scenariosFolder, "mmc.yaml"));
    expect(resolveScenarioPath("mmc.yaml")).toBe(join(scenariosFolder, "mmc.yaml"));
    const path = join(scenariosFolder, "mm1.yaml");
    expect(resolveScenarioPath(path)).toBe(path);
    expect(() => resolveScenarioPath("mcc")).toThrow(ScenarioError);
    expect(() => resolveScenarioPath("mcc")).toThrow(
      "mcc: no such file, and no bundled scenario named 'mcc', did you mean 'mmc'?",
    );
    expect(() => resolveScenarioPath("./nowhere/x.yaml")).toThrow(
      /bundled: (.*, )?cdc, (.*, )?delivery-guarantees, event-sourcing/,
    );
  });

  it("mmc is the M/M/c queue its comment describes", () => {
    const loaded = loadScenario(resolveScenarioPath("mmc"));
    const [c10, c12] = loaded.variants.map((v) => v.config);
    expect(c10.producers[0]).toMatchObject({ arrivals: "poisson", phases: [{ ratePerS: 8 }] });
    expect(c10.consumers[0]).toMatchObject({
      count: 10,
      concurrency: 1,
      processing: { kind: "exponential", mean: 1 },
      failureProbability: 0,
    });
    expect(c10.links).toEqual([]);
    expect(c10.queues[0].visibilityTimeoutS).toBeGreaterThanOrEqual(3600);
    expect(c12.consumers[0].count).toBe(12);
  });

  it("mmc's comment gives the right Erlang C figures", () => {
    const text = readFileSync(resolveScenarioPath("mmc"), "utf8");
    const stated = [
      ...text.matchAll(
        /Erlang C: C\(c=(\d+), a=(\d+)\) = ([\d.]+), Wq = C \/ \(c\*mu - lambda\) = ([\d.]+) s, W = Wq \+ 1\/mu = ([\d.]+) s/g,
      ),
    ];
    expect(stated.map((m) => m[1])).toEqual(["10", "12"]);
    const lambdaPerS = 8;
    const muPerS = 1;
    for (const [, c, a, waitProbability, wqS, wS] of stated) {
      expect(Number(a)).toBe(lambdaPerS / muPerS);
      const expected = erlangC(Number(c), Number(a));
      const expectedWqS = expected / (Number(c) * muPerS - lambdaPerS);
      expect(Number(waitProbability)).toBeCloseTo(expected, 4);
      expect(Number(wqS)).toBeCloseTo(expectedWqS, 4);
      expect(Number(wS)).toBeCloseTo(expectedWqS + 1 / muPerS, 4);
    }
    // Hand-checked value for c = 10, a = 8 (e.g. tables of Erlang C).
    expect(erlangC(10, 8)).toBeCloseTo(0.40918, 5);
  });

  it("mm1's comment gives the right M/M/1 figures", () => {
    const text = readFileSync(resolveScenarioPath("mm1"), "utf8");
    const config = loadScenario(resolveScenarioPath("mm1")).variants[0].config;
    const lambdaPerS = config.producers[0].phases[0].ratePerS;
    const processing = config.consumers[0].processing;
    expect(processing.kind).toBe("exponential");
    const muPerS = 1 / (processing as { mean: number }).mean;
    const rho = lambdaPerS / muPerS;
    const stated = (pattern: RegExp) => Number(pattern.exec(text)?.[1]);
    expect(stated(/P\(wait\) = rho = ([\d.]+)/)).toBeCloseTo(rho, 6);
    expect(stated(/Wq = rho \/ \(mu - lambda\) = ([\d.]+) s/)).toBeCloseTo(
      rho / (muPerS - lambdaPerS),
      6,
    );
    expect(stated(/W = 1 \/ \(mu - lambda\) = ([\d.]+) s/)).toBeCloseTo(
      1 / (muPerS - lambdaPerS),
      6,
    );
    expect(stated(/Lq = rho\^2 \/ \(1 - rho\) = ([\d.]+)/)).toBeCloseTo((rho * rho) / (1 - rho), 6);
  });

  it("visibility-timeout redelivers, with a DLQ, and varies the timeout", () => {
    const loaded = loadScenario(resolveScenarioPath("visibility-timeout"));
    const timeoutsS = loaded.variants.map((v) => v.config.queues[0].visibilityTimeoutS);
    expect(timeoutsS).toEqual([30, 60, 120]);
    const config = loaded.variants[0].config;
    expect(config.queues[0].maxReceives).toBe(3);
    expect(config.consumers[0].processing).toEqual({ kind: "exponential", mean: 20 });
  });
});

/** Erlang C by the direct formula (a sum of Poisson terms), independent of the loader. */
function erlangC(servers: number, offeredLoad: number): number {
  let term = 1;
  let sumBelow = 0;
  for (let k = 0; k < servers; k++) {
    sumBelow += term;
    term *= offeredLoad / (k + 1);
  }
  // term is now a^c / c!
  const waiting = (term * servers) / (servers - offeredLoad);
  return waiting / (sumBelow + waiting);
}

describe("docs/scenario-format.md", () => {
  const docs = readFileSync(join(scenariosFolder, "..", "docs", "scenario-format.md"), "utf8");

  it("its first example loads", () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(docs)?.[1] ?? "";
    const loaded = loadScenarioText(example, "example.yaml");
    expect(loaded.name).toBe("retry-demo");
    expect(loaded.variants.map((v) => v.name)).toEqual(["baseline", "faster"]);
  });

  it("its topic example loads: two consumer groups on one topic, and faults", () => {
    const example = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1])
      .find((text) => text.startsWith("name: signup-emails"));
    const loaded = loadScenarioText(example ?? "", "example.yaml");
    expect(loaded.variants.map((v) => v.name)).toEqual(["base", "at-most-once"]);
    const [base, atMostOnce] = loaded.variants.map((v) => v.config);
    expect(base.queues).toEqual([]);
    expect(base.topics.map((t) => [t.name, t.partitions])).toEqual([["signups", 12]]);
    expect(base.producers[0]).toMatchObject({ to: "signups", messageSizeBytes: 2048 });
    expect(base.consumers.map((c) => [c.topic, c.group, c.commit])).toEqual([
      ["signups", "email", "after-processing"],
      ["signups", "analytics-v2", "auto"],
    ]);
    expect(base.faults.map((f) => f.kind)).toEqual(["crash", "crash", "partition"]);
    expect(atMostOnce.consumers[0].commit).toBe("before-processing");
  });

  it("its --set examples apply", () => {
    const flaky = loadScenario(resolveScenarioPath("flaky-network"), ["links.0.loss=5%"]);
    expect(flaky.variants[0].config.links[0].lossProbability).toBe(0.05);
  });
});
