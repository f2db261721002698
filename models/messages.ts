/**
 * The live copies of messages, one slot each, in parallel typed arrays. A slot is taken when a
 * copy enters the system and given back when it leaves, so memory follows the number of copies
 * in flight, not the number of messages ever produced. Components pass slot numbers to one
 * another (and through kernel events), never objects.
 */
import { grown } from "../sim/grow.ts";
import { InvariantError } from "./errors.ts";
import { CauseCode } from "./subscription.ts";

/** Where a copy is; every live copy is in exactly one place. */
export const Place = {
  free: 0,
  onLink: 1,
  ready: 2,
  inFlight: 3,
  /** Parked in a dead-letter queue (no longer a live copy; kept for a redrive). */
  deadLettered: 4,
  /** Waiting to be published again (a consumer's delayed requeue). */
  delayed: 5,
  /**
   * Acked, but kept by a queue with ordering keys in its key's window until every earlier
   * message of the key is acked (a live copy: it is delivered again if an earlier one is).
   */
  ackedInWindow: 6,
} as const;
export type PlaceCode = (typeof Place)[keyof typeof Place];

export class MessageStore {
  messageId = new Float64Array(1024);
  keyIndex = new Int32Array(1024);
  producedAtS = new Float64Array(1024);
  /** When the copy reached its queue. */
  arrivedAtS = new Float64Array(1024);
  receiveCount = new Int32Array(1024);
  /** The receipt of the current delivery (unique over the run), so stale acks are recognised. */
  receipt = new Float64Array(1024);
  /** The queue-wide receive token the current delivery went to (a lease extension asks it). */
  holderToken = new Int32Array(1024);
  /** Kernel handle of the visibility timer while in flight. */
  timer = new Float64Array(1024);
  place = new Uint8Array(1024);
  /** Size for retention by bytes. */
  sizeBytes = new Int32Array(1024);
  /** Why this copy is being delivered again (a CauseCode of models/subscription.ts). */
  cause = new Uint8Array(1024);
  /** Set when the consumer holding this delivery crashed, so its redelivery is blamed on the crash. */
  crashed = new Uint8Array(1024);
  /** The producer request this copy answers to (acknowledged on arrival), or -1. */
  requestTag = new Float64Array(1024);
  /** Failed calls to a downstream so far (consumer retries through the broker or a requeue). */
  callFailures = new Int32Array(1024);
  /** The last retry delay chosen for this message (decorrelated jitter grows from it). */
  retryDelayS = new Float64Array(1024);
  /** An idempotent producer's epoch and sequence number for this copy (models/producerSequence.ts), or -1. */
  sequence = new Float64Array(1024);
  /** The message's priority (its producer's); a queue with priority classes caps it at its highest. */
  priority = new Uint8Array(1024);
  /** 1 while the copy travels to a queue that counts it as room taken (a blocking queue's gate). */
  inbound = new Uint8Array(1024);
  /** The exchange route (routing key) of a copy on its way to an exchange (models/exchangeBroker.ts), or -1. */
  route = new Int32Array(1024);

  private freeSlots: number[] = [];
  private slotsUsed = 0;
  /** Copies alive now. */
  live = 0;
  private receiptsIssued = 0;

  constructor(private readonly clock: { readonly nowS: number }) {}

  /** Takes a slot for a new copy, placed on a link. */
  allocate(messageId: number, keyIndex: number, producedAtS: number, sizeBytes: number): number {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.takeNewSlot();
    this.messageId[slot] = messageId;
    this.keyIndex[slot] = keyIndex;
    this.producedAtS[slot] = producedAtS;
    this.arrivedAtS[slot] = producedAtS;
    this.receiveCount[slot] = 0;
    this.receipt[slot] = -1;
    this.timer[slot] = -1;
    this.place[slot] = Place.onLink;
    this.sizeBytes[slot] = sizeBytes;
    this.cause[slot] = CauseCode["producer-duplicate"];
    this.crashed[slot] = 0;
    this.requestTag[slot] = -1;
    this.sequence[slot] = -1;
    this.callFailures[slot] = 0;
    this.retryDelayS[slot] = 0;
    this.priority[slot] = 0;
    this.inbound[slot] = 0;
    this.route[slot] = -1;
    this.live++;
    return slot;
  }

