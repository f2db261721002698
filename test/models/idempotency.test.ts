import { describe, expect, it } from "vitest";
import { InvariantError, ModelConfigError } from "../../models/errors.ts";
import { makeIdempotencyStore } from "../../models/idempotency.ts";

function counts(store: ReturnType<typeof makeIdempotencyStore>) {
  return { skipped: store.duplicatesSkipped, forgotten: store.forgotten, size: store.size };
}

describe("idempotency: none", () => {
  it("applies every processing, duplicates included", () => {
    const store = makeIdempotencyStore({ kind: "none" });
    expect([0, 0, 1, 0].map((id, i) => store.tryApply(id, i))).toEqual([true, true, true, true]);
    expect(counts(store)).toEqual({ skipped: 0, forgotten: 0, size: 0 });
  });
});

describe("idempotency: seen-table", () => {
  it("skips a duplicate within the TTL and applies one after it", () => {
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS: 10, capacity: 100 });
    expect(store.tryApply(7, 0)).toBe(true); // recorded at 0: remembered on [0, 10)
    expect(store.tryApply(7, 5)).toBe(false);
    expect(store.tryApply(7, 9.999)).toBe(false);
    expect(counts(store)).toEqual({ skipped: 2, forgotten: 0, size: 1 });
    expect(store.tryApply(7, 10)).toBe(true); // expired at exactly 10: leaks, recorded again
    expect(counts(store)).toEqual({ skipped: 2, forgotten: 1, size: 1 });
    expect(store.tryApply(7, 19)).toBe(false); // recorded at 10: remembered on [10, 20)
    expect(counts(store)).toEqual({ skipped: 3, forgotten: 1, size: 1 });
  });

  it("does not refresh the TTL on a recognised duplicate", () => {
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS: 10, capacity: 100 });
    expect(store.tryApply(1, 0)).toBe(true);
    expect(store.tryApply(1, 9)).toBe(false);
    expect(store.tryApply(1, 10)).toBe(true);
  });

  it("sweeps expired entries on every call, not only the one accessed", () => {
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS: 10, capacity: 100 });
    for (let id = 0; id < 5; id++) store.tryApply(id, id); // recorded at 0, 1, 2, 3, 4
    expect(store.size).toBe(5);
    // At 12 the entries recorded at 0, 1 and 2 have expired; 3 and 4 live on, plus the new one.
    expect(store.tryApply(100, 12)).toBe(true);
    expect(counts(store)).toEqual({ skipped: 0, forgotten: 3, size: 3 });
    expect(store.tryApply(3, 12)).toBe(false);
    expect(store.tryApply(2, 12)).toBe(true);
  });

  it("evicts the oldest id when full: a duplicate leaks after `capacity` newer ids", () => {
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS: 1e9, capacity: 3 });
    expect(store.tryApply(0, 0)).toBe(true);
    expect(store.tryApply(1, 1)).toBe(true);
    expect(store.tryApply(2, 2)).toBe(true);
    expect(store.tryApply(0, 3)).toBe(false); // 2 newer ids: still remembered
    expect(counts(store)).toEqual({ skipped: 1, forgotten: 0, size: 3 });
    expect(store.tryApply(3, 4)).toBe(true); // the 3rd newer id evicts 0
    expect(counts(store)).toEqual({ skipped: 1, forgotten: 1, size: 3 });
    expect(store.tryApply(0, 5)).toBe(true); // leaks through, and evicts 1
    expect(counts(store)).toEqual({ skipped: 1, forgotten: 2, size: 3 });
    expect(store.tryApply(1, 6)).toBe(true); // evicts 2
    expect(store.tryApply(3, 7)).toBe(false);
    expect(counts(store)).toEqual({ skipped: 2, forgotten: 3, size: 3 });
  });

  it("matches a naive list model over a long random run (ring wrap-around and growth)", () => {
    const ttlS = 3;
    const capacity = 1500; // larger than the initial ring, so it grows while wrapped
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS, capacity });
    const model: { id: number; atS: number }[] = [];
    let skipped = 0;
    let forgotten = 0;
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    let nowS = 0;
    for (let i = 0; i < 20_000; i++) {
      // Bursts of fast calls (capacity evictions) and idle gaps (expiries).
      nowS += random() < 0.001 ? 5 * random() : 0.001 * random();
      const id = Math.floor(random() * 3000);
      while (model.length > 0 && model[0].atS + ttlS <= nowS) {
        model.shift();
        forgotten++;
      }
      let expected = true;
      if (model.some((entry) => entry.id === id)) {
        skipped++;
        expected = false;
      } else {
        if (model.length === capacity) {
          model.shift();
          forgotten++;
        }
        model.push({ id, atS: nowS });
      }
      expect(store.tryApply(id, nowS)).toBe(expected);
    }
    expect(counts(store)).toEqual({ skipped, forgotten, size: model.length });
    expect(skipped).toBeGreaterThan(1000);
    expect(forgotten).toBeGreaterThan(1000);
  });

  it("never holds more than `capacity` ids over 1e6 ids", () => {
    const capacity = 1000;
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS: 1e9, capacity });
    let maxSize = 0;
    for (let id = 0; id < 1_000_000; id++) {
      store.tryApply(id, id * 1e-3);
      if (store.size > maxSize) maxSize = store.size;
    }
    expect(maxSize).toBe(capacity);
    expect(store.forgotten).toBe(1_000_000 - capacity);
  });

  it("holds only the ids recorded within the TTL when that is fewer than the capacity", () => {
    // One id per ms with a 0.5s TTL: at most 500 live entries (ids at t-0.5 have expired).
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS: 0.5, capacity: 100_000 });
    let maxSize = 0;
    for (let id = 0; id < 1_000_000; id++) {
      store.tryApply(id, id / 1000);
      if (store.size > maxSize) maxSize = store.size;
    }
    expect(maxSize).toBeGreaterThanOrEqual(499);
    expect(maxSize).toBeLessThanOrEqual(501); // slack for rounding of id / 1000
  });

  it("rejects a bad configuration, a bad id and time going backwards", () => {
    expect(() => makeIdempotencyStore({ kind: "seen-table", ttlS: 0, capacity: 1 })).toThrow(
      ModelConfigError,
    );
    expect(() => makeIdempotencyStore({ kind: "seen-table", ttlS: 1, capacity: 0 })).toThrow(
      ModelConfigError,
    );
    expect(() => makeIdempotencyStore({ kind: "seen-table", ttlS: 1, capacity: 2.5 })).toThrow(
      ModelConfigError,
    );
    const store = makeIdempotencyStore({ kind: "seen-table", ttlS: 1, capacity: 10 });
    expect(() => store.tryApply(-1, 0)).toThrow(InvariantError);
    expect(() => store.tryApply(1.5, 0)).toThrow(InvariantError);
    store.tryApply(1, 5);
    expect(() => store.tryApply(2, 4)).toThrow(InvariantError);
  });
});

