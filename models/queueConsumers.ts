/**
 * A pool of consumer instances on one task queue. Each instance processes up to `concurrency`
 * messages at once and holds up to `prefetch` (see below); each unit of prefetch is a receive
 * token. Processing takes a sampled time and may fail. Where the ack happens decides the guarantee:
 * - after-processing (at-least-once): the ack follows the effect; a lost ack, a crash or a
 *   visibility timeout in between means a redelivery and a duplicate effect;
 * - before-processing (at-most-once): the ack comes first and the instance holds the only copy;
 *   a crash or a failure then loses the message;
 * - transactional: effect and ack are one atomic step at the broker; a stale delivery (its
 *   visibility timeout expired) commits neither.
 * Deliveries and acks cross network links. Instances crash (scheduled or at random) and restart.
 *
 * Prefetch (config `prefetch`, at least `concurrency`): each instance has `prefetch` receive
 * tokens, so it holds up to that many delivered, unacked messages; `concurrency` of them are
 * processed at once and the others wait in the instance's local buffer, in the order they
 * arrived, invisible to other instances. A crash drops the buffer with the rest: those messages
 * come back when their visibility timeout expires. An at-most-once instance acks a message when
 * it starts processing it (Celery's early ack), so a buffered message is never the only copy.
 * With prefetch = concurrency nothing is ever buffered.
 *
 * Lease extension (config `leaseExtensionS`, Pub/Sub's client libraries): while an instance is
 * up and holds a delivery (processing or buffered), it extends the delivery's ack deadline each
 * time it comes, until it has held the message `leaseExtensionS` in total. Once the work ends
 * (acked, nacked) or the instance crashes, it stops: an ack that was lost, or a crashed
 * instance's messages, come back when the deadline expires.
 *
 * On a queue with ordering keys, the callback that completes with success (or acks first, at
 * most once) tells the queue, which hands out the key's next message (models/orderingKeys.ts);
 * a failed one does not: the key waits for the nack (or the deadline) to redeliver it.
 *
 * An autoscaled pool (config `autoscale`) has tokens for `maxInstances` instances from the
 * start; those of instances not running are parked (never offered to the queue). An instance
 * added by `scaleTo` consumes after its cold start; one removed stops receiving at once (its
 * receives waiting in the queue's line are withdrawn) and finishes what it holds, as a consumer
 * shut down gracefully does (Kubernetes sends SIGTERM and waits). The newest instances go first,
 * those still starting before those running.
 *
 * A consumer that calls a downstream service (config `calls`) makes the call when its own
 * processing ends; the message succeeds when the call does. A failed call is retried where the
 * config says (models/config.ts ConsumerCallConfig): by the consumer itself (CallClient), by
 * nacking with the backoff as delay, or by requeueing after the backoff; when the retry policy
 * allows no more, the consumer moves the message to the dead-letter queue.
 *
 * A pool with an `attachment` (a Pulsar subscription, models/pulsarSubscription.ts) tells it
 * when an instance attaches to the broker (starts, restarts) and detaches (crashes, is removed);
 * a detached instance's receives are taken out of the queue's line at once, as a closed
 * connection asks for nothing more.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { TimeGrid } from "../sim/metrics.ts";
import type { RandomStreams } from "../sim/random.ts";
import type { Trace } from "../sim/trace.ts";
import type { InstanceGauge, ScalablePool } from "./autoscaler.ts";
import { CallClient, type CallTarget } from "./callClient.ts";
import type { ConsumerConfig } from "./config.ts";
import { ConsumerTraits, LOST_RECEIVE_REPOLL_S } from "./consumerTraits.ts";
import { ModelConfigError } from "./errors.ts";
import type { Link } from "./link.ts";
import type { MessageStore } from "./messages.ts";
import type { RetryPolicy } from "./retryPolicy.ts";
import type { RunStats } from "./stats.ts";
import { CauseCode, type Subscription } from "./subscription.ts";
import type { DeliveryTarget, TaskQueue } from "./taskQueue.ts";

const TokenState = { idle: 0, waiting: 1, busy: 2, repolling: 3 } as const;
/** An instance of an autoscaled pool: parked (not provisioned), in its cold start, or consuming. */
const InstanceState = { parked: 0, starting: 1, running: 2 } as const;
/** What travels on the ack link, in the low bits beside the receipt (receipt * 8 + kind). */
const AckKind = { ack: 0, nack: 1, commit: 2, deadLetter: 3, requeue: 4, retryNack: 5 } as const;
const ACK_KINDS = 8;
/** A call's tag: `receipt * TOKEN_LIMIT + token`, so a call that outlives its delivery is ignored. */
const TOKEN_LIMIT = 2 ** 20;
export const RETRIES_EXHAUSTED_REASON = "retries exhausted";

