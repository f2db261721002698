/**
 * Replication of a topic's partitions over a cluster of brokers, as Kafka does it with unclean
 * leader election off.
 *
 * Partition p has `replicationFactor` replicas, replica i on broker (p + i) % brokers. One
 * replica leads: it holds the partition's log (the PartitionLog), and every record is appended
 * there first. The others follow: each in-sync follower has the leader's log up to its log end
 * offset (LEO). Followers' logs are prefixes of the leader's, so a follower is just its LEO.
 *
 * A follower copies a record `replicationLagS` after the leader appended it (its fetch), and the
 * leader learns so one lag later (with the follower's next fetch, which carries its LEO), as in
 * Kafka. So a record appended at t is on every in-sync follower from t + lag, and committed (below
 * the high watermark) from t + 2 * lag. One event per append, at t + 2 * lag, only while the
 * partition has an in-sync follower (a single-replica partition schedules nothing); what a
 * follower holds in between is read off the append times when it matters, at an election.
 *
 * - The in-sync replicas (ISR) are the leader and the followers that keep up. A replica leaves
 *   the ISR when its broker crashes (at once: Kafka's controller notices a dead broker quickly,
 *   while a slow follower would be dropped after replica.lag.time.max.ms, 30 s, which is not
 *   modeled). A restarted broker's replica copies the leader's log and rejoins the ISR
 *   `replicationLagS` later, with the leader's whole log at that moment.
 * - The high watermark (HW) is the smallest LEO the leader knows of among the ISR (its own when
 *   it is alone in it), and never goes back. Consumers read only below it; acks=all writes are
 *   acknowledged when it passes them. Every ISR member's LEO is at or above the HW.
 * - When the leader's broker crashes, the first live in-sync follower (in replica order) becomes
 *   leader, and the log is cut back to that follower's LEO: the records beyond it, appended less
 *   than a lag before the crash and not yet copied, are gone (they were above the HW, so no
 *   consumer read them). The records it had but the old leader had not yet counted as committed
 *   (appended between 2 lags and 1 lag before the crash) survive, but the old leader never
 *   acknowledged them: their acks=all producers retry, and write them twice. Other followers drop
 *   their tail beyond the new leader's end, and report their LEO to it at once.
 * - With no live in-sync follower (one replica, or the others down or catching up) the partition
 *   goes offline: no appends, no fetches. The crashed leader stays the last member of the ISR
 *   and, when its broker restarts, leads again with its log intact (it was on its disk). Catching
 *   up replicas cannot lead (that would be an unclean election).
 *
 * A crash of a broker that is already down does nothing.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { TopicConfig } from "./config.ts";
import { InvariantError, ModelConfigError } from "./errors.ts";
import type { PartitionLog } from "./partitionLog.ts";

/** What the readers of a topic's partitions need: how far they may read, and whether they can. */
export interface PartitionState {
  /** Per partition: consumers read offsets below this. */
  readonly highWatermark: Float64Array;
  /** Per partition: 1 while it has no leader. */
  readonly offline: Uint8Array;
}

/** The topic's side of replication events. */
export interface ReplicationListener {
  /** The HW of partition `p` went from `from` to `to` (> from). */
  highWaterAdvanced(p: number, from: number, to: number): void;
  /** The leader of partition `p` is gone, with the requests it was holding. */
  leaderLost(p: number): void;
  /** The log of partition `p` is about to lose its records from `offset` on. */
  beforeTruncate(p: number, offset: number): void;
  /** Partition `p` has a leader again after being offline. */
  partitionOnline(p: number): void;
}

export class Replication implements PartitionState {
  readonly highWatermark: Float64Array;
  readonly offline: Uint8Array;
  /** Per partition: replicas in the ISR, the leader included. */
  readonly isrSize: Int32Array;
  /** Leader elections after a leader's broker crashed. */
  elections = 0;
  /** Records removed from leaders' logs on failover. */
  truncatedRecords = 0;

  private readonly partitions: number;
  private readonly factor: number;
  private readonly brokers: number;
  private readonly lagS: number;
  /** Per partition: the leading replica index, or -1 while offline. */
  private readonly leader: Int32Array;
  /** Per partition: bumped whenever leadership changes, so stale replication events are ignored. */
  private readonly epoch: Float64Array;
  /** Per replica (partition-major): 1 while in the ISR. */
  private readonly inSync: Uint8Array;
  /** Per replica: a follower's log end offset as its leader knows it (a leader's: its log's). */
  private readonly followerEnd: Float64Array;
  private readonly brokerUp: Uint8Array;
  /** Per broker: bumped at each crash, so a catch-up of an earlier life is ignored. */
  private readonly incarnation: Float64Array;
  private readonly handlers: { replicated: number; caughtUp: number; restart: number };

