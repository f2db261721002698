/**
 * Seeded random streams. Every component draws from its own stream, derived from the run seed
 * and the component's name, so adding a component does not shift the numbers another one sees
 * and every variant of a scenario sees the same arrivals (common random numbers).
 */
import seedrandom from "seedrandom";

/** A source of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

/**
 * Alea (shipped with seedrandom) is among its fastest generators with a well-mixed string seed.
 * Its `double()` combines two outputs into 53 random bits and stays below 1: each output is a
 * multiple of 2^-32 below 1, and the low part adds less than 2^-32.
 */
class AleaRng implements Rng {
  readonly next: () => number;

  constructor(seed: string) {
    this.next = seedrandom.alea(seed).double;
  }
}

export class RandomStreams {
  readonly seed: string;

  constructor(seed: number | string) {
    if (typeof seed === "number" && !Number.isFinite(seed)) {
      throw new RangeError(`seed must be a finite number or a string, got ${seed}`);
    }
    this.seed = String(seed);
  }

  /**
   * An independent stream derived from the run seed and the component's name, e.g.
   * "consumer:workers/3". Same (seed, name) gives the same sequence, whatever other streams exist
   * or were drawn. Asking twice for one name gives two streams that repeat each other.
   */
  stream(name: string): Rng {
    return new AleaRng(`${this.seed}/${name}`);
  }
}
