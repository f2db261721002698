/**
 * A task queue (SQS, RabbitMQ, Celery, Cloud Tasks): competing consumers take messages one at a
 * time; a delivered message is invisible until it is acked or its visibility timeout expires,
 * then it is delivered again; a nack returns it, at once or after a delay. Each delivery counts
 * as a receive, and a message received `maxReceives` times without an ack is redriven to the
 * dead-letter queue when it would next become visible.
 *
 * Consumers register receive tokens (one per unit of concurrency). A free token waits in line;
 * a ready message goes to the longest-waiting token (FIFO on both sides).
 *
 * A FIFO queue (SQS FIFO) groups messages by key (the message group): a group delivers its
 * messages in order and one at a time, blocked while one is in flight (until it is deleted or
 * dead-lettered; a nack delay or visibility timeout keeps it blocked); a returned message goes
 * back to the head of its group. Groups take turns (see models/fifoGroups.ts). A copy of a
 * message published to the queue within its deduplication window is accepted and dropped.
 *
 * The dead-letter queue keeps what it receives, with the reason (max receives, or a consumer
 * that gave up on it), until a redrive sends it back to the queue as a new message.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { QueueConfig } from "./config.ts";
import { InvariantError } from "./errors.ts";
import { FifoGroups } from "./fifoGroups.ts";
import { type IdempotencyStore, makeIdempotencyStore } from "./idempotency.ts";
import type { FateLedger } from "./ledger.ts";
import { type MessageStore, Place } from "./messages.ts";
import { IntRing } from "./ring.ts";
import type { RunStats } from "./stats.ts";
import { CauseCode, type Subscription } from "./subscription.ts";

/** The consumer side of a delivery. */
export interface DeliveryTarget {
  /** The queue gave the copy in `slot` to `token`, with this delivery's receipt. */
  dispatched(token: number, slot: number, receipt: number): void;
}

/**
 * The fate of a message whose only copy left is a duplicate that FIFO deduplication drops: the
 * copy accepted earlier left without a fate (an at-most-once consumer lost it), so the message
 * is lost, and this is the cause recorded.
 */
export const FIFO_DEDUP_LOSS_CAUSE =
  "accepted copy lost (at-most-once), its duplicate dropped by FIFO deduplication";

export const MAX_RECEIVES_REASON = "max receives";

/** A FIFO queue's deduplication remembers at most this many ids (far above any window's worth). */
const DEDUP_CAPACITY = 2 ** 31;

export class TaskQueue {
  /** Copies ready for delivery in this queue: `ready.size` of them. */
  readonly ready: { readonly size: number };
  inFlightCount = 0;
  /** Copies a consumer requeued, waiting out their delay. */
  delayedCount = 0;
  /** Messages moved to the dead-letter queue, by reason. */
  readonly deadLetterReasons = new Map<string, number>();
  /** Messages sent back from the dead-letter queue. */
  redriven = 0;
  /** The dead-letter queue: slots parked there, oldest first. */
  private readonly deadLetters = new IntRing();

  /** Standard queue: the ready copies in arrival order. */
  private readonly readyRing = new IntRing();
  /** FIFO queue: the ready copies by message group; null for a standard queue. */
  private readonly groups: FifoGroups | null;
  /** FIFO queue: ids published within the deduplication window; null without deduplication. */
  private readonly recentIds: IdempotencyStore | null;

  private readonly waitingTokens = new IntRing();
  private readonly targets: DeliveryTarget[] = [];
  private readonly tokenBase: number[] = [];
  private readonly visibilityHandler: number;
  private readonly nackDelayHandler: number;
  private readonly requeueHandler: number;
  private readonly ledger: FateLedger;