  constructor(
    private readonly kernel: Kernel,
    private readonly config: TopicConfig,
    private readonly logs: PartitionLog[],
    private readonly listener: ReplicationListener,
    private readonly trace: Trace | null,
  ) {
    const partitions = config.partitions;
    const factor = config.replicationFactor;
    if (!(Number.isInteger(config.brokers) && config.brokers >= 1)) {
      throw new ModelConfigError(`topic ${config.name}: brokers must be a whole number >= 1`);
    }
    if (!(Number.isInteger(factor) && factor >= 1 && factor <= config.brokers)) {
      throw new ModelConfigError(
        `topic ${config.name}: replicationFactor ${factor} must be 1..${config.brokers} (brokers)`,
      );
    }
    if (!(config.replicationLagS >= 0 && Number.isFinite(config.replicationLagS))) {
      throw new ModelConfigError(`topic ${config.name}: replicationLagS must be >= 0`);
    }
    const minIsr = config.minInsyncReplicas;
    if (!(Number.isInteger(minIsr) && minIsr >= 1 && minIsr <= factor)) {
      throw new ModelConfigError(
        `topic ${config.name}: minInsyncReplicas ${minIsr} must be 1..${factor} (replicationFactor)`,
      );
    }
    this.partitions = partitions;
    this.factor = factor;
    this.brokers = config.brokers;
    this.lagS = config.replicationLagS;
    this.highWatermark = new Float64Array(partitions);
    this.offline = new Uint8Array(partitions);
    this.isrSize = new Int32Array(partitions).fill(factor);
    this.leader = new Int32Array(partitions);
    this.epoch = new Float64Array(partitions);
    this.inSync = new Uint8Array(partitions * factor).fill(1);
    this.followerEnd = new Float64Array(partitions * factor);
    this.brokerUp = new Uint8Array(config.brokers).fill(1);
    this.incarnation = new Float64Array(config.brokers);
    const name = `topic:${config.name}`;
    this.handlers = {
      replicated: kernel.register(`${name}/replicated`, (end, partitionAndEpoch) =>
        this.replicated(end, partitionAndEpoch),
      ),
      caughtUp: kernel.register(`${name}/caught-up`, (replica, life) =>
        this.caughtUp(replica, life),
      ),
      restart: kernel.register(`${name}/broker-restart`, (broker, life) =>
        this.restart(broker, life),
      ),
    };
  }

  /** The broker holding replica `i` of partition `p`. */
  brokerOf(p: number, i: number): number {
    return (p + i) % this.brokers;
  }

  /** The leader of `p` appended a record at `offset`. */
  appended(p: number, offset: number): void {
    if (this.isrSize[p] === 1) {
      // The leader alone is the ISR: the record is committed at once.
      this.advanceTo(p, offset + 1);
      return;
    }
    this.kernel.schedule(
      2 * this.lagS,
      this.handlers.replicated,
      offset + 1,
      p + this.partitions * this.epoch[p],
    );
  }

