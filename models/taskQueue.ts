/**
 * A task queue (SQS, RabbitMQ, Celery, Cloud Tasks): competing consumers take messages one at a
 * time; a delivered message is invisible until it is acked or its visibility timeout expires,
 * then it is delivered again; a nack returns it, at once or after a delay. Each delivery counts
 * as a receive, and a message received `maxReceives` times without an ack is redriven to the
 * dead-letter queue when it would next become visible.
 *
 * Consumers register receive tokens (one per unit of concurrency). A free token waits in line;
 * a ready message goes to the longest-waiting token (FIFO on both sides).
 */
import type { Kernel } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { QueueConfig } from "./config.ts";
import { InvariantError } from "./errors.ts";
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

export class TaskQueue {
  /** Copies ready for delivery in this queue. */
  readonly ready = new IntRing();
  inFlightCount = 0;

  private readonly waitingTokens = new IntRing();
  private readonly targets: DeliveryTarget[] = [];
  private readonly tokenBase: number[] = [];
  private readonly visibilityHandler: number;
  private readonly nackDelayHandler: number;
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
    this.visibilityHandler = kernel.register(
      `queue:${config.name}/visibility-timeout`,
      (slot, receipt) => this.visibilityExpired(slot, receipt),
    );
    this.nackDelayHandler = kernel.register(`queue:${config.name}/nack-delay`, (slot, receipt) => {
      if (this.holds(slot, receipt)) this.returnToQueue(slot, CauseCode["redelivery-after-nack"]);
    });
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
    this.store.place[slot] = Place.ready;
    this.store.arrivedAtS[slot] = this.kernel.nowS;
    this.ready.push(slot);
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
    this.ledger.removeCopy(store.messageId[slot], null);
    store.release(slot);
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

  private dispatch(): void {
    const ready = this.ready;
    const waiting = this.waitingTokens;
    while (ready.size > 0 && waiting.size > 0) {
      this.deliver(ready.shift(), waiting.shift());
    }
  }

  private deliver(slot: number, globalToken: number): void {
    const store = this.store;
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
    this.inFlightCount--;
    this.stats.changeInFlight(-1);
    store.timer[slot] = -1;
    const maxReceives = this.config.maxReceives;
    if (maxReceives !== null && store.receiveCount[slot] >= maxReceives) {
      if (this.trace) this.emit("dead-letter", slot, { receives: store.receiveCount[slot] });
      const messageId = store.messageId[slot];
      this.ledger.recordDeadLettered(messageId);
      this.ledger.removeCopy(messageId, null);
      store.release(slot);
      this.stats.movedToDeadLetter++;
      this.stats.changeDlq(1);
      return;
    }
    store.place[slot] = Place.ready;
    this.ready.push(slot);
    this.stats.changeReady(1);
    this.dispatch();
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
}
