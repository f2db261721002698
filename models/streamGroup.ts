/**
 * A consumer group on a topic (Kafka's group.id): its members share the topic's partitions, each
 * partition read by one member at a time from the group's committed offset. A member polls up to
 * `maxPollRecords` records, processes them one after another, and commits according to its
 * commit point. Members send heartbeats; one that misses `sessionTimeoutS` of them (crashed, or
 * cut off by a network partition) or does not poll within `maxPollIntervalS` is expelled and the
 * group rebalances (eager: every partition revoked and reassigned, range assignor), so records
 * fetched after the last commit are read again by their new owner.
 *
 * Members read a partition only below its high watermark (the records every in-sync replica
 * has), and nothing while it is offline (models/replication.ts). A topic's read limit
 * (`readLimit`, models/throughputLimits.ts) counts each partition a poll reads as one fetch call;
 * a throttled partition is skipped, and a member whose poll got nothing for it polls again when
 * the next one-second window opens.
 *
 * Accounting, per record and for this group only: a record holds one "retained" copy while it
 * is in the log at or past the group's committed offset (the range [accountedFrom, logEnd) of
 * each partition: records above the high watermark included), and one more for each member
 * holding it in a fetched batch. A record whose copies are all gone before it was processed is
 * lost, with the cause that removed the last one (retention, an offset reset, a commit that ran
 * ahead of a crash, a leader failover that cut it from the log).
 *
 * A rebalance waits for every member to rejoin: an idle one at once, a busy one when it has
 * finished its batch and polls (its commits still count meanwhile), a crashed one until its
 * session times out; one that takes longer than max.poll.interval is expelled.
 *
 * An autoscaled group (config `autoscale`) has room for `maxInstances` members, those beyond
 * the current count parked (down, out of the group). A member added joins after its cold start
 * (a rebalance); one removed leaves between batches as a consumer closed gracefully does: it
 * stops polling once its batch is done, sends a last offset commit, and the coordinator, when
 * that commit arrives, takes it out of the group (LeaveGroup: a rebalance). A crashed member
 * removed stays in the group until its session times out.
 *
 * Simplifications: joins and assignments take no network round trips and there is no
 * group.initial.rebalance.delay (members joining at the same instant rebalance once); an offset
 * commit applies the member's latest offsets when it arrives; a failed record is retried in place
 * after `nackDelayS` (blocking its partition).
 *
 * A group that calls a downstream service (config `calls`) makes the call after each record's
 * processing and retries it in place (the partition waits, as a Kafka consumer that retries
 * inside its poll loop does); a record whose call used up its attempts goes to the dead-letter
 * topic and the group moves on.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { RandomStreams } from "../sim/random.ts";
import type { Trace } from "../sim/trace.ts";
import type { InstanceGauge, ScalablePool } from "./autoscaler.ts";
import { CallClient, type CallTarget } from "./callClient.ts";
import type { ConsumerConfig } from "./config.ts";
import { ConsumerTraits, LOST_RECEIVE_REPOLL_S } from "./consumerTraits.ts";
import { InvariantError } from "./errors.ts";
import type { Link } from "./link.ts";
import type { PartitionLog } from "./partitionLog.ts";
import type { PartitionState } from "./replication.ts";
import type { RetryPolicy } from "./retryPolicy.ts";
import type { RunStats } from "./stats.ts";
import { CauseCode, type DuplicateCause, type Subscription } from "./subscription.ts";
import { nextWindowS, type PartitionReadLimit } from "./throughputLimits.ts";

const MemberState = { down: 0, idle: 1, waitingForData: 2, fetching: 3, processing: 4 } as const;

/** A call's tag is `member + epoch * MEMBER_LIMIT`, so a call that outlives a crash is ignored. */
const MEMBER_LIMIT = 2 ** 20;

export class StreamGroup implements ScalablePool {
  rebalances = 0;
  commitsRejected = 0;
  fencedCommits = 0;
  offsetResets = 0;
  crashes = 0;
  /** Records readable and not yet fetched, summed over partitions: highWatermark - position. */
  lag = 0;

  private readonly partitions: number;
  /** Members the group has room for: the autoscaler's max, else `count`. */
  readonly members: number;
  private readonly batchMax: number;
  private generation = 0;
  private rebalancePending = false;
  private rebalanceStartS = 0;
  private rebalanceCause: number = CauseCode["reread-after-rebalance"];
  private completionCheckScheduled = false;

  // Per partition.
  private readonly committed: Float64Array;
  private readonly accountedFrom: Float64Array;
  private readonly position: Float64Array;
  /** The end of what the group has fetched so far: records below it are re-reads. */
  private readonly fetchedEnd: Float64Array;
  private readonly rereadCause: Uint8Array;
  private readonly owner: Int32Array;

