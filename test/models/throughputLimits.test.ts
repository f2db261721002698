/**
 * Broker throughput limits (models/throughputLimits.ts): a topic's per-partition write and read
 * limits (Kinesis: 1,000 records/s and 1 MiB/s in, 5 GetRecords calls/s out, per shard) and a
 * queue's API limit (SQS FIFO: 300 calls/s per action), each counted in whole seconds of virtual
 * time. Hand-worked cases: with more offered than the limit in every second, each full second
 * takes exactly the limit, and what is refused is retried until it fits.
 */
import { describe, expect, it } from "vitest";
import type { ScenarioConfig, TopicConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { SecondWindows } from "../../models/throughputLimits.ts";
import { THROTTLED_ACKS0_CAUSE } from "../../models/topic.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, producer, queue, scenario, streamConsumer, topic } from "./configs.ts";

/** A producer that keeps every message until it is written: retries without end, no timeout. */
const PERSISTENT = {
  arrivals: "constant",
  acks: "leader",
  maxRetries: 1e9,
  requestTimeoutS: 1e6,
  retryBackoffS: 0.1,
  maxInFlight: 1e6,
} as const;

/** Runs `config` and counts the trace events named `ev` in each whole second. */
function perSecond(config: ScenarioConfig, ev: string, seed = 1) {
  const counts: number[] = [];
  const records: number[] = [];
  const trace = new Trace((line) => {
    const event = JSON.parse(line);
    if (event.ev !== ev) return;
    const second = Math.floor(event.t);
    while (counts.length <= second) {
      counts.push(0);
      records.push(0);
    }
    counts[second]++;
    records[second] += event.records ?? 1;
  });
  const summary = simulate(config, { seed, variantName: "v", trace }).summary;
  return { summary, counts, records };
}

/** One partition, a 1,500/s producer for `durationS`, a fast consumer group. */
function hotPartition(
  extra: Partial<TopicConfig>,
  durationS: number,
  producerExtra: Partial<ScenarioConfig["producers"][number]> = PERSISTENT,
): ScenarioConfig {
  return scenario({
    durationS,
    drainS: 20,
    producers: [producer(1500, { to: "events", ...producerExtra })],
    queues: [],
    topics: [topic({ partitions: 1, ...extra })],
    consumers: [streamConsumer(1, 1e-6)],
  });
}

describe("one-second windows", () => {
  it("take up to the limit in a second, refuse the rest whole, and carry nothing over", () => {
    const windows = new SecondWindows(2, 3, 100);
    expect([1, 2, 3, 4].map(() => windows.tryTake(0, 0.2, 1, 10))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // Slot 1 has its own window; bytes: 60 + 50 > 100 is refused, the 40 that fits is taken.
    expect(windows.tryTake(1, 0.9, 1, 60)).toBe(true);
    expect(windows.tryTake(1, 0.95, 1, 50)).toBe(false);
    expect(windows.tryTake(1, 0.99, 1, 40)).toBe(true);
    // A new second starts from zero, however little was used before (no burst credit).
    expect(windows.tryTake(0, 1, 3, 0)).toBe(true);
    expect(windows.tryTake(0, 1.999, 1, 0)).toBe(false);
    // A record larger than the bytes limit goes alone into an empty window.
    expect(windows.tryTake(1, 5, 1, 500)).toBe(true);
    expect(windows.tryTake(1, 5.5, 1, 1)).toBe(false);
  });
});

describe("a topic's write limit", () => {
  it("records: 1,500/s offered to a 1,000/s partition for 2 s appends exactly 1,000 each second", () => {
    // 3,000 messages, 1,000 a second: seconds 0, 1 and 2 (the backlog of 1,000 left at t = 2
    // retries within the next 0.1 s, all of it fitting the third second).
    const { summary, counts } = perSecond(
      hotPartition({ writeLimit: { recordsPerS: 1000, bytesPerS: null } }, 2),
      "append",
    );
    expect(summary.fates.produced).toBe(3000);
    expect(counts).toEqual([1000, 1000, 1000]);
    expect(summary.fates).toMatchObject({ processed: 3000, lost: 0, conserved: true });
    // Every refused copy is sent again, and nothing else is retried.
    expect(summary.counters.throttledWrites).toBe(summary.counters.producerRetries);
    expect(summary.counters.throttledWrites).toBeGreaterThan(3000 - 1000);
  });

  it("bytes: 1,000-byte records into 500,000 B/s append exactly 500 a second", () => {
    const { summary, counts } = perSecond(
      hotPartition({ writeLimit: { recordsPerS: null, bytesPerS: 500_000 } }, 1, {
        ...PERSISTENT,
        messageSizeBytes: 1000,
      }),
      "append",
    );
    // Arrivals at k / 1500 s before 1 s: 1,499 of them.
    expect(counts).toEqual([500, 500, summary.fates.produced - 1000]);
    expect(summary.fates.lost).toBe(0);
  });

  it("acks=none: the copies beyond the limit are lost, throttled (acks=0)", () => {
    const { summary, counts } = perSecond(
      hotPartition({ writeLimit: { recordsPerS: 1000, bytesPerS: null } }, 1, {
        arrivals: "constant",
        acks: "none",
      }),
      "append",
    );
    expect(counts).toEqual([1000]);
    expect(summary.fates.lost).toBe(summary.fates.produced - 1000);
    expect(summary.subscriptions[0].lostByCause).toEqual({
      [THROTTLED_ACKS0_CAUSE]: summary.fates.produced - 1000,
    });
    expect(summary.counters.throttledWrites).toBe(summary.fates.produced - 1000);
    expect(summary.counters.producerRetries).toBe(0);
  });
});

describe("a topic's read limit", () => {
  it("5 calls/s of 10 records: a backlog is read at exactly 5 fetches and 50 records a second", () => {
    // 100 records/s for 10 s into one partition. Second 0: the member fetches each record as it
    // arrives (one a call) until its 5 calls are spent; from second 1 on every call finds 10
    // records waiting: 5 + 50 k >= 1,000 records takes seconds 0 to 20.
    const config = scenario({
      durationS: 10,
      drainS: 30,
      producers: [producer(100, { to: "events", arrivals: "constant" })],
      queues: [],
      topics: [
        topic({ partitions: 1, readLimit: { callsPerS: 5, recordsPerCall: 10, bytesPerS: null } }),
      ],
      consumers: [streamConsumer(1, 1e-6, { processing: { kind: "constant", value: 1e-6 } })],
    });
    const { summary, counts, records } = perSecond(config, "fetch");
    expect(counts).toEqual(new Array(21).fill(5));
    expect(records.slice(0, 20)).toEqual([5, ...new Array(19).fill(50)]);
    expect(records[20]).toBe(1000 - 5 - 19 * 50);
    expect(summary.fates).toMatchObject({ produced: 1000, processed: 1000, lost: 0 });
    expect(summary.counters.throttledReads).toBeGreaterThan(0);
  });

  it("bytes: 2 groups share 20,000 B/s of 1,000-byte records: 20 records a second between them", () => {
    const config = scenario({
      durationS: 5,
      drainS: 20,
      producers: [producer(100, { to: "events", arrivals: "constant", messageSizeBytes: 1000 })],
      queues: [],
      topics: [
        topic({
          partitions: 1,
          readLimit: { callsPerS: null, recordsPerCall: null, bytesPerS: 20_000 },
        }),
      ],
      consumers: [
        streamConsumer(1, 1e-6, { name: "a", group: "a" }),
        streamConsumer(1, 1e-6, { name: "b", group: "b" }),
      ],
    });
    const { summary, records } = perSecond(config, "fetch");
    // 500 records for each group: 1,000 reads at 20 a second take 50 seconds; the run ends at 25.
    for (const r of records) expect(r).toBeLessThanOrEqual(20);
    expect(records.slice(1, 25)).toEqual(new Array(24).fill(20));
    expect(summary.fates.conserved).toBe(true);
  });
});

describe("a queue's API limit", () => {
  it("publishes: 500/s offered to a 300/s queue for 2 s are taken 300 a second", () => {
    const { summary, counts } = perSecond(
      scenario({
        durationS: 2,
        drainS: 10,
        producers: [producer(500, PERSISTENT)],
        queues: [queue({ apiLimitPerS: 300 })],
        consumers: [consumer(1, 1e-6, { concurrency: 1000 })],
      }),
      "enqueue",
    );
    const produced = summary.fates.produced;
    expect(produced).toBeGreaterThan(990);
    expect(counts).toEqual([300, 300, 300, produced - 900]);
    expect(summary.fates).toMatchObject({ processed: produced, lost: 0 });
    expect(summary.counters.throttledWrites).toBe(summary.counters.producerRetries);
  });

  it("receives: a redriven backlog is delivered 300 a second, the rest in the next second", () => {
    // Every message is poison and goes to the dead-letter queue on its first receive (maxReceives
    // 1); at 3 s all of them (299 + 300: arrivals at k / 300 s before 2 s) are redriven at once.
    const { summary, counts } = perSecond(
      scenario({
        durationS: 2,
        drainS: 10,
        producers: [producer(300, { arrivals: "constant" })],
        queues: [queue({ apiLimitPerS: 300, maxReceives: 1 })],
        consumers: [consumer(1, 1e-6, { concurrency: 1000, poisonProbability: 1 })],
        faults: [{ kind: "redrive", atS: 3, queue: "orders", count: null }],
      }),
      "deliver",
    );
    const produced = summary.fates.produced;
    expect(produced).toBe(599);
    expect(counts.slice(2)).toEqual([0, 300, produced - 300]);
    expect(summary.counters.throttledReads).toBeGreaterThan(0);
    expect(summary.counters.throttledWrites).toBe(0);
    expect(summary.fates.deadLettered).toBe(produced);
  });
});

describe("throttling keeps every message accounted for", () => {
  /** Zipf keys over 4 shards with Kinesis's limits scaled down, few retries: some give up. */
  function skewed(seed: number): ScenarioConfig {
    return {
      ...scenario({
        durationS: 20,
        drainS: 20,
        producers: [
          producer(400, {
            to: "events",
            acks: "leader",
            maxRetries: 2,
            retryBackoffS: 0.05,
            maxInFlight: 1000,
            keys: { count: 50, skew: "zipf", zipfExponent: 1.2 },
          }),
        ],
        queues: [],
        topics: [
          topic({
            writeLimit: { recordsPerS: 150, bytesPerS: 120 * 1024 },
            readLimit: { callsPerS: 5, recordsPerCall: 100, bytesPerS: null },
          }),
        ],
        consumers: [streamConsumer(2, 0.0005)],
      }),
      seed,
    };
  }

  it("on random seeds: produced = processed + lost + pending, with throttles and give-ups", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { fates, counters } = simulate(skewed(seed), { seed, variantName: "v" }).summary;
      expect(fates.conserved, `seed ${seed}`).toBe(true);
      expect(fates.produced).toBe(
        fates.processed + fates.lost + fates.pending + fates.dropped + fates.deadLettered,
      );
      expect(counters.throttledWrites, `seed ${seed}`).toBeGreaterThan(0);
      expect(fates.lost, `seed ${seed}`).toBe(counters.producerGaveUp);
    }
  });

  it("is deterministic: the same seed gives the same summary", () => {
    const a = simulate(skewed(7), { seed: 7, variantName: "v" }).summary;
    const b = simulate(skewed(7), { seed: 7, variantName: "v" }).summary;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});
