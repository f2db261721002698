/**
 * Broker replication and leader failover: the claim "acks=1 loses acknowledged writes on
 * failover; acks=all with enough in-sync replicas does not", hand-worked on one partition, then
 * offline partitions, the high watermark as the limit of reads, and conservation over many
 * seeds with random broker crashes.
 */
import { describe, expect, it } from "vitest";
import type {
  FaultConfig,
  ProducerConfig,
  ScenarioConfig,
  TopicConfig,
} from "../../models/config.ts";
import { ModelConfigError } from "../../models/errors.ts";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, link, producer, queue, scenario, streamConsumer, topic } from "./configs.ts";

interface TraceEvent {
  t: number;
  ev: string;
  [field: string]: number | string;
}

/** Runs a config and returns its summary and every trace event of the kinds asked for. */
function runTraced(config: ScenarioConfig, kinds: string[], seed = 1) {
  const events: TraceEvent[] = [];
  const trace = new Trace((line) => {
    const parsed = JSON.parse(line) as TraceEvent;
    if (kinds.includes(parsed.ev)) events.push(parsed);
  });
  const summary = simulate(config, { seed, variantName: "v", trace }).summary;
  return { summary, events };
}

/**
 * One partition on three brokers (replicas on brokers 0, 1, 2; broker 0 leads), a record every
 * 10 ms from t = 0.01 (constant arrivals: the record of t = k/100 is offset k-1), a 50 ms
 * replication lag, and broker 0 crashing at t = 10.0025 for 5 s. Each record is on the followers
 * 50 ms after its append and committed (the leader hears of it) 100 ms after. At the crash:
 * - records of t <= 9.90 (k <= 990) are committed and acknowledged;
 * - records of t in (9.9025, 9.9525], k = 991..995, are on the followers, not acknowledged;
 * - records of t in (9.9525, 10.0025], k = 996..1000, are on the leader only: 5 records, the
 *   rate times the lag (100/s x 50 ms). Broker 1 takes over with a log of 995 records; offsets
 *   995..999 are cut.
 */
function failover(producerExtra: Partial<ProducerConfig>, topicExtra: Partial<TopicConfig> = {}) {
  return scenario({
    durationS: 30,
    drainS: 30,
    producers: [
      producer(100, {
        to: "events",
        arrivals: "constant",
        maxInFlight: 20,
        requestTimeoutS: 1,
        maxRetries: 10,
        ...producerExtra,
      }),
    ],
    queues: [],
    topics: [
      topic({
        partitions: 1,
        brokers: 3,
        replicationFactor: 3,
        replicationLagS: 0.05,
        ...topicExtra,
      }),
    ],
    consumers: [streamConsumer(1, 0.001)],
    faults: [{ kind: "broker-crash", atS: 10.0025, topic: "events", broker: 0, downS: 5 }],
  });
}