  constructor(
    private readonly kernel: Kernel,
    readonly config: QueueConfig,
    readonly subscription: Subscription,
    private readonly store: MessageStore,
    private readonly stats: RunStats,
    private readonly trace: Trace | null,
  ) {
    this.ledger = subscription.ledger;
    this.groups = config.fifo ? new FifoGroups(subscription.ordering.keyCount, kernel) : null;
    this.ready = this.groups ?? this.readyRing;
    this.recentIds =
      config.fifo && config.deduplicationWindowS > 0
        ? makeIdempotencyStore({
            kind: "seen-table",
            ttlS: config.deduplicationWindowS,
            capacity: DEDUP_CAPACITY,
          })
        : null;
    this.visibilityHandler = kernel.register(
      `queue:${config.name}/visibility-timeout`,
      (slot, receipt) => this.visibilityExpired(slot, receipt),
    );
    this.nackDelayHandler = kernel.register(`queue:${config.name}/nack-delay`, (slot, receipt) => {
      if (this.holds(slot, receipt)) this.returnToQueue(slot, CauseCode["redelivery-after-nack"]);
    });
    this.requeueHandler = kernel.register(`queue:${config.name}/requeue`, (slot) => {
      this.delayedCount--;
      this.enqueueAgain(slot, CauseCode["redelivery-after-nack"]);
    });
  }

  /** Messages parked in the dead-letter queue. */
  get deadLetterDepth(): number {
    return this.deadLetters.size;
  }

  /** Registers a consumer group with `tokenCount` tokens; returns the group's index. */
  addTarget(target: DeliveryTarget, tokenCount: number): number {
    const base = this.targets.length === 0 ? 0 : this.tokenBase[this.tokenBase.length - 1];
    this.targets.push(target);
    this.tokenBase.push(base + tokenCount);
    return this.targets.length - 1;
  }

  /** A copy arrived from a producer. */
  publish(slot: number): void {
    if (this.groups !== null) {
      this.publishFifo(slot, this.groups);
      return;
    }
    this.store.place[slot] = Place.ready;
    this.store.arrivedAtS[slot] = this.kernel.nowS;
    this.readyRing.push(slot);
    this.stats.changeReady(1);
    if (this.trace) this.emit("enqueue", slot);
    this.dispatch();
  }

  /** A copy arrived at a FIFO queue: dropped if a duplicate within the window, else queued in its group. */
  private publishFifo(slot: number, groups: FifoGroups): void {
    const store = this.store;
    const messageId = store.messageId[slot];
    if (this.recentIds !== null && !this.recentIds.tryApply(messageId, this.kernel.nowS)) {
      // Accepted and dropped (SQS answers the send as a success). The ledger loses one copy:
      // - the copy accepted earlier is still queued or in flight: the message keeps a copy;
      // - it was processed, or dead-lettered: the message keeps that fate (dead-lettered is
      //   right: SQS would not deliver this duplicate either, the message is in the DLQ);
      // - it left without a fate (an at-most-once consumer acked it, then failed or crashed)
      //   and this is the last copy: the message is lost. Deduplication did what SQS does; the
      //   loss happened at the consumer, and FIFO_DEDUP_LOSS_CAUSE says so.
      this.stats.fifoDeduplicated++;
      if (this.trace) this.emit("deduplicate", slot);
      this.ledger.removeCopy(messageId, FIFO_DEDUP_LOSS_CAUSE);
      store.release(slot);
      return;
    }
    store.place[slot] = Place.ready;
    store.arrivedAtS[slot] = this.kernel.nowS;
    groups.pushTail(store.keyIndex[slot], slot);
    this.stats.changeReady(1);
    if (this.trace) this.emit("enqueue", slot);
    this.dispatch();
  }

  /** A token of group `target` is free to receive. */
  offer(target: number, token: number): void {
    this.waitingTokens.push(this.globalToken(target, token));
    this.dispatch();
  }

  /** Deletes the message if `receipt` is its current delivery; a stale ack is ignored. */
  ack(slot: number, receipt: number): void {
    if (!this.holds(slot, receipt)) {
      this.stats.staleAcks++;
      return;
    }
    const store = this.store;
    this.kernel.cancel(store.timer[slot]);
    this.inFlightCount--;
    this.stats.changeInFlight(-1);
    this.stats.acks++;
    if (this.trace) this.emit("ack", slot);
    // FIFO: the message's group is free again; its next message goes once this one is gone.
    const unblocked = this.groups?.release(store.keyIndex[slot], slot);
    this.ledger.removeCopy(store.messageId[slot], null);
    store.release(slot);
    if (unblocked) this.dispatch();
  }