/** Who hears of instances attaching to the broker and detaching from it. */
export interface InstanceAttachment {
  attached(instance: number): void;
  detached(instance: number): void;
}

export class QueueConsumers implements DeliveryTarget, ScalablePool {
  readonly tokenCount: number;
  /** Instances the pool has room for: the autoscaler's max, else `count`. */
  readonly poolSize: number;
  /** Transactional commits refused because the delivery was no longer current. */
  fencedCommits = 0;
  /** Instance crashes so far. */
  crashes = 0;

  private targetIndex = -1;
  private deliveryLink: Link | null = null;
  private ackLink: Link | null = null;

  // What each token is working on, copied at dispatch so that a slot reused later does not
  // change the message a consumer believes it holds.
  private readonly tokenState: Uint8Array;
  private readonly tokenSlot: Int32Array;
  private readonly tokenReceipt: Float64Array;
  private readonly tokenMessageId: Float64Array;
  private readonly tokenProducedAtS: Float64Array;
  private readonly tokenKeyIndex: Int32Array;
  private readonly tokenCause: Uint8Array;
  /** When the token was given its delivery (lease extension counts from there). */
  private readonly tokenDispatchedAtS: Float64Array;
  /** 1 while the token holds the message's only copy (acked before processing). */
  private readonly tokenHolds: Uint8Array;
  private readonly tokenDoneEvent: Float64Array;
  /** Prefetch buffers: a FIFO of tokens per instance, linked through `bufferNext`. */
  private readonly bufferNext: Int32Array;
  private readonly bufferHead: Int32Array;
  private readonly bufferTail: Int32Array;
  /** Tokens of each instance processing a message (at most `concurrency`). */
  private readonly processingCount: Int32Array;
  private readonly instanceDown: Uint8Array;
  private readonly instanceState: Uint8Array;
  /** Bumped when an instance is added or removed, so a stale end of cold start is ignored. */
  private readonly instanceEpoch: Int32Array;
  private activeInstances: number;

  private readonly traits: ConsumerTraits;
  private readonly doneHandler: number;
  private readonly repollHandler: number;
  private readonly restartHandler: number;
  private readonly randomCrashHandler: number;
  private readonly beginHandler: number;
  private readonly coldStartHandler: number;
  /** The client of the downstream service each message calls; null when it calls none. */
  readonly callClient: CallClient | null = null;
  /** A pipeline stage publishes each message it applies on to the next queue or topic. */
  forward: ((messageId: number, keyIndex: number, producedAtS: number) => void) | null = null;
  /** Told of instances attaching and detaching; null: nobody (see above). */
  attachment: InstanceAttachment | null = null;

