/**
 * Pulsar subscriptions on a topic (models/pulsarSubscription.ts): shared is a queue of competing
 * consumers fed by the topic (M/M/c on one partition, which a Kafka group or a failover
 * subscription cannot do); key_shared keeps each key on one consumer; failover has one active
 * consumer per partition; a negative ack does not hold back the messages behind it; a crashed
 * consumer's messages go to the others at once. Pulsar's rules: Pulsar documentation,
 * "Subscription types" and "Negative acknowledgement" (../shared/SYSTEMS.md).
 */
import { describe, expect, it } from "vitest";
import type { ConsumerConfig, ScenarioConfig, SubscriptionType } from "../../models/config.ts";
import { ConsumerSelector, KEY_SHARED_POINTS } from "../../models/consumerSelector.ts";
import { MessageStore } from "../../models/messages.ts";
import { simulate } from "../../models/simulation.ts";
import { summaryJson } from "../../reports/summary.ts";
import { RandomStreams } from "../../sim/random.ts";
import { Trace } from "../../sim/trace.ts";
import { mmcMeanWaitS } from "../closedForms.ts";
import { link, producer, scenario, streamConsumer, topic } from "./configs.ts";

function pulsarConsumer(
  type: SubscriptionType,
  count: number,
  meanS: number,
  extra: Partial<ConsumerConfig> = {},
): ConsumerConfig {
  return streamConsumer(count, meanS, { subscriptionType: type, ...extra });
}

function onTopic(partitions: number, extra: Partial<ScenarioConfig>): ScenarioConfig {
  return scenario({
    queues: [],
    topics: [topic({ partitions })],
    producers: [producer(1, { to: "events" })],
    ...extra,
  });
}

/** Runs with a trace; returns the summary and the trace's events. */
function traced(config: ScenarioConfig, seed = 1) {
  const events: Record<string, string | number>[] = [];
  const trace = new Trace((line) => events.push(JSON.parse(line)));
  const { summary } = simulate(config, { seed, variantName: "v", trace });
  return { summary, events };
}

/** Instances that started processing something, by name. */
function busyInstances(events: Record<string, string | number>[]): Set<string> {
  return new Set(events.filter((e) => e.ev === "process-start").map((e) => String(e.consumer)));
}

describe("shared subscription", () => {
  it("10 consumers on ONE partition, lambda 8/s, mu 1/s: mean wait within 5% of Erlang C (M/M/10)", () => {
    const lambda = 8;
    const c = 10;
    const durationS = 40_000;
    const config = onTopic(1, {
      durationS,
      warmupS: durationS / 20,
      producers: [producer(lambda, { to: "events" })],
      // prefetch 1: no receiver queue, a consumer takes a message when it is free.
      consumers: [pulsarConsumer("shared", c, 1, { prefetch: 1 })],
    });
    const { summary } = simulate(config, { seed: 5, variantName: "v" });
    const expected = mmcMeanWaitS(c, lambda, 1);
    expect(summary.queueWait.count).toBeGreaterThan(250_000);
    expect(Math.abs(summary.queueWait.meanS! - expected) / expected).toBeLessThan(0.05);
  });

  it("failover cannot: one partition is one active consumer, so 10 consumers process at mu = 1/s", () => {
    const config = onTopic(1, {
      durationS: 2000,
      producers: [producer(8, { to: "events" })],
      consumers: [pulsarConsumer("failover", 10, 1, { prefetch: 1 })],
    });
    const { summary, events } = traced(config);
    expect(busyInstances(events)).toEqual(new Set(["workers/0"]));
    // One M/M/1 server at mu = 1/s under 8/s: about 1/s processed, the rest waits.
    expect(summary.throughput.processedPerS).toBeGreaterThan(0.9);
    expect(summary.throughput.processedPerS).toBeLessThan(1.1);
  });
});

