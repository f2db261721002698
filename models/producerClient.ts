/**
 * The sending side of a producer: how a message gets from the application to the broker.
 * - acks none (Kafka acks=0, fire and forget): one send; a loss on the way is a lost message.
 * - acks leader or all (Kafka acks=1 or acks=all, RabbitMQ publisher confirms, SQS's
 *   SendMessage response): the producer keeps the message until the broker acknowledges it, and
 *   sends it again when no acknowledgement comes within `requestTimeoutS`, or `retryBackoffS`
 *   after the broker refused it (Kafka NotEnoughReplicas), up to `maxRetries` times. When the
 *   broker acknowledges (after the leader's append, or once every in-sync replica has the
 *   record) is the topic's business (models/topic.ts); a queue acknowledges on arrival. A retry
 *   after a lost acknowledgement writes the message twice (a duplicate), unless the producer is
 *   idempotent (the broker drops a copy it already has, as Kafka does by producer id and
 *   sequence). At most `maxInFlight` messages await acknowledgement; later ones wait in the
 *   producer's buffer, so with more than one in flight a retried message can land after a later
 *   one of its key (reordering), unless the producer is idempotent and writes to a topic: its
 *   copies carry sequence numbers the partition's leader checks (models/producerSequence.ts),
 *   and a copy refused as out of sequence is sent again after the backoff (not a retry).
 *
 * While the producer holds a message it counts as one live copy in the ledger, so a message is
 * lost only when the producer gave up on it and no copy reached the broker.
 */
import { grown } from "../sim/grow.ts";
import { type Kernel, NO_EVENT } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { ProducerConfig } from "./config.ts";
import type { Link } from "./link.ts";
import type { MessageStore } from "./messages.ts";
import type { ProducerSequences } from "./producerSequence.ts";
import { IntRing } from "./ring.ts";
import type { RunStats } from "./stats.ts";
import type { Subscription } from "./subscription.ts";

/** A request tag is `request + generation * REQUEST_LIMIT`, so a late ack of a reused request slot is ignored. */
const REQUEST_LIMIT = 2 ** 24;

/**
 * What a broker answers to a request, as one number on the way back: an acknowledgement, a
 * refusal (Kafka NotEnoughReplicas), or, as a negative number, a refusal of the copy carrying
 * an idempotent producer's epoch and sequence (out of sequence or a stale epoch).
 */
export const ProducerAnswer = {
  acknowledged: 0,
  refused: 1,
  sequenceRefusal: (packedSequence: number) => -1 - packedSequence,
} as const;

export class ProducerClient {
  /** Attempts beyond the first. */
  retries = 0;
  /** Messages given up after the last retry. */
  givenUp = 0;
  /** Copies sent again after the broker refused them as out of sequence (not retries). */
  resends = 0;

  private readonly buffer = new IntRing();
  private inFlight = 0;
  // Messages awaiting acknowledgement, one request slot each.
  private requestMessageId = new Float64Array(64);
  private requestKeyIndex = new Int32Array(64);
  private requestProducedAtS = new Float64Array(64);
  private requestAttempts = new Int32Array(64);
  private requestGeneration = new Int32Array(64);
  private requestTimer = new Float64Array(64);
  private readonly freeRequests: number[] = [];
  private requestsUsed = 0;
  private draining = false;
  private readonly timeoutHandler: number;
  private readonly retryHandler: number;
  private readonly resendHandler: number;

  constructor(
    private readonly kernel: Kernel,
    readonly config: ProducerConfig,
    private readonly store: MessageStore,
    private readonly subscriptions: Subscription[],
    private readonly link: Link,
    private readonly stats: RunStats,
    private readonly trace: Trace | null,
    private readonly newMessageId: () => number,
    /** Sequence numbers of an idempotent producer writing to a topic; null otherwise. */
    private readonly sequences: ProducerSequences | null = null,
  ) {
    this.timeoutHandler = kernel.register(`producer:${config.name}/request-timeout`, (r, tag) =>
      this.timedOut(r, tag),
    );
    this.retryHandler = kernel.register(`producer:${config.name}/retry`, (r) => this.attempt(r));
    this.resendHandler = kernel.register(`producer:${config.name}/resend`, (r) =>
      this.attempt(r, true),
    );
  }

  /** The application produces a message with this key. */
  publish(keyIndex: number): void {
    const messageId = this.newMessageId();
    const nowS = this.kernel.nowS;
    for (const subscription of this.subscriptions) subscription.ledger.admit(messageId);
    this.stats.recordProduced();
    if (this.trace) {
      this.trace.emit(nowS, "produce", {
        msg: messageId,
        key: `k${keyIndex}`,
        producer: this.config.name,
      });
    }
    if (this.config.acks === "none") {
      this.send(messageId, keyIndex, nowS, -1);
      return;
    }
    // The admitted copy is the one the producer holds until the broker acknowledges it.
    const r = this.takeRequest();
    this.requestMessageId[r] = messageId;
    this.requestKeyIndex[r] = keyIndex;
    this.requestProducedAtS[r] = nowS;
    this.requestAttempts[r] = 0;
    this.requestTimer[r] = NO_EVENT;
    this.buffer.push(r);
    this.sendBuffered();
  }

  /** The broker's answer (a ProducerAnswer) to request `tag`. */
  answered(tag: number, answer: number): void {
    if (answer === ProducerAnswer.acknowledged) this.acknowledged(tag);
    else if (answer === ProducerAnswer.refused) this.refused(tag);
    else this.refusedOutOfSequence(tag, -1 - answer);
  }

  /** The broker acknowledged a request (any attempt of it). */
  private acknowledged(tag: number): void {
    const r = tag % REQUEST_LIMIT;
    if (!this.isCurrent(r, tag)) return; // already acknowledged or given up
    this.kernel.cancel(this.requestTimer[r]);
    this.requestTimer[r] = NO_EVENT;
    this.finish(r, null);
  }