  /** Returns the message to the queue now (`delayS` 0) or after `delayS`. */
  nack(slot: number, receipt: number, delayS: number): void {
    if (!this.holds(slot, receipt)) {
      this.stats.staleAcks++;
      return;
    }
    this.stats.nacks++;
    if (this.trace) this.emit("nack", slot);
    this.kernel.cancel(this.store.timer[slot]);
    if (delayS > 0) {
      this.store.timer[slot] = this.kernel.schedule(delayS, this.nackDelayHandler, slot, receipt);
    } else {
      this.returnToQueue(slot, CauseCode["redelivery-after-nack"]);
    }
  }

  /** A consumer gave up on the message: it goes to the dead-letter queue with `reason`. */
  deadLetter(slot: number, receipt: number, reason: string): void {
    if (!this.holds(slot, receipt)) {
      this.stats.staleAcks++;
      return;
    }
    this.kernel.cancel(this.store.timer[slot]);
    this.leaveFlight(slot);
    this.moveToDeadLetter(slot, reason);
  }

  /**
   * A consumer retries the message by publishing it again after `delayS` (a retry topic, a
   * delayed requeue) and deleting this delivery: it loses its place in line, and the broker
   * counts its receives from zero.
   */
  requeue(slot: number, receipt: number, delayS: number): void {
    if (!this.holds(slot, receipt)) {
      this.stats.staleAcks++;
      return;
    }
    this.stats.acks++;
    if (this.trace) this.emit("requeue", slot);
    this.kernel.cancel(this.store.timer[slot]);
    this.leaveFlight(slot);
    const unblocked = this.groups?.release(this.store.keyIndex[slot], slot);
    this.store.receiveCount[slot] = 0;
    this.store.place[slot] = Place.delayed;
    this.delayedCount++;
    this.kernel.schedule(delayS, this.requeueHandler, slot);
    if (unblocked) this.dispatch();
  }

  /** Sends up to `count` messages (oldest first) from the dead-letter queue back to the queue. */
  redrive(count: number): void {
    const store = this.store;
    let moved = 0;
    while (this.deadLetters.size > 0 && moved < count) {
      const slot = this.deadLetters.shift();
      moved++;
      this.redriven++;
      this.stats.changeDlq(-1);
      store.receiveCount[slot] = 0;
      store.callFailures[slot] = 0;
      store.retryDelayS[slot] = 0;
      this.ledger.redriven(store.messageId[slot]);
      if (this.trace) this.emit("redrive", slot);
      this.enqueueAgain(slot, CauseCode["redelivery-after-nack"]);
    }
  }

  /** A message comes back as a new one (a requeue after its delay, a redrive). */
  private enqueueAgain(slot: number, cause: number): void {
    this.store.cause[slot] = cause;
    this.publish(slot);
  }

  private dispatch(): void {
    const waiting = this.waitingTokens;
    const groups = this.groups;
    if (groups !== null) {
      while (groups.hasDeliverable && waiting.size > 0)
        this.deliver(groups.take(), waiting.shift());
      return;
    }
    const ready = this.readyRing;
    while (ready.size > 0 && waiting.size > 0) {
      this.deliver(ready.shift(), waiting.shift());
    }
  }

  private deliver(slot: number, globalToken: number): void {
    const store = this.store;
    // A copy taken from the ready queue is still there: not acked, dead-lettered or delivered
    // meanwhile (a message both gone and pending would be delivered from a reused slot).
    if (store.place[slot] !== Place.ready) {
      throw new InvariantError(
        `queue ${this.config.name}: slot ${slot} taken from the ready queue is not ready (place ${store.place[slot]}): a message both acked and pending`,
        this.kernel.nowS,
      );
    }
    const stats = this.stats;
    const receiveCount = ++store.receiveCount[slot];
    stats.deliveries++;
    if (receiveCount === 1) {
      stats.recordFirstDelivery(store.producedAtS[slot], this.kernel.nowS - store.arrivedAtS[slot]);
    } else {
      stats.redeliveries++;
    }
    const receipt = store.nextReceipt();
    store.receipt[slot] = receipt;
    store.place[slot] = Place.inFlight;
    store.timer[slot] = this.kernel.schedule(
      this.config.visibilityTimeoutS,
      this.visibilityHandler,
      slot,
      receipt,
    );
    stats.changeReady(-1);
    this.inFlightCount++;
    stats.changeInFlight(1);
    if (this.trace) this.emit("deliver", slot, { receive: receiveCount });
    let target = 0;
    while (globalToken >= this.tokenBase[target]) target++;
    const base = target === 0 ? 0 : this.tokenBase[target - 1];
    this.targets[target].dispatched(globalToken - base, slot, receipt);
  }