  // Per member.
  private readonly state: Uint8Array;
  private readonly inGroup: Uint8Array;
  /** During a rebalance: 1 once the member has rejoined. */
  private readonly rejoined: Uint8Array;
  private readonly epoch: Int32Array;
  private readonly memberGeneration: Int32Array;
  private readonly lastHeartbeatS: Float64Array;
  private readonly lastPollS: Float64Array;
  private readonly lastAutoCommitS: Float64Array;
  private readonly doneEvent: Float64Array;
  private readonly batchLength: Int32Array;
  private readonly batchNext: Int32Array;
  private readonly pollStart: Int32Array;
  /** 1 for a member not provisioned (autoscaling); it is down and out of the group. */
  private readonly parked: Uint8Array;
  /** 1 for a member added and still in its cold start. */
  private readonly starting: Uint8Array;
  /** Bumped each time a member is added, so the end of an earlier cold start is ignored. */
  private readonly startGeneration: Int32Array;
  /** 1 for a member removed whose last commit (its LeaveGroup) has not reached the coordinator. */
  private readonly leaving: Uint8Array;
  private activeMembers: number;
  /** Offsets a member's last commit request carries, member-major. */
  private readonly commitOffsets: Float64Array;

  // Each member's fetched batch, member-major, `batchMax` entries per member.
  private readonly batchPartition: Int32Array;
  private readonly batchOffset: Float64Array;
  private readonly batchMessageId: Float64Array;
  private readonly batchKeyIndex: Int32Array;
  private readonly batchProducedAtS: Float64Array;
  private readonly batchCause: Uint8Array;

  private fetchLink: Link | null = null;
  private commitLink: Link | null = null;
  private readonly traits: ConsumerTraits;
  /** The client of the downstream service each record calls; null when it calls none. */
  readonly callClient: CallClient | null = null;
  /** A pipeline stage publishes each record it applies on to the next queue or topic. */
  forward: ((messageId: number, keyIndex: number, producedAtS: number) => void) | null = null;
  /** Records whose call failed after its last attempt, sent to the dead-letter topic. */
  deadLettered = 0;
  /** The topic's read limit (shared with its other groups); null: none. */
  readLimit: PartitionReadLimit | null = null;
  /** Set by fillBatch when the read limit refused a partition. */
  private fetchThrottled = false;
  private readonly handlers: {
    poll: number;
    done: number;
    retry: number;
    heartbeat: number;
    sessionCheck: number;
    restart: number;
    join: number;
    completeRebalance: number;
    randomCrash: number;
    coldStartDone: number;
  };

  constructor(
    private readonly kernel: Kernel,
    readonly config: ConsumerConfig,
    private readonly logs: PartitionLog[],
    private readonly partitionState: PartitionState,
    readonly subscription: Subscription,
    private readonly stats: RunStats,
    streams: RandomStreams,
    private readonly trace: Trace | null,
    private readonly instanceGauge: InstanceGauge | null = null,
    callTarget: CallTarget | null = null,
    retryPolicy: RetryPolicy | null = null,
  ) {
    const partitions = logs.length;
    const members = Math.max(config.count, config.autoscale?.maxInstances ?? 0);
    this.partitions = partitions;
    this.members = members;
    this.batchMax = config.maxPollRecords;
    this.committed = new Float64Array(partitions).fill(-1);
    this.accountedFrom = new Float64Array(partitions);
    this.position = new Float64Array(partitions);
    this.fetchedEnd = new Float64Array(partitions);
    this.rereadCause = new Uint8Array(partitions);
    this.owner = new Int32Array(partitions).fill(-1);
    this.state = new Uint8Array(members).fill(MemberState.down);
    this.inGroup = new Uint8Array(members);
    this.rejoined = new Uint8Array(members);
    this.epoch = new Int32Array(members);
    this.memberGeneration = new Int32Array(members).fill(-1);
    this.lastHeartbeatS = new Float64Array(members);
    this.lastPollS = new Float64Array(members);
    this.lastAutoCommitS = new Float64Array(members);
    this.doneEvent = new Float64Array(members).fill(-1);
    this.batchLength = new Int32Array(members);
    this.batchNext = new Int32Array(members);
    this.pollStart = new Int32Array(members);
    this.parked = new Uint8Array(members).fill(1, config.count);
    this.starting = new Uint8Array(members);
    this.startGeneration = new Int32Array(members);
    this.leaving = new Uint8Array(members);
    this.activeMembers = config.count;
    this.commitOffsets = new Float64Array(members * partitions);
    const batchSlots = members * this.batchMax;
    this.batchPartition = new Int32Array(batchSlots);
    this.batchOffset = new Float64Array(batchSlots);
    this.batchMessageId = new Float64Array(batchSlots);
    this.batchKeyIndex = new Int32Array(batchSlots);
    this.batchProducedAtS = new Float64Array(batchSlots);
    this.batchCause = new Uint8Array(batchSlots);

    // Random crashes pick among all the room and skip parked members: each live member still
    // crashes at crashRatePerS.
    this.traits = new ConsumerTraits(config, streams, members);
    const on = (what: string, handler: (a: number, b: number) => void) =>
      kernel.register(`group:${config.group}/${what}`, handler);
    this.handlers = {
      poll: on("poll", (m, epoch) => {
        if (this.epoch[m] === epoch && this.state[m] === MemberState.idle) this.poll(m);
      }),
      done: on("done", (m) => this.done(m)),
      retry: on("retry", (m, epoch) => {
        if (this.epoch[m] === epoch) this.processNext(m);
      }),
      heartbeat: on("heartbeat", (m, epoch) => this.heartbeatTick(m, epoch)),
      sessionCheck: on("session-check", () => this.sessionCheck()),
      restart: on("restart", (m) => this.restart(m)),
      join: on("join", (m) => this.restart(m)),
      completeRebalance: on("complete-rebalance", () => this.tryCompleteRebalance()),
      randomCrash: on("random-crash", () => this.randomCrash()),
      coldStartDone: on("cold-start-done", (m, generation) => {
        // Removed while starting (and maybe added again since).
        if (this.starting[m] === 0 || this.startGeneration[m] !== generation) return;
        this.starting[m] = 0;
        this.restart(m);
      }),
    };
    if (config.calls !== null && callTarget !== null) {
      if (members > MEMBER_LIMIT) throw new RangeError(`more than ${MEMBER_LIMIT} members`);
      this.callClient = new CallClient(
        kernel,
        `consumer:${config.name}`,
        callTarget,
        config.calls.timeoutS,
        retryPolicy,
        true,
        (tag, ok) => this.callDone(tag, ok),
        stats.grid,
      );
    }
  }

