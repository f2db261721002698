import { describe, expect, it } from "vitest";
import {
  alignTable,
  displayWidth,
  formatCompactCount,
  formatCount,
  formatDurationS,
  formatRatePerS,
  replayCommand,
  roundSignificant,
  shellQuote,
} from "../../reports/format.ts";
import { smallRunResult } from "./fixture.ts";

describe("formatDurationS", () => {
  it("picks the largest unit that keeps 3 significant digits >= 1", () => {
    expect(formatDurationS(0.0123)).toBe("12.3 ms");
    expect(formatDurationS(1.25)).toBe("1.25 s");
    expect(formatDurationS(0.000042)).toBe("42.0 µs");
    expect(formatDurationS(150)).toBe("2.50 min");
    expect(formatDurationS(7200)).toBe("2.00 h");
    expect(formatDurationS(0)).toBe("0 s");
  });

  it("rounds before choosing the unit, so 0.9996 s is not 1000 ms", () => {
    expect(formatDurationS(0.9996)).toBe("1.00 s");
    expect(formatDurationS(59.99)).toBe("1.00 min");
  });

  it("shows a dash for a missing value", () => {
    expect(formatDurationS(null)).toBe("—");
  });
});

describe("numbers", () => {
  it("groups thousands without depending on the locale", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(-4321)).toBe("-4,321");
  });

  it("keeps about 4 significant digits in rates", () => {
    expect(formatRatePerS(499.84)).toBe("499.8/s");
    expect(formatRatePerS(16.416666)).toBe("16.42/s");
    expect(formatRatePerS(12345.6)).toBe("12,346/s");
    expect(formatRatePerS(0)).toBe("0/s");
  });

  it("shortens large counts for chart labels", () => {
    expect(formatCompactCount(9999)).toBe("9,999");
    expect(formatCompactCount(12345)).toBe("12.3k");
    expect(formatCompactCount(999_700)).toBe("1M");
    expect(formatCompactCount(1_234_567)).toBe("1.23M");
  });

  it("rounds floats to significant digits and leaves integers alone", () => {
    expect(roundSignificant(0.1 + 0.2, 9)).toBe(0.3);
    expect(roundSignificant(123456789012, 3)).toBe(123456789012);
    expect(Object.is(roundSignificant(-0, 9), 0)).toBe(true);
  });
});

describe("replay command", () => {
  it("quotes only the arguments that need it", () => {
    expect(shellQuote("scenarios/a.yaml")).toBe("scenarios/a.yaml");
    expect(shellQuote("my file.yaml")).toBe("'my file.yaml'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it("names the file, the seed and every override", () => {
    const result = { ...smallRunResult(), overrides: ["a.b=1", "c.d=x y"] };
    expect(replayCommand(result)).toBe(
      "npx queuelab run scenarios/retry-storm.yaml --seed 1187 --set a.b=1 --set 'c.d=x y'",
    );
  });
});

describe("alignTable", () => {
  it("pads every line to the same display width, colour codes not counted", () => {
    const lines = alignTable(
      [
        ["", "a", "\u001b[31m✘ 3\u001b[0m"],
        ["longer label", "12,345", "—"],
      ],
      ["left", "right", "right"],
    );
    expect(lines.map(displayWidth)).toEqual([25, 25]);
    expect(lines[1]).toBe("longer label  12,345    —");
  });
});