  constructor(
    private readonly kernel: Kernel,
    readonly config: ConsumerConfig,
    private readonly queue: TaskQueue,
    private readonly subscription: Subscription,
    private readonly store: MessageStore,
    private readonly stats: RunStats,
    streams: RandomStreams,
    private readonly trace: Trace | null,
    callTarget: CallTarget | null = null,
    private readonly retryPolicy: RetryPolicy | null = null,
    grid: TimeGrid | null = null,
    private readonly instanceGauge: InstanceGauge | null = null,
  ) {
    this.poolSize = Math.max(config.count, config.autoscale?.maxInstances ?? 0);
    if (config.prefetch < config.concurrency) {
      throw new ModelConfigError(
        `consumer ${config.name}: prefetch ${config.prefetch} is below concurrency ${config.concurrency}`,
      );
    }
    const tokens = this.poolSize * config.prefetch;
    if (tokens > TOKEN_LIMIT) {
      throw new RangeError(`consumer ${config.name}: more than ${TOKEN_LIMIT} receive tokens`);
    }
    this.tokenCount = tokens;
    this.tokenState = new Uint8Array(tokens);
    this.tokenSlot = new Int32Array(tokens);
    this.tokenReceipt = new Float64Array(tokens).fill(-1);
    this.tokenMessageId = new Float64Array(tokens);
    this.tokenProducedAtS = new Float64Array(tokens);
    this.tokenKeyIndex = new Int32Array(tokens);
    this.tokenCause = new Uint8Array(tokens);
    this.tokenDispatchedAtS = new Float64Array(tokens);
    this.tokenHolds = new Uint8Array(tokens);
    this.tokenDoneEvent = new Float64Array(tokens).fill(-1);
    this.bufferNext = new Int32Array(tokens).fill(-1);
    this.bufferHead = new Int32Array(this.poolSize).fill(-1);
    this.bufferTail = new Int32Array(this.poolSize).fill(-1);
    this.processingCount = new Int32Array(this.poolSize);
    this.instanceDown = new Uint8Array(this.poolSize);
    this.instanceState = new Uint8Array(this.poolSize).fill(InstanceState.running, 0, config.count);
    this.instanceEpoch = new Int32Array(this.poolSize);
    this.activeInstances = config.count;
    const name = config.name;
    // Random crashes hit the pool's room uniformly and skip parked instances: each live
    // instance still crashes at crashRatePerS.
    this.traits = new ConsumerTraits(config, streams, this.poolSize);
    this.doneHandler = kernel.register(`consumer:${name}/done`, (token) => this.done(token));
    this.repollHandler = kernel.register(`consumer:${name}/repoll`, (token) => {
      if (this.tokenState[token] === TokenState.repolling) this.offer(token);
    });
    this.restartHandler = kernel.register(`consumer:${name}/restart`, (instance) =>
      this.restart(instance),
    );
    this.randomCrashHandler = kernel.register(`consumer:${name}/random-crash`, () =>
      this.randomCrash(),
    );
    this.beginHandler = kernel.register(`consumer:${name}/begin`, () => this.begin());
    this.coldStartHandler = kernel.register(`consumer:${name}/cold-start-done`, (i, epoch) =>
      this.coldStartDone(i, epoch),
    );
    const calls = config.calls;
    if (calls !== null && callTarget !== null) {
      this.callClient = new CallClient(
        kernel,
        `consumer:${name}`,
        callTarget,
        calls.timeoutS,
        retryPolicy,
        calls.retryAt === "consumer",
        (tag, ok, timedOut) => this.callDone(tag, ok, timedOut),
        grid!,
      );
    }
  }

  /** Wires the links (queue -> pool for deliveries, pool -> queue for acks) and joins the queue. */
  connect(deliveryLink: Link, ackLink: Link): void {
    this.deliveryLink = deliveryLink;
    this.ackLink = ackLink;
    this.targetIndex = this.queue.addTarget(this, this.tokenCount);
  }

  /** Every token starts waiting for work; instances take turns so load spreads across them. */
  start(): void {
    if (this.config.startS > 0) {
      this.kernel.schedule(this.config.startS, this.beginHandler);
      return;
    }
    this.begin();
  }

  /** At its start time, every token waits for work and random crashes begin. */
  private begin(): void {
    if (this.attachment !== null) {
      for (let i = 0; i < this.poolSize; i++) {
        if (this.instanceState[i] === InstanceState.running && this.instanceDown[i] === 0)
          this.attachment.attached(i);
      }
    }
    for (let token = 0; token < this.tokenCount; token++) this.offer(token);
    this.scheduleRandomCrash();
  }

