/**
 * Broker throughput limits counted in fixed one-second windows, as Kinesis Data Streams states
 * its per-shard limits ("1,000 records per second ... 1 MiB per second" for writes, "five
 * transactions per second" for reads): each window is a whole second of virtual time,
 * [k, k + 1); what a window has taken resets to zero at its end, and nothing carries over (no
 * burst credit, unlike a token bucket). A request that would pass a limit of the current window
 * is refused whole and takes nothing (ProvisionedThroughputExceeded; the caller retries).
 *
 * One record larger than the whole bytes limit is taken alone by an empty window (Kinesis caps a
 * record at 1 MiB, the write limit, so it never needs more): otherwise it could never be written.
 */

/** A broker's per-partition write limit (Kinesis: 1,000 records/s and 1 MiB/s per shard). */
export interface WriteLimitConfig {
  /** Records appended per second and partition; null: no limit. */
  recordsPerS: number | null;
  /** Bytes appended per second and partition; null: no limit. */
  bytesPerS: number | null;
}

/**
 * A broker's per-partition read limit, shared by every consumer group reading the partition
 * (Kinesis: 5 GetRecords calls/s, each up to 10,000 records, and 2 MiB/s per shard).
 */
export interface ReadLimitConfig {
  /** Fetches (one per partition a poll reads) per second and partition; null: no limit. */
  callsPerS: number | null;
  /** Records one fetch returns from a partition at most; null: no limit beyond maxPollRecords. */
  recordsPerCall: number | null;
  /** Bytes fetched per second and partition; null: no limit. */
  bytesPerS: number | null;
}

import type { PartitionLog } from "./partitionLog.ts";

/** The start of the window after the one holding `nowS`. */
export function nextWindowS(nowS: number): number {
  return Math.floor(nowS) + 1;
}

/** Counts per slot (a partition, a queue's action) in the current one-second window. */
export class SecondWindows {
  /** The window (its whole second) each slot's counts belong to; -1: none yet. */
  private readonly window: Float64Array;
  private readonly units: Float64Array;
  private readonly bytes: Float64Array;
  private readonly unitsMax: number;
  readonly bytesMax: number;

  /** `unitsPerS` (records or calls) and `bytesPerS` per slot and window; null: no limit. */
  constructor(slots: number, unitsPerS: number | null, bytesPerS: number | null) {
    for (const limit of [unitsPerS, bytesPerS]) {
      if (limit !== null && !(limit >= 1 && Number.isFinite(limit))) {
        throw new RangeError(`a throughput limit must be finite and >= 1 per second, got ${limit}`);
      }
    }
    this.window = new Float64Array(slots).fill(-1);
    this.units = new Float64Array(slots);
    this.bytes = new Float64Array(slots);
    this.unitsMax = unitsPerS ?? Number.POSITIVE_INFINITY;
    this.bytesMax = bytesPerS ?? Number.POSITIVE_INFINITY;
  }

  /** Takes `units` and `bytes` from slot `i`'s window at `nowS`; false (taking nothing) when it would pass a limit. */
  tryTake(i: number, nowS: number, units: number, bytes: number): boolean {
    this.roll(i, nowS);
    if (this.units[i] + units > this.unitsMax) return false;
    const empty = this.units[i] === 0 && this.bytes[i] === 0;
    if (this.bytes[i] + bytes > this.bytesMax && !empty) return false;
    this.units[i] += units;
    this.bytes[i] += bytes;
    return true;
  }

  /** True when slot `i` could take `units` at `nowS` (taking nothing). */
  canTake(i: number, nowS: number, units: number): boolean {
    this.roll(i, nowS);
    return this.units[i] + units <= this.unitsMax;
  }

  /** Bytes slot `i` may still take in the window holding `nowS` (Infinity without a limit). */
  bytesLeft(i: number, nowS: number): number {
    this.roll(i, nowS);
    return this.bytesMax - this.bytes[i];
  }

  /** Takes `bytes` from slot `i`'s window (already checked against bytesLeft). */
  takeBytes(i: number, bytes: number): void {
    this.bytes[i] += bytes;
  }

  private roll(i: number, nowS: number): void {
    const window = Math.floor(nowS);
    if (window !== this.window[i]) {
      this.window[i] = window;
      this.units[i] = 0;
      this.bytes[i] = 0;
    }
  }
}

/**
 * A topic's read limit, shared by the consumer groups reading it: each fetch from a partition is
 * one call; a call beyond `callsPerS` in its window is refused (throttled), and one admitted
 * returns at most `recordsPerCall` records and no more bytes than the window has left (the first
 * record of an empty window always fits; a call that fits none is throttled too).
 */
export class PartitionReadLimit {
  /** Fetches refused (ProvisionedThroughputExceeded on GetRecords). */
  throttled = 0;
  private readonly calls: SecondWindows;
  private readonly bytes: SecondWindows | null;
  private readonly recordsPerCall: number;

  constructor(partitions: number, config: ReadLimitConfig) {
    this.calls = new SecondWindows(partitions, config.callsPerS, null);
    this.bytes =
      config.bytesPerS === null ? null : new SecondWindows(partitions, null, config.bytesPerS);
    this.recordsPerCall = config.recordsPerCall ?? Number.POSITIVE_INFINITY;
  }

  /**
   * A fetch of partition `p` at `nowS` would read offsets [from, end) of `log`: returns the end
   * it may read to; `from` when the fetch is throttled (counted).
   */
  admit(p: number, nowS: number, log: PartitionLog, from: number, end: number): number {
    if (!this.calls.tryTake(p, nowS, 1, 0)) {
      this.throttled++;
      return from;
    }
    let allowed = Math.min(end, from + this.recordsPerCall);
    const bytes = this.bytes;
    if (bytes !== null) {
      const left = bytes.bytesLeft(p, nowS);
      let taken = 0;
      let offset = from;
      for (; offset < allowed; offset++) {
        const size = log.sizeBytesAt(offset);
        // The first record of an empty window always fits (see SecondWindows).
        if (taken + size > left && !(offset === from && left === bytes.bytesMax)) break;
        taken += size;
      }
      allowed = offset;
      if (allowed === from) {
        this.throttled++;
        return from;
      }
      bytes.takeBytes(p, taken);
    }
    return allowed;
  }
}