  connect(fetchLink: Link, commitLink: Link): void {
    this.fetchLink = fetchLink;
    this.commitLink = commitLink;
  }

  /** Members join at the consumer's start time; the coordinator starts checking sessions. */
  start(): void {
    for (let m = 0; m < this.config.count; m++) {
      this.kernel.scheduleAt(this.config.startS, this.handlers.join, m);
    }
    this.kernel.schedule(this.config.heartbeatIntervalS, this.handlers.sessionCheck);
    this.scheduleRandomCrash();
  }

  // --- The topic's side -------------------------------------------------------------------

  /** The high watermark of partition `p` moved up by `count` records: wake its owner. */
  highWaterAdvanced(p: number, count: number): void {
    this.lag += count;
    this.stats.changeReady(count);
    this.wakeOwner(p);
  }

  /** Partition `p` has a leader again: its owner can fetch what it could not. */
  partitionOnline(p: number): void {
    this.wakeOwner(p);
  }

  private wakeOwner(p: number): void {
    const m = this.owner[p];
    if (m >= 0 && this.state[m] === MemberState.waitingForData) {
      this.state[m] = MemberState.idle;
      this.kernel.schedule(0, this.handlers.poll, m, this.epoch[m]);
    }
  }

  /**
   * Leader failover is about to cut partition `p`'s log back to `offset`: the group's copies of
   * the records from there on go, with the cause for each record's mark (`causes[mark]`). Reads
   * stop at the high watermark, which the new leader's log reaches, so the group cannot have
   * fetched, committed or accounted past the cut.
   */
  beforeTruncate(p: number, offset: number, causes: readonly string[]): void {
    const reached = Math.max(
      this.fetchedEnd[p],
      this.position[p],
      this.committed[p],
      this.accountedFrom[p],
    );
    if (reached > offset) {
      throw new InvariantError(
        `group ${this.config.group} partition ${p}: truncation to ${offset} below what the group reached (${reached})`,
        this.kernel.nowS,
      );
    }
    const log = this.logs[p];
    const ledger = this.subscription.ledger;
    for (let o = offset; o < log.logEndOffset; o++) {
      ledger.removeCopy(log.messageIdAt(o), causes[log.markAt(o)]);
    }
  }

  /** Retention is about to delete [fromOffset, toOffset) of partition `p`. */
  beforeDelete(p: number, fromOffset: number, toOffset: number): void {
    const log = this.logs[p];
    const ledger = this.subscription.ledger;
    for (let offset = Math.max(fromOffset, this.accountedFrom[p]); offset < toOffset; offset++) {
      ledger.removeCopy(log.messageIdAt(offset), "deleted by retention before the group read it");
    }
    if (this.accountedFrom[p] < toOffset) this.accountedFrom[p] = toOffset;
    // A position below the new log start is reset at the owner's next fetch, as Kafka's
    // OffsetOutOfRange does.
  }

  // --- The member's poll loop -------------------------------------------------------------

  private poll(m: number): void {
    if (this.parked[m] === 1) {
      this.leave(m);
      return;
    }
    if (this.inGroup[m] === 0) {
      // Expelled while alive: rejoin, once the coordinator can be reached.
      if (this.commitLink!.isCut) {
        this.kernel.schedule(this.config.heartbeatIntervalS, this.handlers.poll, m, this.epoch[m]);
      } else {
        this.join(m, CauseCode["reread-after-rebalance"]);
      }
      return;
    }
    if (this.rebalancePending) {
      // A rebalance is under way: this poll is the member's rejoin; it waits for its assignment.
      if (this.rejoined[m] === 0) this.rejoin(m);
      return;
    }
    const nowS = this.kernel.nowS;
    this.lastPollS[m] = nowS;
    if (
      this.config.commit === "auto" &&
      nowS - this.lastAutoCommitS[m] >= this.config.autoCommitIntervalS
    ) {
      // Kafka commits, inside poll, the offsets returned by the previous poll.
      this.lastAutoCommitS[m] = nowS;
      this.sendCommit(m);
    }
    const taken = this.fillBatch(m);
    if (taken === 0 && this.fetchThrottled) {
      // Throttled: poll again when the read limit's next window opens (new data does not wake it).
      this.state[m] = MemberState.idle;
      this.kernel.schedule(nextWindowS(nowS) - nowS, this.handlers.poll, m, this.epoch[m]);
      return;
    }
    if (taken === 0) {
      this.state[m] = MemberState.waitingForData;
      return;
    }
    this.state[m] = MemberState.fetching;
    if (this.trace) this.emitMember("fetch", m, { records: taken });
    this.fetchLink!.send(m, this.epoch[m]);
  }