  /** Broker `broker` stops now and restarts after `downS`. */
  crashBroker(broker: number, downS: number): void {
    if (this.brokerUp[broker] === 0) return;
    this.brokerUp[broker] = 0;
    this.incarnation[broker]++;
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "broker-crash", { topic: this.config.name, broker });
    }
    for (let p = 0; p < this.partitions; p++) {
      const i = this.replicaOn(p, broker);
      if (i < 0) continue;
      if (this.leader[p] === i) {
        this.leaderCrashed(p, i);
      } else if (this.inSync[p * this.factor + i] === 1) {
        this.leaveIsr(p, i);
        // Without the slow follower the HW may move up to the others' LEOs.
        this.updateHighWatermark(p);
      }
    }
    this.kernel.schedule(downS, this.handlers.restart, broker, this.incarnation[broker]);
  }

  // --- Events -----------------------------------------------------------------------------

  /** In-sync followers of the leader's epoch have copied up to `end`, and told the leader. */
  private replicated(end: number, partitionAndEpoch: number): void {
    const p = partitionAndEpoch % this.partitions;
    if ((partitionAndEpoch - p) / this.partitions !== this.epoch[p]) return;
    const leader = this.leader[p];
    const base = p * this.factor;
    for (let i = 0; i < this.factor; i++) {
      if (i !== leader && this.inSync[base + i] === 1 && this.followerEnd[base + i] < end) {
        this.followerEnd[base + i] = end;
      }
    }
    this.updateHighWatermark(p);
  }

  private restart(broker: number, life: number): void {
    if (this.incarnation[broker] !== life || this.brokerUp[broker] === 1) return;
    this.brokerUp[broker] = 1;
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "broker-restart", { topic: this.config.name, broker });
    }
    for (let p = 0; p < this.partitions; p++) {
      const i = this.replicaOn(p, broker);
      if (i < 0) continue;
      if (this.offline[p] === 0) {
        this.startCatchUp(p, i);
      } else if (this.inSync[p * this.factor + i] === 1) {
        // The last in-sync replica is back: it leads with the log it had.
        this.comeOnline(p, i);
      }
      // Otherwise it waits for a leader to copy from.
    }
  }

  /** A restarted replica has copied the leader's log: it rejoins the ISR. */
  private caughtUp(replica: number, life: number): void {
    const p = Math.floor(replica / this.factor);
    const i = replica % this.factor;
    const broker = this.brokerOf(p, i);
    if (
      this.brokerUp[broker] === 0 ||
      this.incarnation[broker] !== life ||
      this.offline[p] === 1 ||
      this.inSync[replica] === 1
    ) {
      return;
    }
    this.inSync[replica] = 1;
    this.isrSize[p]++;
    this.followerEnd[replica] = this.logs[p].logEndOffset;
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "isr-join", {
        topic: this.config.name,
        partition: p,
        broker,
      });
    }
  }

  // --- Leadership -------------------------------------------------------------------------

  private leaderCrashed(p: number, old: number): void {
    this.epoch[p]++;
    this.listener.leaderLost(p);
    const base = p * this.factor;
    let next = -1;
    for (let i = 0; i < this.factor && next < 0; i++) {
      if (i !== old && this.inSync[base + i] === 1 && this.brokerUp[this.brokerOf(p, i)] === 1) {
        next = i;
      }
    }
    if (next < 0) {
      // No live in-sync replica: offline until the old leader (still the ISR) comes back.
      this.leader[p] = -1;
      this.offline[p] = 1;
      if (this.trace) {
        this.trace.emit(this.kernel.nowS, "partition-offline", {
          topic: this.config.name,
          partition: p,
        });
      }
      return;
    }
    this.leaveIsr(p, old);
    const log = this.logs[p];
    const newEnd = this.copiedEnd(p, next);
    if (newEnd < this.highWatermark[p]) {
      throw new InvariantError(
        `topic ${this.config.name} partition ${p}: new leader's log ends at ${newEnd}, below the high watermark ${this.highWatermark[p]}`,
        this.kernel.nowS,
      );
    }
    if (newEnd < log.logEndOffset) {
      this.truncatedRecords += log.logEndOffset - newEnd;
      this.listener.beforeTruncate(p, newEnd);
      log.truncateTo(newEnd);
    }
    this.leader[p] = next;
    this.elections++;
    // The followers fetch from the new leader: it knows their LEOs, cut to its own end.
    for (let i = 0; i < this.factor; i++) {
      if (i !== next && this.inSync[base + i] === 1) {
        this.followerEnd[base + i] = Math.min(this.copiedEnd(p, i), newEnd);
      }
    }
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "leader-elected", {
        topic: this.config.name,
        partition: p,
        broker: this.brokerOf(p, next),
        logEnd: newEnd,
      });
    }
    this.updateHighWatermark(p);
  }

  private comeOnline(p: number, i: number): void {
    this.leader[p] = i;
    this.offline[p] = 0;
    this.epoch[p]++;
    if (this.trace) {
      this.trace.emit(this.kernel.nowS, "partition-online", {
        topic: this.config.name,
        partition: p,
        broker: this.brokerOf(p, i),
      });
    }
    this.updateHighWatermark(p);
    this.listener.partitionOnline(p);
    for (let j = 0; j < this.factor; j++) {
      if (j !== i && this.brokerUp[this.brokerOf(p, j)] === 1) this.startCatchUp(p, j);
    }
  }

  /**
   * What in-sync follower `i` of `p` holds now: what its leader knows of, and every later record
   * appended at least one lag ago (it copies each one lag after its append).
   */
  private copiedEnd(p: number, i: number): number {
    const log = this.logs[p];
    const copiedBeforeS = this.kernel.nowS - this.lagS;
    let end = this.followerEnd[p * this.factor + i];
    while (end < log.logEndOffset && log.appendedAtSAt(end) <= copiedBeforeS) end++;
    return end;
  }

  private startCatchUp(p: number, i: number): void {
    const replica = p * this.factor + i;
    if (this.inSync[replica] === 1) return;
    const life = this.incarnation[this.brokerOf(p, i)];
    this.kernel.schedule(this.lagS, this.handlers.caughtUp, replica, life);
  }

  private leaveIsr(p: number, i: number): void {
    this.inSync[p * this.factor + i] = 0;
    this.isrSize[p]--;
  }

  /** HW = max(HW, the smallest LEO in the ISR); only while the partition has a leader. */
  private updateHighWatermark(p: number): void {
    const leader = this.leader[p];
    if (leader < 0) return;
    let end = this.logs[p].logEndOffset;
    const base = p * this.factor;
    for (let i = 0; i < this.factor; i++) {
      if (i !== leader && this.inSync[base + i] === 1 && this.followerEnd[base + i] < end) {
        end = this.followerEnd[base + i];
      }
    }
    this.advanceTo(p, end);
  }

  private advanceTo(p: number, end: number): void {
    const from = this.highWatermark[p];
    if (end <= from) return;
    this.highWatermark[p] = end;
    this.listener.highWaterAdvanced(p, from, end);
  }

  /** The replica index of partition `p` on `broker`, or -1 when it has none there. */
  private replicaOn(p: number, broker: number): number {
    const i = (((broker - p) % this.brokers) + this.brokers) % this.brokers;
    return i < this.factor ? i : -1;
  }
}