  private visibilityExpired(slot: number, receipt: number): void {
    if (!this.holds(slot, receipt)) {
      throw new InvariantError(
        `visibility timer fired for slot ${slot} receipt ${receipt} that is not in flight`,
        this.kernel.nowS,
      );
    }
    this.stats.visibilityTimeouts++;
    if (this.trace) this.emit("visibility-timeout", slot);
    const crashed = this.store.crashed[slot] === 1;
    this.store.crashed[slot] = 0;
    this.returnToQueue(
      slot,
      crashed
        ? CauseCode["redelivery-after-crash"]
        : CauseCode["redelivery-after-visibility-timeout"],
    );
  }

  /** An in-flight copy becomes visible again (its next delivery blamed on `cause`), or goes to the dead-letter queue. */
  private returnToQueue(slot: number, cause: number): void {
    const store = this.store;
    store.cause[slot] = cause;
    this.leaveFlight(slot);
    const maxReceives = this.config.maxReceives;
    if (maxReceives !== null && store.receiveCount[slot] >= maxReceives) {
      this.moveToDeadLetter(slot, MAX_RECEIVES_REASON);
      return;
    }
    store.place[slot] = Place.ready;
    if (this.groups !== null) this.groups.returnToHead(store.keyIndex[slot], slot);
    else this.readyRing.push(slot);
    this.stats.changeReady(1);
    this.dispatch();
  }

  /** The in-flight copy in `slot` stops being in flight. */
  private leaveFlight(slot: number): void {
    this.inFlightCount--;
    this.stats.changeInFlight(-1);
    this.store.timer[slot] = -1;
  }

  /** Parks the message (no longer in flight) in the dead-letter queue. */
  private moveToDeadLetter(slot: number, reason: string): void {
    const store = this.store;
    if (this.trace) {
      this.emit("dead-letter", slot, { receives: store.receiveCount[slot] });
    }
    const messageId = store.messageId[slot];
    const unblocked = this.groups?.release(store.keyIndex[slot], slot);
    this.ledger.recordDeadLettered(messageId);
    this.ledger.removeCopy(messageId, null);
    store.place[slot] = Place.deadLettered;
    this.deadLetters.push(slot);
    this.deadLetterReasons.set(reason, (this.deadLetterReasons.get(reason) ?? 0) + 1);
    this.stats.movedToDeadLetter++;
    this.stats.changeDlq(1);
    if (unblocked) this.dispatch();
  }

  /** True when the copy in `slot` is in flight under delivery `receipt`. */
  holds(slot: number, receipt: number): boolean {
    return this.store.place[slot] === Place.inFlight && this.store.receipt[slot] === receipt;
  }

  private globalToken(target: number, token: number): number {
    return (target === 0 ? 0 : this.tokenBase[target - 1]) + token;
  }

  private emit(event: string, slot: number, extra?: Record<string, number>): void {
    const store = this.store;
    this.trace!.emit(this.kernel.nowS, event, {
      msg: store.messageId[slot],
      key: `k${store.keyIndex[slot]}`,
      queue: this.config.name,
      ...extra,
    });
  }

  /**
   * When the message next in line arrived at the queue (a FIFO queue: the earliest of its
   * groups' heads, blocked groups included); null when none is ready. Its age is what SQS
   * reports as ApproximateAgeOfOldestMessage.
   */
  oldestReadyArrivedAtS(): number | null {
    if (this.groups !== null) {
      const slot = this.groups.oldestHead(this.store.arrivedAtS);
      return slot === -1 ? null : this.store.arrivedAtS[slot];
    }
    return this.readyRing.size === 0 ? null : this.store.arrivedAtS[this.readyRing.peek()];
  }

  /** Takes back token `token` of target `target` from the line (its instance stopped); true if it waited. */
  withdraw(target: number, token: number): boolean {
    return this.waitingTokens.remove(this.globalToken(target, token));
  }
}
