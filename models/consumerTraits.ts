/**
 * What every consumer has, whatever it reads (a queue or a topic): a processing time, transient
 * failures, random crashes of its instances, and an idempotency store. Each draws from its own
 * random stream named after the consumer, so changing one does not shift the others.
 */
import { type Distribution, makeDistribution } from "../sim/distributions.ts";
import type { RandomStreams, Rng } from "../sim/random.ts";
import type { ConsumerConfig } from "./config.ts";
import { type IdempotencyStore, makeIdempotencyStore } from "./idempotency.ts";

/** A consumer whose receive or fetch was lost on the network polls again after this long. */
export const LOST_RECEIVE_REPOLL_S = 1;

export class ConsumerTraits {
  readonly processing: Distribution;
  /** Null when the consumer applies every effect (no idempotency). */
  readonly idempotency: IdempotencyStore | null;
  private readonly failureRng: Rng;
  private readonly crashRng: Rng;
  /** Salt of the poison-message hash, drawn once, so which messages are poison depends on the seed. */
  private readonly poisonSalt: number;

  constructor(
    private readonly config: ConsumerConfig,
    streams: RandomStreams,
    /** Instances crashes pick from (an autoscaled pool's room); `count` unless said. */
    private readonly instances = config.count,
  ) {
    const name = config.name;
    this.processing = makeDistribution(
      config.processing,
      streams.stream(`consumer:${name}/processing`),
    );
    this.failureRng = streams.stream(`consumer:${name}/failures`);
    this.crashRng = streams.stream(`consumer:${name}/crashes`);
    this.poisonSalt = Math.floor(streams.stream(`consumer:${name}/poison`).next() * 2 ** 32);
    this.idempotency =
      config.idempotency.kind === "none" ? null : makeIdempotencyStore(config.idempotency);
  }

  /** Whether the processing that just ended failed (a transient error). */
  failed(): boolean {
    const failureProbability = this.config.failureProbability;
    return failureProbability > 0 && this.failureRng.next() < failureProbability;
  }

  /**
   * Whether this message always fails here (a poison message): a hash of its id, so every
   * delivery of it fails, and about `poisonProbability` of all messages are poison.
   */
  isPoison(messageId: number): boolean {
    const poisonProbability = this.config.poisonProbability;
    if (poisonProbability === 0) return false;
    return mix32(messageId ^ this.poisonSalt) / 2 ** 32 < poisonProbability;
  }

  /** Time to the next random crash among the instances (a Poisson process), or null for none. */
  nextCrashGapS(): number | null {
    const ratePerS = this.config.crashRatePerS * this.instances;
    return ratePerS > 0 ? -Math.log(1 - this.crashRng.next()) / ratePerS : null;
  }

  /** The instance a random crash hits. */
  crashedInstance(): number {
    return Math.floor(this.crashRng.next() * this.instances);
  }
}

/** A 32-bit integer hash (murmur3's finalizer): spreads consecutive ids uniformly. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
