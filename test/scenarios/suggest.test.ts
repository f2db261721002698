import { describe, expect, it } from "vitest";
import { closestMatch, editDistance, suggestionSuffix } from "../../scenarios/suggest.ts";
import { load, scenarioText } from "./helpers.ts";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and transpositions", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("visibiltyTimeout", "visibilityTimeout")).toBe(1);
    expect(editDistance("conut", "count")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});

describe("closestMatch", () => {
  const keys = ["name", "visibilityTimeout", "maxReceives"];

  it("finds typos and case slips, not unrelated words", () => {
    expect(closestMatch("visibilitytimeout", keys)).toBe("visibilityTimeout");
    expect(closestMatch("maxRecieves", keys)).toBe("maxReceives");
    expect(closestMatch("nam", keys)).toBe("name");
    expect(closestMatch("timeout", keys)).toBeNull();
    expect(closestMatch("to", ["at", "for"])).toBeNull();
  });

  it("says what was expected when nothing is close", () => {
    expect(suggestionSuffix("zzz", keys)).toBe(
      " (expected one of: name, visibilityTimeout, maxReceives)",
    );
  });
});

describe("YAML features", () => {
  it("anchors and aliases are followed", () => {
    const text = scenarioText({
      top: "links:\n  - { from: api, to: orders, latency: &slow { exponential: 5ms } }\n  - { from: orders, to: workers, latency: *slow }",
    });
    const links = load(text).variants[0].config.links;
    expect(links.map((l) => l.latency)).toEqual([
      { kind: "exponential", mean: 0.005 },
      { kind: "exponential", mean: 0.005 },
    ]);
  });
});