  /**
   * A receipt for a new delivery, unique over the run and across queues (slots are reused and
   * shared by all queues, so only a run-wide receipt tells a stale ack from a current one).
   */
  nextReceipt(): number {
    return ++this.receiptsIssued;
  }

  /** A second copy of the copy in `slot` (network duplication). */
  duplicate(slot: number): number {
    const copy = this.allocate(
      this.messageId[slot],
      this.keyIndex[slot],
      this.producedAtS[slot],
      this.sizeBytes[slot],
    );
    this.requestTag[copy] = this.requestTag[slot];
    this.sequence[copy] = this.sequence[slot];
    this.callFailures[copy] = this.callFailures[slot];
    this.retryDelayS[copy] = this.retryDelayS[slot];
    this.priority[copy] = this.priority[slot];
    this.place[copy] = this.place[slot];
    this.route[copy] = this.route[slot];
    return copy;
  }

  release(slot: number): void {
    if (this.place[slot] === Place.free) {
      throw new InvariantError(`message slot ${slot} released twice`, this.clock.nowS);
    }
    this.place[slot] = Place.free;
    this.freeSlots.push(slot);
    this.live--;
  }

  /** Number of live copies in each place, counted from the slots. */
  countByPlace(): Record<"onLink" | "ready" | "inFlight" | "deadLettered", number> {
    const counts = { onLink: 0, ready: 0, inFlight: 0, deadLettered: 0 };
    for (let slot = 0; slot < this.slotsUsed; slot++) {
      const place = this.place[slot];
      if (place === Place.onLink) counts.onLink++;
      else if (place === Place.ready) counts.ready++;
      else if (place === Place.inFlight) counts.inFlight++;
      else if (place === Place.deadLettered) counts.deadLettered++;
    }
    return counts;
  }

  /** Copies on links by their exchange route (route >= 0 only): how many on each. */
  onLinkByRoute(): Map<number, number> {
    const counts = new Map<number, number>();
    for (let slot = 0; slot < this.slotsUsed; slot++) {
      const route = this.route[slot];
      if (this.place[slot] === Place.onLink && route >= 0) {
        counts.set(route, (counts.get(route) ?? 0) + 1);
      }
    }
    return counts;
  }

  private takeNewSlot(): number {
    if (this.slotsUsed === this.place.length) this.grow();
    return this.slotsUsed++;
  }

  private grow(): void {
    const capacity = this.place.length * 2;
    this.messageId = grown(this.messageId, capacity);
    this.keyIndex = grown(this.keyIndex, capacity);
    this.producedAtS = grown(this.producedAtS, capacity);
    this.arrivedAtS = grown(this.arrivedAtS, capacity);
    this.receiveCount = grown(this.receiveCount, capacity);
    this.receipt = grown(this.receipt, capacity);
    this.holderToken = grown(this.holderToken, capacity);
    this.timer = grown(this.timer, capacity);
    this.place = grown(this.place, capacity);
    this.sizeBytes = grown(this.sizeBytes, capacity);
    this.cause = grown(this.cause, capacity);
    this.crashed = grown(this.crashed, capacity);
    this.requestTag = grown(this.requestTag, capacity);
    this.sequence = grown(this.sequence, capacity);
    this.callFailures = grown(this.callFailures, capacity);
    this.retryDelayS = grown(this.retryDelayS, capacity);
    this.priority = grown(this.priority, capacity);
    this.inbound = grown(this.inbound, capacity);
    this.route = grown(this.route, capacity);
  }
}
