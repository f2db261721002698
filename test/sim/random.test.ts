import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { RandomStreams } from "../../sim/random.ts";

function draw(streams: RandomStreams, name: string, count: number): number[] {
  const rng = streams.stream(name);
  return Array.from({ length: count }, () => rng.next());
}

describe("RandomStreams", () => {
  it("gives the same sequence for the same seed and name", () => {
    expect(draw(new RandomStreams(1187), "consumer:workers/3", 100)).toEqual(
      draw(new RandomStreams(1187), "consumer:workers/3", 100),
    );
    // A numeric seed and its decimal string name the same run.
    expect(draw(new RandomStreams(1187), "a", 10)).toEqual(
      draw(new RandomStreams("1187"), "a", 10),
    );
  });

  it("derives each stream from seedrandom alea seeded with seed/name", () => {
    const reference = seedrandom.alea("7/producer:api");
    const expected = Array.from({ length: 20 }, () => reference.double());
    expect(draw(new RandomStreams(7), "producer:api", 20)).toEqual(expected);
  });

  it("gives different sequences for different names or seeds", () => {
    const a = draw(new RandomStreams(1), "consumer:workers/1", 50);
    const b = draw(new RandomStreams(1), "consumer:workers/2", 50);
    const c = draw(new RandomStreams(2), "consumer:workers/1", 50);
    const shared = (x: number[], y: number[]) => x.filter((value, i) => value === y[i]).length;
    expect(shared(a, b)).toBe(0);
    expect(shared(a, c)).toBe(0);
  });

  it("keeps streams independent: drawing from one does not shift another", () => {
    const alone = draw(new RandomStreams(5), "b", 100);
    const streams = new RandomStreams(5);
    const a = streams.stream("a");
    const b = streams.stream("b");
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < 37; j++) a.next();
      seen.push(b.next());
    }
    streams.stream("c").next();
    expect(seen).toEqual(alone);
  });

  it("draws uniform values in [0, 1) with mean 1/2 and variance 1/12", () => {
    const values = draw(new RandomStreams(99), "uniform", 200_000);
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    const deciles = new Array(10).fill(0);
    for (const u of values) {
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sumSq += u * u;
      deciles[Math.floor(u * 10)]++;
    }
    const mean = sum / values.length;
    expect(outside).toBe(0);
    // Standard error of the mean is 0.29 / sqrt(200k) = 0.00065.
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sumSq / values.length - mean * mean).toBeCloseTo(1 / 12, 2);
    for (const count of deciles) expect(Math.abs(count / values.length - 0.1)).toBeLessThan(0.005);
  });

  it("uses more than 32 bits per value", () => {
    const values = draw(new RandomStreams(3), "bits", 1000);
    const finer = values.filter((u) => !Number.isInteger(u * 2 ** 32)).length;
    expect(finer).toBeGreaterThan(990);
  });
});
