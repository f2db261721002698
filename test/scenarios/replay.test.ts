/** `queuelab replay`: a message's story, read back from the run's own trace. */
import { describe, expect, it } from "vitest";
import { formatDurationS } from "../../reports/format.ts";
import { loadScenario, resolveScenarioPath } from "../../scenarios/index.ts";
import { formatStory, replay } from "../../scenarios/replay.ts";

describe("replay", () => {
  const loaded = loadScenario(resolveScenarioPath("visibility-timeout"));
  const variant = "vt-30s";

  it("tells the story of a message processed twice, and it matches the full trace", () => {
    const lines: string[] = [];
    const all = replay(loaded, {
      seed: 1,
      variant,
      filter: { messageId: 0 },
      fullTrace: (line) => lines.push(line),
    });
    expect(all.summary!.fates.duplicateEffects).toBeGreaterThan(0);
    // A message processed twice, found in the full trace independently of the story code.
    const processed = new Map<number, number>();
    for (const line of lines) {
      const event = JSON.parse(line) as { ev: string; msg?: number };
      if (event.ev === "processed") processed.set(event.msg!, (processed.get(event.msg!) ?? 0) + 1);
    }
    const twice = [...processed].find(([, count]) => count === 2)![0];
    const story = replay(loaded, { seed: 1, variant, filter: { messageId: twice } });
    const expected = lines.filter((line) => (JSON.parse(line) as { msg?: number }).msg === twice);
    expect(story.events.filter((e) => e.fields.msg === twice)).toHaveLength(expected.length);
    const text = formatStory(story.events, formatDurationS);
    expect(text[0]).toContain("produced by");
    expect(text.some((line) => line.includes("visibility timeout expired"))).toBe(true);
    expect(text.filter((line) => line.includes("(again: a duplicate effect)"))).toHaveLength(1);
  });

  it("is the same story every time", () => {
    const once = replay(loaded, { seed: 3, variant, filter: { key: "k0" } });
    const again = replay(loaded, { seed: 3, variant, filter: { key: "k0" } });
    expect(again.events).toEqual(once.events);
    expect(once.events.length).toBeGreaterThan(0);
  });
});

describe("replay --until-failure", () => {
  it("finds the first seed at which the variant breaks an expectation", async () => {
    const { loadScenarioText } = await import("../../scenarios/index.ts");
    const { simulate } = await import("../../models/simulation.ts");
    const { firstFailingSeed } = await import("../../scenarios/replay.ts");
    // About 100 messages a run (Poisson): "produced < 105" breaks at some seeds, not others.
    const loaded = loadScenarioText(
      `
name: u
duration: 100s
queues: [{ name: q }]
producers: [{ name: p, rate: 1/s }]
consumers: [{ name: c, processing: 1ms }]
expect: { fates.produced: "< 105" }
`,
      "u.yaml",
    );
    const found = firstFailingSeed(loaded, "base", 1, 50);
    expect(found).not.toBeNull();
    // Checked seed by seed apart from the search: every earlier seed passes, this one fails.
    const produced = (seed: number) =>
      simulate(loaded.variants[0].config, { seed, variantName: "base" }).summary.fates.produced;
    for (let seed = 1; seed < found!; seed++) expect(produced(seed)).toBeLessThan(105);
    expect(produced(found!)).toBeGreaterThanOrEqual(105);
    expect(firstFailingSeed(loaded, "base", 1, found! - 1)).toBeNull();
  });
});
