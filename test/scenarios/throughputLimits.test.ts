/** `writeLimit`, `readLimit` and `apiLimit` in scenario files; the kinesis preset's limits. */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { loadScenarioText } from "../../scenarios/loader.ts";
import { errorOf } from "./helpers.ts";

const topicText = (fields: string) => `
name: t
duration: 10s
topics: [{ name: clicks, partitions: 1${fields} }]
producers: [{ name: web, to: clicks, rate: 10/s }]
consumers: [{ name: c, topic: clicks, processing: 1ms }]
`;
const configOf = (text: string) => loadScenarioText(text, "t.yaml").variants[0].config;

describe("throughput limits in a scenario", () => {
  it("read with their units; none by default", () => {
    expect(configOf(topicText("")).topics[0]).toMatchObject({ writeLimit: null, readLimit: null });
    const topic = configOf(
      topicText(
        ", writeLimit: { records: 1000/s, bytes: 1MiB/s }, readLimit: { calls: 5/s, records: 10000, bytes: 2MiB/s }",
      ),
    ).topics[0];
    expect(topic.writeLimit).toEqual({ recordsPerS: 1000, bytesPerS: 1024 ** 2 });
    expect(topic.readLimit).toEqual({
      callsPerS: 5,
      recordsPerCall: 10000,
      bytesPerS: 2 * 1024 ** 2,
    });
    const queue = configOf(`
name: q
duration: 10s
queues: [{ name: orders, apiLimit: 300/s }]
producers: [{ name: web, rate: 10/s }]
consumers: [{ name: c, processing: 1ms }]
`).queues[0];
    expect(queue.apiLimitPerS).toBe(300);
  });

  it("refuses an empty mapping, an unknown key and a byte rate without /s", () => {
    expect(errorOf(topicText(", writeLimit: {}")).message).toContain(
      "at least one of records, bytes",
    );
    expect(errorOf(topicText(", writeLimit: { recrods: 5/s }")).message).toContain(
      "did you mean 'records'",
    );
    expect(errorOf(topicText(", writeLimit: { bytes: 1MiB }")).message).toContain("a byte rate");
    expect(errorOf(topicText(", readLimit: { calls: 0/s }")).message).toContain("a rate from 1/s");
  });

  it("kinesis: 1,000 records/s and 1 MiB/s in, 5 calls/s of 10,000 records and 2 MiB/s out", () => {
    // ../shared/SYSTEMS.md: per shard, writes 1 MB/s or 1000 records/s, reads 2 MB/s and 5
    // GetRecords calls/s (each up to 10,000 records).
    const topic = configOf(topicText(", system: kinesis")).topics[0];
    expect(topic.writeLimit).toEqual({ recordsPerS: 1000, bytesPerS: 1024 ** 2 });
    expect(topic.readLimit).toEqual({
      callsPerS: 5,
      recordsPerCall: 10000,
      bytesPerS: 2 * 1024 ** 2,
    });
  });

  it("an alert on throttleRate fires while a hot partition is throttled", () => {
    // 30 records/s into a partition of 10/s: 20 throttled a second, at least, from the start.
    const text = `
name: t
duration: 20s
topics: [{ name: clicks, partitions: 1, writeLimit: { records: 10/s } }]
producers: [{ name: web, to: clicks, rate: 30/s, arrivals: constant, acks: none }]
consumers: [{ name: c, topic: clicks, processing: 1ms }]
alerts: [{ name: throttled, on: throttleRate, consumer: c, above: 15, interval: 5s }]
`;
    const loaded = loadScenarioText(text, "t.yaml").variants[0];
    const summary = simulate(loaded.config, { seed: 1, variantName: "v" }).summary;
    const alert = summary.alerts.throttled;
    // Evaluations at 0 (rate 0: nothing yet), then 5 s: 20 a second over the last 5 s.
    expect(alert.firings[0].firedAtS).toBe(5);
    expect(summary.counters.throttledWrites).toBeGreaterThanOrEqual(20 * 19);
  });
});

describe("a queue's dispatch limits and redelivery backoff in a scenario", () => {
  const queueText = (fields: string) => `
name: q
duration: 10s
queues: [{ name: tasks${fields} }]
producers: [{ name: web, rate: 10/s }]
consumers: [{ name: c, processing: 1ms }]
`;
  it("read with their units; none by default", () => {
    expect(configOf(queueText("")).queues[0]).toMatchObject({
      dispatchLimit: null,
      maxInFlight: null,
      redeliveryBackoff: null,
    });
    const queue = configOf(
      queueText(
        ", dispatchLimit: { rate: 500/s, burst: 100 }, maxInFlight: 1000, redeliveryBackoff: { exponential: { base: 10s, multiplier: 2, cap: 10m } }",
      ),
    ).queues[0];
    expect(queue.dispatchLimit).toEqual({ ratePerS: 500, burst: 100 });
    expect(queue.maxInFlight).toBe(1000);
    expect(queue.redeliveryBackoff).toEqual({
      kind: "exponential",
      baseS: 10,
      multiplier: 2,
      capS: 600,
    });
    expect(configOf(queueText(", redeliveryBackoff: immediate")).queues[0].redeliveryBackoff).toBe(
      null,
    );
  });

  it("refuses a limit without a rate, a jittered retry preset and a zero in-flight cap", () => {
    expect(errorOf(queueText(", dispatchLimit: { burst: 5 }")).message).toContain("rate");
    expect(errorOf(queueText(", redeliveryBackoff: aws-standard")).message).toContain(
      "has full jitter",
    );
    expect(errorOf(queueText(", redeliveryBackoff: nope")).message).toContain(
      "unknown retry preset",
    );
    expect(errorOf(queueText(", maxInFlight: 0")).message).toContain("maxInFlight");
  });
});
