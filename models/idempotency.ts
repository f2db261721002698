/**
 * How a consumer turns duplicate deliveries into no-ops. Pure: the caller passes the virtual time.
 *
 * - `none`: every completed processing applies its effect (duplicates are duplicate effects).
 * - `seen-table`: remembers processed message ids for `ttlS`, at most `capacity` of them (like a
 *   cache with expiry). A duplicate that arrives after its id was forgotten leaks through.
 * - `conditional-write`: a permanent unique key (a database insert that fails on conflict): the
 *   effect is applied at most once per message id, forever.
 */
import { grown } from "../sim/grow.ts";
import type { IdempotencyConfig } from "./config.ts";
import { InvariantError, ModelConfigError } from "./errors.ts";

export interface IdempotencyStore {
  /**
   * Called when processing of `messageId` completes. Returns true when the effect must be
   * applied (first time, or the seen-table forgot it), false when it is recognised as a duplicate
   * and skipped. Records the id.
   */
  tryApply(messageId: number, nowS: number): boolean;
  /** Duplicates recognised and skipped so far. */
  readonly duplicatesSkipped: number;
  /**
   * Entries forgotten because their TTL expired or capacity evicted them (a later duplicate of
   * one of these leaks through).
   */
  readonly forgotten: number;
  /** Ids remembered now. */
  readonly size: number;
}

export function makeIdempotencyStore(config: IdempotencyConfig): IdempotencyStore {
  switch (config.kind) {
    case "none":
      return new NoIdempotency();
    case "seen-table":
      return new SeenTable(config.ttlS, config.capacity);
    case "conditional-write":
      return new ConditionalWrite();
  }
}

function checkMessageId(messageId: number, nowS: number): void {
  if (!(Number.isInteger(messageId) && messageId >= 0)) {
    throw new InvariantError(`message id must be an integer >= 0, got ${messageId}`, nowS);
  }
}

/** No deduplication: every processing applies its effect. */
class NoIdempotency implements IdempotencyStore {
  readonly duplicatesSkipped = 0;
  readonly forgotten = 0;
  readonly size = 0;

  tryApply(messageId: number, nowS: number): boolean {
    checkMessageId(messageId, nowS);
    return true;
  }
}

const INITIAL_RING = 1024;

/**
 * Map id -> recordedAtS, plus a FIFO of the same entries in recording order (a ring over typed
 * arrays). Times never go backwards, so the FIFO is also in expiry order: each call first drops
 * every expired entry from its head (each entry is dropped once: amortised O(1) per call), which
 * leaves only live entries in the Map. The two hold exactly the same entries at all times, so
 * memory is min(capacity, ids recorded within the last ttlS).
 *
 * An entry lives on [recordedAtS, recordedAtS + ttlS). A recognised duplicate does not refresh
 * it: the TTL counts from the first application, as with SET NX EX.
 */
class SeenTable implements IdempotencyStore {
  duplicatesSkipped = 0;
  forgotten = 0;

  private readonly recordedAtS = new Map<number, number>();
  // The ring grows by doubling up to `capacity`, so a large capacity costs nothing until used.
  private ringIds: Float64Array;
  private ringTimesS: Float64Array;
  private head = 0;
  private count = 0;
  private lastNowS = -Infinity;

  constructor(
    private readonly ttlS: number,
    private readonly capacity: number,
  ) {
    if (!(ttlS > 0)) throw new ModelConfigError(`seen-table ttlS must be > 0, got ${ttlS}`);
    if (!(Number.isInteger(capacity) && capacity >= 1)) {
      throw new ModelConfigError(`seen-table capacity must be an integer >= 1, got ${capacity}`);
    }
    const initial = Math.min(capacity, INITIAL_RING);
    this.ringIds = new Float64Array(initial);
    this.ringTimesS = new Float64Array(initial);
  }

  get size(): number {
    return this.count;
  }

  tryApply(messageId: number, nowS: number): boolean {
    checkMessageId(messageId, nowS);
    if (!(nowS >= this.lastNowS)) {
      throw new InvariantError(`seen-table time went backwards from ${this.lastNowS}s`, nowS);
    }
    this.lastNowS = nowS;
    this.expire(nowS);
    if (this.recordedAtS.has(messageId)) {
      this.duplicatesSkipped++;
      return false;
    }
    if (this.count === this.capacity) {
      this.dropOldest();
      this.forgotten++;
    }
    this.push(messageId, nowS);
    return true;
  }

  private expire(nowS: number): void {
    while (this.count > 0 && this.ringTimesS[this.head] + this.ttlS <= nowS) {
      this.dropOldest();
      this.forgotten++;
    }
  }

  private dropOldest(): void {
    const id = this.ringIds[this.head];
    // The Map and the ring hold the same entries (an id is recorded again only after its entry
    // was dropped), so the entry at the head must be in the Map.
    if (!this.recordedAtS.delete(id)) {
      throw new InvariantError(
        `seen-table ring holds id ${id} that the map does not`,
        this.lastNowS,
      );
    }
    this.head = (this.head + 1) % this.ringIds.length;
    this.count--;
  }

  private push(messageId: number, nowS: number): void {
    if (this.count === this.ringIds.length) this.grow();
    const tail = (this.head + this.count) % this.ringIds.length;
    this.ringIds[tail] = messageId;
    this.ringTimesS[tail] = nowS;
    this.count++;
    this.recordedAtS.set(messageId, nowS);
  }

  private grow(): void {
    const length = this.ringIds.length;
    const capacity = Math.min(length * 2, this.capacity);
    const ids = new Float64Array(capacity);
    const times = new Float64Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % length;
      ids[i] = this.ringIds[from];
      times[i] = this.ringTimesS[from];
    }
    this.ringIds = ids;
    this.ringTimesS = times;
    this.head = 0;
  }
}

/**
 * A bitset over message ids (dense integers 0, 1, 2, ...), one bit per id ever applied. Like a
 * real unique-key table, its memory grows with the messages processed and never shrinks: one
 * bit per id up to the largest id seen (125 kB per million messages).
 */
class ConditionalWrite implements IdempotencyStore {
  duplicatesSkipped = 0;
  readonly forgotten = 0;
  size = 0;

  private words = new Uint32Array(1024);

  tryApply(messageId: number, nowS: number): boolean {
    checkMessageId(messageId, nowS);
    const word = Math.floor(messageId / 32);
    const bit = 1 << (messageId % 32);
    if (word >= this.words.length) {
      let length = this.words.length * 2;
      while (word >= length) length *= 2;
      this.words = grown(this.words, length);
    }
    if ((this.words[word] & bit) !== 0) {
      this.duplicatesSkipped++;
      return false;
    }
    this.words[word] |= bit;
    this.size++;
    return true;
  }
}