  /**
   * The broker refused a request (Kafka NotEnoughReplicas): retry after the backoff, as after a
   * timeout. A refusal that comes while no attempt is outstanding (during a backoff) is stale.
   */
  private refused(tag: number): void {
    const r = tag % REQUEST_LIMIT;
    if (!this.isCurrent(r, tag) || this.requestTimer[r] === NO_EVENT) return;
    this.kernel.cancel(this.requestTimer[r]);
    this.requestTimer[r] = NO_EVENT;
    this.retryOrGiveUp(r);
  }

  /**
   * The leader refused the copy carrying `packedSequence`: send it again after the backoff if
   * it is the first outstanding record of its partition, else once the ones before it are done.
   */
  private refusedOutOfSequence(tag: number, packedSequence: number): void {
    const r = tag % REQUEST_LIMIT;
    if (!this.isCurrent(r, tag) || this.requestTimer[r] === NO_EVENT) return;
    this.kernel.cancel(this.requestTimer[r]);
    this.requestTimer[r] = NO_EVENT;
    if (this.sequences!.refused(r, packedSequence)) this.resend(r, this.config.retryBackoffS);
  }

  private resend(r: number, delayS: number): void {
    this.resends++;
    this.kernel.schedule(delayS, this.resendHandler, r);
  }

  private sendBuffered(): void {
    // An acknowledgement can come back within attempt() (an ideal link) and free a place: the
    // loop below takes it, rather than a nested call per message (a long buffer would overflow
    // the stack).
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.buffer.size > 0 && this.inFlight < this.config.maxInFlight) {
        this.inFlight++;
        this.attempt(this.buffer.shift());
      }
    } finally {
      this.draining = false;
    }
  }

  /** Sends request `r`: a first attempt, a retry, or (`resend`) a copy refused out of sequence. */
  private attempt(r: number, resend = false): void {
    if (!resend) {
      const attempts = ++this.requestAttempts[r];
      if (attempts > 1) this.retries++;
      else this.sequences?.assign(r, this.requestKeyIndex[r]);
    }
    const messageId = this.requestMessageId[r];
    for (const subscription of this.subscriptions) subscription.ledger.addCopy(messageId);
    const tag = r + this.requestGeneration[r] * REQUEST_LIMIT;
    // The timer first: over an ideal link the acknowledgement arrives within send().
    this.requestTimer[r] = this.kernel.schedule(
      this.config.requestTimeoutS,
      this.timeoutHandler,
      r,
      tag,
    );
    const sequence = this.sequences === null ? -1 : this.sequences.packedOf(r);
    this.send(messageId, this.requestKeyIndex[r], this.requestProducedAtS[r], tag, sequence);
  }

  private send(
    messageId: number,
    keyIndex: number,
    producedAtS: number,
    tag: number,
    sequence = -1,
  ): void {
    const slot = this.store.allocate(
      messageId,
      keyIndex,
      producedAtS,
      this.config.messageSizeBytes,
    );
    this.store.requestTag[slot] = tag;
    this.store.sequence[slot] = sequence;
    this.link.send(slot, 0);
  }

  private timedOut(r: number, tag: number): void {
    if (!this.isCurrent(r, tag)) return;
    this.requestTimer[r] = NO_EVENT;
    this.retryOrGiveUp(r);
  }

  private retryOrGiveUp(r: number): void {
    if (this.requestAttempts[r] <= this.config.maxRetries) {
      this.kernel.schedule(this.config.retryBackoffS, this.retryHandler, r);
      return;
    }
    this.givenUp++;
    this.finish(r, `producer gave up after ${this.requestAttempts[r]} attempts`);
  }

  /** The producer lets go of the message; `lossCause` applies if no copy reached the broker. */
  private finish(r: number, lossCause: string | null): void {
    const messageId = this.requestMessageId[r];
    for (const subscription of this.subscriptions)
      subscription.ledger.removeCopy(messageId, lossCause);
    if (this.sequences !== null) {
      // Records refused for want of this one go again, in order, through the event queue (an
      // answer can come back within a send).
      for (const waiting of this.sequences.release(r)) this.resend(waiting, 0);
    }
    this.requestGeneration[r] = (this.requestGeneration[r] + 1) % 2 ** 26;
    this.freeRequests.push(r);
    this.inFlight--;
    this.sendBuffered();
  }

  private isCurrent(r: number, tag: number): boolean {
    return r < this.requestsUsed && tag === r + this.requestGeneration[r] * REQUEST_LIMIT;
  }

  /** Messages the producer holds (buffered or awaiting acknowledgement). */
  get held(): number {
    return this.requestsUsed - this.freeRequests.length;
  }

  private takeRequest(): number {
    const free = this.freeRequests.pop();
    if (free !== undefined) return free;
    if (this.requestsUsed === REQUEST_LIMIT) {
      throw new RangeError(
        `producer ${this.config.name}: more than ${REQUEST_LIMIT} messages held`,
      );
    }
    if (this.requestsUsed === this.requestMessageId.length) this.grow();
    return this.requestsUsed++;
  }

  private grow(): void {
    const capacity = this.requestMessageId.length * 2;
    this.requestMessageId = grown(this.requestMessageId, capacity);
    this.requestKeyIndex = grown(this.requestKeyIndex, capacity);
    this.requestProducedAtS = grown(this.requestProducedAtS, capacity);
    this.requestAttempts = grown(this.requestAttempts, capacity);
    this.requestGeneration = grown(this.requestGeneration, capacity);
    this.requestTimer = grown(this.requestTimer, capacity);
  }
}
