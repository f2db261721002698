/**
 * Two scale figures of the performance targets: a seed sweep on 1 and on 2 worker threads (the
 * speed-up, which the 2-core target wants at 1.8x or more), and the large scenario of
 * bench/large.yaml (100 producers, 10,000 keys, 64 partitions, 200 consumers, 10M messages),
 * whose whole simulation should take under a minute.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulate } from "../models/simulation.ts";
import { loadScenario } from "../scenarios/index.ts";
import { runSweep } from "../scenarios/sweep.ts";

/** A sweep's speed: whole, and between its first and its last finished run. */
export interface SweepSpeed {
  /** Runs per second from start to the written report: start-up and report included. */
  wholeRunsPerS: number;
  /**
   * Runs per second between the first and the last finished run: the pace a sweep of thousands
   * of seeds keeps, once the workers are up and before the report.
   */
  steadyRunsPerS: number;
}

/**
 * A sweep of mmc (both variants, 2 h each) over `seeds` on `workers` threads. The whole sweep
 * pays fixed costs (worker start-up and the report's charts: about 0.8 s on one worker, 1.15 s
 * on two, which start at once) besides the runs (about 80 ms each on one core): with 24 seeds
 * the whole-sweep ratio reads about 1.5, with 150 about 1.8; the steady pace about 2.
 */
async function sweepSpeed(workers: number, seeds: string): Promise<SweepSpeed> {
  const out = mkdtempSync(join(tmpdir(), "queuelab-bench-sweep-"));
  try {
    const start = performance.now();
    let firstRunMs = 0;
    let lastRunMs = 0;
    let runs = 0;
    const outcome = await runSweep({
      scenario: "mmc",
      seeds,
      workers,
      out: join(out, "sweep"),
      onProgress: (_state, phase) => {
        if (phase !== "run") return;
        lastRunMs = performance.now();
        if (runs++ === 0) firstRunMs = lastRunMs;
      },
    });
    return {
      wholeRunsPerS: outcome.done / ((performance.now() - start) / 1000),
      steadyRunsPerS: (runs - 1) / ((lastRunMs - firstRunMs) / 1000),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Seeds of the sweep figures: enough that the fixed costs are small against the runs. */
export const SWEEP_SEEDS = 150;

export async function benchSweep(
  seeds = `1..${SWEEP_SEEDS}`,
): Promise<{ oneWorker: SweepSpeed; twoWorkers: SweepSpeed }> {
  const oneWorker = await sweepSpeed(1, seeds);
  const twoWorkers = await sweepSpeed(2, seeds);
  return { oneWorker, twoWorkers };
}

export function benchLarge(): { messages: number; seconds: number } {
  const loaded = loadScenario(new URL("./large.yaml", import.meta.url).pathname);
  const start = performance.now();
  const summary = simulate(loaded.variants[0].config, { seed: 1, variantName: "base" }).summary;
  return { messages: summary.fates.produced, seconds: (performance.now() - start) / 1000 };
}