describe("key_shared subscription", () => {
  const config = (type: SubscriptionType) =>
    onTopic(1, {
      durationS: 600,
      drainS: 60,
      producers: [
        producer(40, { to: "events", keys: { count: 100, skew: "uniform", zipfExponent: 1 } }),
      ],
      consumers: [pulsarConsumer(type, 8, 0.1, { prefetch: 20 })],
    });

  it("8 consumers on one partition: all busy, each key on one consumer, no ordering violation", () => {
    const { summary, events } = traced(config("key_shared"));
    expect(summary.fates.processed).toBe(summary.fates.produced);
    expect(busyInstances(events).size).toBe(8);
    const consumersOfKey = new Map<string, Set<string>>();
    for (const e of events.filter((e) => e.ev === "process-start")) {
      const key = String(e.key);
      if (!consumersOfKey.has(key)) consumersOfKey.set(key, new Set());
      consumersOfKey.get(key)!.add(String(e.consumer));
    }
    expect(consumersOfKey.size).toBe(100);
    for (const consumers of consumersOfKey.values()) expect(consumers.size).toBe(1);
    expect(summary.ordering.violations).toBe(0);
  });

  it("the same load shared: all busy, and keys overtake one another", () => {
    const { summary, events } = traced(config("shared"));
    expect(busyInstances(events).size).toBe(8);
    expect(summary.ordering.violations).toBeGreaterThan(0);
  });

  it("consistent hashing: a consumer that leaves hands on only its own keys", () => {
    const keys = 1000;
    const selector = new ConsumerSelector(
      { kind: "key", consumerName: "workers" },
      keys,
      4,
      new MessageStore({ nowS: 0 }),
    );
    for (let i = 0; i < 4; i++) selector.attach(i);
    const before = Array.from({ length: keys }, (_, k) => selector.ownerOf(k));
    // With 100 points each, every consumer gets a fair share (binomial-ish spread).
    for (let i = 0; i < 4; i++) {
      const share = before.filter((owner) => owner === i).length / keys;
      expect(share, `instance ${i}`).toBeGreaterThan(0.15);
      expect(share, `instance ${i}`).toBeLessThan(0.35);
    }
    selector.detach(2);
    for (let k = 0; k < keys; k++) {
      const after = selector.ownerOf(k);
      expect(after).not.toBe(2);
      if (before[k] !== 2) expect(after).toBe(before[k]);
    }
    selector.attach(2);
    expect(Array.from({ length: keys }, (_, k) => selector.ownerOf(k))).toEqual(before);
    expect(KEY_SHARED_POINTS).toBe(100); // Pulsar's subscriptionKeySharedConsistentHashingReplicaPoints
  });
});

describe("failover subscription", () => {
  it("4 consumers, 2 partitions: partition i to consumer i mod n; a standby takes over a crash", () => {
    const config = onTopic(2, {
      durationS: 120,
      drainS: 30,
      producers: [
        producer(20, { to: "events", keys: { count: 50, skew: "uniform", zipfExponent: 1 } }),
      ],
      consumers: [pulsarConsumer("failover", 4, 0.01)],
    });
    const { events } = traced(config);
    expect(busyInstances(events)).toEqual(new Set(["workers/0", "workers/1"]));
    const crashed = traced({
      ...config,
      faults: [{ kind: "crash", atS: 60, consumer: "workers", instance: 0, downS: 1000 }],
    });
    // With 0 gone, the attached are 1, 2, 3: partition 0 to 1, partition 1 to 2.
    const after = crashed.events.filter((e) => e.ev === "process-start" && Number(e.t) > 60);
    expect(new Set(after.map((e) => String(e.consumer)))).toEqual(
      new Set(["workers/1", "workers/2"]),
    );
    expect(crashed.summary.fates.processed).toBe(crashed.summary.fates.produced);
    expect(crashed.summary.ordering.violations).toBe(0);
  });
});