  /** Takes up to maxPollRecords records from the member's partitions, round-robin; returns how many. */
  private fillBatch(m: number): number {
    const base = m * this.batchMax;
    const ledger = this.subscription.ledger;
    const nowS = this.kernel.nowS;
    let length = 0;
    const start = this.pollStart[m];
    this.pollStart[m] = (start + 1) % this.partitions;
    const { highWatermark, offline } = this.partitionState;
    const readLimit = this.readLimit;
    this.fetchThrottled = false;
    for (let i = 0; i < this.partitions && length < this.batchMax; i++) {
      const p = (start + i) % this.partitions;
      if (this.owner[p] !== m || offline[p] === 1) continue;
      const log = this.logs[p];
      if (this.position[p] < log.logStartOffset) this.resetOutOfRange(p);
      let offset = this.position[p];
      // Only what every in-sync replica has: a record above the HW may yet be cut on failover.
      let end = Math.min(highWatermark[p], offset + (this.batchMax - length));
      if (readLimit !== null && offset < end) {
        end = readLimit.admit(p, nowS, log, offset, end);
        if (end === offset) this.fetchThrottled = true;
      }
      for (; offset < end; offset++) {
        const slot = base + length++;
        const messageId = log.messageIdAt(offset);
        this.batchPartition[slot] = p;
        this.batchOffset[slot] = offset;
        this.batchMessageId[slot] = messageId;
        this.batchKeyIndex[slot] = log.keyIndexAt(offset);
        this.batchProducedAtS[slot] = log.producedAtSAt(offset);
        if (offset < this.fetchedEnd[p]) {
          this.batchCause[slot] = this.rereadCause[p];
        } else {
          this.batchCause[slot] = CauseCode["producer-duplicate"];
          // The group's first read of the record: its wait in the log.
          this.stats.recordFirstDelivery(
            this.batchProducedAtS[slot],
            nowS - log.appendedAtSAt(offset),
          );
        }
        ledger.addCopy(messageId);
      }
      const taken = offset - this.position[p];
      this.lag -= taken;
      this.stats.changeReady(-taken);
      this.stats.changeInFlight(taken);
      this.position[p] = offset;
      if (offset > this.fetchedEnd[p]) this.fetchedEnd[p] = offset;
    }
    this.batchLength[m] = length;
    this.batchNext[m] = 0;
    return length;
  }

  /** The fetch response reached the member. */
  fetchArrived(m: number, epoch: number): void {
    if (this.epoch[m] !== epoch) return;
    this.state[m] = MemberState.processing;
    if (this.config.commit === "before-processing") this.sendCommit(m);
    this.processNext(m);
  }

  /** The fetch response was lost: the records go back and the member polls again later. */
  fetchLost(m: number, epoch: number): void {
    if (this.epoch[m] !== epoch) return;
    const base = m * this.batchMax;
    for (let i = this.batchLength[m] - 1; i >= 0; i--) {
      const p = this.batchPartition[base + i];
      const offset = this.batchOffset[base + i];
      if (this.owner[p] === m && offset < this.position[p]) {
        this.lag += this.position[p] - offset;
        this.stats.changeReady(this.position[p] - offset);
        this.position[p] = offset;
      }
    }
    this.releaseBatch(m, 0, "deleted by retention before the group read it");
    this.batchLength[m] = 0;
    this.state[m] = MemberState.idle;
    this.kernel.schedule(LOST_RECEIVE_REPOLL_S, this.handlers.poll, m, this.epoch[m]);
  }

  private processNext(m: number): void {
    if (this.batchNext[m] >= this.batchLength[m]) {
      this.batchDone(m);
      return;
    }
    this.doneEvent[m] = this.kernel.schedule(
      this.traits.processing.sample(),
      this.handlers.done,
      m,
    );
  }

  private done(m: number): void {
    this.doneEvent[m] = -1;
    const slot = m * this.batchMax + this.batchNext[m];
    // A poison record fails every time: retried in place, it blocks its partition.
    if (this.traits.isPoison(this.batchMessageId[slot]) || this.traits.failed()) {
      this.stats.processingFailures++;
      this.kernel.schedule(this.config.nackDelayS, this.handlers.retry, m, this.epoch[m]);
      return;
    }
    if (this.callClient !== null) {
      this.callClient.call(m + this.epoch[m] * MEMBER_LIMIT);
      return;
    }
    this.completeRecord(m, slot, true);
  }

