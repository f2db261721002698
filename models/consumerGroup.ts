/**
 * A pool of consumer instances on one task queue. Each instance processes up to `concurrency`
 * messages at once; each unit of concurrency is a receive token. Processing takes a sampled time
 * and may fail; a success is acked after processing (at-least-once), a failure is nacked or left
 * to its visibility timeout. Deliveries and acks cross network links, so a lost ack means a
 * redelivery and a duplicate effect.
 */
import { type Distribution, makeDistribution } from "../sim/distributions.ts";
import type { Kernel } from "../sim/kernel.ts";
import type { RandomStreams, Rng } from "../sim/random.ts";
import type { Trace } from "../sim/trace.ts";
import type { ConsumerConfig } from "./config.ts";
import type { FateLedger } from "./ledger.ts";
import type { Link } from "./link.ts";
import type { MessageStore } from "./messages.ts";
import type { RunStats } from "./stats.ts";
import type { DeliveryTarget, TaskQueue } from "./taskQueue.ts";

/** A consumer whose receive was lost on the network polls again after this long. */
export const LOST_RECEIVE_REPOLL_S = 1;

export class ConsumerGroup implements DeliveryTarget {
  readonly tokenCount: number;
  private targetIndex = -1;
  private deliveryLink: Link | null = null;
  private ackLink: Link | null = null;

  // What each token is working on, copied at dispatch so that a slot reused later does not
  // change the message a consumer believes it holds.
  private readonly tokenSlot: Int32Array;
  private readonly tokenReceipt: Float64Array;
  private readonly tokenMessageId: Float64Array;
  private readonly tokenProducedAtS: Float64Array;
  private readonly tokenKeyIndex: Int32Array;

  private readonly processing: Distribution;
  private readonly failureRng: Rng;
  private readonly doneHandler: number;
  private readonly repollHandler: number;

  constructor(
    private readonly kernel: Kernel,
    readonly config: ConsumerConfig,
    private readonly queue: TaskQueue,
    private readonly store: MessageStore,
    private readonly ledger: FateLedger,
    private readonly stats: RunStats,
    streams: RandomStreams,
    private readonly trace: Trace | null,
  ) {
    this.tokenCount = config.count * config.concurrency;
    this.tokenSlot = new Int32Array(this.tokenCount);
    this.tokenReceipt = new Float64Array(this.tokenCount);
    this.tokenMessageId = new Float64Array(this.tokenCount);
    this.tokenProducedAtS = new Float64Array(this.tokenCount);
    this.tokenKeyIndex = new Int32Array(this.tokenCount);
    this.processing = makeDistribution(
      config.processing,
      streams.stream(`consumer:${config.name}/processing`),
    );
    this.failureRng = streams.stream(`consumer:${config.name}/failures`);
    this.doneHandler = kernel.register(`consumer:${config.name}/done`, (token) => this.done(token));
    this.repollHandler = kernel.register(`consumer:${config.name}/repoll`, (token) =>
      this.queue.offer(this.targetIndex, token),
    );
  }

  /** Wires the links (queue -> group for deliveries, group -> queue for acks) and joins the queue. */
  connect(deliveryLink: Link, ackLink: Link): void {
    this.deliveryLink = deliveryLink;
    this.ackLink = ackLink;
    this.targetIndex = this.queue.addTarget(this, this.tokenCount);
  }

  /** Every token starts waiting for work; instances take turns so load spreads across them. */
  start(): void {
    for (let token = 0; token < this.tokenCount; token++) this.queue.offer(this.targetIndex, token);
  }

  /** Instance that owns a token (tokens interleave across instances). */
  instanceOf(token: number): number {
    return token % this.config.count;
  }

  dispatched(token: number, slot: number, receipt: number): void {
    const store = this.store;
    this.tokenSlot[token] = slot;
    this.tokenReceipt[token] = receipt;
    this.tokenMessageId[token] = store.messageId[slot];
    this.tokenProducedAtS[token] = store.producedAtS[slot];
    this.tokenKeyIndex[token] = store.keyIndex[slot];
    this.deliveryLink!.send(token, receipt);
  }

  /** The delivery link brought the message to the instance. */
  received(token: number): void {
    if (this.trace) this.emit("process-start", token);
    this.kernel.schedule(this.processing.sample(), this.doneHandler, token);
  }

  /** The delivery was lost on the way: the instance notices and polls again. */
  receiveLost(token: number): void {
    this.kernel.schedule(LOST_RECEIVE_REPOLL_S, this.repollHandler, token);
  }

  private done(token: number): void {
    const slot = this.tokenSlot[token];
    const receipt = this.tokenReceipt[token];
    const failureProbability = this.config.failureProbability;
    if (failureProbability > 0 && this.failureRng.next() < failureProbability) {
      this.stats.processingFailures++;
      if (this.trace) this.emit("process-fail", token);
      if (this.config.onFailure === "nack") this.ackLink!.send(slot, receipt * 2 + 1);
    } else {
      const messageId = this.tokenMessageId[token];
      const first = this.ledger.recordProcessed(messageId);
      if (first) this.stats.recordFirstProcessing(this.tokenProducedAtS[token]);
      if (this.trace) this.emit(first ? "processed" : "processed-again", token);
      this.ackLink!.send(slot, receipt * 2);
    }
    this.queue.offer(this.targetIndex, token);
  }

  /** The ack link delivered an ack (or a nack, flagged in the low bit) to the queue. */
  ackArrived(slot: number, receiptAndNack: number): void {
    const nack = receiptAndNack % 2 === 1;
    const receipt = (receiptAndNack - (nack ? 1 : 0)) / 2;
    if (nack) this.queue.nack(slot, receipt, this.config.nackDelayS);
    else this.queue.ack(slot, receipt);
  }

  private emit(event: string, token: number): void {
    this.trace!.emit(this.kernel.nowS, event, {
      msg: this.tokenMessageId[token],
      key: `k${this.tokenKeyIndex[token]}`,
      consumer: `${this.config.name}/${this.instanceOf(token)}`,
    });
  }
}
