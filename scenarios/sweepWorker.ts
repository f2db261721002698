/**
 * A sweep's worker thread: loads the scenario once (with the sweep's `--set` overrides), then
 * runs the (seed, variant) jobs it is sent, one at a time, and posts each run back.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadScenario } from "./loader.ts";
import { runSweepJob, SweepBadInput } from "./sweepJob.ts";
import type { WorkerData, WorkerReply, WorkerRequest } from "./sweepPool.ts";

const port = parentPort!;
const data = workerData as WorkerData;

function reply(message: WorkerReply): void {
  port.postMessage(message);
}

try {
  const loaded = loadScenario(data.file, data.overrides);
  port.on("message", (request: WorkerRequest) => {
    try {
      const run = runSweepJob(loaded, data.variants, request.seed, request.variantIndex);
      reply({ kind: "run", order: request.order, run });
    } catch (error) {
      reply({
        kind: "fatal",
        badInput: error instanceof SweepBadInput,
        message: (error as Error).message,
      });
    }
  });
  reply({ kind: "ready" });
} catch (error) {
  // The main thread loaded the same file a moment ago: it changed, or cannot be read now.
  reply({ kind: "fatal", badInput: true, message: (error as Error).message });
}