  /**
   * The downstream call of member m's current record ended. A failed one, its retries used up,
   * goes to the dead-letter topic (the record is skipped, its effect never applied), as a
   * consumer that catches the error and publishes it elsewhere does.
   */
  private callDone(tag: number, ok: boolean): void {
    const m = tag % MEMBER_LIMIT;
    if ((tag - m) / MEMBER_LIMIT !== this.epoch[m]) return; // crashed meanwhile
    const slot = m * this.batchMax + this.batchNext[m];
    if (!ok) {
      this.subscription.ledger.recordDeadLettered(this.batchMessageId[slot]);
      this.deadLettered++;
      this.stats.movedToDeadLetter++;
      this.stats.changeDlq(1);
    }
    this.completeRecord(m, slot, ok);
  }

  /** Member m is done with the record in `slot`: its effect (if `applied`), then the next one. */
  private completeRecord(m: number, slot: number, applied: boolean): void {
    const p = this.batchPartition[slot];
    const offset = this.batchOffset[slot];
    if (!applied) {
      if (this.config.commit === "transactional" && this.ownsCurrently(m, p)) {
        this.advanceCommitted(p, offset + 1);
      }
    } else if (this.config.commit === "transactional") {
      // The effect and the offset commit are one transaction, refused for a member that no
      // longer owns the partition (fenced) or cannot reach the broker.
      if (this.ownsCurrently(m, p) && !this.commitLink!.isCut) {
        this.applyEffect(slot);
        this.advanceCommitted(p, offset + 1);
      } else {
        this.fencedCommits++;
      }
    } else {
      this.applyEffect(slot);
    }
    this.releaseRecord(slot, "deleted by retention before the group read it");
    this.batchNext[m]++;
    this.processNext(m);
  }

  private batchDone(m: number): void {
    this.batchLength[m] = 0;
    this.batchNext[m] = 0;
    if (this.config.commit === "after-processing") this.sendCommit(m);
    this.state[m] = MemberState.idle;
    this.poll(m);
  }

