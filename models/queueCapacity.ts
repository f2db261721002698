/**
 * How full a task queue is, and the gate its producers look through when it blocks them.
 *
 * - Capacity (`maxLength`, `maxBytes`) counts the messages waiting for delivery: the ready ones,
 *   as RabbitMQ's x-max-length and x-max-length-bytes count them (not the unacknowledged ones),
 *   and those still in the queue's publish delay (accepted, not yet visible).
 * - The disk limit counts every byte the queue stores: waiting, in flight, delayed after a nack
 *   or a requeue, and parked in its dead-letter queue (RabbitMQ's disk alarm, per queue here).
 * - The gate (overflow `block`, or a disk limit): a producer sends only while the queue has room,
 *   counting the copies already on their way to it through the gate; otherwise it holds its
 *   messages and waits for a notification. The queue notifies (through the event queue, so never
 *   from inside one of its own operations) when room may have opened, the producer that has
 *   waited longest first: one that got a message in and is blocked again waits behind the others,
 *   so blocked producers take turns. An empty queue takes any one message, so a message larger
 *   than the limit goes in alone rather than never.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { QueueConfig } from "./config.ts";
import type { MessageStore } from "./messages.ts";

/** What a blocking queue shows its producers. */
export interface PublishGate {
  /** True when a message of `sizeBytes` may be sent now. */
  hasRoom(sizeBytes: number): boolean;
  /** The copy in `slot` is sent through the gate: it takes room until it arrives or is lost. */
  reserve(slot: number): void;
  /** The waiter is told when room may have opened, until it waits no longer. */
  waitForRoom(waiter: RoomWaiter): void;
}

/** A blocked producer. */
export interface RoomWaiter {
  /** Room may have opened: the waiter checks again and sends what it can. */
  roomMayHaveOpened(): void;
  /** When its current wait began; NaN once it no longer waits. */
  readonly waitingSinceS: number;
}

export class QueueCapacity implements PublishGate {
  /** Messages waiting for delivery: ready, or in the queue's publish delay. */
  waitingCount = 0;
  waitingBytes = 0;
  /** Every byte the queue stores (see above). */
  storedBytes = 0;
  /** True when `maxLength` or `maxBytes` is set. */
  readonly limited: boolean;
  /** True when producers look through the gate (overflow `block`, or a disk limit). */
  readonly gated: boolean;

  private inboundCount = 0;
  private inboundBytes = 0;
  /** Blocked producers, longest waiting first. */
  private waiters: RoomWaiter[] = [];
  private notifyScheduled = false;
  private readonly roomHandler: number;
  private readonly maxLength: number | null;
  private readonly maxBytes: number | null;
  private readonly diskLimitBytes: number | null;
  private readonly blocks: boolean;

  constructor(
    private readonly kernel: Kernel,
    config: QueueConfig,
    private readonly store: MessageStore,
  ) {
    this.maxLength = config.maxLength;
    this.maxBytes = config.maxBytes;
    this.diskLimitBytes = config.diskLimitBytes;
    this.limited = config.maxLength !== null || config.maxBytes !== null;
    this.blocks = config.overflow === "block";
    this.gated = this.blocks || config.diskLimitBytes !== null;
    this.roomHandler = kernel.register(`queue:${config.name}/room`, () => this.notify());
  }

  /** Room for one more waiting message of `sizeBytes`. */
  fits(sizeBytes: number): boolean {
    return this.fitsWith(this.waitingCount, this.waitingBytes, sizeBytes);
  }

  /** A message that would not fit even in an empty queue. */
  largerThanLimit(sizeBytes: number): boolean {
    return this.maxBytes !== null && sizeBytes > this.maxBytes;
  }

  hasRoom(sizeBytes: number): boolean {
    if (this.blocks) {
      const count = this.waitingCount + this.inboundCount;
      if (count > 0 && !this.fitsWith(count, this.waitingBytes + this.inboundBytes, sizeBytes)) {
        return false;
      }
    }
    if (this.diskLimitBytes !== null) {
      const bytes = this.storedBytes + this.inboundBytes;
      if (bytes > 0 && bytes + sizeBytes > this.diskLimitBytes) return false;
    }
    return true;
  }

  reserve(slot: number): void {
    this.store.inbound[slot] = 1;
    this.inboundCount++;
    this.inboundBytes += this.store.sizeBytes[slot];
  }

  /** The copy in `slot` arrived at the queue, or (`lost`) was lost on the way. */
  settleInbound(slot: number, lost: boolean): void {
    if (this.store.inbound[slot] === 0) return;
    this.store.inbound[slot] = 0;
    this.inboundCount--;
    this.inboundBytes -= this.store.sizeBytes[slot];
    if (lost) this.roomMayHaveOpened();
  }

  waitForRoom(waiter: RoomWaiter): void {
    if (!this.waiters.includes(waiter)) this.waiters.push(waiter);
  }

  enterWaiting(sizeBytes: number): void {
    this.waitingCount++;
    this.waitingBytes += sizeBytes;
  }

  leaveWaiting(sizeBytes: number): void {
    this.waitingCount--;
    this.waitingBytes -= sizeBytes;
    this.roomMayHaveOpened();
  }

  /** Told of every change of storedBytes (the run's stored-bytes series). */
  onStoredChange: ((deltaBytes: number) => void) | null = null;

  stored(sizeBytes: number): void {
    this.storedBytes += sizeBytes;
    this.onStoredChange?.(sizeBytes);
  }

  unstored(sizeBytes: number): void {
    this.storedBytes -= sizeBytes;
    this.onStoredChange?.(-sizeBytes);
    this.roomMayHaveOpened();
  }

  private fitsWith(count: number, bytes: number, sizeBytes: number): boolean {
    return (
      (this.maxLength === null || count + 1 <= this.maxLength) &&
      (this.maxBytes === null || bytes + sizeBytes <= this.maxBytes)
    );
  }

  private roomMayHaveOpened(): void {
    if (this.waiters.length === 0 || this.notifyScheduled) return;
    this.notifyScheduled = true;
    this.kernel.schedule(0, this.roomHandler);
  }

  /** Wakes the waiting producers, longest waiting first; those still blocked wait on, in order. */
  private notify(): void {
    this.notifyScheduled = false;
    const waiters = this.waiters;
    for (let i = 0; i < waiters.length; i++) waiters[i].roomMayHaveOpened();
    this.waiters = waiters
      .filter((waiter) => !Number.isNaN(waiter.waitingSinceS))
      .sort((a, b) => a.waitingSinceS - b.waitingSinceS);
  }
}
