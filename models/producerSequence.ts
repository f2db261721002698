/**
 * Kafka's idempotent producer, both ends: how a topic keeps one copy of each record and keeps a
 * producer's records in order with several requests in flight.
 *
 * The producer numbers its records per partition (0, 1, 2, ... within a producer epoch) when it
 * first sends them. The partition's leader remembers, per producer, the epoch and the sequence
 * it expects next:
 * - the expected sequence: appended, and the next one is expected;
 * - a lower one: a copy of a record already in the log (a retry after a lost acknowledgement,
 *   a network duplicate): dropped, and acknowledged;
 * - a higher one: an earlier record is missing (lost, or still on its way): refused as out of
 *   sequence (OutOfOrderSequenceException), and the producer sends it again after its backoff,
 *   so a retried record never lands behind a later one of its partition;
 * - an older epoch: refused (the producer has moved on; see below).
 * A refused record waits until the records before it are acknowledged or given up, then goes
 * again (Kafka re-queues it in sequence order). A refusal of the producer's lowest outstanding
 * record of a partition means the gap will never fill (the producer gave up on the record before it, or a leader failover cut it from the log
 * after the producer let go): the producer bumps its epoch for that partition and renumbers its
 * outstanding records from 0, and the leader accepts the new epoch from sequence 0 (as Kafka's
 * producer does since KIP-360). A failover truncation rewinds the expected sequence to the first
 * cut record, as a Kafka broker rebuilds its producer state from the log.
 *
 * Kafka allows at most 5 requests in flight with enable.idempotence, each a batch of records;
 * queuelab's in-flight limit counts records, so it has no such cap.
 */
import { grown } from "../sim/grow.ts";
import { InvariantError } from "./errors.ts";

const EPOCH_UNIT = 2 ** 32;
const EPOCH_LIMIT = 2 ** 21;

/** An epoch and a sequence number in one float (what a copy carries, and the log keeps). */
export function packSequence(epoch: number, sequence: number): number {
  return epoch * EPOCH_UNIT + sequence;
}

export function epochOf(packed: number): number {
  return Math.floor(packed / EPOCH_UNIT);
}

export function sequenceOf(packed: number): number {
  return packed % EPOCH_UNIT;
}

/** The leader's verdict on a copy. */
export const Verdict = { append: 0, duplicate: 1, outOfSequence: 2, staleEpoch: 3 } as const;
export type VerdictCode = (typeof Verdict)[keyof typeof Verdict];

/** The producer's side: sequence numbers per partition and its outstanding records. */
export class ProducerSequences {
  /** Epoch bumps (an unfillable gap found). */
  epochBumps = 0;
  private readonly epochs: Int32Array;
  private readonly nextSequence: Float64Array;
  // Per request slot: its partition, sequence number (-1 once released), and 1 while it waits
  // for the records before it (refused out of sequence).
  private partitionOfRequest = new Int32Array(64);
  private sequenceOfRequest = new Float64Array(64);
  private parked = new Uint8Array(64);
  // Per partition, outstanding requests in sequence order as (request, sequence) pairs. A
  // released request's entry stays until it reaches the head (it no longer matches).
  private readonly outstanding: Outstanding[];

  constructor(
    partitionCount: number,
    private readonly partitionOf: (keyIndex: number) => number,
  ) {
    this.epochs = new Int32Array(partitionCount);
    this.nextSequence = new Float64Array(partitionCount);
    this.outstanding = Array.from({ length: partitionCount }, () => new Outstanding());
  }

  /** Request `r` (for a record of `keyIndex`) is sent for the first time: number it. */
  assign(r: number, keyIndex: number): void {
    if (r >= this.partitionOfRequest.length) {
      let capacity = this.partitionOfRequest.length * 2;
      while (r >= capacity) capacity *= 2;
      this.partitionOfRequest = grown(this.partitionOfRequest, capacity);
      this.sequenceOfRequest = grown(this.sequenceOfRequest, capacity);
      this.parked = grown(this.parked, capacity);
    }
    const p = this.partitionOf(keyIndex);
    const sequence = this.nextSequence[p]++;
    this.partitionOfRequest[r] = p;
    this.sequenceOfRequest[r] = sequence;
    this.parked[r] = 0;
    this.outstanding[p].push(r, sequence);
  }

  /** What request `r`'s copy carries now. */
  packedOf(r: number): number {
    return packSequence(this.epochs[this.partitionOfRequest[r]], this.sequenceOfRequest[r]);
  }