  /** Instance that owns a token (tokens interleave across instances). */
  instanceOf(token: number): number {
    return token % this.poolSize;
  }

  dispatched(token: number, slot: number, receipt: number): void {
    if (this.instanceDown[this.instanceOf(token)] === 1) {
      // Received by a process that is going down: the message stays invisible until its
      // visibility timeout, like a receive whose caller died.
      this.store.crashed[slot] = 1;
      this.tokenState[token] = TokenState.idle;
      return;
    }
    const store = this.store;
    this.tokenState[token] = TokenState.busy;
    this.tokenSlot[token] = slot;
    this.tokenReceipt[token] = receipt;
    this.tokenMessageId[token] = store.messageId[slot];
    this.tokenProducedAtS[token] = store.producedAtS[slot];
    this.tokenKeyIndex[token] = store.keyIndex[slot];
    this.tokenCause[token] = store.cause[slot];
    this.tokenDispatchedAtS[token] = this.kernel.nowS;
    this.deliveryLink!.send(token, receipt);
  }

  /** The lease this pool still extends for delivery `receipt` held by `token` (0: none). */
  leaseRemainingS(token: number, receipt: number): number {
    const leaseS = this.config.leaseExtensionS;
    if (
      leaseS === 0 ||
      this.tokenState[token] !== TokenState.busy ||
      this.tokenReceipt[token] !== receipt ||
      this.instanceDown[this.instanceOf(token)] === 1
    ) {
      return 0;
    }
    return this.tokenDispatchedAtS[token] + leaseS - this.kernel.nowS;
  }

  /** The delivery link brought the message to the instance: it processes or buffers it. */
  received(token: number, receipt: number): void {
    if (this.tokenReceipt[token] !== receipt) return; // the instance crashed since
    const instance = this.instanceOf(token);
    if (this.processingCount[instance] < this.config.concurrency) {
      this.processingCount[instance]++;
      this.startProcessing(token);
      return;
    }
    if (this.trace) this.emit("prefetched", token);
    const tail = this.bufferTail[instance];
    if (tail < 0) this.bufferHead[instance] = token;
    else this.bufferNext[tail] = token;
    this.bufferTail[instance] = token;
  }

  private startProcessing(token: number): void {
    if (this.trace) this.emit("process-start", token);
    if (this.config.commit === "before-processing") {
      // The instance now holds the message; the ack deletes the queue's copy.
      this.subscription.ledger.addCopy(this.tokenMessageId[token]);
      this.tokenHolds[token] = 1;
      this.sendAck(token, AckKind.ack);
    }
    this.tokenDoneEvent[token] = this.kernel.schedule(
      this.traits.processing.sample(),
      this.doneHandler,
      token,
    );
  }

  /** The delivery was lost on the way: the instance notices and polls again. */
  receiveLost(token: number, receipt: number): void {
    if (this.tokenReceipt[token] !== receipt) return;
    this.tokenState[token] = TokenState.repolling;
    this.kernel.schedule(LOST_RECEIVE_REPOLL_S, this.repollHandler, token);
  }

  private done(token: number): void {
    this.tokenDoneEvent[token] = -1;
    const failed = this.traits.isPoison(this.tokenMessageId[token]) || this.traits.failed();
    if (!failed && this.callClient !== null) {
      this.callClient.call(this.tokenReceipt[token] * TOKEN_LIMIT + token);
      return;
    }
    this.finish(token, failed);
  }