describe("negative ack", () => {
  // Three messages of one key at t = 1, 2, 3 (constant arrivals), one consumer, 100 ms of
  // processing each, nackDelay 10 s. The seed is chosen so that the failure stream (the
  // consumer's own, "consumer:workers/failures") fails the first processing only, at p = 0.5.
  const seed = Array.from({ length: 200 }, (_, s) => s + 1).find((s) => {
    const rng = new RandomStreams(s).stream("consumer:workers/failures");
    const draws = [rng.next(), rng.next(), rng.next(), rng.next()];
    return draws[0] < 0.5 && draws.slice(1).every((d) => d >= 0.5);
  })!;
  const run = (consumer: ConsumerConfig) =>
    simulate(
      onTopic(1, {
        durationS: 3.5,
        drainS: 30,
        producers: [producer(1, { to: "events", arrivals: "constant" })],
        consumers: [consumer],
      }),
      { seed, variantName: "v" },
    ).summary;
  const failing = {
    processing: { kind: "constant", value: 0.1 },
    failureProbability: 0.5,
    nackDelayS: 10,
  } as const;

  it("Pulsar: the messages behind a nacked one are processed before its redelivery", () => {
    expect(seed).toBeDefined();
    const s = run(pulsarConsumer("exclusive", 1, 0.1, failing));
    expect(s.fates.processed).toBe(3);
    expect(s.counters.nacks).toBe(1);
    expect(s.counters.redeliveries).toBe(1);
    // #0: delivered at 1, fails at 1.1, redelivered at 11.1, done at 11.2: 10.2 s. #1 and #2
    // are processed in 0.1 s each, before it: one ordering violation (#0 after #2).
    expect(s.latency.maxS).toBeCloseTo(10.2, 1);
    expect(s.latency.p50S).toBeCloseTo(0.1, 1);
    expect(s.ordering.violations).toBe(1);
  });

  it("a Kafka group retries in place: #1 and #2 wait behind #0 for the 10 s", () => {
    const s = run(streamConsumer(1, 0.1, { ...failing, maxPollRecords: 10 }));
    expect(s.fates.processed).toBe(3);
    // #0 done at 11.2 as above; #1 at 11.3 (produced at 2: 9.3 s), #2 at 11.4 (8.4 s).
    expect(s.latency.p50S).toBeGreaterThan(8);
    expect(s.ordering.violations).toBe(0);
  });

  it("maxRedeliverCount 1: a message failing every time is delivered twice, then dead-lettered", () => {
    const s = run(
      pulsarConsumer("shared", 1, 0.1, { ...failing, failureProbability: 1, maxRedeliverCount: 1 }),
    );
    // Deliveries at 1, 2, 3 and again at 11.1, 12.1, 13.1; the second failures send them to the
    // dead-letter topic (Pulsar: redeliveryCount 1 >= maxRedeliverCount 1).
    expect(s.counters.deliveries).toBe(6);
    expect(s.counters.nacks).toBe(6);
    expect(s.fates.deadLettered).toBe(3);
    expect(s.subscriptions[0].deadLetteredByReason).toEqual({ "max receives": 3 });
  });
});

describe("a consumer that disconnects", () => {
  // One message at t = 1, processing 10 s (constant); the consumer holding it crashes at t = 2
  // for 5 s.
  const run = (type: SubscriptionType, count: number, instance: number) =>
    simulate(
      onTopic(1, {
        durationS: 1.5,
        drainS: 60,
        producers: [producer(1, { to: "events", arrivals: "constant" })],
        consumers: [
          pulsarConsumer(type, count, 10, { processing: { kind: "constant", value: 10 } }),
        ],
        faults: [{ kind: "crash", atS: 2, consumer: "workers", instance, downS: 5 }],
      }),
      { seed: 1, variantName: "v" },
    ).summary;

  it("shared: another consumer gets its message at once (processed at 2 + 10 s)", () => {
    const s = run("shared", 2, 0);
    expect(s.fates.processed).toBe(1);
    expect(s.counters.redeliveries).toBe(1);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.latency.maxS).toBeCloseTo(11, 6);
  });

  it("key_shared: the key's next owner gets it at once", () => {
    const selector = new ConsumerSelector(
      { kind: "key", consumerName: "workers" },
      1,
      2,
      new MessageStore({ nowS: 0 }),
    );
    selector.attach(0);
    selector.attach(1);
    const s = run("key_shared", 2, selector.ownerOf(0));
    expect(s.fates.processed).toBe(1);
    expect(s.latency.maxS).toBeCloseTo(11, 6);
  });

  it("exclusive: nobody else may take it; redelivered when the consumer is back at 7 s", () => {
    const s = run("exclusive", 1, 0);
    expect(s.fates.processed).toBe(1);
    expect(s.latency.maxS).toBeCloseTo(16, 6);
  });
});

