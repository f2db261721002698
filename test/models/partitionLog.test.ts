import { describe, expect, it } from "vitest";
import { InvariantError } from "../../models/errors.ts";
import { PartitionLog, type PartitionLogOptions } from "../../models/partitionLog.ts";

function log(options: Partial<PartitionLogOptions> = {}): PartitionLog {
  return new PartitionLog({
    segmentBytes: 1000,
    segmentS: null,
    retentionS: null,
    retentionBytes: null,
    ...options,
  });
}

/** Appends records of `sizeBytes` at the given times; message id = 100 + offset. */
function appendAt(partition: PartitionLog, timesS: number[], sizeBytes = 300): void {
  for (const t of timesS) {
    partition.append(100 + partition.logEndOffset, 0, t, t, sizeBytes);
  }
}

describe("PartitionLog offsets and reads", () => {
  it("gives offsets 0, 1, 2, ... and reads every field back", () => {
    const partition = log();
    expect(partition.logStartOffset).toBe(0);
    expect(partition.logEndOffset).toBe(0);
    expect(partition.segmentCount).toBe(1);
    for (let i = 0; i < 5; i++) {
      expect(partition.append(1000 + i, i % 3, i - 0.25, i, 10 + i)).toBe(i);
    }
    expect(partition.logEndOffset).toBe(5);
    expect(partition.sizeBytes).toBe(10 + 11 + 12 + 13 + 14);
    expect(partition.messageIdAt(3)).toBe(1003);
    expect(partition.keyIndexAt(4)).toBe(1);
    expect(partition.producedAtSAt(2)).toBe(1.75);
    expect(partition.appendedAtSAt(2)).toBe(2);
    expect(partition.sizeBytesAt(0)).toBe(10);
  });

  it("throws RangeError for offsets outside [logStartOffset, logEndOffset)", () => {
    const partition = log();
    expect(() => partition.messageIdAt(0)).toThrow(RangeError);
    appendAt(partition, [0, 1]);
    expect(() => partition.messageIdAt(-1)).toThrow(RangeError);
    expect(() => partition.messageIdAt(2)).toThrow(RangeError);
    expect(() => partition.keyIndexAt(0.5)).toThrow(RangeError);
    expect(() => partition.sizeBytesAt(Number.NaN)).toThrow(RangeError);
  });

  it("rejects appends whose time goes backwards, and bad sizes", () => {
    const partition = log();
    appendAt(partition, [5]);
    expect(() => appendAt(partition, [4])).toThrow(InvariantError);
    expect(() => partition.append(1, 0, 5, 5, -1)).toThrow(RangeError);
    expect(() => partition.append(1, 0, 5, 5, 2.5)).toThrow(RangeError);
    expect(partition.logEndOffset).toBe(1);
  });
});

describe("PartitionLog segments", () => {
  it("rolls when the active segment would exceed segmentBytes: 300-byte records, 3 per 1000", () => {
    const partition = log({ segmentBytes: 1000 });
    appendAt(partition, [0, 0, 0, 0, 0, 0, 0]);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 6]);
    expect(partition.segmentCount).toBe(3);
  });

  it("fills a segment exactly to segmentBytes without rolling", () => {
    const partition = log({ segmentBytes: 1000 });
    appendAt(partition, [0, 0, 0, 0, 0], 250);
    expect(partition.segmentBaseOffsets()).toEqual([0, 4]);
  });

  it("gives a record larger than segmentBytes a segment of its own", () => {
    const partition = log({ segmentBytes: 1000 });
    appendAt(partition, [0], 300);
    appendAt(partition, [0], 1500);
    appendAt(partition, [0], 300);
    expect(partition.segmentBaseOffsets()).toEqual([0, 1, 2]);
    // ...and an oversized first record opens the log without an empty segment before it.
    const first = log({ segmentBytes: 1000 });
    appendAt(first, [0, 0], 1500);
    expect(first.segmentBaseOffsets()).toEqual([0, 1]);
  });

  it("rolls when the active segment's first record is more than segmentS old at append", () => {
    const partition = log({ segmentBytes: 1e9, segmentS: 10 });
    // 10 - 0 = 10 is not more than 10; 10.5 - 0 is. Then 20 - 10.5 = 9.5 stays; 20.6 rolls.
    appendAt(partition, [0, 5, 10, 10.5, 20, 20.6]);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 5]);
  });

  it("does not roll by time with segmentS null", () => {
    const partition = log({ segmentBytes: 1e9 });
    appendAt(partition, [0, 1e6, 1e9]);
    expect(partition.segmentCount).toBe(1);
  });
});