  /** The downstream call of a delivery ended. */
  private callDone(tag: number, ok: boolean, timedOut: boolean): void {
    const token = tag % TOKEN_LIMIT;
    const receipt = (tag - token) / TOKEN_LIMIT;
    if (this.tokenReceipt[token] !== receipt) return; // the instance crashed meanwhile
    if (ok) {
      this.finish(token, false);
      return;
    }
    if (this.trace) this.emit("call-failed", token);
    const retryAt = this.config.calls!.retryAt;
    if (this.config.commit === "before-processing") {
      // Acked already: nothing to retry through the broker, nothing to dead-letter.
      this.release(token, "call failed after ack (at-most-once)");
      this.keyDone(token);
    } else if (retryAt === "consumer") {
      this.sendAck(token, AckKind.deadLetter);
    } else {
      // The policy counts this message's failed calls, carried with it through the broker.
      const store = this.store;
      const slot = this.tokenSlot[token];
      const failures = ++store.callFailures[slot];
      const delayS = this.retryPolicy!.retryDelayS(
        failures,
        store.retryDelayS[slot],
        this.kernel.nowS,
        timedOut,
      );
      if (delayS < 0) {
        this.sendAck(token, AckKind.deadLetter);
      } else {
        store.retryDelayS[slot] = delayS;
        this.sendAck(token, retryAt === "broker" ? AckKind.retryNack : AckKind.requeue);
      }
    }
    this.endWork(token);
  }

  /** The delivery's work ended, in success or in failure. */
  private finish(token: number, failed: boolean): void {
    const commit = this.config.commit;
    if (failed) {
      this.stats.processingFailures++;
      if (this.trace) this.emit("process-fail", token);
      if (commit === "before-processing") {
        this.release(token, "failed after ack (at-most-once)");
        this.keyDone(token);
      } else if (this.config.onFailure === "nack") {
        this.sendAck(token, AckKind.nack);
      }
    } else if (commit === "transactional") {
      this.sendAck(token, AckKind.commit);
      this.keyDone(token);
    } else {
      if (this.trace) this.emit("processed", token);
      // A delivery that went stale while being processed was delivered again meanwhile.
      const cause = this.queue.holds(this.tokenSlot[token], this.tokenReceipt[token])
        ? this.tokenCause[token]
        : CauseCode["redelivery-after-visibility-timeout"];
      const applied = this.subscription.applyEffect(
        this.tokenMessageId[token],
        this.tokenKeyIndex[token],
        this.tokenProducedAtS[token],
        cause,
        this.traits.idempotency,
      );
      if (applied) {
        this.forward?.(
          this.tokenMessageId[token],
          this.tokenKeyIndex[token],
          this.tokenProducedAtS[token],
        );
      }
      if (commit === "before-processing") this.release(token, null);
      else this.sendAck(token, AckKind.ack);
      this.keyDone(token);
    }
    this.endWork(token);
  }

  /** The callback of the token's delivery completed: its key may hand out its next message. */
  private keyDone(token: number): void {
    this.queue.keyCallbackDone(this.tokenKeyIndex[token], this.tokenReceipt[token]);
  }

  /**
   * The token is done with its message: the instance's oldest buffered message takes its place
   * in processing (before the token asks for more, which an ideal link may deliver at once).
   */
  private endWork(token: number): void {
    this.tokenReceipt[token] = -1;
    const instance = this.instanceOf(token);
    const next = this.bufferHead[instance];
    if (next < 0) {
      this.processingCount[instance]--;
    } else {
      this.bufferHead[instance] = this.bufferNext[next];
      if (this.bufferHead[instance] < 0) this.bufferTail[instance] = -1;
      this.bufferNext[next] = -1;
      this.startProcessing(next);
    }
    this.offer(token);
  }

