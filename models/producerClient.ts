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
 *
 * A producer to an exchange (models/exchangeBroker.ts) draws each message's routing key when it
 * publishes; the message belongs to the subscriptions of the queues that key routes to (or to the
 * exchange's own, for an unroutable one), so its copies count there alone.
 *
 * Backpressure and rate limits make even an acks-none producer hold messages in its buffer:
 * - a queue that blocks (overflow `block`, or a disk limit) shows a gate (models/queueCapacity.ts):
 *   while it has no room for the next message the producer is blocked, sends nothing, and waits
 *   for the queue's notification; its blocked time is counted;
 * - a token bucket (`rateLimit`): without a token the next message waits for one (`wait`), or a
 *   message is dropped when it is published (`drop`, reason RATE_LIMIT_DROP_REASON). Retries take
 *   no token.
 * The time a message spends in the buffer is part of its end-to-end latency (it counts from
 * publish) and of the run's publish wait (models/stats.ts).
 */
import { type Distribution, makeDistribution } from "../sim/distributions.ts";
import { grown } from "../sim/grow.ts";
import { type Kernel, NO_EVENT } from "../sim/kernel.ts";
import type { RandomStreams } from "../sim/random.ts";
import type { Trace } from "../sim/trace.ts";
import type { ProducerConfig } from "./config.ts";
import type { Link } from "./link.ts";
import type { MessageStore } from "./messages.ts";
import type { ProducerSequences } from "./producerSequence.ts";
import type { PublishGate, RoomWaiter } from "./queueCapacity.ts";
import { IntRing } from "./ring.ts";
import type { RunStats } from "./stats.ts";
import type { Subscription } from "./subscription.ts";
import { TokenBucket } from "./tokenBucket.ts";

/** Drop reason of a message the producer's rate limit refused (onLimit: drop). */
export const RATE_LIMIT_DROP_REASON = "producer rate limit";
/** Message sizes drawn from a distribution are capped here (the scenario's own limit). */
const MESSAGE_SIZE_MAX_BYTES = 2 ** 30;

/** How a producer to an exchange picks each message's route (routing key) and its readers. */
export interface ProducerRouting {
  /** The route of the next message (a routing key drawn by weight). */
  nextRoute(): number;
  /** The subscriptions a message on `route` belongs to (never empty). */
  subscriptionsOf(route: number): readonly Subscription[];
  /** The routing key of `route`, for the trace. */
  keyOf(route: number): string;
}

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

export class ProducerClient implements RoomWaiter {
  /** Attempts beyond the first. */
  retries = 0;
  /** Messages given up after the last retry. */
  givenUp = 0;
  /** Copies sent again after the broker refused them as out of sequence (not retries). */
  resends = 0;
  /** Messages that waited in the buffer for a token of the rate limit. */
  rateLimitDelayed = 0;
  /** Messages the rate limit dropped (onLimit: drop). */
  rateLimitDropped = 0;

  private readonly buffer = new IntRing();
  private inFlight = 0;
  // Messages awaiting acknowledgement, one request slot each.
  private requestMessageId = new Float64Array(64);
  private requestKeyIndex = new Int32Array(64);
  private requestProducedAtS = new Float64Array(64);
  private requestAttempts = new Int32Array(64);
  private requestGeneration = new Int32Array(64);
  private requestTimer = new Float64Array(64);
  private requestSizeBytes = new Int32Array(64);
  /** 1 once the request waited for a token (counted once). */
  private requestRateLimited = new Uint8Array(64);
  /** The route of a producer to an exchange (ProducerRouting), or -1. */
  private requestRoute = new Int32Array(64);
  private readonly freeRequests: number[] = [];
  private requestsUsed = 0;
  private draining = false;
  private readonly timeoutHandler: number;
  private readonly retryHandler: number;
  private readonly resendHandler: number;
  private readonly tokenHandler: number;
  private readonly sizes: Distribution | null;
  private readonly bucket: TokenBucket | null;
  /** The bucket makes messages wait (rather than dropping them). */
  private readonly limitWaits: boolean;
  /** Every message goes through the buffer (a gate or a waiting rate limit), acks none too. */
  private readonly buffered: boolean;
  private blockedS = 0;
  private blockedSinceS = Number.NaN;
  private tokenWakeupPending = false;

  constructor(
    private readonly kernel: Kernel,
    readonly config: ProducerConfig,
    private readonly store: MessageStore,
    private readonly subscriptions: readonly Subscription[],
    private readonly link: Link,
    private readonly stats: RunStats,
    private readonly trace: Trace | null,
    private readonly newMessageId: () => number,
    /** Sequence numbers of an idempotent producer writing to a topic; null otherwise. */
    private readonly sequences: ProducerSequences | null = null,
    /** For message sizes drawn from a distribution. */
    streams: RandomStreams | null = null,
    /** The destination's gate when it can block producers; null otherwise. */
    private readonly gate: PublishGate | null = null,
    /** Routing keys and their readers when the producer publishes to an exchange; null otherwise. */
    private readonly routing: ProducerRouting | null = null,
  ) {
    this.timeoutHandler = kernel.register(`producer:${config.name}/request-timeout`, (r, tag) =>
      this.timedOut(r, tag),
    );
    // A retry is for the request as it was when scheduled: an answer that came meanwhile (a
    // duplicate copy acknowledged during the backoff) may have finished it.
    this.retryHandler = kernel.register(`producer:${config.name}/retry`, (r, tag) => {
      if (this.isCurrent(r, tag)) this.attempt(r);
    });
    this.resendHandler = kernel.register(`producer:${config.name}/resend`, (r) =>
      this.attempt(r, true),
    );
    this.tokenHandler = kernel.register(`producer:${config.name}/token`, () => {
      this.tokenWakeupPending = false;
      this.sendBuffered();
    });
    const sizeSpec = config.messageSizeDistribution;
    if (sizeSpec !== null && streams === null) {
      throw new RangeError(`producer ${config.name}: message sizes drawn at random need streams`);
    }
    this.sizes =
      sizeSpec === null
        ? null
        : makeDistribution(sizeSpec, streams!.stream(`producer:${config.name}/sizes`));
    const limit = config.rateLimit;
    this.bucket = limit === null ? null : new TokenBucket(limit.ratePerS, limit.burst, kernel.nowS);
    this.limitWaits = limit !== null && limit.onLimit === "wait";
    this.buffered = gate !== null || this.limitWaits;
  }

  /**
   * The application produces a message with this key. A consumer forwarding a message passes its
   * original production time, so end-to-end latency spans the whole pipeline, and its id: the
   * next stage sees the same message (its idempotency and deduplication recognise a message
   * forwarded twice).
   */
  publish(keyIndex: number, producedAtS = this.kernel.nowS, forwardedId = -1): void {
    const messageId = forwardedId < 0 ? this.newMessageId() : forwardedId;
    const nowS = this.kernel.nowS;
    const route = this.routing === null ? -1 : this.routing.nextRoute();
    for (const subscription of this.recipients(route)) {
      if (forwardedId < 0) subscription.ledger.admit(messageId);
      else subscription.ledger.readmit(messageId);
      subscription.priorityClasses?.assign(messageId, this.config.priority);
    }
    this.stats.recordProduced();
    if (this.trace) {
      this.trace.emit(nowS, "produce", {
        msg: messageId,
        key: `k${keyIndex}`,
        producer: this.config.name,
        ...(route >= 0 ? { routingKey: this.routing!.keyOf(route) } : {}),
      });
    }
    const sizeBytes = this.nextSizeBytes();
    if (this.bucket !== null && !this.limitWaits && !this.bucket.tryTake(nowS)) {
      this.dropRateLimited(messageId, route);
      return;
    }
    if (this.config.acks === "none" && !this.buffered) {
      this.send(messageId, keyIndex, producedAtS, -1, sizeBytes, -1, route);
      return;
    }
    // The admitted copy is the one the producer holds until the broker acknowledges it (or,
    // with acks none, until it leaves the buffer).
    const r = this.takeRequest();
    this.requestMessageId[r] = messageId;
    this.requestKeyIndex[r] = keyIndex;
    this.requestProducedAtS[r] = producedAtS;
    this.requestAttempts[r] = 0;
    this.requestTimer[r] = NO_EVENT;
    this.requestSizeBytes[r] = sizeBytes;
    this.requestRateLimited[r] = 0;
    this.requestRoute[r] = route;
    this.buffer.push(r);
    this.sendBuffered();
  }

  /** The queue that blocked this producer may have room again (RoomWaiter). */
  roomMayHaveOpened(): void {
    this.sendBuffered();
  }

  /** When the producer was last blocked by its queue; NaN while it is not (RoomWaiter). */
  get waitingSinceS(): number {
    return this.blockedSinceS;
  }

  /** Time spent blocked by a full queue up to `nowS` (the current episode included). */
  blockedTimeS(nowS: number): number {
    return this.blockedS + (Number.isNaN(this.blockedSinceS) ? 0 : nowS - this.blockedSinceS);
  }

  private nextSizeBytes(): number {
    if (this.sizes === null) return this.config.messageSizeBytes;
    return Math.min(MESSAGE_SIZE_MAX_BYTES, Math.max(1, Math.round(this.sizes.sample())));
  }

  /** The subscriptions of a message on `route` (-1: the destination's, every message alike). */
  private recipients(route: number): readonly Subscription[] {
    return route < 0 ? this.subscriptions : this.routing!.subscriptionsOf(route);
  }

  /** The route of each message the producer holds (-1 without an exchange), for conservation. */
  heldRoutes(): number[] {
    const free = new Uint8Array(this.requestsUsed);
    for (const r of this.freeRequests) free[r] = 1;
    const routes: number[] = [];
    for (let r = 0; r < this.requestsUsed; r++)
      if (free[r] === 0) routes.push(this.requestRoute[r]);
    return routes;
  }

  private dropRateLimited(messageId: number, route: number): void {
    this.rateLimitDropped++;
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "rate-limit-drop", {
        msg: messageId,
        producer: this.config.name,
      });
    }
    for (const subscription of this.recipients(route)) {
      subscription.ledger.recordDropped(messageId, RATE_LIMIT_DROP_REASON);
      subscription.ledger.removeCopy(messageId, null);
    }
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
        const r = this.buffer.peek();
        if (this.gate !== null && !this.gate.hasRoom(this.requestSizeBytes[r])) {
          this.blocked();
          return;
        }
        if (this.limitWaits && !this.bucket!.tryTake(this.kernel.nowS)) {
          this.waitForToken(r);
          return;
        }
        this.unblocked();
        this.buffer.shift();
        if (this.config.acks === "none") {
          this.sendUnacknowledged(r);
        } else {
          this.inFlight++;
          this.attempt(r);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The queue has no room for the next message: wait for its notification. */
  private blocked(): void {
    if (Number.isNaN(this.blockedSinceS)) this.blockedSinceS = this.kernel.nowS;
    this.gate!.waitForRoom(this);
  }

  private unblocked(): void {
    if (Number.isNaN(this.blockedSinceS)) return;
    this.blockedS += this.kernel.nowS - this.blockedSinceS;
    this.blockedSinceS = Number.NaN;
  }

  /** No token for request `r` at the head of the buffer: try again when one has come. */
  private waitForToken(r: number): void {
    if (this.requestRateLimited[r] === 0) {
      this.requestRateLimited[r] = 1;
      this.rateLimitDelayed++;
    }
    const waitS = this.bucket!.waitS(this.kernel.nowS);
    // A rate so small that the next token is beyond any horizon: the message waits for ever.
    if (this.tokenWakeupPending || !Number.isFinite(waitS)) return;
    this.tokenWakeupPending = true;
    this.kernel.schedule(waitS, this.tokenHandler);
  }

  /** An acks-none message leaves the buffer: its held copy goes on the wire. */
  private sendUnacknowledged(r: number): void {
    this.send(
      this.requestMessageId[r],
      this.requestKeyIndex[r],
      this.requestProducedAtS[r],
      -1,
      this.requestSizeBytes[r],
      -1,
      this.requestRoute[r],
    );
    this.releaseRequest(r);
  }

  /** Sends request `r`: a first attempt, a retry, or (`resend`) a copy refused out of sequence. */
  private attempt(r: number, resend = false): void {
    if (!resend) {
      const attempts = ++this.requestAttempts[r];
      if (attempts > 1) this.retries++;
      else this.sequences?.assign(r, this.requestKeyIndex[r]);
    }
    const messageId = this.requestMessageId[r];
    for (const subscription of this.recipients(this.requestRoute[r])) {
      subscription.ledger.addCopy(messageId);
    }
    const tag = r + this.requestGeneration[r] * REQUEST_LIMIT;
    // The timer first: over an ideal link the acknowledgement arrives within send().
    this.requestTimer[r] = this.kernel.schedule(
      this.config.requestTimeoutS,
      this.timeoutHandler,
      r,
      tag,
    );
    const sequence = this.sequences === null ? -1 : this.sequences.packedOf(r);
    this.send(
      messageId,
      this.requestKeyIndex[r],
      this.requestProducedAtS[r],
      tag,
      this.requestSizeBytes[r],
      sequence,
      this.requestRoute[r],
    );
  }

  private send(
    messageId: number,
    keyIndex: number,
    producedAtS: number,
    tag: number,
    sizeBytes: number,
    sequence = -1,
    route = -1,
  ): void {
    const store = this.store;
    const slot = store.allocate(messageId, keyIndex, producedAtS, sizeBytes);
    store.requestTag[slot] = tag;
    store.sequence[slot] = sequence;
    store.route[slot] = route;
    store.priority[slot] = Math.min(this.config.priority, 255);
    this.gate?.reserve(slot);
    this.link.send(slot, 0);
  }

  private timedOut(r: number, tag: number): void {
    if (!this.isCurrent(r, tag)) return;
    this.requestTimer[r] = NO_EVENT;
    this.retryOrGiveUp(r);
  }

  private retryOrGiveUp(r: number): void {
    if (this.requestAttempts[r] <= this.config.maxRetries) {
      const tag = r + this.requestGeneration[r] * REQUEST_LIMIT;
      this.kernel.schedule(this.config.retryBackoffS, this.retryHandler, r, tag);
      return;
    }
    this.givenUp++;
    this.finish(r, `producer gave up after ${this.requestAttempts[r]} attempts`);
  }

  /** The producer lets go of the message; `lossCause` applies if no copy reached the broker. */
  private finish(r: number, lossCause: string | null): void {
    const messageId = this.requestMessageId[r];
    for (const subscription of this.recipients(this.requestRoute[r])) {
      subscription.ledger.removeCopy(messageId, lossCause);
    }
    if (this.sequences !== null) {
      // Records refused for want of this one go again, in order, through the event queue (an
      // answer can come back within a send).
      for (const waiting of this.sequences.release(r)) this.resend(waiting, 0);
    }
    this.releaseRequest(r);
    this.inFlight--;
    this.sendBuffered();
  }

  private releaseRequest(r: number): void {
    this.requestGeneration[r] = (this.requestGeneration[r] + 1) % 2 ** 26;
    this.freeRequests.push(r);
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
    this.requestSizeBytes = grown(this.requestSizeBytes, capacity);
    this.requestRateLimited = grown(this.requestRateLimited, capacity);
    this.requestRoute = grown(this.requestRoute, capacity);
  }
}
