/**
 * Runs a sweep's (seed, variant) jobs over `node:worker_threads`. Each job is independent (its
 * own world, its own seeded streams), so the results do not depend on the number of workers or
 * on which worker ran what; they arrive in completion order and the caller orders them.
 */
import { Worker } from "node:worker_threads";
import { loadScenario } from "./loader.ts";
import { runSweepJob, SweepBadInput, type SweepRun } from "./sweepJob.ts";
import type { SweepJob } from "./sweepPlan.ts";

/** What every worker is started with. */
export interface WorkerData {
  file: string;
  overrides: string[];
  /** The sweep's chosen variants, by name; jobs name them by index. */
  variants: string[];
}

export type WorkerRequest = Pick<SweepJob, "order" | "seed" | "variantIndex">;

export type WorkerReply =
  | { kind: "ready" }
  | { kind: "run"; order: number; run: SweepRun }
  | { kind: "fatal"; badInput: boolean; message: string };

/** The scenario cannot be run (it changed since it was checked, say): exit 2. */
export class SweepPoolBadInput extends Error {}

/** A worker thread died (out of memory, say): not a run's result; exit 3, the sweep resumable. */
export class SweepWorkerError extends Error {}

export interface SweepPoolOptions extends WorkerData {
  jobs: readonly SweepJob[];
  /** Worker threads, no more than jobs; 0 runs the jobs in this thread (debugging, tests). */
  workers: number;
  /** Called with each finished run, in completion order. */
  onRun: (job: SweepJob, run: SweepRun) => void;
  /** Aborting stops the sweep: workers terminated, runs in progress dropped. */
  signal?: AbortSignal;
  /** Stop as if interrupted once this many runs were handed to onRun (for tests). */
  stopAfterRuns?: number;
}

/** Whether the pool finished every job or was stopped. */
export interface SweepPoolEnd {
  stopped: boolean;
}

const WORKER_ENTRY = new URL("./sweepWorker.js", import.meta.url);

export function runSweepJobs(options: SweepPoolOptions): Promise<SweepPoolEnd> {
  if (options.workers === 0) return runInThisThread(options);
  const { jobs } = options;
  const byOrder = new Map(jobs.map((job) => [job.order, job]));
  const workerCount = Math.max(1, Math.min(options.workers, jobs.length));
  const data: WorkerData = {
    file: options.file,
    overrides: [...options.overrides],
    variants: [...options.variants],
  };
  return new Promise<SweepPoolEnd>((resolve, reject) => {
    if (jobs.length === 0 || options.signal?.aborted) {
      resolve({ stopped: jobs.length > 0 });
      return;
    }
    const workers: Worker[] = [];
    /** The job each worker is running, by worker. */
    const running = new Map<Worker, SweepJob>();
    let next = 0;
    let finished = 0;
    let delivered = 0;
    let ended = false;

    const end = (outcome: { end: SweepPoolEnd } | { error: Error }) => {
      if (ended) return;
      ended = true;
      options.signal?.removeEventListener("abort", onAbort);
      // Terminated before settling, so no thread outlives the sweep.
      void Promise.allSettled(workers.map((worker) => worker.terminate())).then(() => {
        if ("error" in outcome) reject(outcome.error);
        else resolve(outcome.end);
      });
    };
    const onAbort = () => end({ end: { stopped: true } });
    options.signal?.addEventListener("abort", onAbort);

    const feed = (worker: Worker) => {
      if (next >= jobs.length) {
        running.delete(worker);
        return;
      }
      const job = jobs[next++];
      running.set(worker, job);
      const request: WorkerRequest = {
        order: job.order,
        seed: job.seed,
        variantIndex: job.variantIndex,
      };
      worker.postMessage(request);
    };

    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(WORKER_ENTRY, { workerData: data });
      workers.push(worker);
      worker.on("message", (reply: WorkerReply) => {
        if (ended) return;
        if (reply.kind === "ready") {
          feed(worker);
          return;
        }
        if (reply.kind === "fatal") {
          const message = reply.message;
          end({ error: reply.badInput ? new SweepPoolBadInput(message) : new Error(message) });
          return;
        }
        const job = byOrder.get(reply.order)!;
        try {
          options.onRun(job, reply.run);
        } catch (error) {
          end({ error: error as Error });
          return;
        }
        finished++;
        delivered++;
        if (options.stopAfterRuns !== undefined && delivered >= options.stopAfterRuns) {
          end({ end: { stopped: finished < jobs.length } });
          return;
        }
        if (finished === jobs.length) {
          end({ end: { stopped: false } });
          return;
        }
        feed(worker);
      });
      worker.on("error", (error) => {
        const job = running.get(worker);
        const where = job === undefined ? "" : ` while running seed ${job.seed}`;
        end({ error: new SweepWorkerError(`a sweep worker stopped${where}: ${error.message}`) });
      });
      worker.on("exit", (code) => {
        if (!ended) {
          end({ error: new SweepWorkerError(`a sweep worker exited early (code ${code})`) });
        }
      });
    }
  });
}

/** The same jobs one after the other in this thread, yielding between runs so signals get in. */
async function runInThisThread(options: SweepPoolOptions): Promise<SweepPoolEnd> {
  const loaded = loadScenario(options.file, options.overrides);
  let delivered = 0;
  for (const job of options.jobs) {
    if (options.signal?.aborted) return { stopped: true };
    let run: SweepRun;
    try {
      run = runSweepJob(loaded, options.variants, job.seed, job.variantIndex);
    } catch (error) {
      if (error instanceof SweepBadInput) throw new SweepPoolBadInput(error.message);
      throw error;
    }
    options.onRun(job, run);
    delivered++;
    if (options.stopAfterRuns !== undefined && delivered >= options.stopAfterRuns) {
      return { stopped: delivered < options.jobs.length };
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { stopped: false };
}
