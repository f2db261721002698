/**
 * An open-loop producer: arrivals at a rate that may change by phase (spikes, diurnal load),
 * Poisson or evenly spaced, each message with a key drawn uniformly or zipf-skewed.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { RandomStreams, Rng } from "../sim/random.ts";
import type { KeyConfig, ProducerConfig } from "./config.ts";
import { ModelConfigError } from "./errors.ts";

/** Draws key indices in [0, count): uniform, or zipf by inverse CDF over a precomputed table. */
export class KeyPicker {
  private readonly cdf: Float64Array | null;

  constructor(
    private readonly config: KeyConfig,
    private readonly rng: Rng,
  ) {
    if (config.skew === "zipf" && config.count > 1) {
      const cdf = new Float64Array(config.count);
      let total = 0;
      for (let k = 0; k < config.count; k++) {
        total += 1 / (k + 1) ** config.zipfExponent;
        cdf[k] = total;
      }
      for (let k = 0; k < config.count; k++) cdf[k] /= total;
      this.cdf = cdf;
    } else {
      this.cdf = null;
    }
  }

  next(): number {
    if (this.config.count === 1) return 0;
    const u = this.rng.next();
    const cdf = this.cdf;
    if (cdf === null) return Math.floor(u * this.config.count);
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export class Producer {
  /** Messages published so far. */
  published = 0;

  private readonly arrivalRng: Rng;
  private readonly keys: KeyPicker;
  private readonly arrivalHandler: number;
  private readonly stopS: number;
  private phaseIndex = 0;
  private phaseStartS: number;
  private readonly cycleS: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly config: ProducerConfig,
    durationS: number,
    streams: RandomStreams,
    private readonly publish: (keyIndex: number) => void,
  ) {
    this.arrivalRng = streams.stream(`producer:${config.name}/arrivals`);
    this.keys = new KeyPicker(config.keys, streams.stream(`producer:${config.name}/keys`));
    this.cycleS = config.phases.reduce((sum, phase) => sum + phase.durationS, 0);
    if (!(this.cycleS > 0)) {
      throw new ModelConfigError(`producer ${config.name}: its phases must last longer than 0s`);
    }
    this.stopS = config.repeatPhases ? durationS : Math.min(durationS, config.startS + this.cycleS);
    this.phaseStartS = config.startS;
    this.arrivalHandler = kernel.register(`producer:${config.name}/arrival`, () => this.arrive());
  }

  start(): void {
    this.scheduleNextFrom(this.config.startS);
  }

  private arrive(): void {
    this.published++;
    this.publish(this.keys.next());
    this.scheduleNextFrom(this.kernel.nowS);
  }

  /** Schedules the next arrival after `fromS`, crossing phase boundaries as needed. */
  private scheduleNextFrom(fromS: number): void {
    const phases = this.config.phases;
    let timeS = fromS;
    for (;;) {
      if (timeS >= this.stopS) return;
      const phase = phases[this.phaseIndex];
      const phaseEndS = this.phaseStartS + phase.durationS;
      if (phase.ratePerS > 0) {
        const gapS =
          this.config.arrivals === "poisson"
            ? -Math.log(1 - this.arrivalRng.next()) / phase.ratePerS
            : 1 / phase.ratePerS;
        // A Poisson process is memoryless, so a gap that crosses the phase end is redrawn
        // from the boundary at the next phase's rate.
        if (timeS + gapS < phaseEndS) {
          if (timeS + gapS >= this.stopS) return;
          this.kernel.scheduleAt(timeS + gapS, this.arrivalHandler);
          return;
        }
      }
      timeS = phaseEndS;
      this.phaseStartS = phaseEndS;
      this.phaseIndex++;
      if (this.phaseIndex === phases.length) {
        if (!this.config.repeatPhases) return;
        this.phaseIndex = 0;
      }
    }
  }
}
