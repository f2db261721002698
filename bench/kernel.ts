/**
 * The hold model: a fixed number of pending events; each fired event schedules one new event at
 * now + exponential(1). The kernel is timed against a bare binary heap over a Float64Array doing
 * the same pops and pushes on the same pre-drawn delays, in the same process.
 */
import { Kernel } from "../sim/kernel.ts";
import { RandomStreams } from "../sim/random.ts";
import { median } from "./median.ts";

export interface KernelBenchResult {
  kernelEventsPerS: number;
  bareEventsPerS: number;
  ratio: number;
}

const DELAY_COUNT = 1 << 20;
const ROUNDS = 5;

/** Exponential(1) delays from a fixed seed; both loops read them in the same order. */
function drawDelays(): Float64Array {
  const rng = new RandomStreams(1).stream("bench:kernel");
  const delaysS = new Float64Array(DELAY_COUNT);
  for (let i = 0; i < DELAY_COUNT; i++) delaysS[i] = -Math.log(1 - rng.next());
  return delaysS;
}

/** Fires `events` events through the kernel; returns the wall time in seconds. */
function runKernel(delaysS: Float64Array, pendingEvents: number, events: number): number {
  const kernel = new Kernel();
  const mask = DELAY_COUNT - 1;
  let next = 0;
  let fired = 0;
  const hold = kernel.register("hold", () => {
    kernel.schedule(delaysS[next++ & mask], hold);
    if (++fired === events) kernel.stop();
  });
  for (let i = 0; i < pendingEvents; i++) kernel.schedule(delaysS[next++ & mask], hold);
  const startNs = process.hrtime.bigint();
  kernel.run();
  const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
  if (kernel.eventsFired !== events) throw new Error("kernel bench fired the wrong count");
  return elapsedS;
}

/** The same work on a bare binary heap of (time, sequence) pairs held in typed arrays. */
function runBare(delaysS: Float64Array, pendingEvents: number, events: number): number {
  const capacity = pendingEvents + 1;
  const timeS = new Float64Array(capacity);
  const seq = new Float64Array(capacity);
  const mask = DELAY_COUNT - 1;
  let size = 0;
  let nextSeq = 0;
  let next = 0;

  const push = (t: number): void => {
    const s = nextSeq++;
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const tp = timeS[parent];
      if (tp < t || (tp === t && seq[parent] < s)) break;
      timeS[i] = tp;
      seq[i] = seq[parent];
      i = parent;
    }
    timeS[i] = t;
    seq[i] = s;
  };

  const pop = (): number => {
    const top = timeS[0];
    const last = --size;
    const t = timeS[last];
    const s = seq[last];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      const right = child + 1;
      if (right < last) {
        const tl = timeS[child];
        const tr = timeS[right];
        if (tr < tl || (tr === tl && seq[right] < seq[child])) child = right;
      }
      const tc = timeS[child];
      if (t < tc || (t === tc && s < seq[child])) break;
      timeS[i] = tc;
      seq[i] = seq[child];
      i = child;
    }
    timeS[i] = t;
    seq[i] = s;
    return top;
  };

  for (let i = 0; i < pendingEvents; i++) push(delaysS[next++ & mask]);
  const startNs = process.hrtime.bigint();
  let nowS = 0;
  for (let fired = 0; fired < events; fired++) {
    nowS = pop();
    push(nowS + delaysS[next++ & mask]);
  }
  const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
  if (!(nowS > 0)) throw new Error("bare bench did not advance");
  return elapsedS;
}

export function benchKernel(opts?: { pendingEvents?: number; events?: number }): KernelBenchResult {
  const pendingEvents = opts?.pendingEvents ?? 10_000;
  const events = opts?.events ?? 2_000_000;
  const delaysS = drawDelays();
  // Warm up both so the JIT has compiled the hot loops before timing.
  runKernel(delaysS, pendingEvents, events);
  runBare(delaysS, pendingEvents, events);
  const kernelS: number[] = [];
  const bareS: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    kernelS.push(runKernel(delaysS, pendingEvents, events));
    bareS.push(runBare(delaysS, pendingEvents, events));
  }
  const kernelEventsPerS = events / median(kernelS);
  const bareEventsPerS = events / median(bareS);
  return { kernelEventsPerS, bareEventsPerS, ratio: kernelEventsPerS / bareEventsPerS };
}
