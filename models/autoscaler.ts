/**
 * A horizontal autoscaler for a pool of consumer instances, after Kubernetes' Horizontal Pod
 * Autoscaler fed by a KEDA scaler (pkg/controller/podautoscaler/horizontal.go):
 *
 * 1. Every `intervalS` it reads the metric and computes the usage ratio: metric / (target x
 *    current) for a per-instance target (queue depth, group lag: KEDA's queueLength and
 *    lagThreshold are targets per replica), metric / target for a whole-queue one (the age of the
 *    oldest message). Within `tolerance` of 1 the recommendation is the current count; otherwise
 *    ceil(usage x current), which for a per-instance target is ceil(metric / target).
 * 2. Stabilization (HPA behavior): the recommendation is raised to at most the lowest
 *    recommendation made within `scaleUpStabilizationS`, and lowered to at least the highest made
 *    within `scaleDownStabilizationS` (HPA: 0 s and 300 s). A window holds the recommendations
 *    made after now - window, the one made now included.
 * 3. The result is bounded by min and max (for a consumer group also by its partitions: KEDA's
 *    Kafka scaler does not add idle consumers), and a change within `cooldownS` of the previous
 *    one is skipped (AWS target tracking's cooldowns; 0 by default, as HPA has none).
 *
 * "current" is the count last asked for, instances still in their cold start included (HPA
 * counts a deployment's replicas, ready or not). The first decision is made `intervalS` after
 * the consumer's start, then every `intervalS`.
 */
import type { Kernel } from "../sim/kernel.ts";
import { GaugeSeries, type TimeGrid } from "../sim/metrics.ts";
import type { AutoscaleConfig } from "./config.ts";
import { InvariantError } from "./errors.ts";

/** A pool of instances an autoscaler resizes. */
export interface ScalablePool {
  /** Instances running or starting: the count last asked for. */
  readonly instances: number;
  /** Adds instances (each consumes after its cold start) or removes some (they stop receiving). */
  scaleTo(instances: number): void;
}

/** The count the metric calls for, before stabilization and bounds (step 1 above). */
export function recommendedInstances(
  config: AutoscaleConfig,
  metricValue: number,
  currentInstances: number,
): number {
  // With no instance the usage of a whole-queue target is read as if one ran (HPA cannot scale
  // from zero either; KEDA activates one replica).
  const base = Math.max(1, currentInstances);
  const perInstance = config.metric !== "oldestAge";
  const usage = perInstance ? metricValue / (config.target * base) : metricValue / config.target;
  if (Math.abs(usage - 1) <= config.tolerance) return currentInstances;
  return perInstance ? Math.ceil(metricValue / config.target) : Math.ceil(usage * base);
}

export class Autoscaler {
  /** Decisions that added instances, and that removed some. */
  scaleUps = 0;
  scaleDowns = 0;

  // Recommendations still inside a stabilization window, oldest first, in a ring.
  private readonly recommendationAtS: Float64Array;
  private readonly recommendation: Float64Array;
  private recommendationHead = 0;
  private recommendationCount = 0;
  private lastChangeS = Number.NEGATIVE_INFINITY;
  private readonly tickHandler: number;
  private readonly windowS: number;

  constructor(
    private readonly kernel: Kernel,
    name: string,
    readonly config: AutoscaleConfig,
    private readonly readMetric: () => number,
    private readonly pool: ScalablePool,
    /** Most instances worth having whatever max says (a group's partitions). */
    private readonly instancesUseful: number,
    private readonly startS: number,
  ) {
    if (!(config.intervalS > 0)) {
      throw new InvariantError(`autoscaler ${name}: interval must be > 0`, kernel.nowS);
    }
    this.windowS = Math.max(config.scaleUpStabilizationS, config.scaleDownStabilizationS);
    const capacity = Math.floor(this.windowS / config.intervalS) + 2;
    this.recommendationAtS = new Float64Array(capacity);
    this.recommendation = new Float64Array(capacity);
    this.tickHandler = kernel.register(`autoscaler:${name}/tick`, (k) => this.tick(k));
  }

  start(): void {
    this.kernel.scheduleAt(this.startS + this.config.intervalS, this.tickHandler, 1);
  }