describe("PartitionLog retention by time", () => {
  // Segments [0,1,2] appended at t=0,1,2; [3,4,5] at t=3,4,5; the active one [6] at t=6.
  function threeSegments(retentionS: number): PartitionLog {
    const partition = log({ segmentBytes: 1000, retentionS });
    appendAt(partition, [0, 1, 2, 3, 4, 5, 6]);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 6]);
    return partition;
  }

  it("keeps a segment until its newest record is more than retentionS old", () => {
    const partition = threeSegments(100);
    // At 101.5 offsets 0 and 1 are over 100 s old, but the segment's newest (t=2) is not.
    expect(partition.enforceRetention(101.5)).toBe(0);
    // Exactly 100 s is not more than 100 s (Kafka: now - largestTimestamp > retention.ms).
    expect(partition.enforceRetention(102)).toBe(0);
    expect(partition.sizeBytes).toBe(2100);
  });

  it("deletes whole segments, oldest first, one at a time as each expires", () => {
    const partition = threeSegments(100);
    expect(partition.enforceRetention(102.5)).toBe(3);
    expect(partition.segmentBaseOffsets()).toEqual([3, 6]);
    expect(partition.sizeBytes).toBe(1200);
    expect(partition.messageIdAt(3)).toBe(103);
    expect(() => partition.messageIdAt(2)).toThrow(RangeError);
    expect(partition.enforceRetention(105)).toBe(3);
    expect(partition.enforceRetention(105.5)).toBe(6);
  });

  it("never deletes the active segment, however old", () => {
    const partition = threeSegments(100);
    expect(partition.enforceRetention(1e9)).toBe(6);
    expect(partition.segmentCount).toBe(1);
    expect(partition.sizeBytes).toBe(300);
    expect(partition.messageIdAt(6)).toBe(106);
    // Offsets are never reused: the next record follows the old end.
    appendAt(partition, [1e9]);
    expect(partition.logEndOffset).toBe(8);
  });

  it("with retentionS null, deletes nothing by time", () => {
    const partition = log({ segmentBytes: 1000 });
    appendAt(partition, [0, 1, 2, 3, 4, 5, 6]);
    expect(partition.enforceRetention(1e12)).toBe(0);
  });
});

describe("PartitionLog retention by bytes (Kafka: delete while size - segment.size >= retention.bytes)", () => {
  // 10 records of 300 bytes: segments of 900, 900, 900 and the active one of 300; 3000 in all.
  function tenRecords(retentionBytes: number): PartitionLog {
    const partition = log({ segmentBytes: 1000, retentionBytes });
    appendAt(partition, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 6, 9]);
    expect(partition.sizeBytes).toBe(3000);
    return partition;
  }

  it("stops while what would remain is below the limit, keeping the size above it", () => {
    // 3000 - 900 = 2100 >= 1000: delete; 2100 - 900 = 1200 >= 1000: delete; 1200 - 900 < 1000.
    const partition = tenRecords(1000);
    expect(partition.enforceRetention(0)).toBe(6);
    expect(partition.sizeBytes).toBe(1200);
  });

  it("deletes when what remains equals the limit exactly", () => {
    const partition = tenRecords(1200);
    expect(partition.enforceRetention(0)).toBe(6);
    expect(partition.sizeBytes).toBe(1200);
  });

  it("keeps a segment when deleting it would leave one byte under the limit", () => {
    const partition = tenRecords(1201);
    expect(partition.enforceRetention(0)).toBe(3);
    expect(partition.sizeBytes).toBe(2100);
  });

  it("never deletes the active segment, even with a limit of 0", () => {
    const partition = tenRecords(0);
    expect(partition.enforceRetention(0)).toBe(9);
    expect(partition.segmentCount).toBe(1);
    expect(partition.sizeBytes).toBe(300);
  });

  it("deletes nothing while the log is within the limit", () => {
    const partition = tenRecords(3000);
    expect(partition.enforceRetention(0)).toBe(0);
  });
});

describe("PartitionLog beforeDelete", () => {
  it("is called once per deleted segment with [from, to), while its records are readable", () => {
    const partition = log({ segmentBytes: 1000, retentionS: 10 });
    appendAt(partition, [0, 0, 0, 1, 1, 1, 2, 2, 2, 50]);
    const seen: [number, number, number[]][] = [];
    partition.enforceRetention(20, (from, to) => {
      const ids: number[] = [];
      for (let offset = from; offset < to; offset++) ids.push(partition.messageIdAt(offset));
      seen.push([from, to, ids]);
      // The log start has not moved yet.
      expect(partition.logStartOffset).toBe(from);
    });
    expect(seen).toEqual([
      [0, 3, [100, 101, 102]],
      [3, 6, [103, 104, 105]],
      [6, 9, [106, 107, 108]],
    ]);
    expect(partition.logStartOffset).toBe(9);
    for (let offset = 0; offset < 9; offset++) {
      expect(() => partition.messageIdAt(offset)).toThrow(RangeError);
    }
  });

  it("is not called when nothing is deleted", () => {
    const partition = log({ segmentBytes: 1000, retentionS: 10 });
    appendAt(partition, [0, 0, 0, 0]);
    let calls = 0;
    partition.enforceRetention(10, () => calls++);
    expect(calls).toBe(0);
  });

  it("may not re-enter enforceRetention", () => {
    const partition = log({ segmentBytes: 1000, retentionS: 10 });
    appendAt(partition, [0, 0, 0, 0]);
    expect(() => partition.enforceRetention(20, () => partition.enforceRetention(20))).toThrow(
      InvariantError,
    );
  });
});

