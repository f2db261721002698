/**
 * Kafka's key -> partition mapping (the Java client's default for keyed records), so a key lands
 * on the partition it would in Kafka: `toPositive(murmur2(utf8(key))) % partitions`.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

const utf8 = new TextEncoder();

/**
 * Kafka's `Utils.murmur2`: MurmurHash2 over 4-byte little-endian chunks, returning Java's signed
 * 32-bit int. Math.imul is Java's wrapping int multiply; `^`, `|` and `<<` already give int32.
 */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length;
  let h = SEED ^ length;
  const chunkEnd = length & ~3;
  for (let i = 0; i < chunkEnd; i += 4) {
    // The bytes occupy disjoint bits, so `|` equals Java's wrapping `+` here.
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // Java's tail switch falls through from case 3 to case 1; the ifs do the same without a
  // fallthrough (which the type checker's noFallthroughCasesInSwitch rejects).
  const tail = length & 3;
  if (tail === 3) h ^= bytes[chunkEnd + 2] << 16;
  if (tail >= 2) h ^= bytes[chunkEnd + 1] << 8;
  if (tail >= 1) {
    h ^= bytes[chunkEnd];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which fails on MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

function checkPartitions(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 0x7fffffff) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
}

/** The partition Kafka's producer picks for a record with this (UTF-8 serialized) key. */
export function kafkaPartition(key: string, partitions: number): number {
  checkPartitions(partitions);
  return toPositive(murmur2(utf8.encode(key))) % partitions;
}

/**
 * The partition of each key index, computed once: the simulation names keys by index, and
 * encoding and hashing a string per record would dominate a keyed run.
 */
export class KeyPartitioner {
  private readonly table: Int32Array;

  constructor(
    readonly keyCount: number,
    readonly partitions: number,
    keyName: (i: number) => string = (i) => `k${i}`,
  ) {
    if (!Number.isInteger(keyCount) || keyCount < 0) {
      throw new RangeError(`keyCount must be a non-negative integer, got ${keyCount}`);
    }
    checkPartitions(partitions);
    this.table = new Int32Array(keyCount);
    for (let i = 0; i < keyCount; i++) this.table[i] = kafkaPartition(keyName(i), partitions);
  }

  partitionOf(keyIndex: number): number {
    // A typed array read out of range gives undefined, which would travel on silently.
    if (!(keyIndex >= 0 && keyIndex < this.keyCount) || !Number.isInteger(keyIndex)) {
      throw new RangeError(`key index ${keyIndex} outside [0, ${this.keyCount})`);
    }
    return this.table[keyIndex];
  }
}
