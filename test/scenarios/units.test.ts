import { describe, expect, it } from "vitest";
import {
  formatBytes,
  parseBytes,
  parseDurationS,
  parseProbability,
  parseQuantity,
  parseRatePerS,
  UnitError,
} from "../../scenarios/units.ts";

describe("parseDurationS", () => {
  it.each([
    ["100us", 100e-6],
    ["250ms", 0.25],
    ["1.5s", 1.5],
    ["30s", 30],
    ["5m", 300],
    ["5min", 300],
    ["2h", 7200],
    ["7d", 604800],
    ["0s", 0],
    ["250 ms", 0.25],
    [".5s", 0.5],
    ["1e3ms", 1],
  ])("%s is %f s", (text, seconds) => {
    expect(parseDurationS(text)).toBeCloseTo(seconds, 12);
  });

  it("keeps milliseconds exact", () => {
    expect(parseDurationS("250ms")).toBe(0.25);
    expect(parseDurationS("40ms")).toBe(0.04);
  });

  it("reads a bare number as seconds", () => {
    expect(parseDurationS(12)).toBe(12);
    expect(parseDurationS("2.5")).toBe(2.5);
  });

  it("returns negative values for the caller to reject", () => {
    expect(parseDurationS("-5s")).toBe(-5);
  });

  it.each(["5x", "ms", "5 M", "5S", "", "five seconds", "1:30"])("rejects %j", (text) => {
    expect(() => parseDurationS(text)).toThrow(
      `expected a duration like 250ms, 30s or 5m, got ${text === "" ? "an empty string" : text}`,
    );
  });

  it("rejects non-finite numbers and non-scalars", () => {
    expect(() => parseDurationS(Number.POSITIVE_INFINITY)).toThrow(UnitError);
    expect(() => parseDurationS("1e400s")).toThrow("(a finite number)");
    expect(() => parseDurationS(true)).toThrow("got true");
    expect(() => parseDurationS([1])).toThrow("got a list");
  });
});

describe("parseRatePerS", () => {
  it.each([
    ["500/s", 500],
    ["30/m", 0.5],
    ["30/min", 0.5],
    ["1000/h", 1000 / 3600],
    ["0.9/s", 0.9],
    ["86400/d", 1],
    ["2/ms", 2000],
    ["5 / s", 5],
  ])("%s is %f per s", (text, perS) => {
    expect(parseRatePerS(text)).toBeCloseTo(perS, 12);
  });

  it("reads a bare number as per second", () => {
    expect(parseRatePerS(8)).toBe(8);
    expect(parseRatePerS("0.9")).toBe(0.9);
  });

  it.each(["5/x", "per second", "/s", "5s"])("rejects %j", (text) => {
    expect(() => parseRatePerS(text)).toThrow(
      `expected a rate like 500/s, 30/m or 1000/h, got ${text}`,
    );
  });
});

describe("parseProbability", () => {
  it.each([
    ["1%", 0.01],
    ["0.1%", 0.001],
    ["100%", 1],
    ["0%", 0],
    [0.01, 0.01],
    ["0.25", 0.25],
    [1, 1],
    [0, 0],
  ])("%j is %f", (value, p) => {
    expect(parseProbability(value)).toBeCloseTo(p, 15);
  });

  it("rejects values outside [0, 1], hinting at a forgotten %", () => {
    expect(() => parseProbability(5)).toThrow(
      "expected a probability like 1% or 0.01 (between 0 and 1), got 5 (did you mean 5%?)",
    );
    expect(() => parseProbability("150%")).toThrow("got 150%");
    expect(() => parseProbability(-0.1)).toThrow("got -0.1");
    expect(() => parseProbability("often")).toThrow("got often");
  });
});

describe("parseQuantity", () => {
  it("takes the unit the metric allows", () => {
    expect(parseQuantity("2s", "duration")).toBe(2);
    expect(parseQuantity("500ms", "duration")).toBe(0.5);
    expect(parseQuantity("100/m", "rate")).toBeCloseTo(100 / 60, 12);
    expect(parseQuantity("3", "plain")).toBe(3);
    expect(parseQuantity(3, "duration")).toBe(3);
    expect(() => parseQuantity("2s", "plain")).toThrow("expected a plain number, got 2s");
  });
});

describe("parseBytes", () => {
  it.each([
    ["1B", 1],
    ["1KB", 1000],
    ["1kB", 1000],
    ["64MB", 64e6],
    ["2GB", 2e9],
    ["1TB", 1e12],
    ["1KiB", 1024],
    ["1.5KiB", 1536],
    ["1.1KB", 1100],
    ["64MiB", 64 * 1024 ** 2],
    ["1GiB", 1024 ** 3],
    ["2TiB", 2 * 1024 ** 4],
    ["1 GiB", 1024 ** 3],
    ["1048576", 1048576],
    [1048576, 1048576],
    [0, 0],
    ["1e3", 1000],
  ])("%j is %i bytes", (value, bytes) => {
    expect(parseBytes(value)).toBe(bytes);
  });

  it("returns negative values for the caller to reject", () => {
    expect(parseBytes("-1KiB")).toBe(-1024);
  });

  it.each(["1KiBs", "KiB", "1 K", "1M", "lots", "", "1Pib"])("rejects %j", (text) => {
    expect(() => parseBytes(text)).toThrow(
      `expected a size like 1KiB, 64MB or 1048576, got ${text === "" ? "an empty string" : text}`,
    );
  });

  it("hints at the case of a unit, and refuses a fraction of a byte", () => {
    expect(() => parseBytes("1kib")).toThrow("got 1kib (did you mean 1KiB?)");
    expect(() => parseBytes("64mb")).toThrow("got 64mb (did you mean 64MB?)");
    expect(() => parseBytes("1.5")).toThrow("got 1.5 (not a whole number of bytes)");
    expect(() => parseBytes("0.5B")).toThrow("got 0.5B (not a whole number of bytes)");
    expect(() => parseBytes("1e400B")).toThrow("(a finite number)");
    expect(() => parseBytes([1])).toThrow(UnitError);
  });

  it("formats sizes in the largest binary unit that divides them", () => {
    expect([1, 1000, 1024, 1536, 1024 ** 3, 1024 ** 5].map(formatBytes)).toEqual([
      "1B",
      "1000B",
      "1KiB",
      "1536B",
      "1GiB",
      "1024TiB",
    ]);
  });
});