  /**
   * Request `r` is done (acknowledged or given up). Returns the requests that waited for it and
   * go again now, in sequence order (none unless `r` was the first outstanding of its partition).
   */
  release(r: number): number[] {
    const p = this.partitionOfRequest[r];
    this.sequenceOfRequest[r] = -1;
    const queue = this.outstanding[p];
    this.trim(p);
    if (queue.size === 0 || this.parked[queue.headRequest()] === 0) return [];
    return queue
      .live((request, sequence) => this.isLive(request, p, sequence))
      .filter((request) => {
        if (this.parked[request] === 0) return false;
        this.parked[request] = 0;
        return true;
      });
  }

  /**
   * The leader refused request `r`'s copy carrying `packed` (out of sequence, or a stale epoch).
   * Returns true if `r` goes again now (after the backoff): it is the first outstanding record
   * of its partition. Then, if the copy had the current epoch, the gap before it will never
   * fill: a new epoch starts, and the outstanding records are renumbered from 0, in order.
   * Otherwise `r` waits for the records before it (see release).
   */
  refused(r: number, packed: number): boolean {
    const p = this.partitionOfRequest[r];
    const queue = this.outstanding[p];
    if (queue.headRequest() !== r) {
      this.parked[r] = 1;
      return false;
    }
    if (epochOf(packed) !== this.epochs[p]) return true;
    if (this.epochs[p] + 1 === EPOCH_LIMIT) {
      throw new InvariantError(`producer epoch of partition ${p} over ${EPOCH_LIMIT}`, 0);
    }
    this.epochs[p]++;
    this.epochBumps++;
    const requests = queue.live((request, sequence) => this.isLive(request, p, sequence));
    queue.clear();
    requests.forEach((request, sequence) => {
      this.sequenceOfRequest[request] = sequence;
      queue.push(request, sequence);
    });
    this.nextSequence[p] = requests.length;
    return true;
  }

  /** Drops released requests from the head of partition `p`'s queue. */
  private trim(p: number): void {
    const queue = this.outstanding[p];
    while (queue.size > 0 && !this.isLive(queue.headRequest(), p, queue.headSequence())) {
      queue.shift();
    }
  }

  private isLive(r: number, p: number, sequence: number): boolean {
    return this.partitionOfRequest[r] === p && this.sequenceOfRequest[r] === sequence;
  }
}

/** A FIFO of (request, sequence) pairs. */
class Outstanding {
  private requests: number[] = [];
  private sequences: number[] = [];
  private head = 0;

  get size(): number {
    return this.requests.length - this.head;
  }

  push(request: number, sequence: number): void {
    this.requests.push(request);
    this.sequences.push(sequence);
  }

  headRequest(): number {
    return this.requests[this.head];
  }

  headSequence(): number {
    return this.sequences[this.head];
  }

  shift(): void {
    this.head++;
    // Reclaim the consumed prefix now and then, so memory follows what is outstanding.
    if (this.head >= 1024 && this.head * 2 >= this.requests.length) {
      this.requests = this.requests.slice(this.head);
      this.sequences = this.sequences.slice(this.head);
      this.head = 0;
    }
  }

  /** The requests of the entries `keep` accepts, in order. */
  live(keep: (request: number, sequence: number) => boolean): number[] {
    const kept: number[] = [];
    for (let i = this.head; i < this.requests.length; i++) {
      if (keep(this.requests[i], this.sequences[i])) kept.push(this.requests[i]);
    }
    return kept;
  }

  clear(): void {
    this.requests = [];
    this.sequences = [];
    this.head = 0;
  }
}

/** The leaders' side, for one topic: per producer and partition, the epoch and the expected sequence. */
export class SequenceChecker {
  private readonly epochs: Int32Array[] = [];
  private readonly expected: Float64Array[] = [];

  constructor(private readonly partitionCount: number) {}

  /** Registers idempotent producer `producer` (a topic's producer index). */
  addProducer(producer: number): void {
    while (this.epochs.length <= producer) {
      this.epochs.push(new Int32Array(this.partitionCount));
      this.expected.push(new Float64Array(this.partitionCount));
    }
  }

  /** Judges a copy from `producer` for partition `p`; an append moves the expected sequence on. */
  check(producer: number, p: number, packed: number): VerdictCode {
    const epoch = epochOf(packed);
    const sequence = sequenceOf(packed);
    const epochs = this.epochs[producer];
    const expected = this.expected[producer];
    if (epoch < epochs[p]) return Verdict.staleEpoch;
    if (epoch > epochs[p]) {
      epochs[p] = epoch;
      expected[p] = 0;
    }
    if (sequence < expected[p]) return Verdict.duplicate;
    if (sequence > expected[p]) return Verdict.outOfSequence;
    expected[p]++;
    return Verdict.append;
  }

  /** A record `producer` wrote with `packed` was cut from partition `p`: expect it again. */
  truncated(producer: number, p: number, packed: number): void {
    if (epochOf(packed) !== this.epochs[producer][p]) return;
    this.expected[producer][p] = Math.min(this.expected[producer][p], sequenceOf(packed));
  }
}