describe("leader failover (hand-worked)", () => {
  it("acks=leader: loses exactly the 5 records appended in the last lag before the crash", () => {
    const { summary: s, events } = runTraced(failover({ acks: "leader" }), [
      "leader-elected",
      "truncated",
      "isr-join",
    ]);
    expect(s.fates.produced).toBe(2999);
    expect(s.fates.lost).toBe(5);
    expect(s.fates.processed).toBe(2994);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.subscriptions[0].lostByCause).toEqual({ "truncated on leader failover (acks=1)": 5 });
    // The producer had its acknowledgements: it never retried.
    expect(s.counters.producerRetries).toBe(0);
    const elected = events.filter((e) => e.ev === "leader-elected");
    expect(elected).toEqual([
      { t: 10.0025, ev: "leader-elected", topic: "events", partition: 0, broker: 1, logEnd: 995 },
    ]);
    expect(events.filter((e) => e.ev === "truncated").map((e) => e.offset)).toEqual([
      995, 996, 997, 998, 999,
    ]);
    // Broker 0 restarts at 15.0025 and is back in sync one lag later.
    const joined = events.filter((e) => e.ev === "isr-join");
    expect(joined.map((e) => [e.broker, e.t])).toEqual([[0, 15.0525]]);
  });

  it("acks=none loses the same 5, with their own cause", () => {
    const s = simulate(failover({ acks: "none", maxRetries: 0 }), {
      seed: 1,
      variantName: "v",
    }).summary;
    expect(s.subscriptions[0].lostByCause).toEqual({ "truncated on leader failover (acks=0)": 5 });
  });

  it("acks=all, minInsyncReplicas 2: loses nothing; the 5 survivors never acknowledged are written twice", () => {
    const { summary: s, events } = runTraced(failover({ acks: "all" }, { minInsyncReplicas: 2 }), [
      "append",
    ]);
    expect(s.fates.lost).toBe(0);
    expect(s.fates.processed).toBe(2999);
    // The ten requests waiting on broker 0 (k = 991..1000) fail when it crashes and are sent
    // again after the 100 ms backoff. k = 991..995 are on the new leader: duplicates. k =
    // 996..1000 were cut: written once.
    expect(s.counters.producerRetries).toBe(10);
    const retried = events.filter((e) => Math.abs(e.t - 10.1025) < 1e-9);
    expect(retried.map((e) => e.msg)).toEqual([990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
    expect(s.fates.duplicateEffects).toBe(5);
    expect(s.subscriptions[0].duplicatesByCause).toEqual({ "producer-duplicate": 5 });
    expect(s.counters.producerGaveUp).toBe(0);
  });

  it("acks=all with an idempotent producer: no loss and no duplicate, the broker drops the 5 copies", () => {
    const s = simulate(failover({ acks: "all", idempotent: true }, { minInsyncReplicas: 2 }), {
      seed: 1,
      variantName: "v",
    }).summary;
    expect(s.fates.lost).toBe(0);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.counters.producerRetries).toBe(10);
    expect(s.counters.deduplicatedByBroker).toBe(5);
  });

  it("the same failover with no lag loses nothing even with acks=leader", () => {
    const s = simulate(failover({ acks: "leader" }, { replicationLagS: 0 }), {
      seed: 1,
      variantName: "v",
    }).summary;
    expect(s.fates.lost).toBe(0);
    expect(s.fates.processed).toBe(2999);
  });

  it("a follower's crash loses nothing and moves no leader", () => {
    const config = failover({ acks: "leader" });
    config.faults = [{ kind: "broker-crash", atS: 10.0025, topic: "events", broker: 2, downS: 5 }];
    const { summary: s, events } = runTraced(config, ["leader-elected", "truncated"]);
    expect(s.fates.lost).toBe(0);
    expect(s.fates.processed).toBe(2999);
    expect(events).toEqual([]);
  });
});

describe("min.insync.replicas", () => {
  /** Both followers (brokers 1 and 2) crash at t = 10.0025 for 5 s: the leader is alone. */
  const followersDown = (acks: ProducerConfig["acks"]) => {
    const config = failover(
      { acks, maxRetries: 1000, retryBackoffS: 0.1 },
      { minInsyncReplicas: 2 },
    );
    config.faults = [1, 2].map(
      (broker): FaultConfig => ({
        kind: "broker-crash",
        atS: 10.0025,
        topic: "events",
        broker,
        downS: 5,
      }),
    );
    return runTraced(config, ["append", "isr-join"]);
  };

  it("acks=all is refused while the ISR is below it, then written: no loss", () => {
    const { summary: s, events } = followersDown("all");
    expect(s.fates.lost).toBe(0);
    expect(s.fates.processed).toBe(2999);
    // The followers are back in sync at 15.0525; nothing is appended in between.
    const rejoined = events.filter((e) => e.ev === "isr-join").map((e) => e.t);
    expect(rejoined).toEqual([15.0525, 15.0525]);
    const appendsDuringOutage = events.filter(
      (e) => e.ev === "append" && e.t > 10.0025 && e.t < 15.0525,
    );
    expect(appendsDuringOutage).toEqual([]);
    // The 10 records appended in the last 2 lags (k = 991..1000) were waiting for the followers;
    // when the ISR shrank to the leader they were committed but refused (Kafka's
    // NotEnoughReplicasAfterAppend): their retries are duplicates.
    expect(s.fates.duplicateEffects).toBe(10);
    expect(s.subscriptions[0].duplicatesByCause).toEqual({ "producer-duplicate": 10 });
  });

  it("acks=leader is still taken by the lone leader", () => {
    const { summary: s, events } = followersDown("leader");
    expect(s.fates.lost).toBe(0);
    expect(s.fates.duplicateEffects).toBe(0);
    const appendsDuringOutage = events.filter(
      (e) => e.ev === "append" && e.t > 10.0025 && e.t < 15.0025,
    );
    expect(appendsDuringOutage).toHaveLength(500);
  });
});

