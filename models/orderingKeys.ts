/**
 * The ready and outstanding copies of a queue with ordering keys (Google Cloud Pub/Sub message
 * ordering), by key (the message's key index is its ordering key).
 *
 * Per key, one singly linked list over message slots, in publish order:
 *
 *     head ... (window: delivered, in flight or acked) ... firstReady ... (ready) ... tail
 *
 * - The window runs from the oldest message of the key not yet settled to the last one handed
 *   out. A message acked while an earlier one of its key is not stays in the window (acked, a
 *   live copy); when the head is acked, the head moves past every acked message and they settle
 *   (leave the queue).
 * - When a window message is nacked or its ack deadline expires, it and every later window
 *   message (acked or not) become ready again, in order, at the head of the key's ready messages
 *   (`rollBack`): Pub/Sub redelivers the message and all later messages of its key, acked ones
 *   included.
 * - Hand-out: the client library gives the user's callback a key's messages one at a time, in
 *   order. A key is held from the moment one of its messages is handed out until that callback
 *   completes with success (`released`) or the window rolls back; while held, it hands out
 *   nothing. So a key has one message being processed at a time, and any number of processed
 *   ones whose acks have not reached the queue yet (or were lost): that is how several of a
 *   key's messages are outstanding at once. The service's batching ahead into the client's
 *   buffer is not modeled: it changes round trips, not which effects happen in what order.
 * - A FIFO ring of the keys that can hand out now (ready messages, not held), each at most once.
 *
 * Memory: `next` and `acked` follow the message store's slots, the rest the number of keys.
 */
import { grown } from "../sim/grow.ts";
import { InvariantError } from "./errors.ts";
import { IntRing } from "./ring.ts";

/** A key held by no delivery. */
const FREE = -1;
/** Held by a message just taken, whose delivery receipt is not known yet. */
const TAKEN = -2;

export class OrderingKeys {
  /** Ready copies in all keys. */
  size = 0;
  /** Acked copies kept in windows (live copies, for conservation). */
  ackedCount = 0;

  private next = new Int32Array(1024);
  private acked = new Uint8Array(1024);
  private head: Int32Array;
  private tail: Int32Array;
  private firstReadyOf: Int32Array;
  /** The receipt of the delivery whose callback holds the key, FREE or TAKEN. */
  private heldBy: Float64Array;
  private inRing: Uint8Array;
  private readonly deliverable = new IntRing();

  constructor(
    keyCount: number,
    private readonly clock: { readonly nowS: number },
  ) {
    const count = Math.max(1, keyCount);
    this.head = new Int32Array(count).fill(-1);
    this.tail = new Int32Array(count).fill(-1);
    this.firstReadyOf = new Int32Array(count).fill(-1);
    this.heldBy = new Float64Array(count).fill(FREE);
    this.inRing = new Uint8Array(count);
  }

  /** True when some key can hand out its next message now. */
  get hasDeliverable(): boolean {
    return this.deliverable.size > 0;
  }

  /** A published copy goes to the tail of its key. */
  pushTail(key: number, slot: number): void {
    this.ensureKey(key);
    this.ensureSlot(slot);
    this.next[slot] = -1;
    this.acked[slot] = 0;
    const tail = this.tail[key];
    if (tail === -1) this.head[key] = slot;
    else this.next[tail] = slot;
    this.tail[key] = slot;
    if (this.firstReadyOf[key] === -1) this.firstReadyOf[key] = slot;
    this.size++;
    this.markIfDeliverable(key);
  }

  /**
   * The next deliverable key's first ready message: it joins the window and the key is held
   * until `hold` names the delivery. Only when `hasDeliverable`.
   */
  take(): number {
    const key = this.deliverable.shift();
    this.inRing[key] = 0;
    const slot = this.firstReadyOf[key];
    this.firstReadyOf[key] = this.next[slot];
    this.heldBy[key] = TAKEN;
    this.size--;
    return slot;
  }

  /** The message just taken from `key` went out as delivery `receipt`. */
  hold(key: number, receipt: number): void {
    if (this.heldBy[key] !== TAKEN) this.fail(`key ${key} held without a message taken`);
    this.heldBy[key] = receipt;
  }

  /**
   * The callback of delivery `receipt` of `key` completed with success: the client hands out the
   * key's next message. Returns true when the key can deliver now.
   */
  released(key: number, receipt: number): boolean {
    if (key >= this.heldBy.length || this.heldBy[key] !== receipt) return false;
    this.heldBy[key] = FREE;
    return this.markIfDeliverable(key);
  }

  /** The window message `slot` of `key` was acked; `settledHead` then yields what settles. */
  ack(key: number, slot: number): void {
    if (this.acked[slot] === 1) this.fail(`slot ${slot} of key ${key} acked twice`);
    this.acked[slot] = 1;
    this.ackedCount++;
  }

  /**
   * Removes and returns the key's head when it is an acked window message (it settles: every
   * earlier message of the key is gone), or -1. Call until -1 after an ack or a removal.
   */
  settledHead(key: number): number {
    const slot = this.head[key];
    if (slot === -1 || slot === this.firstReadyOf[key] || this.acked[slot] === 0) return -1;
    this.unlinkHead(key, slot);
    this.acked[slot] = 0;
    this.ackedCount--;
    return slot;
  }

