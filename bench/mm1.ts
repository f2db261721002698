/**
 * The performance targets' M/M/1 queue (arrival rate 0.9/s, service rate 1/s, 1,000,000
 * customers, an ideal network) through the full model, beside a bare Lindley recurrence in the
 * same process; the whole `queuelab run` command with its PNG report, timed from outside; and
 * the peak memory of a run ten times longer against the 1M run (both in child processes, so
 * each starts from an empty heap).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulate } from "../models/simulation.ts";
import { loadScenario, resolveScenarioPath } from "../scenarios/index.ts";
import { RandomStreams } from "../sim/random.ts";
import { median } from "./median.ts";

const ARRIVALS_PER_S = 0.9;
/** Duration giving about `customers` arrivals at 0.9/s. */
const durationFor = (customers: number) => `${Math.round(customers / ARRIVALS_PER_S)}s`;

export interface Mm1Figures {
  customers: number;
  modelCustomersPerS: number;
  bareCustomersPerS: number;
  /** `queuelab run` from start to exit, report included. */
  commandS: number;
  /** Memory of the 1M and the 10M runs; null when not measured. */
  memory1M: MemoryFigures | null;
  memory10M: MemoryFigures | null;
}

/** Waits by Lindley's recurrence W(n+1) = max(0, W(n) + S(n) - A(n+1)): the least work there is. */
function bareMm1(customers: number): number {
  const rng = new RandomStreams(1).stream("bare");
  let waitS = 0;
  let sum = 0;
  for (let i = 0; i < customers; i++) {
    const serviceS = -Math.log(1 - rng.next());
    const gapS = -Math.log(1 - rng.next()) / ARRIVALS_PER_S;
    sum += waitS;
    waitS = Math.max(0, waitS + serviceS - gapS);
  }
  return sum / customers;
}

const BIN = new URL("../bin/queuelab.js", import.meta.url).pathname;

/** Memory of a child process running the scenario's simulation (no report), in bytes. */
function memoryOf(customers: number): MemoryFigures {
  const script = `
    const { loadScenario, resolveScenarioPath } = await import(${JSON.stringify(new URL("../scenarios/index.ts", import.meta.url).href)});
    const { simulate } = await import(${JSON.stringify(new URL("../models/simulation.ts", import.meta.url).href)});
    const loaded = loadScenario(resolveScenarioPath("mm1"), ["duration=${durationFor(customers)}", "warmup=0s"]);
    simulate(loaded.variants[0].config, { seed: 1, variantName: "base" });
    globalThis.gc();
    const memory = process.memoryUsage();
    process.stdout.write(JSON.stringify({
      peak: process.resourceUsage().maxRSS * 1024,
      retained: memory.heapUsed + memory.arrayBuffers,
    }));
  `;
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(out) as MemoryFigures;
}

/** Peak resident memory (which depends on when the collector ran) and what is still held after a full collection at the end. */
interface MemoryFigures {
  peak: number;
  retained: number;
}

export function benchMm1(options: { repeats?: number; memory?: boolean } = {}): Mm1Figures {
  const repeats = options.repeats ?? 3;
  const customersTarget = 1_000_000;
  const loaded = loadScenario(resolveScenarioPath("mm1"), [
    `duration=${durationFor(customersTarget)}`,
    "warmup=0s",
  ]);
  const config = loaded.variants[0].config;
  let customers = 0;
  const modelRates: number[] = [];
  const bareRates: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let start = performance.now();
    const summary = simulate(config, { seed: 1, variantName: "base" }).summary;
    customers = summary.fates.produced;
    modelRates.push(customers / ((performance.now() - start) / 1000));
    start = performance.now();
    bareMm1(customers);
    bareRates.push(customers / ((performance.now() - start) / 1000));
  }
  const out = mkdtempSync(join(tmpdir(), "queuelab-bench-"));
  let commandS: number;
  try {
    const start = performance.now();
    execFileSync(
      process.execPath,
      [
        BIN,
        "run",
        "mm1",
        "--set",
        `duration=${durationFor(customersTarget)}`,
        "--set",
        "warmup=0s",
        "--out",
        join(out, "mm1"),
        "--quiet",
      ],
      { stdio: "ignore" },
    );
    commandS = (performance.now() - start) / 1000;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const memory = options.memory ?? true;
  return {
    customers,
    modelCustomersPerS: median(modelRates),
    bareCustomersPerS: median(bareRates),
    commandS,
    memory1M: memory ? memoryOf(1_000_000) : null,
    memory10M: memory ? memoryOf(10_000_000) : null,
  };
}
