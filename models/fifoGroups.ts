/**
 * The ready copies of an SQS FIFO queue, by message group (the message's key index).
 *
 * - One singly linked list over message slots per group (`next` indexed by slot, `head`/`tail`
 *   indexed by group): the group's ready copies in delivery order. No object per message.
 * - Per group, the slot of its copy in flight, or -1: a group with a copy in flight is blocked.
 * - A FIFO ring of the groups that can deliver now (ready copies and nothing in flight). A group
 *   is in it at most once: it enters when it becomes deliverable (a copy arrives in an idle empty
 *   group, or its in-flight copy settles while copies wait) and leaves when its head is taken.
 *
 * Memory: `next` follows the message store's slots (live copies), the rest the number of groups.
 */
import { grown } from "../sim/grow.ts";
import { InvariantError } from "./errors.ts";
import { IntRing } from "./ring.ts";

export class FifoGroups {
  /** Ready copies in all groups. */
  size = 0;

  private next = new Int32Array(1024);
  private head: Int32Array;
  private tail: Int32Array;
  private inFlightSlot: Int32Array;
  private readonly deliverable = new IntRing();

  constructor(
    groupCount: number,
    private readonly clock: { readonly nowS: number },
  ) {
    const count = Math.max(1, groupCount);
    this.head = new Int32Array(count).fill(-1);
    this.tail = new Int32Array(count).fill(-1);
    this.inFlightSlot = new Int32Array(count).fill(-1);
  }

  /** True when some group can deliver its head now. */
  get hasDeliverable(): boolean {
    return this.deliverable.size > 0;
  }

  /** A copy arrived (publish): it goes to the tail of its group. */
  pushTail(group: number, slot: number): void {
    this.ensureGroup(group);
    this.ensureSlot(slot);
    this.next[slot] = -1;
    const tail = this.tail[group];
    if (tail === -1) {
      this.head[group] = slot;
      if (this.inFlightSlot[group] === -1) this.deliverable.push(group);
    } else {
      this.next[tail] = slot;
    }
    this.tail[group] = slot;
    this.size++;
  }

  /**
   * The group's in-flight copy `slot` returns (visibility timeout, nack): it is still the oldest,
   * so it goes back to the head, and the group is unblocked.
   */
  returnToHead(group: number, slot: number): void {
    this.settle(group, slot);
    this.next[slot] = this.head[group];
    if (this.head[group] === -1) this.tail[group] = slot;
    this.head[group] = slot;
    this.size++;
    this.deliverable.push(group);
  }

  /**
   * The next deliverable group's head: removed from the ready copies, and the group is blocked
   * with it in flight. Only when `hasDeliverable`.
   */
  take(): number {
    const group = this.deliverable.shift();
    const slot = this.head[group];
    const after = this.next[slot];
    this.head[group] = after;
    if (after === -1) this.tail[group] = -1;
    this.inFlightSlot[group] = slot;
    this.size--;
    return slot;
  }

  /**
   * The group's in-flight copy `slot` left the queue (deleted, dead-lettered): the group is
   * unblocked; returns true when it now has a copy to deliver.
   */
  release(group: number, slot: number): boolean {
    this.settle(group, slot);
    if (this.head[group] === -1) return false;
    this.deliverable.push(group);
    return true;
  }

  /** The copy in flight for `group`, or -1 (for checks). */
  inFlightOf(group: number): number {
    return group < this.inFlightSlot.length ? this.inFlightSlot[group] : -1;
  }

  private settle(group: number, slot: number): void {
    if (this.inFlightSlot[group] !== slot) {
      throw new InvariantError(
        `FIFO group ${group}: slot ${slot} settled but slot ${this.inFlightSlot[group]} is in flight`,
        this.clock.nowS,
      );
    }
    this.inFlightSlot[group] = -1;
  }

  private ensureSlot(slot: number): void {
    if (slot < this.next.length) return;
    let capacity = this.next.length * 2;
    while (capacity <= slot) capacity *= 2;
    this.next = grown(this.next, capacity);
  }

  /** Key indexes are below the key count the queue was built with; grow if a caller goes beyond. */
  private ensureGroup(group: number): void {
    if (group < this.head.length) return;
    let capacity = this.head.length * 2;
    while (capacity <= group) capacity *= 2;
    const from = this.head.length;
    this.head = grown(this.head, capacity).fill(-1, from);
    this.tail = grown(this.tail, capacity).fill(-1, from);
    this.inFlightSlot = grown(this.inFlightSlot, capacity).fill(-1, from);
  }

  /** The head (next to deliver) of the group whose head arrived first, or -1; O(groups). */
  oldestHead(arrivedAtS: ArrayLike<number>): number {
    let oldest = -1;
    for (let group = 0; group < this.head.length; group++) {
      const slot = this.head[group];
      if (slot !== -1 && (oldest === -1 || arrivedAtS[slot] < arrivedAtS[oldest])) oldest = slot;
    }
    return oldest;
  }
}