  /** Decision number `k`, at startS + k x interval (multiplied, so the times do not drift). */
  private tick(k: number): void {
    const target = this.decide(this.kernel.nowS, this.readMetric(), this.pool.instances);
    if (target !== this.pool.instances) {
      if (target > this.pool.instances) this.scaleUps++;
      else this.scaleDowns++;
      this.pool.scaleTo(target);
    }
    this.kernel.scheduleAt(this.startS + (k + 1) * this.config.intervalS, this.tickHandler, k + 1);
  }

  /** The count to scale to at `nowS` (steps 1 to 3); records the recommendation and any change. */
  decide(nowS: number, metricValue: number, currentInstances: number): number {
    const config = this.config;
    const recommended = recommendedInstances(config, metricValue, currentInstances);
    this.forgetBefore(nowS - this.windowS);
    let upLimit = recommended;
    let downLimit = recommended;
    const capacity = this.recommendation.length;
    for (let i = 0; i < this.recommendationCount; i++) {
      const at = (this.recommendationHead + i) % capacity;
      const atS = this.recommendationAtS[at];
      const value = this.recommendation[at];
      if (atS > nowS - config.scaleUpStabilizationS) upLimit = Math.min(upLimit, value);
      if (atS > nowS - config.scaleDownStabilizationS) downLimit = Math.max(downLimit, value);
    }
    this.remember(nowS, recommended);
    let stabilized = currentInstances;
    if (stabilized < upLimit) stabilized = upLimit;
    if (stabilized > downLimit) stabilized = downLimit;
    const maxInstances = Math.min(config.maxInstances, this.instancesUseful);
    const bounded = Math.max(config.minInstances, Math.min(maxInstances, stabilized));
    if (bounded === currentInstances) return bounded;
    if (nowS - this.lastChangeS < config.cooldownS) return currentInstances;
    this.lastChangeS = nowS;
    return bounded;
  }

  /** Drops recommendations made at or before `cutoffS`: outside every window. */
  private forgetBefore(cutoffS: number): void {
    const capacity = this.recommendation.length;
    while (
      this.recommendationCount > 0 &&
      this.recommendationAtS[this.recommendationHead] <= cutoffS
    ) {
      this.recommendationHead = (this.recommendationHead + 1) % capacity;
      this.recommendationCount--;
    }
  }

  private remember(nowS: number, value: number): void {
    const capacity = this.recommendation.length;
    if (this.recommendationCount === capacity) {
      // Only when decisions come closer than the interval (a test calling decide directly).
      this.recommendationHead = (this.recommendationHead + 1) % capacity;
      this.recommendationCount--;
    }
    const at = (this.recommendationHead + this.recommendationCount) % capacity;
    this.recommendationAtS[at] = nowS;
    this.recommendation[at] = value;
    this.recommendationCount++;
  }
}

/** Instances of all consumers together, over time: a gauge on the run's grid and its integral. */
export class InstanceGauge {
  instances: number;
  instancesMin: number;
  instancesMax: number;
  readonly series: GaugeSeries;
  private instanceSecondsBefore = 0;
  private lastChangeS = 0;

  /** Starts at time 0 with `initialInstances` (every consumer's `count`). */
  constructor(
    private readonly clock: { readonly nowS: number },
    grid: TimeGrid,
    initialInstances: number,
  ) {
    this.series = new GaugeSeries(grid);
    this.instances = initialInstances;
    this.instancesMin = initialInstances;
    this.instancesMax = initialInstances;
    this.series.set(0, initialInstances);
  }

  change(delta: number): void {
    const nowS = this.clock.nowS;
    this.instanceSecondsBefore += this.instances * (nowS - this.lastChangeS);
    this.lastChangeS = nowS;
    this.instances += delta;
    if (this.instances < 0) {
      throw new InvariantError(`consumer instances fell to ${this.instances}`, nowS);
    }
    this.instancesMin = Math.min(this.instancesMin, this.instances);
    this.instancesMax = Math.max(this.instancesMax, this.instances);
    this.series.set(nowS, this.instances);
  }

  /** Instances x seconds from 0 to `endS`. */
  instanceSeconds(endS: number): number {
    return this.instanceSecondsBefore + this.instances * (endS - this.lastChangeS);
  }

  finish(endS: number): void {
    this.series.finish(endS);
  }
}
