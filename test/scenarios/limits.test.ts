/** `limits:` in a scenario file, and the command-line flags that override it. */
import { describe, expect, it } from "vitest";
import { parseDurationBudgetS, parseEventsBudget } from "../../scenarios/limits.ts";
import { UnitError } from "../../scenarios/units.ts";
import { errorOf, load, scenarioText } from "./helpers.ts";

const limitsOf = (bottom: string, overrides: string[] = []) =>
  load(scenarioText({ bottom }), overrides).variants.map((v) => v.config.limits);

describe("limits:", () => {
  it("defaults to 2e9 events, no wall-time limit and a year of virtual time", () => {
    expect(load(scenarioText()).variants[0].config.limits).toEqual({
      eventsMax: 2_000_000_000,
      wallTimeSMax: null,
      virtualTimeSMax: 365 * 86_400,
    });
  });

  it("reads each budget with its unit, and 'none' for no limit", () => {
    expect(limitsOf("limits: { events: 1e9, wallTime: 10m, virtualTime: 30d }")).toEqual([
      { eventsMax: 1_000_000_000, wallTimeSMax: 600, virtualTimeSMax: 30 * 86_400 },
    ]);
    expect(limitsOf("limits: { events: none, wallTime: none, virtualTime: none }")).toEqual([
      { eventsMax: null, wallTimeSMax: null, virtualTimeSMax: null },
    ]);
    // What is left out keeps its default.
    expect(limitsOf("limits: { wallTime: 90s }")[0]).toEqual({
      eventsMax: 2e9,
      wallTimeSMax: 90,
      virtualTimeSMax: 365 * 86_400,
    });
  });

  it("can be set per variant and by --set, like any field", () => {
    const bottom = [
      "limits: { events: 1000 }",
      "variants:",
      "  - { name: a }",
      "  - { name: b, set: { limits.events: 5 } }",
    ].join("\n");
    expect(
      limitsOf(bottom, ["limits.wallTime=1s"]).map((l) => [l.eventsMax, l.wallTimeSMax]),
    ).toEqual([
      [1000, 1],
      [5, 1],
    ]);
  });

  it("refuses bad budgets with the line, the field and what was expected", () => {
    // scenarioText puts `bottom` on line 9.
    const cases: [string, string][] = [
      [
        "limits: { events: 0 }",
        "x.yaml:9:19: limits.events: expected a whole number >= 1, or 'none', got 0",
      ],
      [
        "limits: { events: 1.5 }",
        "x.yaml:9:19: limits.events: expected a whole number >= 1, or 'none', got 1.5",
      ],
      [
        "limits: { events: nnone }",
        "x.yaml:9:19: limits.events: expected a whole number >= 1, or 'none', got nnone, did you mean 'none'?",
      ],
      [
        "limits: { wallTime: 0s }",
        "x.yaml:9:21: limits.wallTime: expected a duration > 0 (like 250ms, 30s or 5m), or 'none', got 0s",
      ],
      [
        "limits: { virtualTime: 5x }",
        "x.yaml:9:24: limits.virtualTime: expected a duration like 250ms, 30s or 5m, or 'none', got 5x",
      ],
      [
        "limits: { event: 5 }",
        "x.yaml:9:11: limits.event: unknown key 'event', did you mean 'events'?",
      ],
      [
        "limits: 5",
        "x.yaml:9:9: limits: expected a mapping like { events: 1e9, wallTime: 10m, virtualTime: 30d }, got 5",
      ],
    ];
    for (const [bottom, message] of cases) {
      expect(errorOf(scenarioText({ bottom })).message, bottom).toBe(message);
    }
  });
});

describe("the budget flags", () => {
  it("--max-events takes a whole number (2e9 too) or 'none'", () => {
    expect(parseEventsBudget("2e9")).toBe(2_000_000_000);
    expect(parseEventsBudget("100")).toBe(100);
    expect(parseEventsBudget("none")).toBeNull();
    for (const bad of ["0", "-5", "1.5", "", "1,000", "lots", "1e400"]) {
      expect(() => parseEventsBudget(bad), bad).toThrow(UnitError);
    }
  });

  it("--max-wall-time and --max-virtual-time take a duration > 0 or 'none'", () => {
    expect(parseDurationBudgetS("60s")).toBe(60);
    expect(parseDurationBudgetS("7d")).toBe(7 * 86_400);
    expect(parseDurationBudgetS("250ms")).toBe(0.25);
    expect(parseDurationBudgetS("none")).toBeNull();
    for (const bad of ["0s", "-1m", "5x", "", "5M", ".inf"]) {
      expect(() => parseDurationBudgetS(bad), bad).toThrow(UnitError);
    }
  });
});