describe("PartitionLog memory", () => {
  it("keeps capacity small over 1,000,000 records when retention keeps about 1000", () => {
    // 100-byte records, 100 per segment, retention.bytes of 1000 records' worth.
    const partition = log({ segmentBytes: 10_000, retentionBytes: 100_000 });
    let maxCapacity = 0;
    for (let i = 0; i < 1_000_000; i++) {
      partition.append(2 * i, i % 7, i / 1000, i / 1000, 100);
      if (i % 10 === 9) partition.enforceRetention(i / 1000);
      maxCapacity = Math.max(maxCapacity, partition.capacity);
    }
    const retained = partition.logEndOffset - partition.logStartOffset;
    expect(retained).toBeGreaterThanOrEqual(1000);
    expect(retained).toBeLessThanOrEqual(1110);
    expect(maxCapacity).toBeLessThanOrEqual(4096);
    // Compaction moved the records but not their content.
    for (let offset = partition.logStartOffset; offset < partition.logEndOffset; offset++) {
      expect(partition.messageIdAt(offset)).toBe(2 * offset);
    }
    expect(partition.keyIndexAt(partition.logEndOffset - 1)).toBe(999_999 % 7);
  });

  it("shrinks back after a burst has been deleted", () => {
    const partition = log({ segmentBytes: 10_000, retentionS: 10 });
    for (let i = 0; i < 100_000; i++) partition.append(i, 0, 0, 0, 100);
    expect(partition.capacity).toBeGreaterThanOrEqual(100_000);
    for (let i = 0; i < 200; i++) partition.append(100_000 + i, 0, 100, 100, 100);
    partition.enforceRetention(100);
    const retained = partition.logEndOffset - partition.logStartOffset;
    expect(retained).toBeLessThanOrEqual(300);
    expect(partition.capacity).toBeLessThanOrEqual(Math.max(256, 4 * retained));
    expect(partition.messageIdAt(partition.logEndOffset - 1)).toBe(100_199);
  });

  it("agrees with a plain array model over a long mixed run", () => {
    // Varied sizes and times, retention by both limits: every retained record must read back.
    const partition = log({
      segmentBytes: 5000,
      segmentS: 30,
      retentionS: 600,
      retentionBytes: 200_000,
    });
    const model: { id: number; key: number; at: number; size: number }[] = [];
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    let t = 0;
    let deletedTo = 0;
    for (let i = 0; i < 50_000; i++) {
      t += next() * 0.5;
      const size = 1 + Math.floor(next() * 900);
      const record = { id: i * 3 + 1, key: i % 11, at: t, size };
      expect(partition.append(record.id, record.key, t - 0.01, t, size)).toBe(model.length);
      model.push(record);
      if (i % 97 === 0) {
        partition.enforceRetention(t, (from, to) => {
          expect(from).toBe(deletedTo);
          deletedTo = to;
        });
        expect(partition.logStartOffset).toBe(deletedTo);
        let bytes = 0;
        for (let offset = deletedTo; offset < model.length; offset++) bytes += model[offset].size;
        expect(partition.sizeBytes).toBe(bytes);
      }
    }
    expect(deletedTo).toBeGreaterThan(40_000);
    for (let offset = partition.logStartOffset; offset < model.length; offset++) {
      const record = model[offset];
      expect(partition.messageIdAt(offset)).toBe(record.id);
      expect(partition.keyIndexAt(offset)).toBe(record.key);
      expect(partition.appendedAtSAt(offset)).toBe(record.at);
      expect(partition.sizeBytesAt(offset)).toBe(record.size);
    }
  });
});

