/**
 * End-to-end throughput of the full model (producer, task queue, consumer pool, fate ledger,
 * metrics) on the bundled M/M/c scenario run ten times longer, next to a bare M/M/c loop in the same process: FIFO
 * waits computed from a min-heap of server free times (Kiefer-Wolfowitz), the least work that
 * simulates the same queue.
 */
import { simulate } from "../models/simulation.ts";
import { loadScenario, resolveScenarioPath } from "../scenarios/index.ts";
import { RandomStreams } from "../sim/random.ts";
import { median } from "./median.ts";

export interface EndToEndFigures {
  messages: number;
  modelMessagesPerS: number;
  bareMessagesPerS: number;
  /** The simulated mean queue wait of both, which should agree closely. */
  modelMeanWaitS: number;
  bareMeanWaitS: number;
}

/** M/M/c by the recurrence on server free times; returns the mean wait of `customers` arrivals. */
function bareMmc(lambdaPerS: number, muPerS: number, servers: number, customers: number): number {
  const rng = new RandomStreams(1).stream("bare");
  const free = new Float64Array(servers); // min-heap of the times servers become free
  let arrivalS = 0;
  let waitSumS = 0;
  for (let i = 0; i < customers; i++) {
    arrivalS += -Math.log(1 - rng.next()) / lambdaPerS;
    const startS = Math.max(arrivalS, free[0]);
    waitSumS += startS - arrivalS;
    const value = startS + -Math.log(1 - rng.next()) / muPerS;
    // Replace the root and sift down.
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= servers) break;
      const right = left + 1;
      const child = right < servers && free[right] < free[left] ? right : left;
      if (free[child] >= value) break;
      free[index] = free[child];
      index = child;
    }
    free[index] = value;
  }
  return waitSumS / customers;
}

export function benchEndToEnd(repeats = 5): EndToEndFigures {
  // The bundled run is short (2 h, about 57,000 messages); ten times longer gives steadier figures.
  const loaded = loadScenario(resolveScenarioPath("mmc"), ["duration=20h"]);
  const config = loaded.variants[0].config;
  const consumer = config.consumers[0];
  const processing = consumer.processing;
  if (processing.kind !== "exponential")
    throw new Error("mmc.yaml is expected to use exponential service");
  const lambdaPerS = config.producers[0].phases[0].ratePerS;
  const servers = consumer.count * consumer.concurrency;

  const modelRates: number[] = [];
  let messages = 0;
  let modelMeanWaitS = 0;
  simulate(config, { seed: 1, variantName: "warm-up" });
  for (let i = 0; i < repeats; i++) {
    const startMs = performance.now();
    const result = simulate(config, { seed: 1 + i, variantName: "bench" });
    const elapsedS = (performance.now() - startMs) / 1000;
    messages = result.summary.fates.produced;
    modelMeanWaitS = result.summary.queueWait.meanS ?? Number.NaN;
    modelRates.push(messages / elapsedS);
  }

  const bareRates: number[] = [];
  let bareMeanWaitS = 0;
  bareMmc(lambdaPerS, 1 / processing.mean, servers, messages);
  for (let i = 0; i < repeats; i++) {
    const startMs = performance.now();
    bareMeanWaitS = bareMmc(lambdaPerS, 1 / processing.mean, servers, messages);
    bareRates.push(messages / ((performance.now() - startMs) / 1000));
  }
  return {
    messages,
    modelMessagesPerS: median(modelRates),
    bareMessagesPerS: median(bareRates),
    modelMeanWaitS,
    bareMeanWaitS,
  };
}
