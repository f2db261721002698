/**
 * Which consumer instance takes each message of a Pulsar subscription
 * (models/pulsarSubscription.ts), for the task queue's dispatch (models/taskQueue.ts). The
 * instances take turns (round robin over those with a free receive token, as Pulsar's
 * dispatchers go round the consumers with permits), each taking a message it may take:
 *
 * - shared: any message, oldest first (one line for all).
 * - key_shared: Pulsar's consistent-hashing selector (the broker default,
 *   subscriptionKeySharedUseConsistentHashing, 100 points per consumer): each attached instance
 *   owns `KEY_SHARED_POINTS` points of a hash ring, and a key goes to the owner of the first
 *   point at or after the key's hash. An instance that detaches hands its keys to the owners of
 *   the next points; one that (re)attaches takes back the keys of its points; every other key
 *   stays where it was. Hashes are murmur2 (Kafka's, models/partitioner.ts) where Pulsar uses
 *   murmur3, so which key lands where differs from a real broker, not how keys spread.
 * - failover (and exclusive, which has one instance): partition p goes to the (p mod n)-th of
 *   the n attached instances in instance order (Pulsar sorts the consumers by priority level
 *   and name and gives partition i to consumer i mod n).
 *
 * Under key_shared and failover, ready messages wait in their owner's line: messages coming back (nacked, or from an instance
 * that detached) first, in message order (Pulsar's replay set, read before new entries and
 * sorted by position), then new ones in arrival order. When instances attach or detach, every
 * ready message moves to its new owner, in order, so a key's ready messages stay in order.
 * Messages that no attached instance may take wait in a line of their own.
 */
import { InvariantError } from "./errors.ts";
import type { MessageStore } from "./messages.ts";
import { murmur2, toPositive } from "./partitioner.ts";
import { IntRing } from "./ring.ts";

/** Points each key_shared consumer owns on the hash ring (Pulsar: 100). */
export const KEY_SHARED_POINTS = 100;

const utf8 = new TextEncoder();

function hashOf(text: string): number {
  return toPositive(murmur2(utf8.encode(text)));
}

export type SelectorRule =
  | { kind: "any" }
  | { kind: "key"; consumerName: string }
  | { kind: "partition"; partitionOf: (keyIndex: number) => number };

export class ConsumerSelector {
  /** Ready messages over all lines. */
  size = 0;
  /** Set by `next`: the message to deliver and the (queue-wide) token that takes it. */
  nextSlot = -1;
  nextToken = -1;

  /**
   * Per key: the line of its messages: the instance that may take them, or `instances` (the
   * shared line: under shared always, otherwise while no instance is attached).
   */
  private readonly ownerOfKey: Int32Array;
  private readonly attached: Uint8Array;
  /** Per line (one per instance, then the unowned line): new messages, in arrival order. */
  private readonly fresh: IntRing[];
  /** Per line: messages that came back, sorted by message id. */
  private readonly replay: number[][];
  /** Per instance: its tokens waiting for a message. */
  private readonly waiting: IntRing[];
  /** key_shared: each key's hash. */
  private readonly keyHash: Float64Array | null;
  /** key_shared: every instance's points (hash, instance), sorted by hash. */
  private readonly points: { hash: number; instance: number }[];
  private cursor = 0;

  constructor(
    private readonly rule: SelectorRule,
    keyCount: number,
    /** Instances of the one consumer pool reading the queue; token t belongs to t % instances. */
    readonly instances: number,
    private readonly store: MessageStore,
  ) {
    this.ownerOfKey = new Int32Array(keyCount).fill(instances);
    this.attached = new Uint8Array(instances);
    this.fresh = Array.from({ length: instances + 1 }, () => new IntRing(64));
    this.replay = Array.from({ length: instances + 1 }, () => []);
    this.waiting = Array.from({ length: instances }, () => new IntRing(64));
    if (rule.kind === "key") {
      this.keyHash = new Float64Array(keyCount);
      for (let k = 0; k < keyCount; k++) this.keyHash[k] = hashOf(`k${k}`);
      this.points = [];
      for (let i = 0; i < instances; i++) {
        for (let r = 0; r < KEY_SHARED_POINTS; r++) {
          this.points.push({ hash: hashOf(`${rule.consumerName}-${i}#${r}`), instance: i });
        }
      }
      this.points.sort((a, b) => a.hash - b.hash || a.instance - b.instance);
    } else {
      this.keyHash = null;
      this.points = [];
    }
  }

  /** The instance that may take messages of key `keyIndex` now; -1: any (shared) or none attached. */
  ownerOf(keyIndex: number): number {
    const owner = this.ownerOfKey[keyIndex];
    return owner === this.instances ? -1 : owner;
  }

