import { describe, expect, it } from "vitest";
import { seriesJson } from "../../reports/series.ts";
import { summaryJson, summaryMarkdown } from "../../reports/summary.ts";
import { singleSubscriptionRunResult, smallRunResult } from "./fixture.ts";

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
      "ordering",
      "counters",
      "subscriptions",
      "exchanges",
      "calls",
      "callRoutes",
      "downstreams",
      "contention",
      "backlog",
      "scaling",
      "alerts",
      "publishWait",
      "byPriority",
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
      "consumerCrashes",
      "rebalances",
      "commitsRejected",
      "fencedCommits",
      "offsetResets",
      "duplicatesSkipped",
      "deduplicatedByBroker",
      "producerRetries",
      "producerGaveUp",
      "sequenceRefusals",
      "partitionDrops",
      "leaderElections",
      "truncatedRecords",
      "processingFailures",
      "linkLosses",
      "linkDuplicates",
      "eventsFired",
      "endS",
      "overflowDropped",
      "overflowRejected",
      "overflowDeadLettered",
      "publishBlockedS",
      "expired",
      "rateLimitDelayed",
      "rateLimitDropped",
      "throttledWrites",
      "throttledReads",
      "dispatchWaits",
      "unroutable",
    ]);
    expect(Object.keys(variant.expectations[0])).toEqual(["text", "metric", "observed", "passed"]);
  });

  it("writes the ordering, its first violation in the documented order or null", () => {
    const [storm, jitter] = parsed.variants;
    expect(Object.keys(storm.ordering)).toEqual(["violations", "first"]);
    expect(Object.keys(storm.ordering.first)).toEqual([
      "subscription",
      "key",
      "earlierMessageId",
      "laterMessageId",
      "atS",
    ]);
    expect(storm.ordering.first).toEqual({
      subscription: "events/audit",
      key: "k12",
      earlierMessageId: 1041,
      laterMessageId: 1057,
      atS: 12.5,
    });
    expect(jitter.ordering).toEqual({ violations: 0, first: null });
  });

  it("writes every subscription in the scenario's order, keys documented, causes as given", () => {
    const [storm, jitter] = parsed.variants;
    expect(storm.subscriptions.map((s: { name: string }) => s.name)).toEqual([
      "payments",
      "events/audit",
    ]);
    expect(jitter.subscriptions).toHaveLength(1);
    const audit = storm.subscriptions[1];
    expect(Object.keys(audit)).toEqual([
      "name",
      "fates",
      "latency",
      "lostByCause",
      "duplicatesByCause",
      "duplicatesSkipped",
      "orderingViolations",
      "deadLetteredByReason",
      "droppedByReason",
    ]);
    expect(Object.keys(audit.fates)).toEqual(Object.keys(storm.fates));
    expect(Object.keys(audit.lostByCause)).toEqual([
      "deleted by retention before the group read it",
      "offset committed before processing, then crashed",
    ]);
    expect(audit.duplicatesByCause).toEqual({ "reread-after-crash": 5 });
    expect(storm.subscriptions[0].lostByCause).toEqual({});
    expect(audit.orderingViolations).toBe(2);
    // An empty record is written on one line.
    expect(text).toContain('"lostByCause": {},');
  });

  it("does not depend on the key order of its input", () => {
    const result = smallRunResult();
    const reversed = <T extends object>(object: T): T =>
      Object.fromEntries(Object.entries(object).reverse()) as T;
    const summary = result.variants[0].summary;
    summary.fates = reversed(summary.fates);
    summary.counters = reversed(summary.counters);
    summary.ordering = reversed({ ...summary.ordering, first: reversed(summary.ordering.first!) });
    summary.subscriptions = summary.subscriptions.map((subscription) =>
      reversed({ ...subscription, fates: reversed(subscription.fates) }),
    );
    result.variants[0].summary = reversed(summary);
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
    expect(headers.length).toBe(10);
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

  it("orders the sections: fates, each subscription, latencies, throughput, backlog, ordering, counters", () => {
    const titles = markdown
      .split("\n")
      .filter((line) => line.startsWith("## "))
      .map((line) => line.slice(3));
    expect(titles).toEqual([
      "Message fates",
      "Message fates: payments",
      "Message fates: events/audit",
      "End-to-end latency",
      "Queue wait",
      "Throughput",
      "Backlog",
      "Ordering",
      "Counters",
      "Expectations",
    ]);
  });

  it("gives each subscription its fates, causes under the fate they explain", () => {
    const audit = section(markdown, "Message fates: events/audit");
    expect(audit).toEqual([
      "| produced | 400 | — |",
      "| processed | 397 | — |",
      "| dead-lettered | 0 | — |",
      "| dropped | 0 | — |",
      "| pending at end | 0 | — |",
      "| lost | 3 | — |",
      "| lost: deleted by retention before the group read it | 2 | — |",
      "| lost: offset committed before processing, then crashed | 1 | — |",
      "| duplicate effects | 5 | — |",
      "| duplicates: reread-after-crash | 5 | — |",
      "| per-key order violations | 2 | — |",
      "| latency p50 | 80.0 ms | — |",
      "| latency p99 | 1.00 s | — |",
    ]);
    // A cause seen in one variant only reads 0 in the others.
    expect(section(markdown, "Message fates: payments")).toContain(
      "| duplicates: redelivery-after-visibility-timeout | 20 | 0 |",
    );
    // With several subscriptions the overall table has no causes.
    expect(section(markdown, "Message fates").join("\n")).not.toMatch(/lost:|duplicates:/);
  });

  it("with one subscription per variant, shows the causes in the overall fates", () => {
    const single = summaryMarkdown(singleSubscriptionRunResult());
    expect(single).not.toContain("## Message fates:");
    expect(section(single, "Message fates")).toEqual([
      "| produced | 1,000 | 1,000 |",
      "| processed | 985 | 998 |",
      "| dead-lettered | 12 | 2 |",
      "| dropped | 0 | 0 |",
      "| pending at end | 0 | 0 |",
      "| lost | 3 | 0 |",
      "| lost: deleted by retention before the group read it | 2 | 0 |",
      "| lost: offset committed before processing, then crashed | 1 | 0 |",
      "| duplicate effects | 41 | 5 |",
      "| duplicates: redelivery-after-nack | 16 | 5 |",
      "| duplicates: redelivery-after-visibility-timeout | 20 | 0 |",
      "| duplicates: reread-after-crash | 5 | 0 |",
      "| conserved | ✔ yes | ✔ yes |",
    ]);
  });

  it("shows the order violations and the first one", () => {
    expect(section(markdown, "Ordering")).toEqual([
      "| per-key order violations | 2 | 0 |",
      "| first violation | k12: #1041 after #1057 at 12.5 s (events/audit) | — |",
    ]);
    const result = smallRunResult();
    result.variants[0].summary.ordering = { violations: 0, first: null };
    expect(section(summaryMarkdown(result), "Ordering")).toEqual([
      "| per-key order violations | 0 | 0 |",
    ]);
  });

  it("leaves out the counters that are zero in every variant, and names them", () => {
    const counters = section(markdown, "Counters");
    expect(counters).toContain("| consumer crashes | 1 | 0 |");
    expect(counters).toContain("| rebalances | 3 | 0 |");
    expect(counters).toContain("| offset commits rejected | 1 | 0 |");
    expect(counters).toContain("| visibility timeouts | 16 | 0 |");
    expect(counters.join("\n")).not.toMatch(/fenced|offset resets|skipped|partitions|link dup/);
    expect(counters.at(-1)).toBe("| ended at | 1.00 min | 58.3 s |");
    expect(markdown).toContain(
      "_Zero in every variant, not shown: fenced commits, offset resets, duplicates skipped, " +
        "duplicates dropped by the broker, producer retries, producer gave up, " +
        "copies refused out of sequence (idempotent producer), " +
        "sends dropped by network partitions, leader elections, records truncated on failover, " +
        "link duplicates, dropped by a full queue, publishes refused by a full queue, " +
        "refused and dead-lettered (maxlen), producers blocked by a full queue, " +
        "messages expired (TTL), messages delayed by a producer rate limit, " +
        "messages dropped by a producer rate limit, writes throttled (broker limit), " +
        "reads throttled (broker limit), deliveries held by dispatch limits, unroutable (no binding matched)._",
    );
    const result = smallRunResult();
    result.variants[1].summary.counters.partitionDrops = 7;
    expect(section(summaryMarkdown(result), "Counters")).toContain(
      "| sends dropped by network partitions | 0 | 7 |",
    );
  });

  it("is the same text every time", () => {
    expect(summaryMarkdown(smallRunResult())).toBe(markdown);
  });
});

/** The body rows of the table under `## title`. */
function section(markdown: string, title: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(`## ${title}`);
  if (start === -1) throw new Error(`no section ${title}`);
  const rows: string[] = [];
  // Skip the heading, the blank line, the header and the alignment line.
  for (const line of lines.slice(start + 4)) {
    if (!line.startsWith("|")) break;
    rows.push(line);
  }
  return rows;
}
