/**
 * One partition of an append-only log, as a Kafka broker keeps it: records get offsets 0, 1, 2,
 * ... never reused; the log is cut into segments; retention deletes whole old segments, a segment
 * at a time. Pure data: time comes in as arguments, and the broker drives retention checks.
 *
 * A replicated partition's leader can lose its tail on failover: `truncateTo` removes the records
 * from an offset on (they get new records at the same offsets later, as in Kafka).
 *
 * Records live in parallel typed arrays indexed by `offset - baseOffset`. Deleting a segment only
 * moves `logStartOffset`; the dead prefix is reclaimed by copying the live part to the front once
 * it exceeds half the capacity, so memory follows the retained records, not all records ever.
 */
import { InvariantError } from "./errors.ts";

export interface PartitionLogOptions {
  /** Roll to a new segment when the active one would exceed this (Kafka's segment.bytes). */
  segmentBytes: number;
  /** Roll when the active segment's first record is older than this at append (segment.ms); null = never by time. */
  segmentS: number | null;
  /** Delete a closed segment once its newest record is older than this (retention.ms); null = no limit. */
  retentionS: number | null;
  /** Delete oldest closed segments while what remains is still at least this (retention.bytes); null = no limit. */
  retentionBytes: number | null;
}

const MIN_CAPACITY = 256;
const MIN_SEGMENT_CAPACITY = 16;

export class PartitionLog {
  private readonly segmentBytesLimit: number;
  private readonly segmentS: number | null;
  private readonly retentionS: number | null;
  private readonly retentionBytes: number | null;

  // Records: index = offset - baseOffset.
  private messageIds = new Float64Array(MIN_CAPACITY);
  private producedAtSs = new Float64Array(MIN_CAPACITY);
  private appendedAtSs = new Float64Array(MIN_CAPACITY);
  private keyIndexes = new Int32Array(MIN_CAPACITY);
  private recordBytes = new Int32Array(MIN_CAPACITY);
  private marks = new Uint8Array(MIN_CAPACITY);
  /** Which producer wrote the record and its sequence (idempotent producers), or -1. */
  private writers = new Int32Array(MIN_CAPACITY);
  private sequences = new Float64Array(MIN_CAPACITY);
  /** The offset stored at index 0 of the record arrays (<= logStartOffset). */
  private baseOffset = 0;

  // Segments, oldest first, in a ring: each starts at an offset and ends where the next starts;
  // the last one is the active segment and ends at logEndOffset. There is always one.
  private segmentStart = new Float64Array(MIN_SEGMENT_CAPACITY);
  private segmentSize = new Float64Array(MIN_SEGMENT_CAPACITY);
  private segmentHead = 0;
  private segments = 1;

  private startOffset = 0;
  private endOffset = 0;
  private retainedBytes = 0;
  private lastAppendedAtS = Number.NEGATIVE_INFINITY;
  private inCallback = false;

  constructor(options: PartitionLogOptions) {
    const { segmentBytes, segmentS, retentionS, retentionBytes } = options;
    if (!(segmentBytes > 0) || !Number.isFinite(segmentBytes)) {
      throw new RangeError(`segmentBytes must be positive, got ${segmentBytes}`);
    }
    if (segmentS !== null && !(segmentS > 0)) {
      throw new RangeError(`segmentS must be positive or null, got ${segmentS}`);
    }
    if (retentionS !== null && !(retentionS >= 0)) {
      throw new RangeError(`retentionS must be non-negative or null, got ${retentionS}`);
    }
    if (retentionBytes !== null && !(retentionBytes >= 0)) {
      throw new RangeError(`retentionBytes must be non-negative or null, got ${retentionBytes}`);
    }
    this.segmentBytesLimit = segmentBytes;
    this.segmentS = segmentS;
    this.retentionS = retentionS;
    this.retentionBytes = retentionBytes;
  }

  /** First retained offset. */
  get logStartOffset(): number {
    return this.startOffset;
  }

