/** A pipeline stage's destination sees a message again when the stage before forwards it twice. */
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../models/errors.ts";
import { Fate, FateLedger } from "../../models/ledger.ts";

const clock = { nowS: 0 };

describe("readmitting a message", () => {
  it("admits a new id, and adds a copy of one already there", () => {
    const ledger = new FateLedger(clock);
    ledger.acceptReadmissions();
    ledger.readmit(7);
    expect(ledger.produced).toBe(1);
    expect(ledger.liveCopies(7)).toBe(1);
    expect(ledger.recordProcessed(7)).toBe(true);
    ledger.removeCopy(7, null); // acked
    ledger.readmit(7); // forwarded again
    expect(ledger.produced).toBe(1);
    expect(ledger.recordProcessed(7)).toBe(false);
    expect(ledger.duplicateEffects).toBe(1);
  });

  it("makes a lost message pending again: it was not lost after all", () => {
    const ledger = new FateLedger(clock);
    ledger.acceptReadmissions();
    ledger.admit(3);
    ledger.removeCopy(3, "producer gave up after 4 attempts");
    expect(ledger.fateOf(3)).toBe(Fate.lost);
    expect(ledger.lostByCause.get("producer gave up after 4 attempts")).toBe(1);
    ledger.readmit(3);
    expect(ledger.fateOf(3)).toBe(Fate.pending);
    expect(ledger.lost).toBe(0);
    expect(ledger.lostByCause.size).toBe(0);
    expect(ledger.recordProcessed(3)).toBe(true);
    expect(ledger.counts()).toMatchObject({ produced: 1, processed: 1, lost: 0, pending: 0 });
    expect(ledger.recount()).toMatchObject({ produced: 1, processed: 1, lost: 0 });
  });

  it("keeps a dead-lettered message's fate unless the new copy is processed", () => {
    const ledger = new FateLedger(clock);
    ledger.acceptReadmissions();
    ledger.admit(1);
    ledger.recordDeadLettered(1);
    ledger.removeCopy(1, null);
    ledger.readmit(1);
    expect(ledger.fateOf(1)).toBe(Fate.deadLettered);
    expect(ledger.recordProcessed(1)).toBe(true);
    expect(ledger.counts()).toMatchObject({ deadLettered: 0, processed: 1 });
  });

  it("refuses a lost message coming again to a ledger that does not take readmissions", () => {
    const ledger = new FateLedger(clock);
    ledger.admit(0);
    ledger.removeCopy(0, "lost on link a->b");
    expect(() => ledger.readmit(0)).toThrow(InvariantError);
  });
});
