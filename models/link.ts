/**
 * A directed network link between two named components: latency, loss and duplication.
 * What travels is two numbers (a message slot, a receipt, a token...), handed to `deliver` on
 * arrival. An ideal link (no latency, no loss, no duplication) delivers synchronously and
 * schedules nothing.
 */
import { type Distribution, makeDistribution } from "../sim/distributions.ts";
import type { Kernel } from "../sim/kernel.ts";
import type { RandomStreams, Rng } from "../sim/random.ts";
import type { LinkConfig } from "./config.ts";
import { ModelConfigError } from "./errors.ts";

export interface LinkEnds {
  /** Called when what was sent arrives. */
  deliver(argA: number, argB: number): void;
  /** Called when the link loses what was sent. */
  lost(argA: number, argB: number): void;
  /**
   * Called when the link duplicates what was sent; returns argA for the extra copy. A link into
   * a component that cannot receive duplicates leaves it out, and duplication there is refused.
   */
  duplicate?(argA: number, argB: number): number;
}

export class Link {
  readonly ideal: boolean;
  /** True while a network partition cuts the link: everything sent is dropped. */
  isCut = false;
  /** Sends dropped because the link was cut. */
  partitionDrops = 0;
  /** Sends that have left and not yet arrived. */
  inTransit = 0;
  losses = 0;
  duplicates = 0;

  private readonly latency: Distribution | null;
  private readonly lossProbability: number;
  private readonly duplicateProbability: number;
  private readonly faultRng: Rng | null;
  private readonly arriveHandler: number;

  readonly name: string;

  constructor(
    private readonly kernel: Kernel,
    readonly from: string,
    readonly to: string,
    config: LinkConfig | null,
    streams: RandomStreams,
    private readonly ends: LinkEnds,
  ) {
    const name = `${from}->${to}`;
    this.name = name;
    this.lossProbability = config?.lossProbability ?? 0;
    this.duplicateProbability = config?.duplicateProbability ?? 0;
    this.latency = config?.latency
      ? makeDistribution(config.latency, streams.stream(`link:${name}/latency`))
      : null;
    this.ideal =
      this.latency === null && this.lossProbability === 0 && this.duplicateProbability === 0;
    this.faultRng =
      this.lossProbability > 0 || this.duplicateProbability > 0
        ? streams.stream(`link:${name}/faults`)
        : null;
    if (this.duplicateProbability > 0 && !ends.duplicate) {
      throw new ModelConfigError(
        `link ${name}: duplication is modeled on producer-to-queue links only; set duplicate: 0 here`,
      );
    }
    this.arriveHandler = kernel.register(`link:${name}/arrive`, (a, b) => {
      this.inTransit--;
      this.ends.deliver(a, b);
    });
  }

  send(argA: number, argB: number): void {
    if (this.isCut) {
      this.partitionDrops++;
      this.ends.lost(argA, argB);
      return;
    }
    if (this.ideal) {
      this.ends.deliver(argA, argB);
      return;
    }
    const rng = this.faultRng;
    if (rng !== null && this.lossProbability > 0 && rng.next() < this.lossProbability) {
      this.losses++;
      this.ends.lost(argA, argB);
      return;
    }
    if (rng !== null && this.duplicateProbability > 0 && rng.next() < this.duplicateProbability) {
      this.duplicates++;
      this.travel(this.ends.duplicate!(argA, argB), argB);
    }
    this.travel(argA, argB);
  }

  private travel(argA: number, argB: number): void {
    const delayS = this.latency === null ? 0 : this.latency.sample();
    this.inTransit++;
    this.kernel.schedule(delayS, this.arriveHandler, argA, argB);
  }
}