describe("PartitionLog truncation (a leader's tail lost on failover)", () => {
  it("cuts inside a segment: later segments go, the cut one shrinks, offsets are reused", () => {
    // 300-byte records, 3 per 1000-byte segment: 8 records make [0,3) [3,6) [6,8).
    const partition = log();
    appendAt(partition, [0, 1, 2, 3, 4, 5, 6, 7]);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 6]);
    partition.truncateTo(4);
    expect(partition.logEndOffset).toBe(4);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3]);
    expect(partition.sizeBytes).toBe(4 * 300);
    expect(() => partition.messageIdAt(4)).toThrow(RangeError);
    // The next record gets offset 4; the shrunk segment [3, ...) takes two more before rolling.
    expect(partition.append(999, 0, 8, 8, 300)).toBe(4);
    expect(partition.messageIdAt(4)).toBe(999);
    appendAt(partition, [9, 10]);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 6]);
    expect(partition.sizeBytes).toBe(7 * 300);
  });

  it("cuts at a segment boundary, and to the log end (nothing)", () => {
    const partition = log();
    appendAt(partition, [0, 1, 2, 3, 4, 5, 6, 7]);
    partition.truncateTo(8);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 6]);
    partition.truncateTo(6);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3]);
    expect(partition.sizeBytes).toBe(6 * 300);
    // The active segment [3, 6) is full: the next record rolls a new one at 6.
    appendAt(partition, [8]);
    expect(partition.segmentBaseOffsets()).toEqual([0, 3, 6]);
  });

  it("may cut everything retained, never below the log start", () => {
    const partition = log({ retentionS: 5 });
    appendAt(partition, [0, 1, 2, 3, 4, 5, 6, 7]);
    partition.enforceRetention(100);
    expect(partition.logStartOffset).toBe(6);
    expect(() => partition.truncateTo(5)).toThrow(RangeError);
    expect(() => partition.truncateTo(9)).toThrow(RangeError);
    expect(() => partition.truncateTo(6.5)).toThrow(RangeError);
    partition.truncateTo(6);
    expect(partition.logEndOffset).toBe(6);
    expect(partition.sizeBytes).toBe(0);
    expect(partition.segmentCount).toBe(1);
    expect(partition.append(1, 0, 101, 101, 300)).toBe(6);
  });

  it("keeps marks with their records, through compaction", () => {
    const partition = log({ retentionS: 1 });
    for (let i = 0; i < 1000; i++) partition.append(i, 0, i, i, 300, i % 3);
    partition.enforceRetention(2000);
    const start = partition.logStartOffset;
    expect(start).toBeGreaterThan(900);
    for (let offset = start; offset < 1000; offset++) {
      expect(partition.markAt(offset)).toBe(offset % 3);
    }
  });

  it("does not delete by retention past a limit (a replicated log's high watermark)", () => {
    const partition = log({ retentionS: 5 });
    appendAt(partition, [0, 1, 2, 3, 4, 5, 6, 7]);
    // Segments [0,3) and [3,6) are expired; only the one ending at or before 4 may go.
    expect(partition.enforceRetention(100, undefined, 4)).toBe(3);
    expect(partition.enforceRetention(100, undefined, 6)).toBe(6);
  });

  it("agrees with a plain array model under appends, retention and truncations", () => {
    const partition = log({ segmentBytes: 3000, retentionS: 200, retentionBytes: 50_000 });
    let model: { id: number; at: number; size: number; mark: number }[] = [];
    let seed = 777;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    let t = 0;
    let truncations = 0;
    for (let i = 0; i < 20_000; i++) {
      t += next();
      const record = { id: i, at: t, size: 1 + Math.floor(next() * 700), mark: i % 3 };
      expect(partition.append(record.id, 0, t, t, record.size, record.mark)).toBe(model.length);
      model.push(record);
      if (i % 53 === 0) partition.enforceRetention(t);
      if (i % 31 === 0) {
        const start = partition.logStartOffset;
        const cut = Math.max(start, model.length - Math.floor(next() * 12));
        partition.truncateTo(cut);
        model = model.slice(0, cut);
        truncations++;
      }
      let bytes = 0;
      for (let o = partition.logStartOffset; o < model.length; o++) bytes += model[o].size;
      if (i % 17 === 0) expect(partition.sizeBytes).toBe(bytes);
    }
    expect(truncations).toBeGreaterThan(600);
    expect(partition.logEndOffset).toBe(model.length);
    for (let offset = partition.logStartOffset; offset < model.length; offset++) {
      expect(partition.messageIdAt(offset)).toBe(model[offset].id);
      expect(partition.sizeBytesAt(offset)).toBe(model[offset].size);
      expect(partition.markAt(offset)).toBe(model[offset].mark);
    }
    // Segment sizes add up: deleting every closed segment leaves the active one's bytes.
    const bases = partition.segmentBaseOffsets();
    let active = 0;
    for (let o = bases[bases.length - 1]; o < model.length; o++) active += model[o].size;
    partition.enforceRetention(t + 1e9);
    expect(partition.sizeBytes).toBe(active);
  });
});