describe("an offline partition (one replica, its broker down from 10.0025 to 15.0025)", () => {
  const offline = (extra: Partial<ProducerConfig>) =>
    simulate(failover({ maxInFlight: 1000, ...extra }, { brokers: 1, replicationFactor: 1 }), {
      seed: 1,
      variantName: "v",
    }).summary;

  it("acks=none loses the 500 messages sent while it is down (t = 10.01 .. 15.00)", () => {
    const s = offline({ acks: "none", maxRetries: 0 });
    expect(s.fates.lost).toBe(500);
    expect(s.subscriptions[0].lostByCause).toEqual({ "partition offline": 500 });
    expect(s.fates.processed).toBe(2499);
  });

  it("acks=all with retries that outlast the outage loses nothing", () => {
    const s = offline({ acks: "all", maxRetries: 10 });
    expect(s.fates.lost).toBe(0);
    expect(s.fates.processed).toBe(2999);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.counters.producerRetries).toBeGreaterThan(500);
  });

  it("acks=all with 2 retries: a message whose third attempt (t + 2.2 s) still finds it down is lost", () => {
    // Attempts at t, t + 1.1 and t + 2.2 (1 s timeout, 100 ms backoff): lost for t in
    // (10.0025, 12.8025], k = 1001..1280.
    const s = offline({ acks: "all", maxRetries: 2 });
    expect(s.fates.lost).toBe(280);
    expect(s.subscriptions[0].lostByCause).toEqual({ "producer gave up after 3 attempts": 280 });
  });
});

describe("the high watermark", () => {
  it("makes a record readable two lags after its append", () => {
    const { events } = runTraced(
      scenario({
        durationS: 1,
        drainS: 1,
        producers: [producer(2, { to: "events", arrivals: "constant" })],
        queues: [],
        topics: [topic({ partitions: 1, brokers: 3, replicationFactor: 3, replicationLagS: 0.05 })],
        consumers: [streamConsumer(1, 0.001, { processing: { kind: "constant", value: 0.001 } })],
      }),
      ["append", "processed"],
    );
    // One record at t = 0.5: readable at 0.6, processed 1 ms later.
    expect(events.map((e) => [e.ev, e.t])).toEqual([
      ["append", 0.5],
      ["processed", 0.601],
    ]);
  });

  it("costs one event per record on a replicated partition, none on a single replica", () => {
    const run = (extra: Partial<TopicConfig>) =>
      simulate(
        scenario({
          durationS: 100,
          drainS: 10,
          producers: [producer(20, { to: "events" })],
          queues: [],
          topics: [topic({ partitions: 4, ...extra })],
          consumers: [streamConsumer(2, 0.01)],
        }),
        { seed: 4, variantName: "v" },
      ).summary;
    const single = run({});
    const onThreeBrokers = run({ brokers: 3 });
    const replicated = run({ brokers: 3, replicationFactor: 3 });
    expect(onThreeBrokers.counters.eventsFired).toBe(single.counters.eventsFired);
    expect(replicated.counters.eventsFired - single.counters.eventsFired).toBe(
      single.fates.produced,
    );
    expect(replicated.fates.processed).toBe(single.fates.processed);
  });

  it("is what consumers read up to, across random broker crashes (trace check, many seeds)", () => {
    // A consumer that read past the HW would process a record later cut on failover: the same
    // (partition, offset, message) would be both processed and truncated.
    let truncations = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const config = randomCluster(seed, "leader");
      const { events } = runTraced(config, ["processed", "truncated"], seed);
      const cut = new Set(
        events
          .filter((e) => e.ev === "truncated")
          .map((e) => `${e.topic}/${e.partition}/${e.offset}/${e.msg}`),
      );
      truncations += cut.size;
      for (const e of events) {
        if (e.ev !== "processed") continue;
        expect(cut.has(`events/${e.partition}/${e.offset}/${e.msg}`)).toBe(false);
      }
    }
    expect(truncations).toBeGreaterThan(20);
  });
});

describe("queues and configuration", () => {
  it("on a queue, acks leader and all are the same", () => {
    const run = (acks: ProducerConfig["acks"]) =>
      simulate(
        scenario({
          durationS: 500,
          drainS: 60,
          producers: [producer(5, { acks, maxRetries: 3, requestTimeoutS: 1 })],
          queues: [queue()],
          consumers: [consumer(2, 0.1)],
          links: [link("orders", "api", { lossProbability: 0.05 })],
        }),
        { seed: 3, variantName: "v" },
      ).summary;
    const all = run("all");
    expect(all.fates.duplicateEffects).toBeGreaterThan(50);
    expect(run("leader")).toEqual(all);
  });

  it("refuses a replication factor beyond the brokers, and min.insync.replicas beyond it", () => {
    const wire = (extra: Partial<TopicConfig>) => () =>
      simulate(failover({ acks: "all" }, extra), { seed: 1, variantName: "v" });
    expect(wire({ brokers: 2 })).toThrow(ModelConfigError);
    expect(wire({ minInsyncReplicas: 4 })).toThrow(ModelConfigError);
    const badFault = failover({ acks: "all" });
    badFault.faults = [{ kind: "broker-crash", atS: 1, topic: "events", broker: 3, downS: 1 }];
    expect(() => simulate(badFault, { seed: 1, variantName: "v" })).toThrow(
      "broker crash: topic events has brokers 0..2, not 3",
    );
  });
});