  /** The ack link delivered an ack, a nack or a transactional commit to the queue. */
  ackArrived(slot: number, receiptAndKind: number): void {
    const kind = receiptAndKind % ACK_KINDS;
    const receipt = (receiptAndKind - kind) / ACK_KINDS;
    if (kind === AckKind.nack) {
      this.queue.failed(slot, receipt, this.config.nackDelayS);
    } else if (kind === AckKind.retryNack) {
      // A retry through the broker: the nack carries the backoff as its delay.
      this.queue.nack(slot, receipt, this.store.retryDelayS[slot]);
    } else if (kind === AckKind.deadLetter) {
      this.queue.deadLetter(slot, receipt, RETRIES_EXHAUSTED_REASON);
    } else if (kind === AckKind.requeue) {
      this.queue.requeue(slot, receipt, this.store.retryDelayS[slot]);
    } else if (kind === AckKind.ack) {
      this.queue.ack(slot, receipt);
    } else if (this.queue.holds(slot, receipt)) {
      // Effect and ack in one transaction, while the delivery is still the current one.
      const store = this.store;
      const applied = this.subscription.applyEffect(
        store.messageId[slot],
        store.keyIndex[slot],
        store.producedAtS[slot],
        store.cause[slot],
        this.traits.idempotency,
      );
      if (applied) {
        this.forward?.(store.messageId[slot], store.keyIndex[slot], store.producedAtS[slot]);
      }
      this.queue.ack(slot, receipt);
    } else {
      this.fencedCommits++;
    }
  }

  /** Crashes one instance (or all when `instance` is null); each comes back after `downS`. */
  crash(instance: number | null, downS: number): void {
    const first = instance ?? 0;
    const last = instance ?? this.poolSize - 1;
    for (let i = first; i <= last; i++) {
      if (this.instanceDown[i] === 1 || this.instanceState[i] === InstanceState.parked) continue;
      this.instanceDown[i] = 1;
      this.crashes++;
      if (this.trace) {
        this.trace.emit(this.kernel.nowS, "consumer-crash", {
          consumer: `${this.config.name}/${i}`,
        });
      }
      // Detached before its deliveries come back, so they go to the instances still attached.
      if (this.attachment !== null) this.detach(i);
      for (let token = i; token < this.tokenCount; token += this.poolSize) {
        this.dropWork(token);
        this.bufferNext[token] = -1;
      }
      this.bufferHead[i] = -1;
      this.bufferTail[i] = -1;
      this.processingCount[i] = 0;
      this.kernel.schedule(downS, this.restartHandler, i);
    }
  }

  /**
   * A crashed instance loses what it was doing: held messages are lost, in-flight and buffered
   * ones will time out.
   */
  private dropWork(token: number): void {
    const state = this.tokenState[token];
    if (state === TokenState.waiting) return; // still in the queue's line; ignored when dispatched
    this.kernel.cancel(this.tokenDoneEvent[token]);
    this.tokenDoneEvent[token] = -1;
    if (state === TokenState.busy) {
      if (this.tokenHolds[token] === 1) {
        this.release(token, "consumer crashed after ack (at-most-once)");
      } else if (this.queue.holds(this.tokenSlot[token], this.tokenReceipt[token])) {
        this.store.crashed[this.tokenSlot[token]] = 1;
        // A broker that sees the connection close requeues the delivery now (RabbitMQ).
        if (this.queue.config.requeueOnDisconnect) {
          this.queue.disconnected(this.tokenSlot[token], this.tokenReceipt[token]);
        }
      }
    }
    this.tokenReceipt[token] = -1;
    this.tokenState[token] = TokenState.idle;
  }