  /** Next offset to be written. */
  get logEndOffset(): number {
    return this.endOffset;
  }

  /** Bytes of the retained records. */
  get sizeBytes(): number {
    return this.retainedBytes;
  }

  /** Segments, the active one included (an empty log has its one empty active segment). */
  get segmentCount(): number {
    return this.segments;
  }

  /** Records the arrays can hold before growing (exposed to test that memory stays bounded). */
  get capacity(): number {
    return this.messageIds.length;
  }

  /** Base offsets of the segments, oldest first (for tests and reports, not the hot path). */
  segmentBaseOffsets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.segments; i++) out.push(this.segmentStart[this.ring(i)]);
    return out;
  }

  /**
   * Appends one record; returns its offset. `mark` is a byte the caller keeps with it (0..255);
   * `writer` and `sequence` name the idempotent producer that wrote it and its sequence number
   * (-1: none), which a broker rebuilds its duplicate detection from after a truncation.
   */
  append(
    messageId: number,
    keyIndex: number,
    producedAtS: number,
    appendedAtS: number,
    sizeBytes: number,
    mark = 0,
    writer = -1,
    sequence = -1,
  ): number {
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0 || sizeBytes > 0x7fffffff) {
      throw new RangeError(`record size must be a non-negative int32, got ${sizeBytes}`);
    }
    // Retention reads a segment's newest record as its last one: append times must not go back.
    if (!(appendedAtS >= this.lastAppendedAtS)) {
      throw new InvariantError(
        `append at ${appendedAtS}s after one at ${this.lastAppendedAtS}s: time went backwards`,
        appendedAtS,
      );
    }
    this.lastAppendedAtS = appendedAtS;

    if (this.shouldRoll(appendedAtS, sizeBytes)) this.roll();

    if (this.endOffset - this.baseOffset === this.messageIds.length) this.makeRoom();
    const offset = this.endOffset;
    const index = offset - this.baseOffset;
    this.messageIds[index] = messageId;
    this.keyIndexes[index] = keyIndex;
    this.producedAtSs[index] = producedAtS;
    this.appendedAtSs[index] = appendedAtS;
    this.recordBytes[index] = sizeBytes;
    this.marks[index] = mark;
    this.writers[index] = writer;
    this.sequences[index] = sequence;
    this.segmentSize[this.ring(this.segments - 1)] += sizeBytes;
    this.retainedBytes += sizeBytes;
    this.endOffset = offset + 1;
    return offset;
  }

  messageIdAt(offset: number): number {
    return this.messageIds[this.indexOf(offset)];
  }

  keyIndexAt(offset: number): number {
    return this.keyIndexes[this.indexOf(offset)];
  }

  producedAtSAt(offset: number): number {
    return this.producedAtSs[this.indexOf(offset)];
  }

  appendedAtSAt(offset: number): number {
    return this.appendedAtSs[this.indexOf(offset)];
  }

  sizeBytesAt(offset: number): number {
    return this.recordBytes[this.indexOf(offset)];
  }

  markAt(offset: number): number {
    return this.marks[this.indexOf(offset)];
  }

  writerAt(offset: number): number {
    return this.writers[this.indexOf(offset)];
  }

  sequenceAt(offset: number): number {
    return this.sequences[this.indexOf(offset)];
  }

  /**
   * Removes the records at `offset` and after (a leader's unreplicated tail, on failover): the
   * log ends at `offset`, segments that started there or later are gone, and the next append
   * gets `offset`. The retained records before it are untouched, so `offset` may not be below
   * logStartOffset.
   */
  truncateTo(offset: number): void {
    if (this.inCallback) {
      throw new InvariantError(
        "truncateTo called from a beforeDelete callback",
        this.lastAppendedAtS,
      );
    }
    if (!Number.isInteger(offset) || offset < this.startOffset || offset > this.endOffset) {
      throw new RangeError(
        `cannot truncate to ${offset}: outside the retained range [${this.startOffset}, ${this.endOffset}]`,
      );
    }
    // Whole segments that start at or after the cut go; the one holding the cut shrinks.
    let keptEnd = this.endOffset;
    while (this.segments > 1 && this.segmentStart[this.ring(this.segments - 1)] >= offset) {
      const last = this.ring(this.segments - 1);
      keptEnd = this.segmentStart[last];
      this.retainedBytes -= this.segmentSize[last];
      this.segments--;
    }
    let removedBytes = 0;
    for (let o = offset; o < keptEnd; o++) removedBytes += this.recordBytes[o - this.baseOffset];
    this.segmentSize[this.ring(this.segments - 1)] -= removedBytes;
    this.retainedBytes -= removedBytes;
    this.endOffset = offset;
  }

  /**
   * Deletes whole closed segments from the oldest, as Kafka's log cleaner does: first while the
   * oldest one's newest record is more than retentionS old at nowS (`now - largestTimestamp >
   * retention.ms`), then while deleting the oldest leaves at least retentionBytes (`size -
   * segment.size >= retention.bytes`). The active segment is never deleted. `beforeDelete` is
   * called once per deleted segment with its offsets [fromOffset, toOffset), while its records
   * are still readable. A segment is deleted only if it ends at or before `limitOffset` (a
   * replicated log never deletes past its high watermark). Returns the new logStartOffset.
   */
  enforceRetention(
    nowS: number,
    beforeDelete?: (fromOffset: number, toOffset: number) => void,
    limitOffset = Number.POSITIVE_INFINITY,
  ): number {
    // A nested call from the callback would delete under the caller's feet.
    if (this.inCallback) {
      throw new InvariantError("enforceRetention called from its own beforeDelete callback", nowS);
    }
    const previousStart = this.startOffset;
    const retentionS = this.retentionS;
    if (retentionS !== null) {
      // Append times only grow, so the time-expired segments are a prefix.
      while (
        this.segments > 1 &&
        this.segmentStart[this.ring(1)] <= limitOffset &&
        nowS - this.oldestSegmentNewestAtS() > retentionS
      ) {
        this.deleteOldestSegment(nowS, beforeDelete);
      }
    }
    const retentionBytes = this.retentionBytes;
    if (retentionBytes !== null) {
      while (
        this.segments > 1 &&
        this.segmentStart[this.ring(1)] <= limitOffset &&
        this.retainedBytes - this.segmentSize[this.segmentHead] >= retentionBytes
      ) {
        this.deleteOldestSegment(nowS, beforeDelete);
      }
    }
    if (this.startOffset < previousStart) {
      throw new InvariantError(
        `logStartOffset went back from ${previousStart} to ${this.startOffset}`,
        nowS,
      );
    }
    if (this.startOffset - this.baseOffset > this.messageIds.length / 2) this.compact();
    return this.startOffset;
  }

  private shouldRoll(appendedAtS: number, sizeBytes: number): boolean {
    const active = this.ring(this.segments - 1);
    const activeStart = this.segmentStart[active];
    // An empty active segment takes any record, so a record larger than segmentBytes gets a
    // segment of its own.
    if (activeStart === this.endOffset) return false;
    if (this.segmentSize[active] + sizeBytes > this.segmentBytesLimit) return true;
    const segmentS = this.segmentS;
    return (
      segmentS !== null && appendedAtS - this.appendedAtSs[activeStart - this.baseOffset] > segmentS
    );
  }

  private roll(): void {
    if (this.segments === this.segmentStart.length) this.growSegments();
    const slot = this.ring(this.segments);
    this.segmentStart[slot] = this.endOffset;
    this.segmentSize[slot] = 0;
    this.segments++;
  }

  /** Append time of the last record of the oldest segment, which must be closed. */
  private oldestSegmentNewestAtS(): number {
    return this.appendedAtSs[this.segmentStart[this.ring(1)] - 1 - this.baseOffset];
  }

  private deleteOldestSegment(
    nowS: number,
    beforeDelete?: (fromOffset: number, toOffset: number) => void,
  ): void {
    const fromOffset = this.segmentStart[this.segmentHead];
    const toOffset = this.segmentStart[this.ring(1)];
    if (fromOffset !== this.startOffset || toOffset <= fromOffset) {
      throw new InvariantError(
        `oldest segment [${fromOffset}, ${toOffset}) does not start the log at ${this.startOffset}`,
        nowS,
      );
    }
    if (beforeDelete !== undefined) {
      this.inCallback = true;
      try {
        beforeDelete(fromOffset, toOffset);
      } finally {
        this.inCallback = false;
      }
    }
    this.retainedBytes -= this.segmentSize[this.segmentHead];
    this.segmentHead = this.ring(1);
    this.segments--;
    this.startOffset = toOffset;
  }

  private ring(i: number): number {
    return (this.segmentHead + i) % this.segmentStart.length;
  }

  private indexOf(offset: number): number {
    if (!(offset >= this.startOffset && offset < this.endOffset) || !Number.isInteger(offset)) {
      throw new RangeError(
        `offset ${offset} outside the retained range [${this.startOffset}, ${this.endOffset})`,
      );
    }
    return offset - this.baseOffset;
  }

  /** The record arrays are full: reclaim the dead prefix if it is most of them, else double. */
  private makeRoom(): void {
    const capacity = this.messageIds.length;
    const live = this.endOffset - this.startOffset;
    this.relocate(live * 2 <= capacity ? capacity : capacity * 2);
  }

  /** Moves the live records to the front, shrinking the arrays if they are mostly empty. */
  private compact(): void {
    const live = this.endOffset - this.startOffset;
    let capacity = this.messageIds.length;
    // Halve while a quarter would still hold them: shrinks after a burst, without thrashing.
    while (capacity > MIN_CAPACITY && live * 4 <= capacity) capacity /= 2;
    this.relocate(capacity);
  }

  private relocate(capacity: number): void {
    const from = this.startOffset - this.baseOffset;
    const to = this.endOffset - this.baseOffset;
    if (capacity === this.messageIds.length) {
      this.messageIds.copyWithin(0, from, to);
      this.keyIndexes.copyWithin(0, from, to);
      this.producedAtSs.copyWithin(0, from, to);
      this.appendedAtSs.copyWithin(0, from, to);
      this.recordBytes.copyWithin(0, from, to);
      this.marks.copyWithin(0, from, to);
      this.writers.copyWithin(0, from, to);
      this.sequences.copyWithin(0, from, to);
    } else {
      this.messageIds = moved(this.messageIds, new Float64Array(capacity), from, to);
      this.keyIndexes = moved(this.keyIndexes, new Int32Array(capacity), from, to);
      this.producedAtSs = moved(this.producedAtSs, new Float64Array(capacity), from, to);
      this.appendedAtSs = moved(this.appendedAtSs, new Float64Array(capacity), from, to);
      this.recordBytes = moved(this.recordBytes, new Int32Array(capacity), from, to);
      this.marks = moved(this.marks, new Uint8Array(capacity), from, to);
      this.writers = moved(this.writers, new Int32Array(capacity), from, to);
      this.sequences = moved(this.sequences, new Float64Array(capacity), from, to);
    }
    this.baseOffset = this.startOffset;
  }

  private growSegments(): void {
    const capacity = this.segmentStart.length * 2;
    const starts = new Float64Array(capacity);
    const sizes = new Float64Array(capacity);
    for (let i = 0; i < this.segments; i++) {
      starts[i] = this.segmentStart[this.ring(i)];
      sizes[i] = this.segmentSize[this.ring(i)];
    }
    this.segmentStart = starts;
    this.segmentSize = sizes;
    this.segmentHead = 0;
  }
}

function moved<T extends Float64Array | Int32Array | Uint8Array>(
  source: T,
  target: T,
  from: number,
  to: number,
): T {
  target.set(source.subarray(from, to));
  return target;
}