/** A small deterministic generator for the random schedules below. */
function lcg(seed: number): () => number {
  let state = (seed * 2654435761) >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Topic `events` (6 partitions, replication factor 3 on 3 to 5 brokers, random lag) written by
 * a producer with `acks`, read by a group whose members crash at random; 3 to 6 broker crashes
 * at random times. With `mixed`, a second topic `audit` with the same crash schedule gets
 * acks=all writes with min.insync.replicas 2 from an idempotent or plain producer.
 */
function randomCluster(seed: number, acks: ProducerConfig["acks"], mixed = false): ScenarioConfig {
  const next = lcg(seed);
  const brokers = 3 + Math.floor(next() * 3);
  const durationS = 60;
  const replicated = (name: string, extra: Partial<TopicConfig> = {}) =>
    topic({
      name,
      partitions: 6,
      brokers,
      replicationFactor: 3,
      replicationLagS: 0.005 + next() * 0.1,
      ...extra,
    });
  const topics = [replicated("events")];
  const faults: FaultConfig[] = [];
  const crashes = 3 + Math.floor(next() * 4);
  for (let i = 0; i < crashes; i++) {
    const fault = {
      atS: 2 + next() * (durationS - 2),
      broker: Math.floor(next() * brokers),
      downS: 0.5 + next() * 15,
    };
    faults.push({ kind: "broker-crash", topic: "events", ...fault });
    if (mixed) faults.push({ kind: "broker-crash", topic: "audit", ...fault });
  }
  const keys = { count: 50, skew: "uniform" as const, zipfExponent: 1 };
  const producers = [
    producer(40, { to: "events", acks, keys, maxRetries: acks === "none" ? 0 : 1_000_000 }),
  ];
  const groupExtra = { crashRatePerS: 1 / 20, restartS: 2, maxPollRecords: 50 };
  const consumers = [streamConsumer(2, 0.01, groupExtra)];
  if (mixed) {
    topics.push(replicated("audit", { minInsyncReplicas: 2 }));
    producers.push(
      producer(40, {
        name: "ledger",
        to: "audit",
        acks: "all",
        keys,
        idempotent: seed % 2 === 0,
        maxRetries: 1_000_000,
        requestTimeoutS: 2,
      }),
    );
    consumers.push(
      streamConsumer(2, 0.01, {
        ...groupExtra,
        name: "auditors",
        group: "auditors",
        topic: "audit",
      }),
    );
  }
  return scenario({
    durationS,
    drainS: 120,
    producers,
    queues: [],
    topics,
    consumers,
    links: mixed ? [link("ledger", "audit", { latency: { kind: "exponential", mean: 0.01 } })] : [],
    faults,
  });
}

describe("conservation with broker crashes (many seeds)", () => {
  it("holds for every acks, with consumer crashes; acks=all with min.insync.replicas 2 never loses", () => {
    const totals = { truncatedLost: 0, auditDuplicates: 0 };
    for (let seed = 1; seed <= 30; seed++) {
      const acks = (["none", "leader", "all"] as const)[seed % 3];
      const s = simulate(randomCluster(seed, acks, true), { seed, variantName: "v" }).summary;
      // simulate() has checked conservation; the fates add up per subscription.
      const [events, audit] = s.subscriptions;
      for (const sub of s.subscriptions) {
        const f = sub.fates;
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
        expect(f.pending).toBe(0);
      }
      // acks=all on `audit`: whatever crashed, nothing lost; an idempotent producer, no duplicate
      // from its retries.
      expect(audit.fates.lost).toBe(0);
      if (seed % 2 === 0) expect(audit.duplicatesByCause["producer-duplicate"] ?? 0).toBe(0);
      else totals.auditDuplicates += audit.duplicatesByCause["producer-duplicate"] ?? 0;
      // On `events`, a loss is only ever a failover's or an offline partition's.
      const causes = Object.keys(events.lostByCause);
      const allowed = {
        none: ["truncated on leader failover (acks=0)", "partition offline"],
        leader: ["truncated on leader failover (acks=1)"],
        all: [],
      }[acks];
      for (const cause of causes) expect(allowed).toContain(cause);
      if (acks !== "all") totals.truncatedLost += events.fates.lost;
      if (acks === "all") expect(events.fates.lost).toBe(0);
    }
    expect(totals.truncatedLost).toBeGreaterThan(20);
    expect(totals.auditDuplicates).toBeGreaterThan(0);
  });
});
