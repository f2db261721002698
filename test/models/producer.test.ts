import { describe, expect, it } from "vitest";
import { KeyPicker, Producer } from "../../models/producer.ts";
import { Kernel } from "../../sim/kernel.ts";
import { RandomStreams } from "../../sim/random.ts";
import { producer } from "./configs.ts";

function arrivalTimes(
  config: Parameters<typeof producer>[1] & object,
  durationS: number,
): number[] {
  const kernel = new Kernel();
  const times: number[] = [];
  const p = new Producer(kernel, producer(0, config), durationS, new RandomStreams(9), () =>
    times.push(kernel.nowS),
  );
  p.start();
  kernel.run();
  return times;
}

describe("producer", () => {
  it("constant arrivals are evenly spaced, phase by phase", () => {
    const times = arrivalTimes(
      {
        arrivals: "constant",
        phases: [
          { durationS: 10, ratePerS: 1 },
          { durationS: 10, ratePerS: 2 },
        ],
      },
      100,
    );
    // 1..9 in the first phase (10 would be its end), then 10.5, 11, ..., 19.5.
    expect(times.slice(0, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(times.slice(9)).toEqual(Array.from({ length: 19 }, (_, i) => 10.5 + i * 0.5));
  });

  it("Poisson arrivals follow each phase's rate (counts within 4 standard deviations)", () => {
    const times = arrivalTimes(
      {
        phases: [
          { durationS: 1000, ratePerS: 10 },
          { durationS: 1000, ratePerS: 50 },
        ],
      },
      1e9,
    );
    const first = times.filter((t) => t < 1000).length;
    const second = times.filter((t) => t >= 1000).length;
    expect(Math.abs(first - 10_000)).toBeLessThan(4 * Math.sqrt(10_000));
    expect(Math.abs(second - 50_000)).toBeLessThan(4 * Math.sqrt(50_000));
    expect(Math.max(...times)).toBeLessThan(2000);
  });

  it("repeating phases cycle until the scenario's duration", () => {
    const times = arrivalTimes(
      {
        arrivals: "constant",
        repeatPhases: true,
        phases: [
          { durationS: 5, ratePerS: 1 },
          { durationS: 5, ratePerS: 0 },
        ],
      },
      30,
    );
    expect(times).toEqual([1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
  });

  it("zipf keys: key k drawn with probability proportional to 1/(k+1)^s", () => {
    const picker = new KeyPicker(
      { count: 100, skew: "zipf", zipfExponent: 1.2 },
      new RandomStreams(3).stream("keys"),
    );
    const counts = new Array(100).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) counts[picker.next()]++;
    let norm = 0;
    for (let k = 0; k < 100; k++) norm += 1 / (k + 1) ** 1.2;
    for (const k of [0, 1, 9, 99]) {
      const expected = draws / (k + 1) ** 1.2 / norm;
      expect(Math.abs(counts[k] - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
    }
  });

  it("uniform keys cover every key evenly", () => {
    const picker = new KeyPicker(
      { count: 10, skew: "uniform", zipfExponent: 1 },
      new RandomStreams(3).stream("k"),
    );
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[picker.next()]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});
