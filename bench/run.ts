/**
 * `npm run bench`: runs every bench entry and prints one table row per figure. Wall-clock
 * figures are printed, never asserted.
 */
import { pathToFileURL } from "node:url";
import { benchEndToEnd } from "./endToEnd.ts";
import { benchKernel } from "./kernel.ts";
import { benchMm1 } from "./mm1.ts";
import { benchLarge, benchSweep, SWEEP_SEEDS } from "./scale.ts";

export interface BenchRow {
  figure: string;
  value: number;
  /** The same work done a simpler way in this process; null when there is none. */
  baseline: number | null;
  unit: string;
}

export interface BenchEntry {
  name: string;
  run: () => BenchRow[] | Promise<BenchRow[]>;
}

/** Every benchmark, in the order printed. */
export const benchEntries: BenchEntry[] = [
  {
    name: "kernel",
    run: () => {
      const result = benchKernel();
      return [
        {
          figure: "kernel hold model (10k pending)",
          value: result.kernelEventsPerS,
          baseline: result.bareEventsPerS,
          unit: "events/s",
        },
      ];
    },
  },
  {
    name: "end-to-end",
    run: () => {
      const result = benchEndToEnd();
      return [
        {
          figure: `mmc scenario x10, full model (${result.messages} messages)`,
          value: result.modelMessagesPerS,
          baseline: result.bareMessagesPerS,
          unit: "messages/s",
        },
      ];
    },
  },
  {
    name: "mm1",
    run: () => {
      const result = benchMm1();
      const mib = (bytes: number | undefined) => (bytes === undefined ? 0 : bytes / 1024 ** 2);
      return [
        {
          figure: `M/M/1 rho 0.9, full model (${result.customers} customers)`,
          value: result.modelCustomersPerS,
          baseline: result.bareCustomersPerS,
          unit: "customers/s",
        },
        {
          figure: "queuelab run mm1, 1M customers, report included",
          value: result.commandS,
          baseline: null,
          unit: "s",
        },
        {
          // Baselines: the 1M run's; the ratios are the growth for a run ten times longer.
          figure: "peak RSS of a 10M-customer run (baseline: 1M)",
          value: mib(result.memory10M?.peak),
          baseline: mib(result.memory1M?.peak),
          unit: "MiB",
        },
        {
          figure: "memory held after a 10M-customer run, collected (baseline: 1M)",
          value: mib(result.memory10M?.retained),
          baseline: mib(result.memory1M?.retained),
          unit: "MiB",
        },
      ];
    },
  },
  {
    name: "sweep",
    run: async () => {
      const result = await benchSweep();
      return [
        {
          // Baseline: the same sweep on one worker thread; the ratio is the speed-up.
          figure: `sweep of mmc, ${SWEEP_SEEDS} seeds x 2 variants, report included, 2 workers (baseline: 1)`,
          value: result.twoWorkers.wholeRunsPerS,
          baseline: result.oneWorker.wholeRunsPerS,
          unit: "runs/s",
        },
        {
          figure:
            "the same sweeps' pace from their first to their last run (start-up and report left out)",
          value: result.twoWorkers.steadyRunsPerS,
          baseline: result.oneWorker.steadyRunsPerS,
          unit: "runs/s",
        },
      ];
    },
  },
  {
    name: "large",
    run: () => {
      const result = benchLarge();
      return [
        {
          figure: `large scenario (bench/large.yaml, ${result.messages} messages)`,
          value: result.seconds,
          baseline: null,
          unit: "s",
        },
      ];
    },
  },
];

function formatRate(value: number, unit: string): string {
  if (unit === "s") return value.toFixed(2);
  if (unit === "MiB") return value.toFixed(0);
  if (value < 1e3) return value.toFixed(1);
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : `${(value / 1e3).toFixed(1)} k`;
}

function printTable(rows: BenchRow[]): void {
  const lines = [["figure", "value", "baseline", "ratio"]];
  for (const row of rows) {
    lines.push([
      row.figure,
      `${formatRate(row.value, row.unit)} ${row.unit}`,
      row.baseline === null ? "-" : `${formatRate(row.baseline, row.unit)} ${row.unit}`,
      row.baseline === null ? "-" : (row.value / row.baseline).toFixed(2),
    ]);
  }
  const widths = lines[0].map((_, col) => Math.max(...lines.map((line) => line[col].length)));
  for (const line of lines) {
    console.log(
      line
        .map((cell, col) => cell.padEnd(widths[col]))
        .join("  ")
        .trimEnd(),
    );
  }
}

export async function runBenches(entries: BenchEntry[] = benchEntries): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const entry of entries) rows.push(...(await entry.run()));
  return rows;
}

// Run only when invoked as the script, so the entries can be imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await runBenches());
}