describe("idempotency: conditional-write", () => {
  it("never applies a message twice, however long after", () => {
    const store = makeIdempotencyStore({ kind: "conditional-write" });
    expect(store.tryApply(0, 0)).toBe(true);
    expect(store.tryApply(31, 0)).toBe(true); // the top bit of a 32-bit word
    expect(store.tryApply(32, 0)).toBe(true);
    expect(store.tryApply(5_000_000, 1)).toBe(true); // far past the initial bitset: grows
    expect(store.tryApply(0, 1e9)).toBe(false);
    expect(store.tryApply(31, 1e9)).toBe(false);
    expect(store.tryApply(32, 2e9)).toBe(false);
    expect(store.tryApply(5_000_000, 3e9)).toBe(false);
    expect(store.tryApply(30, 3e9)).toBe(true);
    expect(store.tryApply(33, 3e9)).toBe(true);
    expect(counts(store)).toEqual({ skipped: 4, forgotten: 0, size: 6 });
  });

  it("rejects an id that is not a non-negative integer", () => {
    const store = makeIdempotencyStore({ kind: "conditional-write" });
    expect(() => store.tryApply(-1, 0)).toThrow(InvariantError);
    expect(() => store.tryApply(Number.NaN, 0)).toThrow(InvariantError);
  });
});