  /**
   * The window message `slot` of `key` (delivery `receipt`) leaves the queue without an ack (a
   * consumer dead-letters or requeues it): it is taken out of the key, and the key is released if
   * its callback held it. Returns true when the key can deliver now. Then call `settledHead`.
   */
  remove(key: number, slot: number, receipt: number): boolean {
    this.unlink(key, slot);
    if (this.heldBy[key] !== receipt) return false;
    this.heldBy[key] = FREE;
    return this.markIfDeliverable(key);
  }

  /** The key's first ready message, or -1 (the end of its window). */
  firstReady(key: number): number {
    return key < this.firstReadyOf.length ? this.firstReadyOf[key] : -1;
  }

  /** The message after `slot` in its key, or -1. */
  nextOf(slot: number): number {
    return this.next[slot];
  }

  /** True when window message `slot` is acked (and kept for its earlier ones). */
  isAcked(slot: number): boolean {
    return this.acked[slot] === 1;
  }

  /**
   * Window message `slot` of `key` was nacked or its deadline expired: it and every later window
   * message become ready again, first in the key's line, in order; the key is released. Returns
   * the number of later window messages that went back with it.
   */
  rollBack(key: number, slot: number): number {
    const end = this.firstReadyOf[key];
    let later = 0;
    let s = slot;
    for (; s !== end && s !== -1; s = this.next[s]) {
      if (this.acked[s] === 1) {
        this.acked[s] = 0;
        this.ackedCount--;
      }
      if (s !== slot) later++;
      this.size++;
    }
    if (s !== end) this.fail(`slot ${slot} rolled back is not in key ${key}'s window`);
    this.firstReadyOf[key] = slot;
    this.heldBy[key] = FREE;
    this.markIfDeliverable(key);
    return later;
  }

  /** Takes the key's first ready message `slot` out (dead-lettered instead of delivered again). */
  dropFirstReady(key: number, slot: number): void {
    if (this.firstReadyOf[key] !== slot) this.fail(`slot ${slot} is not key ${key}'s first ready`);
    this.firstReadyOf[key] = this.next[slot];
    this.unlink(key, slot);
    this.size--;
    if (this.firstReadyOf[key] === -1 && this.inRing[key] === 1) {
      // Left in the ring with nothing to hand out: take it out (rare: a dead-lettered last one).
      this.deliverable.remove(key);
      this.inRing[key] = 0;
    }
  }

  /** The first ready message of the key whose first ready message arrived first, or -1; O(keys). */
  oldestReady(arrivedAtS: ArrayLike<number>): number {
    let oldest = -1;
    for (let key = 0; key < this.firstReadyOf.length; key++) {
      const slot = this.firstReadyOf[key];
      if (slot !== -1 && (oldest === -1 || arrivedAtS[slot] < arrivedAtS[oldest])) oldest = slot;
    }
    return oldest;
  }

  /** The receipt holding `key`, or -1 when free (for checks and tests). */
  heldReceipt(key: number): number {
    return key < this.heldBy.length ? this.heldBy[key] : FREE;
  }

  private markIfDeliverable(key: number): boolean {
    if (this.heldBy[key] !== FREE || this.firstReadyOf[key] === -1) return false;
    if (this.inRing[key] === 0) {
      this.inRing[key] = 1;
      this.deliverable.push(key);
    }
    return true;
  }

  private unlinkHead(key: number, slot: number): void {
    this.head[key] = this.next[slot];
    if (this.head[key] === -1) this.tail[key] = -1;
    this.next[slot] = -1;
  }

  /** Unlinks `slot` from its key's list (a scan from the head: windows are short). */
  private unlink(key: number, slot: number): void {
    if (this.head[key] === slot) {
      this.unlinkHead(key, slot);
      return;
    }
    let prev = this.head[key];
    while (prev !== -1 && this.next[prev] !== slot) prev = this.next[prev];
    if (prev === -1) this.fail(`slot ${slot} is not in key ${key}`);
    this.next[prev] = this.next[slot];
    if (this.tail[key] === slot) this.tail[key] = prev;
    this.next[slot] = -1;
  }

  private fail(problem: string): never {
    throw new InvariantError(`ordering keys: ${problem}`, this.clock.nowS);
  }

  private ensureSlot(slot: number): void {
    if (slot < this.next.length) return;
    let capacity = this.next.length * 2;
    while (capacity <= slot) capacity *= 2;
    this.next = grown(this.next, capacity);
    this.acked = grown(this.acked, capacity);
  }

  /** Key indexes are below the key count the queue was built with; grow if a caller goes beyond. */
  private ensureKey(key: number): void {
    if (key < this.head.length) return;
    let capacity = this.head.length * 2;
    while (capacity <= key) capacity *= 2;
    const from = this.head.length;
    this.head = grown(this.head, capacity).fill(-1, from);
    this.tail = grown(this.tail, capacity).fill(-1, from);
    this.firstReadyOf = grown(this.firstReadyOf, capacity).fill(-1, from);
    this.heldBy = grown(this.heldBy, capacity).fill(FREE, from);
    this.inRing = grown(this.inRing, capacity);
  }
}