  isAttached(instance: number): boolean {
    return this.attached[instance] === 1;
  }

  /** Instance `instance` can receive again: keys move to it, ready messages with them. */
  attach(instance: number): void {
    if (this.attached[instance] === 1) return;
    this.attached[instance] = 1;
    this.reassign();
  }

  /** Instance `instance` is gone (crashed, closed): its keys move to the others. */
  detach(instance: number): void {
    if (this.attached[instance] === 0) return;
    this.attached[instance] = 0;
    // Its tokens were withdrawn by its pool; any left would take messages it cannot process.
    if (this.waiting[instance].size > 0) {
      throw new InvariantError(
        `instance ${instance} detached with ${this.waiting[instance].size} receives waiting`,
        0,
      );
    }
    this.reassign();
  }

  /** A new message became ready: at the tail of its owner's new messages. */
  pushNew(slot: number): void {
    this.fresh[this.lineOf(slot)].push(slot);
    this.size++;
  }

  /** A message came back (nack, detached consumer): into its owner's replay, by message id. */
  pushReturned(slot: number): void {
    this.insertReplay(this.replay[this.lineOf(slot)], slot);
    this.size++;
  }

  /** A token (queue-wide number) waits for a message of its instance. */
  offer(token: number): void {
    this.waiting[token % this.instances].push(token);
  }

  /** Takes a waiting token back; true if it was waiting. */
  withdraw(token: number): boolean {
    return this.waiting[token % this.instances].remove(token);
  }

  /**
   * Pairs a ready message with a waiting token of the instance that may take it, taking turns
   * over the instances; false when no instance has both.
   */
  next(): boolean {
    if (this.size === 0) return false;
    const n = this.instances;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      if (this.waiting[i].size === 0) continue;
      const line = this.rule.kind === "any" ? n : i;
      const replay = this.replay[line];
      let slot: number;
      if (replay.length > 0) slot = replay.shift()!;
      else if (this.fresh[line].size > 0) slot = this.fresh[line].shift();
      else continue;
      this.size--;
      this.nextSlot = slot;
      this.nextToken = this.waiting[i].shift();
      this.cursor = (i + 1) % n;
      return true;
    }
    return false;
  }

  /** When the earliest-arrived ready message arrived; null when none is ready. */
  oldestArrivedAtS(): number | null {
    const arrivedAtS = this.store.arrivedAtS;
    let oldest: number | null = null;
    const consider = (slot: number) => {
      if (oldest === null || arrivedAtS[slot] < oldest) oldest = arrivedAtS[slot];
    };
    for (let line = 0; line <= this.instances; line++) {
      if (this.fresh[line].size > 0) consider(this.fresh[line].peek());
      for (const slot of this.replay[line]) consider(slot);
    }
    return oldest;
  }

  private lineOf(slot: number): number {
    return this.ownerOfKey[this.store.keyIndex[slot]];
  }

  private insertReplay(line: number[], slot: number): void {
    const messageId = this.store.messageId;
    const id = messageId[slot];
    let at = line.length;
    while (at > 0 && messageId[line[at - 1]] > id) at--;
    line.splice(at, 0, slot);
  }

  /** Recomputes every key's owner and moves the ready messages to their new lines, in order. */
  private reassign(): void {
    if (this.rule.kind === "any") return; // one line, whoever is attached
    const live: number[] = [];
    for (let i = 0; i < this.instances; i++) if (this.attached[i] === 1) live.push(i);
    const owners = this.ownerOfKey;
    if (live.length === 0) owners.fill(this.instances);
    else if (this.rule.kind === "partition") {
      const partitionOf = this.rule.partitionOf;
      for (let k = 0; k < owners.length; k++) owners[k] = live[partitionOf(k) % live.length];
    } else {
      const points = this.points.filter((point) => this.attached[point.instance] === 1);
      const hashes = this.keyHash!;
      for (let k = 0; k < owners.length; k++) {
        owners[k] = points[firstAtOrAfter(points, hashes[k]) % points.length].instance;
      }
    }
    const fresh = this.fresh.map((ring) => ring.toArray());
    const replay = this.replay.map((line) => line.splice(0));
    for (const ring of this.fresh) while (ring.size > 0) ring.shift();
    for (const line of fresh) for (const slot of line) this.fresh[this.lineOf(slot)].push(slot);
    for (const line of replay) {
      for (const slot of line) this.insertReplay(this.replay[this.lineOf(slot)], slot);
    }
  }
}

/** Index of the first point whose hash is >= `hash` (points.length when none). */
function firstAtOrAfter(points: readonly { hash: number }[], hash: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid].hash < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