  private restart(instance: number): void {
    this.instanceDown[instance] = 0;
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "consumer-restart", {
        consumer: `${this.config.name}/${instance}`,
      });
    }
    if (this.instanceState[instance] === InstanceState.running) this.attachment?.attached(instance);
    this.offerIdleTokens(instance);
  }

  private offerIdleTokens(instance: number): void {
    for (let token = instance; token < this.tokenCount; token += this.poolSize) {
      if (this.tokenState[token] === TokenState.idle) this.offer(token);
    }
  }

  /** Instances running or in their cold start. */
  get instances(): number {
    return this.activeInstances;
  }

  /**
   * Adds instances (the lowest parked ones; each consumes after its cold start) or removes
   * instances (the highest starting ones, then the highest running ones).
   */
  scaleTo(instances: number): void {
    if (!(Number.isInteger(instances) && instances >= 0 && instances <= this.poolSize)) {
      throw new RangeError(`consumer ${this.config.name}: cannot scale to ${instances} instances`);
    }
    const before = this.activeInstances;
    for (let i = 0; i < this.poolSize && this.activeInstances < instances; i++) {
      if (this.instanceState[i] !== InstanceState.parked) continue;
      this.instanceState[i] = InstanceState.starting;
      this.instanceEpoch[i]++;
      this.activeInstances++;
      const coldStartS = this.config.autoscale?.coldStartS ?? 0;
      this.kernel.schedule(coldStartS, this.coldStartHandler, i, this.instanceEpoch[i]);
    }
    for (const state of [InstanceState.starting, InstanceState.running]) {
      for (let i = this.poolSize - 1; i >= 0 && this.activeInstances > instances; i--) {
        if (this.instanceState[i] === state) this.park(i);
      }
    }
    if (this.trace && this.activeInstances !== before) {
      this.trace.emit(this.kernel.nowS, "scale", {
        consumer: this.config.name,
        from: before,
        to: this.activeInstances,
      });
    }
    this.instanceGauge?.change(this.activeInstances - before);
  }

  private coldStartDone(instance: number, epoch: number): void {
    if (this.instanceEpoch[instance] !== epoch) return; // removed while starting
    this.instanceState[instance] = InstanceState.running;
    if (this.instanceDown[instance] === 0) this.attachment?.attached(instance);
    this.offerIdleTokens(instance);
  }

  /** The instance stops receiving; what its tokens hold they finish, then they stay idle. */
  private park(instance: number): void {
    this.instanceState[instance] = InstanceState.parked;
    this.instanceEpoch[instance]++;
    this.activeInstances--;
    if (this.attachment !== null) this.detach(instance);
    else this.withdrawWaiting(instance);
  }

  /** The instance's receives waiting in the queue's line are taken back. */
  private withdrawWaiting(instance: number): void {
    for (let token = instance; token < this.tokenCount; token += this.poolSize) {
      if (
        this.tokenState[token] === TokenState.waiting &&
        this.queue.withdraw(this.targetIndex, token)
      ) {
        this.tokenState[token] = TokenState.idle;
      }
    }
  }

  /** The instance detaches from the broker: no more receives, then the attachment is told. */
  private detach(instance: number): void {
    this.withdrawWaiting(instance);
    this.attachment!.detached(instance);
  }

  private scheduleRandomCrash(): void {
    const gapS = this.traits.nextCrashGapS();
    if (gapS !== null) this.kernel.schedule(gapS, this.randomCrashHandler);
  }

  /** One crash of the pool's Poisson crash process hits an instance chosen at random. */
  private randomCrash(): void {
    this.crash(this.traits.crashedInstance(), this.config.restartS);
    this.scheduleRandomCrash();
  }

  private offer(token: number): void {
    const instance = this.instanceOf(token);
    if (
      this.instanceDown[instance] === 1 ||
      this.instanceState[instance] !== InstanceState.running
    ) {
      this.tokenState[token] = TokenState.idle;
      return;
    }
    this.tokenState[token] = TokenState.waiting;
    this.queue.offer(this.targetIndex, token);
  }

  private sendAck(token: number, kind: number): void {
    this.ackLink!.send(this.tokenSlot[token], this.tokenReceipt[token] * ACK_KINDS + kind);
  }

  /** The token lets go of the copy it held; `lossCause` when that loses the message. */
  private release(token: number, lossCause: string | null): void {
    this.tokenHolds[token] = 0;
    this.subscription.ledger.removeCopy(this.tokenMessageId[token], lossCause);
  }

  /** Copies held by instances (acked before processing, not yet finished). */
  get heldCopies(): number {
    let held = 0;
    for (let token = 0; token < this.tokenCount; token++) held += this.tokenHolds[token];
    return held;
  }

  private emit(event: string, token: number): void {
    this.trace!.emit(this.kernel.nowS, event, {
      msg: this.tokenMessageId[token],
      key: `k${this.tokenKeyIndex[token]}`,
      consumer: `${this.config.name}/${this.instanceOf(token)}`,
    });
  }
}
