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
 * The dead-letter queue keeps what it receives, with the reason (max receives, a consumer that
 * gave up on it, a full queue, an expiry), until a redrive sends it back as a new message.
 *
 * A standard queue may also have (models/config.ts QueueConfig):
 * - priority classes: one FIFO per class, the highest non-empty class delivered first;
 * - a capacity (`maxLength`, `maxBytes`, counted as models/queueCapacity.ts says) with an overflow
 *   policy, applied to copies arriving from producers (messages coming back from a consumer, a
 *   requeue or a redrive were accepted once and go in over the limit);
 * - a message TTL: a ready message expires when it is at the head of its class and has been in
 *   the queue `messageTtlS` (RabbitMQ's rule: a returned message keeps its age and may wait behind
 *   younger ones); a timer at the heads' expiry removes them even when nobody reads the queue.
 * Any queue may have a publish delay (SQS DelaySeconds) and a disk limit that blocks producers.
 *
 * A queue with ordering keys (Pub/Sub message ordering, config `orderingKeys`) delivers each
 * key's messages in order, one callback at a time, keeps acked messages in their key's window
 * while an earlier one is unacked, and on a nack or an expired deadline delivers that message
 * and every later one of its window again, acked ones included (models/orderingKeys.ts).
 *
 * A consumer with lease extension (Pub/Sub's client libraries) keeps a message it holds from
 * expiring: at each deadline the queue asks the holder, and extends by another deadline until
 * the holder has held it `leaseExtensionS` in total or no longer holds it (done, crashed).
 *
 * API, dispatch and in-flight limits hold publishes and deliveries back
 * (models/deliveryLimits.ts).
 *
 * A redelivery backoff (Cloud Tasks' retry backoff, a Pub/Sub retry policy) keeps a failed
 * message invisible longer with each receive: after a nack (unless its consumer gives its own
 * nack delay) and after its visibility timeout expires.
 *
 * A queue that is a Pulsar subscription of a topic (models/pulsarSubscription.ts) is fed the
 * topic's records (`feed`) and dispatched by a ConsumerSelector (models/consumerSelector.ts):
 * round robin over the instances with a free token, each message to an instance that may take it
 * (any for shared, its key's or partition's for key_shared and failover). An infinite visibility
 * timeout (Pulsar's ack timeout, off by default) sets no timer.
 */

import { type Kernel, NO_EVENT } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { OverflowPolicy, QueueConfig } from "./config.ts";
import type { ConsumerSelector } from "./consumerSelector.ts";
import { DeliveryLimits } from "./deliveryLimits.ts";
import { InvariantError, ModelConfigError } from "./errors.ts";
import { FifoGroups } from "./fifoGroups.ts";
import { type IdempotencyStore, makeIdempotencyStore } from "./idempotency.ts";
import type { FateLedger } from "./ledger.ts";
import { type MessageStore, Place } from "./messages.ts";
import { OrderingKeys } from "./orderingKeys.ts";
import { PriorityRings } from "./priorityRings.ts";
import { type PublishGate, QueueCapacity } from "./queueCapacity.ts";
import { baseDelayS } from "./retryPolicy.ts";
import { IntRing } from "./ring.ts";
import type { RunStats } from "./stats.ts";
import { CauseCode, DUPLICATE_CAUSES, type Subscription } from "./subscription.ts";

/** The consumer side of a delivery. */
export interface DeliveryTarget {
  /** The queue gave the copy in `slot` to `token`, with this delivery's receipt. */
  dispatched(token: number, slot: number, receipt: number): void;
  /**
   * At delivery `receipt`'s ack deadline: how much longer the consumer extends its lease (0: it
   * no longer holds the message, or never extends). Absent: never extends.
   */
  leaseRemainingS?(token: number, receipt: number): number;
}

/**
 * The fate of a message whose only copy left is a duplicate that FIFO deduplication drops: the
 * copy accepted earlier left without a fate (an at-most-once consumer lost it), so the message
 * is lost, and this is the cause recorded.
 */
export const FIFO_DEDUP_LOSS_CAUSE =
  "accepted copy lost (at-most-once), its duplicate dropped by FIFO deduplication";

export const MAX_RECEIVES_REASON = "max receives";
/** Dead-letter reason of a copy a full queue refused under reject-to-dlq (RabbitMQ's reason). */
export const MAXLEN_REASON = "maxlen";
/** Drop and dead-letter reason of an expired message. */
export const EXPIRED_REASON = "expired";
/** Loss cause of a refused copy whose producer held no other (acks none). */
export const REJECTED_BY_FULL_QUEUE_CAUSE = "rejected by full queue";
/** Loss cause of an acks-none copy refused by the queue's API limit. */
export const API_THROTTLED_CAUSE = "throttled (acks=0)";

/** Drop reasons of the overflow policies that drop. */
export const OVERFLOW_DROP_REASON: Partial<Record<OverflowPolicy, string>> = {
  "drop-head": "overflow: drop-head",
  "drop-tail": "overflow: drop-tail",
  "drop-low-first": "overflow: drop-low-first",
};

/** Room for every duplicate cause code in a redelivery timer's second argument. */
const CAUSE_SLOTS = 16;
if (DUPLICATE_CAUSES.length > CAUSE_SLOTS) throw new Error("CAUSE_SLOTS is too small");

/** A FIFO queue's deduplication remembers at most this many ids (far above any window's worth). */
const DEDUP_CAPACITY = 2 ** 31;

export class TaskQueue {
  /** Copies ready for delivery in this queue: `ready.size` of them. */
  readonly ready: { readonly size: number };
  inFlightCount = 0;
  /** Copies waiting out a delay: the queue's publish delay, or a consumer's requeue. */
  delayedCount = 0;
  /** Messages moved to the dead-letter queue, by reason. */
  readonly deadLetterReasons = new Map<string, number>();
  /** Messages sent back from the dead-letter queue. */
  redriven = 0;
  /** Copies dropped to keep within capacity (the new one, or ready ones). */
  overflowDropped = 0;
  /** Copies refused by a full queue (reject-publish, reject-to-dlq). */
  overflowRejected = 0;
  /** Refused copies moved to the dead-letter queue (reject-to-dlq). */
  overflowDeadLettered = 0;
  /** Ready messages that expired (dropped or dead-lettered). */
  expired = 0;
  /** Ack deadlines extended by a consumer's lease extension. */
  leaseExtensions = 0;
  /** Ordering keys: later messages delivered again because an earlier one of their key was. */
  keyRedeliveries = 0;
  /** API, dispatch and in-flight limits (models/deliveryLimits.ts). */
  readonly limits: DeliveryLimits;
  readonly capacity: QueueCapacity;
  /** What producers look through: a blocking queue, or one with a disk limit; null otherwise. */
  readonly gate: PublishGate | null;
  /** The dead-letter queue: slots parked there, oldest first. */
  private readonly deadLetters = new IntRing();

  /** Standard queue: the ready copies in arrival order, by priority class; null for FIFO. */
  private readonly rings: PriorityRings | null;
  /** FIFO queue: the ready copies by message group; null for a standard queue. */
  private readonly groups: FifoGroups | null;
  /** Ordering keys: the ready and outstanding copies by key; null otherwise. */
  private readonly keys: OrderingKeys | null;
  /** FIFO queue: ids published within the deduplication window; null without deduplication. */
  private readonly recentIds: IdempotencyStore | null;

  private readonly waitingTokens = new IntRing();
  private readonly targets: DeliveryTarget[] = [];
  private readonly tokenBase: number[] = [];
  private readonly visibilityHandler: number;
  private readonly redeliverHandler: number;
  private readonly requeueHandler: number;
  private readonly publishDelayHandler: number;
  private readonly expiryHandler: number;
  private expiryTimer = NO_EVENT;
  private expiryAtS = Number.POSITIVE_INFINITY;
  private readonly classCount: number;
  private readonly ledger: FateLedger;
  /** A Pulsar subscription: which instance may take each ready message; null: any token, FIFO. */
  private readonly selector: ConsumerSelector | null;

  constructor(
    private readonly kernel: Kernel,
    readonly config: QueueConfig,
    readonly subscription: Subscription,
    private readonly store: MessageStore,
    private readonly stats: RunStats,
    private readonly trace: Trace | null,
    selector: ConsumerSelector | null = null,
  ) {
    checkQueueConfig(config);
    if (selector !== null && (config.fifo || config.priorities > 1 || config.messageTtlS !== null))
      throw new ModelConfigError(
        `queue ${config.name}: a consumer selector needs a plain standard queue`,
      );
    this.selector = selector;
    this.ledger = subscription.ledger;
    this.groups = config.fifo ? new FifoGroups(subscription.ordering.keyCount, kernel) : null;
    this.classCount = Math.max(1, config.priorities);
    this.keys = config.orderingKeys
      ? new OrderingKeys(subscription.ordering.keyCount, kernel)
      : null;
    this.rings = config.fifo || config.orderingKeys ? null : new PriorityRings(this.classCount);
    this.ready = this.groups ?? this.keys ?? selector ?? this.rings!;
    this.capacity = new QueueCapacity(kernel, config, store);
    this.capacity.onStoredChange = (deltaBytes) => stats.changeStoredBytes(deltaBytes);
    this.gate = this.capacity.gated ? this.capacity : null;
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
    // A nack delay or a redelivery backoff ends: the message is visible again, blamed on what
    // returned it (carried with the receipt: the copy's own cause still tells why the delivery
    // in flight happened, for a late ack's effect).
    this.redeliverHandler = kernel.register(
      `queue:${config.name}/redeliver`,
      (slot, receiptAndCause) => {
        const cause = receiptAndCause % CAUSE_SLOTS;
        const receipt = (receiptAndCause - cause) / CAUSE_SLOTS;
        if (this.holds(slot, receipt)) this.returnToQueue(slot, cause);
      },
    );
    this.requeueHandler = kernel.register(`queue:${config.name}/requeue`, (slot) => {
      this.delayedCount--;
      this.enqueueAgain(slot, CauseCode["redelivery-after-nack"]);
    });
    this.publishDelayHandler = kernel.register(`queue:${config.name}/delay`, (slot) => {
      this.delayedCount--;
      this.makeReady(slot);
    });
    this.expiryHandler = kernel.register(`queue:${config.name}/expiry`, () => this.expiryDue());
    this.limits = new DeliveryLimits(kernel, config, () => this.dispatch());
  }

  /** Acked copies an ordering-key queue keeps until their earlier messages are acked. */
  get ackedInWindowCount(): number {
    return this.keys?.ackedCount ?? 0;
  }

  /** Messages parked in the dead-letter queue. */
  get deadLetterDepth(): number {
    return this.deadLetters.size;
  }

  /** Registers a consumer group with `tokenCount` tokens; returns the group's index. */
  addTarget(target: DeliveryTarget, tokenCount: number): number {
    // A ConsumerSelector numbers tokens as one pool's (token t of instance t % instances).
    if (this.selector !== null && (this.targets.length > 0 || tokenCount % this.selector.instances))
      throw new ModelConfigError(
        `queue ${this.config.name}: a consumer selector serves one consumer pool`,
      );
    const base = this.targets.length === 0 ? 0 : this.tokenBase[this.tokenBase.length - 1];
    this.targets.push(target);
    this.tokenBase.push(base + tokenCount);
    return this.targets.length - 1;
  }

  /**
   * A copy arrived from a producer. Returns false when the queue refuses it (full, under
   * reject-publish or reject-to-dlq, as RabbitMQ nacks the publish): the producer is told so.
   */
  publish(slot: number): boolean {
    if (!this.limits.publishAllowed()) return this.throttle(slot);
    if (this.recentIds !== null && this.droppedAsDuplicate(slot)) return true;
    if (this.capacity.limited && !this.makeRoom(slot)) return this.overflow(slot);
    this.accept(slot);
    return true;
  }

  /** A publish beyond the API limit: refused (SQS throttles the SendMessage call). */
  private throttle(slot: number): false {
    const store = this.store;
    if (this.trace) this.emit("throttled", slot);
    // The producer still holds the message unless it sent with acks none (no answer awaited).
    this.ledger.removeCopy(store.messageId[slot], API_THROTTLED_CAUSE);
    store.release(slot);
    return false;
  }

  /** The copy in `slot` from a producer arrived (or, `lost`, was lost on the way). */
  settleInbound(slot: number, lost: boolean): void {
    this.capacity.settleInbound(slot, lost);
  }

  /**
   * A record of the topic this queue subscribes to became readable (models/pulsarSubscription.ts):
   * taken in without the publish checks (the topic took the publish, and counted its wait).
   */
  feed(slot: number): void {
    this.accept(slot, false);
  }

  /** Messages can go to other consumers than before (a ConsumerSelector's owners changed). */
  ownersChanged(): void {
    this.dispatch();
  }

  /** A copy the queue takes in: it waits out the publish delay, if any, then becomes ready. */
  private accept(slot: number, published = true): void {
    const store = this.store;
    const sizeBytes = store.sizeBytes[slot];
    store.arrivedAtS[slot] = this.kernel.nowS;
    this.capacity.stored(sizeBytes);
    this.capacity.enterWaiting(sizeBytes);
    if (published) this.stats.recordAccepted(store.producedAtS[slot]);
    if (this.trace) this.emit("enqueue", slot);
    if (this.config.delayS > 0) {
      store.place[slot] = Place.delayed;
      this.delayedCount++;
      this.kernel.schedule(this.config.delayS, this.publishDelayHandler, slot);
      return;
    }
    this.makeReady(slot);
  }

  /** The copy becomes visible: at the tail of its class (or FIFO group). */
  private makeReady(slot: number): void {
    const store = this.store;
    store.place[slot] = Place.ready;
    if (this.groups !== null) this.groups.pushTail(store.keyIndex[slot], slot);
    else if (this.keys !== null) this.keys.pushTail(store.keyIndex[slot], slot);
    else if (this.selector !== null) this.selector.pushNew(slot);
    else this.rings!.push(this.classOf(slot), slot);
    this.stats.changeReady(1);
    if (this.config.messageTtlS !== null) this.scheduleExpiry();
    this.dispatch();
  }

  /**
   * FIFO deduplication: a copy of a message published within the window is accepted and
   * dropped; returns true when it was.
   */
  private droppedAsDuplicate(slot: number): boolean {
    const store = this.store;
    const messageId = store.messageId[slot];
    if (this.recentIds!.tryApply(messageId, this.kernel.nowS)) return false;
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
    return true;
  }

  /**
   * Makes room for the copy in `slot` under maxLength and maxBytes, dropping ready messages when
   * the policy says so; false when the copy itself cannot go in.
   */
  private makeRoom(slot: number): boolean {
    const policy = this.config.overflow;
    // A blocking queue's producers waited for room; what was already on its way is taken in.
    if (policy === "block") return true;
    const capacity = this.capacity;
    const sizeBytes = this.store.sizeBytes[slot];
    if (capacity.largerThanLimit(sizeBytes)) return false;
    const rings = this.rings!;
    while (!capacity.fits(sizeBytes)) {
      let victimClass = -1;
      if (policy === "drop-head") {
        victimClass = rings.highestNonEmpty();
      } else if (policy === "drop-low-first") {
        victimClass = rings.lowestNonEmpty();
        if (victimClass > this.classOf(slot)) return false;
      }
      // Nothing to drop (other policies; or only messages still in their publish delay).
      if (victimClass < 0) return false;
      this.dropReady(rings.shiftFrom(victimClass), OVERFLOW_DROP_REASON[policy]!);
    }
    return true;
  }

  /** The copy in `slot` does not fit: the policy decides. Returns false when it is refused. */
  private overflow(slot: number): boolean {
    const store = this.store;
    const policy = this.config.overflow;
    if (policy === "reject-publish" || policy === "reject-to-dlq") {
      this.overflowRejected++;
      if (policy === "reject-publish") {
        if (this.trace) this.emit("overflow-reject", slot);
        this.ledger.removeCopy(store.messageId[slot], REJECTED_BY_FULL_QUEUE_CAUSE);
        store.release(slot);
        return false;
      }
      this.overflowDeadLettered++;
      store.arrivedAtS[slot] = this.kernel.nowS;
      this.capacity.stored(store.sizeBytes[slot]);
      this.park(slot, MAXLEN_REASON);
      return false;
    }
    this.overflowDropped++;
    if (this.trace) this.emit("overflow-drop", slot);
    const messageId = store.messageId[slot];
    this.ledger.recordDropped(messageId, OVERFLOW_DROP_REASON[policy]!);
    this.ledger.removeCopy(messageId, null);
    store.release(slot);
    return true;
  }

  /** A ready copy (already taken from the rings) is dropped to make room. */
  private dropReady(slot: number, reason: string): void {
    this.leaveReady(slot);
    this.overflowDropped++;
    if (this.trace) this.emit("overflow-drop", slot);
    this.discard(slot, reason);
  }

  /** A ready copy (already taken from the rings) expired. */
  private expire(slot: number): void {
    this.leaveReady(slot);
    this.expired++;
    if (this.trace) this.emit("expire", slot);
    if (this.config.expire === "dead-letter") this.park(slot, EXPIRED_REASON);
    else this.discard(slot, EXPIRED_REASON);
  }

  private leaveReady(slot: number): void {
    this.stats.changeReady(-1);
    this.capacity.leaveWaiting(this.store.sizeBytes[slot]);
  }

  /** A stored copy is dropped on purpose, with `reason`. */
  private discard(slot: number, reason: string): void {
    const store = this.store;
    const messageId = store.messageId[slot];
    this.ledger.recordDropped(messageId, reason);
    this.ledger.removeCopy(messageId, null);
    this.capacity.unstored(store.sizeBytes[slot]);
    store.release(slot);
  }

  /** The earliest expiry among the classes' heads gets a timer (unless one is due sooner). */
  private scheduleExpiry(): void {
    const ttlS = this.config.messageTtlS!;
    const rings = this.rings!;
    let earliestS = Number.POSITIVE_INFINITY;
    for (let c = 0; c < this.classCount; c++) {
      const head = rings.headOf(c);
      if (head >= 0) earliestS = Math.min(earliestS, this.store.arrivedAtS[head] + ttlS);
    }
    if (earliestS >= this.expiryAtS) return;
    this.kernel.cancel(this.expiryTimer);
    this.expiryAtS = earliestS;
    this.expiryTimer = this.kernel.scheduleAt(
      Math.max(earliestS, this.kernel.nowS),
      this.expiryHandler,
    );
  }

  private expiryDue(): void {
    this.expiryTimer = NO_EVENT;
    this.expiryAtS = Number.POSITIVE_INFINITY;
    const rings = this.rings!;
    for (let c = 0; c < this.classCount; c++) {
      for (let head = rings.headOf(c); head >= 0 && this.hasExpired(head); head = rings.headOf(c)) {
        rings.shiftFrom(c);
        this.expire(head);
      }
    }
    this.scheduleExpiry();
  }

  private hasExpired(slot: number): boolean {
    return this.kernel.nowS >= this.store.arrivedAtS[slot] + this.config.messageTtlS!;
  }

  /** The priority class of the copy in `slot`: its priority, capped at the highest class. */
  private classOf(slot: number): number {
    return Math.min(this.store.priority[slot], this.classCount - 1);
  }

  /** A token of group `target` is free to receive. */
  offer(target: number, token: number): void {
    if (this.selector !== null) this.selector.offer(this.globalToken(target, token));
    else this.waitingTokens.push(this.globalToken(target, token));
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
    const freed = this.leaveFlight(slot);
    this.stats.acks++;
    if (this.trace) this.emit("ack", slot);
    if (this.keys !== null) {
      this.ackInWindow(slot);
      if (freed) this.dispatch();
      return;
    }
    // FIFO: the message's group is free again; its next message goes once this one is gone.
    const unblocked = this.groups?.release(store.keyIndex[slot], slot);
    this.ledger.removeCopy(store.messageId[slot], null);
    this.capacity.unstored(store.sizeBytes[slot]);
    store.release(slot);
    if (unblocked || freed) this.dispatch();
  }

  /**
   * Ordering keys: an acked message stays in its key's window (a live copy) until every earlier
   * one is acked; then it and the acked ones after it settle.
   */
  private ackInWindow(slot: number): void {
    const keys = this.keys!;
    const key = this.store.keyIndex[slot];
    this.store.place[slot] = Place.ackedInWindow;
    this.store.timer[slot] = -1;
    keys.ack(key, slot);
    this.settleWindow(key);
  }

  /** The key's acked messages at the head of its window leave the queue. */
  private settleWindow(key: number): void {
    const store = this.store;
    for (let slot = this.keys!.settledHead(key); slot !== -1; slot = this.keys!.settledHead(key)) {
      if (this.trace) this.emit("settle", slot);
      this.ledger.removeCopy(store.messageId[slot], null);
      this.capacity.unstored(store.sizeBytes[slot]);
      store.release(slot);
    }
  }

  /**
   * Ordering keys: the consumer's callback of delivery `receipt` of a message of `keyIndex`
   * completed with success, so the client hands it the key's next message. No-op otherwise.
   */
  keyCallbackDone(keyIndex: number, receipt: number): void {
    if (this.keys?.released(keyIndex, receipt)) this.dispatch();
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
    this.returnAfter(slot, receipt, delayS, CauseCode["redelivery-after-nack"]);
  }

  /**
   * A consumer failed delivery `receipt` of the copy in `slot`: it comes back after the
   * consumer's own nack delay if it has one, else after the queue's redelivery backoff.
   */
  failed(slot: number, receipt: number, consumerDelayS: number): void {
    const useBackoff = consumerDelayS === 0 && this.holds(slot, receipt);
    this.nack(slot, receipt, useBackoff ? this.redeliveryDelayS(slot) : consumerDelayS);
  }

  /**
   * The delay before a failed delivery of the copy in `slot` (in flight) is visible again under
   * the queue's redelivery backoff (by its receives so far); 0 without one.
   */
  private redeliveryDelayS(slot: number): number {
    const backoff = this.config.redeliveryBackoff;
    return backoff === null ? 0 : baseDelayS(backoff, this.store.receiveCount[slot]);
  }

  /** The in-flight copy becomes visible again after `delayS` (at once for 0), blamed on `cause`. */
  private returnAfter(slot: number, receipt: number, delayS: number, cause: number): void {
    if (delayS > 0) {
      const receiptAndCause = receipt * CAUSE_SLOTS + cause;
      this.store.timer[slot] = this.kernel.schedule(
        delayS,
        this.redeliverHandler,
        slot,
        receiptAndCause,
      );
    } else {
      this.returnToQueue(slot, cause);
    }
  }

  /** The connection of the consumer holding this delivery closed: it is visible again now. */
  disconnected(slot: number, receipt: number): void {
    if (!this.holds(slot, receipt)) return;
    this.kernel.cancel(this.store.timer[slot]);
    this.store.crashed[slot] = 0;
    if (this.trace) this.emit("requeue-on-disconnect", slot);
    this.returnToQueue(slot, CauseCode["redelivery-after-crash"]);
  }

  /** A consumer gave up on the message: it goes to the dead-letter queue with `reason`. */
  deadLetter(slot: number, receipt: number, reason: string): void {
    if (!this.holds(slot, receipt)) {
      this.stats.staleAcks++;
      return;
    }
    this.kernel.cancel(this.store.timer[slot]);
    const freedPlace = this.leaveFlight(slot);
    const freedKey = this.leaveWindow(slot, receipt);
    this.moveToDeadLetter(slot, reason, freedPlace || freedKey);
  }

  /**
   * Ordering keys: the in-flight `slot` (delivery `receipt`) leaves its key without an ack;
   * returns true when its key can deliver again. False without ordering keys.
   */
  private leaveWindow(slot: number, receipt: number): boolean {
    const keys = this.keys;
    if (keys === null) return false;
    const key = this.store.keyIndex[slot];
    const freed = keys.remove(key, slot, receipt);
    this.settleWindow(key);
    return freed;
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
    const freed = this.leaveFlight(slot);
    const unblocked =
      this.groups?.release(this.store.keyIndex[slot], slot) || this.leaveWindow(slot, receipt);
    this.store.receiveCount[slot] = 0;
    this.store.place[slot] = Place.delayed;
    this.delayedCount++;
    this.kernel.schedule(delayS, this.requeueHandler, slot);
    if (unblocked || freed) this.dispatch();
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

  /**
   * A message comes back as a new one (a requeue after its delay, a redrive): no capacity check
   * and no publish delay, as it was accepted once.
   */
  private enqueueAgain(slot: number, cause: number): void {
    const store = this.store;
    const sizeBytes = store.sizeBytes[slot];
    store.cause[slot] = cause;
    if (this.recentIds !== null && this.droppedAsDuplicate(slot)) {
      this.capacity.unstored(sizeBytes);
      return;
    }
    store.arrivedAtS[slot] = this.kernel.nowS;
    this.capacity.enterWaiting(sizeBytes);
    if (this.trace) this.emit("enqueue", slot);
    this.makeReady(slot);
  }

  private dispatch(): void {
    const selector = this.selector;
    if (selector !== null) {
      while (selector.next()) this.deliver(selector.nextSlot, selector.nextToken);
      return;
    }
    const waiting = this.waitingTokens;
    const groups = this.groups;
    if (groups !== null) {
      while (
        groups.hasDeliverable &&
        waiting.size > 0 &&
        this.limits.deliveryAllowed(this.inFlightCount)
      )
        this.deliver(groups.take(), waiting.shift());
      return;
    }
    const keys = this.keys;
    if (keys !== null) {
      while (
        keys.hasDeliverable &&
        waiting.size > 0 &&
        this.limits.deliveryAllowed(this.inFlightCount)
      )
        this.deliver(keys.take(), waiting.shift());
      return;
    }
    const rings = this.rings!;
    const expires = this.config.messageTtlS !== null;
    while (rings.size > 0 && waiting.size > 0 && this.limits.deliveryAllowed(this.inFlightCount)) {
      const slot = rings.shift();
      if (expires && this.hasExpired(slot)) this.expire(slot);
      else this.deliver(slot, waiting.shift());
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
    this.limits.delivered();
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
    this.keys?.hold(store.keyIndex[slot], receipt);
    store.holderToken[slot] = globalToken;
    store.place[slot] = Place.inFlight;
    store.timer[slot] =
      this.config.visibilityTimeoutS === Number.POSITIVE_INFINITY
        ? -1
        : this.kernel.schedule(
            this.config.visibilityTimeoutS,
            this.visibilityHandler,
            slot,
            receipt,
          );
    this.leaveReady(slot);
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
    const extendS = this.leaseRemainingS(slot, receipt);
    if (extendS > 0) {
      this.leaseExtensions++;
      if (this.trace) this.emit("lease-extend", slot);
      this.store.timer[slot] = this.kernel.schedule(
        Math.min(extendS, this.config.visibilityTimeoutS),
        this.visibilityHandler,
        slot,
        receipt,
      );
      return;
    }
    this.stats.visibilityTimeouts++;
    if (this.trace) this.emit("visibility-timeout", slot);
    const crashed = this.store.crashed[slot] === 1;
    this.store.crashed[slot] = 0;
    // Under a redelivery backoff the copy stays invisible (counted in flight) a while longer.
    this.returnAfter(
      slot,
      receipt,
      this.redeliveryDelayS(slot),
      crashed
        ? CauseCode["redelivery-after-crash"]
        : CauseCode["redelivery-after-visibility-timeout"],
    );
  }

  /** How much longer the consumer holding delivery `receipt` of `slot` extends its lease. */
  private leaseRemainingS(slot: number, receipt: number): number {
    const globalToken = this.store.holderToken[slot];
    let target = 0;
    while (globalToken >= this.tokenBase[target]) target++;
    const base = target === 0 ? 0 : this.tokenBase[target - 1];
    // Below a microsecond left: the lease ends now (no event for a rounding remainder).
    const remainingS = this.targets[target].leaseRemainingS?.(globalToken - base, receipt) ?? 0;
    return remainingS > 1e-6 ? remainingS : 0;
  }

  /** An in-flight copy becomes visible again (its next delivery blamed on `cause`), or goes to the dead-letter queue. */
  private returnToQueue(slot: number, cause: number): void {
    if (this.keys !== null) {
      this.rollBackKey(slot, cause);
      return;
    }
    const store = this.store;
    store.cause[slot] = cause;
    const freed = this.leaveFlight(slot);
    const maxReceives = this.config.maxReceives;
    if (maxReceives !== null && store.receiveCount[slot] >= maxReceives) {
      this.moveToDeadLetter(slot, MAX_RECEIVES_REASON, freed);
      return;
    }
    store.place[slot] = Place.ready;
    if (this.groups !== null) this.groups.returnToHead(store.keyIndex[slot], slot);
    else if (this.selector !== null) this.selector.pushReturned(slot);
    else if (this.config.requeueToHead) this.rings!.pushFront(this.classOf(slot), slot);
    else this.rings!.push(this.classOf(slot), slot);
    this.stats.changeReady(1);
    this.capacity.enterWaiting(store.sizeBytes[slot]);
    if (this.config.messageTtlS !== null) this.scheduleExpiry();
    this.dispatch();
  }

  /**
   * Ordering keys: the window message in `slot` was nacked or its deadline expired: it and every
   * later message of its key's window, acked or in flight, are delivered again, in order.
   */
  private rollBackKey(slot: number, cause: number): void {
    const store = this.store;
    const keys = this.keys!;
    const key = store.keyIndex[slot];
    const end = keys.firstReady(key);
    for (let later = keys.nextOf(slot); later !== end; later = keys.nextOf(later)) {
      if (keys.isAcked(later)) {
        // Acked already: its effect happened, and it will happen again.
      } else {
        this.kernel.cancel(store.timer[later]);
        this.leaveFlight(later);
      }
      store.cause[later] = CauseCode["redelivery-of-ordering-key"];
      store.crashed[later] = 0;
      this.becomeReadyAgain(later);
      if (this.trace) this.emit("key-redelivery", later);
    }
    store.cause[slot] = cause;
    this.leaveFlight(slot);
    this.keyRedeliveries += keys.rollBack(key, slot);
    const maxReceives = this.config.maxReceives;
    if (maxReceives !== null && store.receiveCount[slot] >= maxReceives) {
      keys.dropFirstReady(key, slot);
      this.park(slot, MAX_RECEIVES_REASON);
    } else {
      this.becomeReadyAgain(slot);
    }
    this.dispatch();
  }

  private becomeReadyAgain(slot: number): void {
    this.store.place[slot] = Place.ready;
    this.stats.changeReady(1);
    this.capacity.enterWaiting(this.store.sizeBytes[slot]);
  }

  /**
   * The in-flight copy in `slot` stops being in flight. True when that frees the place a
   * delivery was waiting for under maxInFlight: the caller dispatches once it is done.
   */
  private leaveFlight(slot: number): boolean {
    this.inFlightCount--;
    this.stats.changeInFlight(-1);
    this.store.timer[slot] = -1;
    return this.limits.placeFreed();
  }

  /** Parks the message (no longer in flight) in the dead-letter queue. */
  private moveToDeadLetter(slot: number, reason: string, freed: boolean): void {
    const unblocked = this.groups?.release(this.store.keyIndex[slot], slot);
    this.park(slot, reason);
    if (unblocked || freed) this.dispatch();
  }

  /** Puts the copy in `slot` (in no other place now) into the dead-letter queue. */
  private park(slot: number, reason: string): void {
    const store = this.store;
    if (this.trace) {
      this.emit("dead-letter", slot, { receives: store.receiveCount[slot] });
    }
    const messageId = store.messageId[slot];
    this.ledger.recordDeadLettered(messageId);
    this.ledger.removeCopy(messageId, null);
    store.place[slot] = Place.deadLettered;
    this.deadLetters.push(slot);
    this.deadLetterReasons.set(reason, (this.deadLetterReasons.get(reason) ?? 0) + 1);
    this.stats.movedToDeadLetter++;
    this.stats.changeDlq(1);
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
    if (this.selector !== null) return this.selector.oldestArrivedAtS();
    if (this.groups !== null || this.keys !== null) {
      const arrivedAtS = this.store.arrivedAtS;
      const slot = this.groups?.oldestHead(arrivedAtS) ?? this.keys!.oldestReady(arrivedAtS);
      return slot === -1 ? null : arrivedAtS[slot];
    }
    // With priority classes, the oldest of the classes' heads (each class is in arrival order).
    const rings = this.rings!;
    let oldest: number | null = null;
    for (let c = 0; c < rings.classCount; c++) {
      const slot = rings.headOf(c);
      if (slot === -1) continue;
      const arrivedAtS = this.store.arrivedAtS[slot];
      if (oldest === null || arrivedAtS < oldest) oldest = arrivedAtS;
    }
    return oldest;
  }

  /** Takes back token `token` of target `target` from the line (its instance stopped); true if it waited. */
  withdraw(target: number, token: number): boolean {
    if (this.selector !== null) return this.selector.withdraw(this.globalToken(target, token));
    return this.waitingTokens.remove(this.globalToken(target, token));
  }
}

/** What a FIFO queue does not model, and policies that need what the queue lacks. */
function checkQueueConfig(config: QueueConfig): void {
  const problem = (what: string) => {
    throw new ModelConfigError(`queue ${config.name}: ${what}`);
  };
  const limited = config.maxLength !== null || config.maxBytes !== null;
  if (
    (config.fifo || config.orderingKeys) &&
    (limited || config.messageTtlS !== null || config.priorities > 1)
  ) {
    problem(
      "capacity, message TTL and priorities are modeled on standard queues without ordering keys only",
    );
  }
  if (config.fifo && config.orderingKeys) problem("fifo and orderingKeys are two kinds of queue");
  if (limited === (config.overflow === "unbounded")) {
    problem(`overflow '${config.overflow}' with ${limited ? "a" : "no"} maxLength or maxBytes`);
  }
  if (config.overflow === "drop-low-first" && config.priorities < 2) {
    problem("overflow 'drop-low-first' needs priorities >= 2");
  }
  if (
    !(Number.isInteger(config.priorities) && config.priorities >= 1 && config.priorities <= 255)
  ) {
    problem(`priorities must be a whole number from 1 to 255, got ${config.priorities}`);
  }
  if (!(config.delayS >= 0 && Number.isFinite(config.delayS))) {
    problem(`delay must be finite and >= 0, got ${config.delayS}`);
  }
  const maxInFlight = config.maxInFlight;
  if (maxInFlight !== null && !(Number.isInteger(maxInFlight) && maxInFlight >= 1)) {
    problem(`maxInFlight must be a whole number >= 1, got ${maxInFlight}`);
  }
}
