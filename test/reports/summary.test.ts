import { describe, expect, it } from "vitest";
import { seriesJson } from "../../reports/series.ts";
import { summaryJson, summaryMarkdown } from "../../reports/summary.ts";
import { smallRunResult } from "./fixture.ts";

describe("summaryJson", () => {
  const text = summaryJson(smallRunResult());
  const parsed = JSON.parse(text);

  it("is the same text every time, with a trailing newline", () => {
    expect(summaryJson(smallRunResult())).toBe(text);
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("has the documented key order at every level", () => {
    expect(Object.keys(parsed)).toEqual([
      "scenario",
      "description",
      "file",
      "seed",
      "overrides",
      "durationS",
      "drainS",
      "variants",
    ]);
    const variant = parsed.variants[0];
    expect(Object.keys(variant)).toEqual([
      "name",
      "fates",
      "latency",
      "queueWait",
      "throughput",
      "counters",
      "expectations",
    ]);
    expect(Object.keys(variant.fates)).toEqual([
      "produced",
      "processed",
      "deadLettered",
      "dropped",
      "pending",
      "lost",
      "duplicateEffects",
      "conserved",
    ]);
    expect(Object.keys(variant.latency)).toEqual([
      "count",
      "meanS",
      "p50S",
      "p95S",
      "p99S",
      "p999S",
      "maxS",
    ]);
    expect(Object.keys(variant.queueWait)).toEqual(Object.keys(variant.latency));
    expect(Object.keys(variant.throughput)).toEqual(["producedPerS", "processedPerS"]);
    expect(Object.keys(variant.counters)).toEqual([
      "deliveries",
      "redeliveries",
      "acks",
      "nacks",
      "visibilityTimeouts",
      "movedToDeadLetter",
      "processingFailures",
      "linkLosses",
      "linkDuplicates",
      "eventsFired",
      "endS",
    ]);
    expect(Object.keys(variant.expectations[0])).toEqual(["text", "metric", "observed", "passed"]);
  });

  it("does not depend on the key order of its input", () => {
    const result = smallRunResult();
    const fates = result.variants[0].summary.fates;
    result.variants[0].summary.fates = Object.fromEntries(
      Object.entries(fates).reverse(),
    ) as typeof fates;
    expect(summaryJson(result)).toBe(text);
  });

  it("leaves the series out and rounds floats to 9 significant digits", () => {
    expect(text).not.toContain("series");
    expect(text).not.toContain("queueDepth");
    expect(parsed.variants[0].latency.meanS).toBe(0.812345679);
    expect(parsed.variants[0].throughput.processedPerS).toBe(16.4166667);
    expect(parsed.variants[1].queueWait.p50S).toBeNull();
  });
});

describe("seriesJson", () => {
  it("holds every variant's series, nulls kept", () => {
    const parsed = JSON.parse(seriesJson(smallRunResult()));
    expect(parsed.variants.map((v: { name: string }) => v.name)).toEqual([
      "no-jitter",
      "full-jitter",
    ]);
    expect(parsed.variants[0].series.latencyP50S[4]).toBeNull();
    expect(parsed.variants[0].series.timesS).toHaveLength(12);
  });

  it("refuses series of different lengths", () => {
    const result = smallRunResult();
    result.variants[1].series.dlqDepth.pop();
    expect(() => seriesJson(result)).toThrow(/full-jitter.*dlqDepth has 11 buckets/);
  });
});

describe("summaryMarkdown", () => {
  const markdown = summaryMarkdown(smallRunResult());

  it("gives the seed and the replay command with the overrides", () => {
    expect(markdown).toContain("Seed: 1187");
    expect(markdown).toContain(
      "npx queuelab run scenarios/retry-storm.yaml --seed 1187 " +
        "--set producers.api.rate=20/s --set downstreams.payments.timeout=1s",
    );
  });

  it("has a column per variant in every table", () => {
    const headers = markdown.split("\n").filter((line) => line.startsWith("|  |"));
    expect(headers.length).toBe(6);
    for (const header of headers) expect(header).toBe("|  | no-jitter | full-jitter |");
  });

  it("shows fates, latencies with units, dashes for missing values and verdicts", () => {
    expect(markdown).toContain("| lost | 3 | 0 |");
    expect(markdown).toContain("| duplicate effects | 41 | 5 |");
    expect(markdown).toContain("| p99 | 14.2 s | 1.50 s |");
    expect(markdown).toContain("| mean | 12.3 ms | — |");
    expect(markdown).toContain("| processed | 16.42/s | 16.63/s |");
    expect(markdown).toContain("| no message lost | ✘ 3 | ✔ 0 |");
    expect(markdown).toContain("✘ 2 of 4 expectation checks failed.");
  });

  it("escapes HTML in the description", () => {
    expect(markdown).toContain("p99 &lt; 2s &amp; the DLQ");
    expect(markdown).not.toContain("p99 < 2s");
  });
});
