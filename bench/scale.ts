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

/**
 * Runs per second of a sweep of mmc (both variants, 2 h each) over `seeds` on `workers` threads,
 * report included. Enough seeds that the fixed costs (worker start-up, the report's charts, about
 * 1.5 s) are small against the runs: with 40 seeds the ratio reads about 1.3, with 150 about 1.85.
 */
async function sweepRunsPerS(workers: number, seeds: string): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), "queuelab-bench-sweep-"));
  try {
    const start = performance.now();
    const outcome = await runSweep({ scenario: "mmc", seeds, workers, out: join(out, "sweep") });
    return outcome.done / ((performance.now() - start) / 1000);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchSweep(
  seeds = "1..24",
): Promise<{ oneWorker: number; twoWorkers: number }> {
  const oneWorker = await sweepRunsPerS(1, seeds);
  const twoWorkers = await sweepRunsPerS(2, seeds);
  return { oneWorker, twoWorkers };
}

export function benchLarge(): { messages: number; seconds: number } {
  const loaded = loadScenario(new URL("./large.yaml", import.meta.url).pathname);
  const start = performance.now();
  const summary = simulate(loaded.variants[0].config, { seed: 1, variantName: "base" }).summary;
  return { messages: summary.fates.produced, seconds: (performance.now() - start) / 1000 };
}
