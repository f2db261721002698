import { describe, expect, it } from "vitest";
import { InvariantError, ModelConfigError } from "../../models/errors.ts";
import { KeySequencer, OrderingChecker } from "../../models/ordering.ts";

describe("ordering checker", () => {
  it("is clean when each key is processed in production order", () => {
    const checker = new OrderingChecker(2);
    for (let sequence = 0; sequence < 100; sequence++) {
      checker.recordProcessed(sequence % 2, Math.floor(sequence / 2), sequence, sequence);
    }
    expect(checker.violations).toBe(0);
    expect(checker.firstViolation).toBeNull();
  });

  it("reports an overtake with the right pair of messages and time", () => {
    const checker = new OrderingChecker(1);
    checker.recordProcessed(0, 0, 10, 1);
    checker.recordProcessed(0, 2, 12, 2); // message 12 overtakes 11
    checker.recordProcessed(0, 1, 11, 3.5);
    expect(checker.violations).toBe(1);
    expect(checker.firstViolation).toEqual({
      key: 0,
      earlierMessageId: 11,
      laterMessageId: 12,
      atS: 3.5,
    });
  });

  it("counts every backwards processing and keeps the first", () => {
    const checker = new OrderingChecker(3);
    checker.recordProcessed(2, 3, 103, 1); // 0, 1 and 2 overtaken by 3
    checker.recordProcessed(2, 1, 101, 2);
    checker.recordProcessed(2, 0, 100, 3);
    checker.recordProcessed(2, 4, 104, 4);
    checker.recordProcessed(2, 2, 102, 5); // now behind 4, not 3
    expect(checker.violations).toBe(3);
    expect(checker.firstViolation).toEqual({
      key: 2,
      earlierMessageId: 101,
      laterMessageId: 103,
      atS: 2,
    });
  });

  it("does not count a gap (a lost message) as a violation", () => {
    const checker = new OrderingChecker(1);
    checker.recordProcessed(0, 0, 0, 1);
    checker.recordProcessed(0, 5, 5, 2); // 1..4 lost
    checker.recordProcessed(0, 6, 6, 3);
    expect(checker.violations).toBe(0);
    expect(checker.firstViolation).toBeNull();
  });

  it("keeps keys independent", () => {
    const checker = new OrderingChecker(2);
    checker.recordProcessed(0, 5, 50, 1);
    checker.recordProcessed(1, 0, 1, 2); // key 1 starts at 0, unaffected by key 0's 5
    checker.recordProcessed(1, 1, 2, 3);
    checker.recordProcessed(0, 6, 60, 4);
    expect(checker.violations).toBe(0);
    checker.recordProcessed(1, 0, 3, 5); // behind key 1's highest (1), whatever key 0 holds
    expect(checker.violations).toBe(1);
    expect(checker.firstViolation?.key).toBe(1);
  });

  it("rejects an out-of-range key, a bad sequence and a sequence processed twice", () => {
    expect(() => new OrderingChecker(0)).toThrow(ModelConfigError);
    const checker = new OrderingChecker(2);
    expect(() => checker.recordProcessed(2, 0, 0, 1)).toThrow(InvariantError);
    expect(() => checker.recordProcessed(-1, 0, 0, 1)).toThrow(InvariantError);
    expect(() => checker.recordProcessed(0, -1, 0, 1)).toThrow(InvariantError);
    expect(() => checker.recordProcessed(0, 0.5, 0, 1)).toThrow(InvariantError);
    checker.recordProcessed(0, 0, 7, 1);
    expect(() => checker.recordProcessed(0, 0, 7, 2)).toThrow(InvariantError);
    expect(checker.violations).toBe(0);
  });
});

describe("key sequencer", () => {
  it("numbers each key's messages 0, 1, 2, ... independently", () => {
    const sequencer = new KeySequencer(3);
    const got = [0, 1, 0, 2, 0, 1].map((key) => sequencer.next(key));
    expect(got).toEqual([0, 0, 1, 0, 2, 1]);
  });

  it("feeds the checker: in-order processing of sequenced messages is clean", () => {
    const sequencer = new KeySequencer(4);
    const checker = new OrderingChecker(4);
    for (let id = 0; id < 1000; id++) {
      const key = (id * 7) % 4;
      checker.recordProcessed(key, sequencer.next(key), id, id);
    }
    expect(checker.violations).toBe(0);
  });

  it("rejects a bad key count and an out-of-range key", () => {
    expect(() => new KeySequencer(1.5)).toThrow(ModelConfigError);
    expect(() => new KeySequencer(2).next(2)).toThrow(RangeError);
  });
});