describe("accounting", () => {
  /**
   * Two Pulsar subscriptions and a Kafka group on one replicated topic, with random consumer
   * crashes, a lossy link into the topic and a broker crash (leader failover truncating records
   * written with acks=leader): every subscription's ledger must balance (simulate checks it and
   * throws otherwise), each on its own.
   */
  const config = scenario({
    durationS: 300,
    drainS: 120,
    queues: [],
    topics: [topic({ partitions: 3, brokers: 2, replicationFactor: 2, replicationLagS: 0.05 })],
    producers: [
      producer(50, {
        to: "events",
        acks: "leader",
        maxRetries: 5,
        maxInFlight: 1000,
        requestTimeoutS: 1,
        keys: { count: 30, skew: "zipf", zipfExponent: 1 },
      }),
    ],
    consumers: [
      pulsarConsumer("shared", 3, 0.02, {
        name: "s",
        group: "s",
        prefetch: 10,
        crashRatePerS: 0.02,
        restartS: 5,
        failureProbability: 0.2,
        nackDelayS: 2,
        maxRedeliverCount: 2,
      }),
      pulsarConsumer("key_shared", 4, 0.02, {
        name: "k",
        group: "k",
        prefetch: 10,
        crashRatePerS: 0.02,
        restartS: 5,
        commit: "before-processing",
      }),
      streamConsumer(2, 0.02, { name: "g", group: "g", crashRatePerS: 0.01 }),
    ],
    links: [
      link("api", "events", { lossProbability: 0.01 }),
      link("events", "k", { latency: { kind: "exponential", mean: 0.005 } }),
    ],
    faults: [{ kind: "broker-crash", atS: 100, topic: "events", broker: 0, downS: 30 }],
  });

  it("conserves messages per subscription, with crashes, failover and a lossy link", () => {
    const { summary } = simulate(config, { seed: 7, variantName: "v" });
    expect(summary.subscriptions.map((s) => s.name)).toEqual(["events/s", "events/k", "events/g"]);
    for (const s of summary.subscriptions) {
      const f = s.fates;
      expect(f.produced, s.name).toBeGreaterThan(10_000);
      expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost, s.name).toBe(
        f.produced,
      );
    }
    expect(summary.counters.consumerCrashes).toBeGreaterThan(10);
    expect(summary.counters.leaderElections).toBeGreaterThan(0);
    // Records cut from the log on failover (acks=1) are lost to every reader alike: none of
    // them was handed to a subscription (they were above the high watermark).
    const truncated = summary.counters.truncatedRecords;
    expect(truncated).toBeGreaterThan(0);
    for (const s of summary.subscriptions) {
      expect(s.lostByCause["truncated on leader failover (acks=1)"], s.name).toBe(truncated);
    }
    // The shared subscription's dead letters are its own.
    expect(summary.subscriptions[0].fates.deadLettered).toBeGreaterThan(0);
    expect(summary.subscriptions[1].fates.deadLettered).toBe(0);
  });

  it("is deterministic: the same seed gives the same summary", () => {
    const a = simulate(config, { seed: 3, variantName: "v" });
    const b = simulate(config, { seed: 3, variantName: "v" });
    expect(summaryJson({ name: "x", variants: [a] } as never)).toBe(
      summaryJson({ name: "x", variants: [b] } as never),
    );
  });
});