  private applyEffect(slot: number): void {
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "processed", {
        msg: this.batchMessageId[slot],
        key: `k${this.batchKeyIndex[slot]}`,
        group: this.config.group,
        partition: this.batchPartition[slot],
        offset: this.batchOffset[slot],
      });
    }
    const applied = this.subscription.applyEffect(
      this.batchMessageId[slot],
      this.batchKeyIndex[slot],
      this.batchProducedAtS[slot],
      this.batchCause[slot],
      this.traits.idempotency,
    );
    if (applied) {
      this.forward?.(
        this.batchMessageId[slot],
        this.batchKeyIndex[slot],
        this.batchProducedAtS[slot],
      );
    }
  }

  // --- Commits ----------------------------------------------------------------------------

  /** Sends the member's positions on its partitions as its commit. */
  private sendCommit(m: number): void {
    const base = m * this.partitions;
    for (let p = 0; p < this.partitions; p++) {
      this.commitOffsets[base + p] = this.owner[p] === m ? this.position[p] : -1;
    }
    this.commitLink!.send(m, this.memberGeneration[m] * 2);
  }

  /** A commit or a heartbeat (low bit set) reached the coordinator. */
  fromMember(m: number, generationAndKind: number): void {
    if (generationAndKind % 2 === 1) {
      this.lastHeartbeatS[m] = this.kernel.nowS;
      return;
    }
    this.commitArrived(m, generationAndKind / 2);
    // A leaving member's last commit is followed by its LeaveGroup.
    if (this.leaving[m] === 1 && this.inGroup[m] === 1)
      this.expel(m, "left", "reread-after-rebalance");
  }

  private commitArrived(m: number, generation: number): void {
    if (generation !== this.generation || this.inGroup[m] === 0) {
      this.commitsRejected++;
      return;
    }
    const base = m * this.partitions;
    for (let p = 0; p < this.partitions; p++) {
      const offset = this.commitOffsets[base + p];
      if (offset < 0 || this.owner[p] !== m) continue;
      // The owner commits its position, which never falls below the committed offset within a
      // generation (it starts there): a lower one would move the group back over its records.
      if (offset < this.committed[p]) {
        this.fail(
          `partition ${p}: committed offset would go back from ${this.committed[p]} to ${offset}`,
        );
      }
      this.advanceCommitted(p, offset);
    }
  }

  private advanceCommitted(p: number, offset: number): void {
    if (offset <= this.committed[p]) return;
    // Members read only below the high watermark, so they cannot commit past it.
    const highWatermark = this.partitionState.highWatermark[p];
    if (offset > highWatermark) {
      this.fail(
        `partition ${p}: offset ${offset} committed past the high watermark ${highWatermark}`,
      );
    }
    const log = this.logs[p];
    const ledger = this.subscription.ledger;
    for (let o = this.accountedFrom[p]; o < offset; o++) {
      ledger.removeCopy(log.messageIdAt(o), "offset committed before processing, then crashed");
    }
    this.committed[p] = offset;
    if (this.accountedFrom[p] < offset) this.accountedFrom[p] = offset;
  }

  // --- Membership -------------------------------------------------------------------------

  private heartbeatTick(m: number, epoch: number): void {
    if (this.epoch[m] !== epoch || this.state[m] === MemberState.down) return;
    this.commitLink!.send(m, 1);
    this.kernel.schedule(this.config.heartbeatIntervalS, this.handlers.heartbeat, m, epoch);
  }

  /**
   * The coordinator expels members whose session expired or who stopped polling, and, during a
   * rebalance, members that have not rejoined within the rebalance timeout (max.poll.interval).
   */
  private sessionCheck(): void {
    const nowS = this.kernel.nowS;
    const rebalanceOverdue =
      this.rebalancePending && nowS - this.rebalanceStartS > this.config.maxPollIntervalS;
    for (let m = 0; m < this.members; m++) {
      if (this.inGroup[m] === 0) continue;
      if (nowS - this.lastHeartbeatS[m] > this.config.sessionTimeoutS) {
        const crashed = this.state[m] === MemberState.down;
        this.expel(m, "session-timeout", crashed ? "reread-after-crash" : "reread-after-rebalance");
      } else if (
        this.state[m] === MemberState.processing &&
        nowS - this.lastPollS[m] > this.config.maxPollIntervalS
      ) {
        this.expel(m, "max-poll-interval", "reread-after-rebalance");
      } else if (rebalanceOverdue && this.rejoined[m] === 0) {
        this.expel(m, "rebalance-timeout", "reread-after-rebalance");
      }
    }
    this.kernel.schedule(this.config.heartbeatIntervalS, this.handlers.sessionCheck);
  }

  private expel(m: number, why: string, rereadCause: DuplicateCause): void {
    this.inGroup[m] = 0;
    this.leaving[m] = 0;
    if (this.trace) this.emitMember("expelled", m, { reason: why });
    this.requestRebalance(CauseCode[rereadCause]);
    // An alive member waiting for data notices at its next heartbeat and rejoins.
    if (this.state[m] === MemberState.idle || this.state[m] === MemberState.waitingForData) {
      this.state[m] = MemberState.idle;
      this.kernel.schedule(this.config.heartbeatIntervalS, this.handlers.poll, m, this.epoch[m]);
    }
  }

  private join(m: number, rereadCause: number): void {
    const nowS = this.kernel.nowS;
    this.inGroup[m] = 1;
    this.lastHeartbeatS[m] = nowS;
    this.lastPollS[m] = nowS;
    this.lastAutoCommitS[m] = nowS;
    if (this.trace) this.emitMember("join", m, {});
    this.requestRebalance(rereadCause);
    this.rejoin(m);
  }

  /**
   * Starts an eager rebalance, or joins one in progress. It completes once every member of the
   * group has rejoined: an idle member at once, a busy one when it finishes its batch and polls.
   * Until then members keep their partitions and their commits count.
   */
  private requestRebalance(rereadCause: number): void {
    if (!this.rebalancePending) {
      this.rebalancePending = true;
      this.rebalanceStartS = this.kernel.nowS;
      this.rebalanceCause = rereadCause;
      this.rejoined.fill(0);
      for (let m = 0; m < this.members; m++) {
        const state = this.state[m];
        if (
          this.inGroup[m] === 1 &&
          (state === MemberState.idle || state === MemberState.waitingForData)
        ) {
          this.rejoin(m);
        }
      }
    } else if (rereadCause === CauseCode["reread-after-crash"]) {
      this.rebalanceCause = rereadCause;
    }
    this.scheduleCompletionCheck();
  }

  private rejoin(m: number): void {
    this.rejoined[m] = 1;
    this.state[m] = MemberState.idle;
    this.scheduleCompletionCheck();
  }

  /** Checked after the current instant's events, so members joining together rebalance once. */
  private scheduleCompletionCheck(): void {
    if (this.completionCheckScheduled) return;
    this.completionCheckScheduled = true;
    this.kernel.schedule(0, this.handlers.completeRebalance);
  }

  private tryCompleteRebalance(): void {
    this.completionCheckScheduled = false;
    if (!this.rebalancePending) return;
    for (let m = 0; m < this.members; m++) {
      if (this.inGroup[m] === 1 && this.rejoined[m] === 0) return;
    }
    this.completeRebalance();
  }

  /** Every partition reassigned by range over the members in the group. */
  private completeRebalance(): void {
    this.rebalancePending = false;
    this.generation++;
    this.rebalances++;
    const inGroup: number[] = [];
    for (let m = 0; m < this.members; m++) if (this.inGroup[m] === 1) inGroup.push(m);
    this.owner.fill(-1);
    const share = Math.floor(this.partitions / Math.max(1, inGroup.length));
    const extra = inGroup.length === 0 ? 0 : this.partitions % inGroup.length;
    let p = 0;
    inGroup.forEach((m, i) => {
      this.memberGeneration[m] = this.generation;
      const count = share + (i < extra ? 1 : 0);
      for (let k = 0; k < count; k++) this.owner[p++] = m;
    });
    for (let q = 0; q < this.partitions; q++) this.resumeFromCommitted(q, this.rebalanceCause);
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "rebalance", {
        group: this.config.group,
        generation: this.generation,
        members: inGroup.length,
      });
    }
    for (const m of inGroup) {
      if (this.state[m] === MemberState.idle) {
        this.kernel.schedule(0, this.handlers.poll, m, this.epoch[m]);
      }
    }
  }

  /** The new owner of `p` reads from the committed offset, or from where auto.offset.reset says. */
  private resumeFromCommitted(p: number, rereadCause: number): void {
    const log = this.logs[p];
    let resumeAt = this.committed[p];
    if (resumeAt < log.logStartOffset) {
      // No commit yet, or the committed offset fell out of retention.
      if (this.committed[p] >= 0) this.offsetResets++;
      resumeAt =
        this.config.autoOffsetReset === "earliest"
          ? log.logStartOffset
          : this.partitionState.highWatermark[p];
      if (this.config.autoOffsetReset === "latest") this.skipTo(p, resumeAt);
    }
    const delta = this.position[p] - resumeAt;
    this.lag += delta;
    this.stats.changeReady(delta);
    this.position[p] = resumeAt;
    this.rereadCause[p] = rereadCause;
  }

  /** Retention deleted records the owner had not fetched yet: reset as auto.offset.reset says. */
  private resetOutOfRange(p: number): void {
    const log = this.logs[p];
    this.offsetResets++;
    const resumeAt =
      this.config.autoOffsetReset === "earliest"
        ? log.logStartOffset
        : this.partitionState.highWatermark[p];
    if (this.config.autoOffsetReset === "latest") this.skipTo(p, resumeAt);
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "offset-reset", {
        group: this.config.group,
        partition: p,
        from: this.position[p],
        to: resumeAt,
      });
    }
    const skipped = resumeAt - this.position[p];
    this.lag -= skipped;
    this.stats.changeReady(-skipped);
    this.position[p] = resumeAt;
  }

  /** auto.offset.reset=latest: records not yet read by the group are skipped for good. */
  private skipTo(p: number, offset: number): void {
    const log = this.logs[p];
    const ledger = this.subscription.ledger;
    for (let o = this.accountedFrom[p]; o < offset; o++) {
      ledger.removeCopy(log.messageIdAt(o), "skipped by offset reset to latest");
    }
    if (this.accountedFrom[p] < offset) this.accountedFrom[p] = offset;
  }

  // --- Crashes ----------------------------------------------------------------------------

  /** Crashes one member (or all when `m` is null); each comes back after `downS`. */
  crash(member: number | null, downS: number): void {
    const first = member ?? 0;
    const last = member ?? this.members - 1;
    for (let m = first; m <= last; m++) {
      if (this.state[m] === MemberState.down) continue;
      this.crashes++;
      if (this.trace) this.emitMember("consumer-crash", m, {});
      this.kernel.cancel(this.doneEvent[m]);
      this.doneEvent[m] = -1;
      this.releaseBatch(m, this.batchNext[m], "offset committed before processing, then crashed");
      this.batchLength[m] = 0;
      this.batchNext[m] = 0;
      this.epoch[m]++;
      this.state[m] = MemberState.down;
      // It stays in the group (holding its partitions) until its session times out.
      this.kernel.schedule(downS, this.handlers.restart, m);
    }
  }

  private restart(m: number): void {
    if (this.state[m] !== MemberState.down || this.parked[m] === 1 || this.starting[m] === 1)
      return;
    this.epoch[m]++;
    this.state[m] = MemberState.idle;
    this.restartHeartbeats(m);
    this.join(
      m,
      this.crashes > 0 ? CauseCode["reread-after-crash"] : CauseCode["reread-after-rebalance"],
    );
  }

  private restartHeartbeats(m: number): void {
    this.kernel.schedule(this.config.heartbeatIntervalS, this.handlers.heartbeat, m, this.epoch[m]);
  }

  private scheduleRandomCrash(): void {
    const gapS = this.traits.nextCrashGapS();
    if (gapS !== null) this.kernel.schedule(gapS, this.handlers.randomCrash);
  }

  private randomCrash(): void {
    this.crash(this.traits.crashedInstance(), this.config.restartS);
    this.scheduleRandomCrash();
  }

  // --- Helpers ----------------------------------------------------------------------------

  private ownsCurrently(m: number, p: number): boolean {
    return (
      this.inGroup[m] === 1 && this.memberGeneration[m] === this.generation && this.owner[p] === m
    );
  }

  /** Lets go of the member's batch records from index `from` on. */
  private releaseBatch(m: number, from: number, lossCause: string): void {
    const base = m * this.batchMax;
    for (let i = from; i < this.batchLength[m]; i++) this.releaseRecord(base + i, lossCause);
  }

  private releaseRecord(slot: number, lossCause: string): void {
    this.stats.changeInFlight(-1);
    this.subscription.ledger.removeCopy(this.batchMessageId[slot], lossCause);
  }

  // --- Autoscaling ------------------------------------------------------------------------

  /** Members running or in their cold start. */
  get instances(): number {
    return this.activeMembers;
  }

  /**
   * Adds members (the lowest parked ones out of the group; each joins after its cold start) or
   * removes members (the highest starting ones, then the highest running ones).
   */
  scaleTo(instances: number): void {
    if (!(Number.isInteger(instances) && instances >= 0 && instances <= this.members)) {
      throw new RangeError(`consumer ${this.config.name}: cannot scale to ${instances} members`);
    }
    const before = this.activeMembers;
    const coldStartS = this.config.autoscale?.coldStartS ?? 0;
    for (let m = 0; m < this.members && this.activeMembers < instances; m++) {
      // A member still leaving (its LeaveGroup on the way) is not reused until it is out.
      if (this.parked[m] === 0 || this.inGroup[m] === 1 || this.state[m] !== MemberState.down)
        continue;
      this.parked[m] = 0;
      this.starting[m] = 1;
      this.startGeneration[m]++;
      this.activeMembers++;
      this.kernel.schedule(coldStartS, this.handlers.coldStartDone, m, this.startGeneration[m]);
    }
    for (const wantStarting of [1, 0]) {
      for (let m = this.members - 1; m >= 0 && this.activeMembers > instances; m--) {
        if (this.parked[m] === 1 || this.starting[m] !== wantStarting) continue;
        this.parked[m] = 1;
        this.starting[m] = 0;
        this.activeMembers--;
        const state = this.state[m];
        if (state === MemberState.idle || state === MemberState.waitingForData) this.leave(m);
        // Fetching or processing: it leaves when its batch is done and it would poll again. Down
        // (crashed): it stays in the group until its session times out.
      }
    }
    if (this.trace && this.activeMembers !== before) {
      this.trace.emit(this.kernel.nowS, "scale", {
        group: this.config.group,
        from: before,
        to: this.activeMembers,
      });
    }
    this.instanceGauge?.change(this.activeMembers - before);
  }

  /** A removed member stops: its last commit goes out, and the LeaveGroup with it. */
  private leave(m: number): void {
    this.epoch[m]++;
    this.state[m] = MemberState.down;
    if (this.trace) this.emitMember("leave", m, {});
    if (this.inGroup[m] === 0) return; // already out (expelled)
    this.leaving[m] = 1;
    this.sendCommit(m);
  }

  /** Copies this group holds: retained in the logs past its commits, and in members' batches. */
  copiesHeld(): { retained: number; inBatches: number } {
    let retained = 0;
    for (let p = 0; p < this.partitions; p++) {
      retained += this.logs[p].logEndOffset - this.accountedFrom[p];
    }
    let inBatches = 0;
    for (let m = 0; m < this.members; m++) inBatches += this.batchLength[m] - this.batchNext[m];
    return { retained, inBatches };
  }

  /**
   * What is wrong with the group's offsets, for the end-of-run check: per partition, what it
   * accounts for starts at or below the high watermark, which is within the log, and the lag is
   * the sum of the distances from the positions to the high watermarks.
   */
  offsetProblems(): string[] {
    const problems: string[] = [];
    const highWatermark = this.partitionState.highWatermark;
    let lag = 0;
    for (let p = 0; p < this.partitions; p++) {
      const log = this.logs[p];
      const hw = highWatermark[p];
      if (!(this.accountedFrom[p] <= hw && hw <= log.logEndOffset && this.position[p] <= hw)) {
        problems.push(
          `partition ${p}: accounted from ${this.accountedFrom[p]}, position ${this.position[p]}, high watermark ${hw}, log end ${log.logEndOffset}`,
        );
      }
      lag += hw - this.position[p];
    }
    if (lag !== this.lag) problems.push(`lag counted ${this.lag}, recounted ${lag}`);
    return problems;
  }

  private fail(problem: string): never {
    throw new InvariantError(`group ${this.config.group} ${problem}`, this.kernel.nowS);
  }

  private emitMember(event: string, m: number, extra: Record<string, number | string>): void {
    this.trace!.emit(this.kernel.nowS, event, {
      group: this.config.group,
      consumer: `${this.config.name}/${m}`,
      ...extra,
    });
  }

  /**
   * Consumer lag as Kafka tools and KEDA's Kafka scaler read it: per partition, the high
   * watermark minus the committed offset (records not yet committed, fetched or not), summed.
   */
  committedLag(): number {
    const highWatermark = this.partitionState.highWatermark;
    let lag = 0;
    for (let p = 0; p < this.partitions; p++) {
      lag += Math.max(0, highWatermark[p] - this.accountedFrom[p]);
    }
    return lag;
  }

  /**
   * When the oldest record the group can read and has not fetched was appended (the earliest over
   * its partitions); null when it has fetched everything below the high watermarks.
   */
  oldestUnreadAppendedAtS(): number | null {
    let oldestS: number | null = null;
    const highWatermark = this.partitionState.highWatermark;
    for (let p = 0; p < this.partitions; p++) {
      const log = this.logs[p];
      const offset = Math.max(this.position[p], log.logStartOffset);
      if (offset >= highWatermark[p]) continue;
      const appendedAtS = log.appendedAtSAt(offset);
      if (oldestS === null || appendedAtS < oldestS) oldestS = appendedAtS;
    }
    return oldestS;
  }
}
