/**
 * Kafka's idempotent producer: sequence numbers checked by the partition leader keep a
 * producer's records in order and single with many requests in flight; an unfillable gap (a
 * record given up) starts a new epoch instead of blocking the partition for ever.
 */
import { describe, expect, it } from "vitest";
import type { FaultConfig, LinkConfig, ProducerConfig } from "../../models/config.ts";
import {
  epochOf,
  ProducerSequences,
  packSequence,
  SequenceChecker,
  sequenceOf,
  Verdict,
} from "../../models/producerSequence.ts";
import { simulate } from "../../models/simulation.ts";
import { link, producer, scenario, streamConsumer, topic } from "./configs.ts";

describe("sequence numbers, worked by hand", () => {
  it("packs an epoch and a sequence into one number and back", () => {
    const packed = packSequence(3, 4_000_000_000);
    expect(epochOf(packed)).toBe(3);
    expect(sequenceOf(packed)).toBe(4_000_000_000);
  });

  it("the leader appends in order, drops what it has, refuses a gap and a stale epoch", () => {
    const leader = new SequenceChecker(2);
    leader.addProducer(0);
    expect(leader.check(0, 0, packSequence(0, 0))).toBe(Verdict.append);
    expect(leader.check(0, 0, packSequence(0, 2))).toBe(Verdict.outOfSequence);
    expect(leader.check(0, 0, packSequence(0, 0))).toBe(Verdict.duplicate);
    expect(leader.check(0, 0, packSequence(0, 1))).toBe(Verdict.append);
    expect(leader.check(0, 0, packSequence(0, 2))).toBe(Verdict.append);
    // Partition 1 has its own numbering.
    expect(leader.check(0, 1, packSequence(0, 0))).toBe(Verdict.append);
    // A new epoch starts again from 0; the old one is refused from then on.
    expect(leader.check(0, 0, packSequence(1, 1))).toBe(Verdict.outOfSequence);
    expect(leader.check(0, 0, packSequence(1, 0))).toBe(Verdict.append);
    expect(leader.check(0, 0, packSequence(0, 3))).toBe(Verdict.staleEpoch);
  });

  it("a truncation rewinds the expected sequence to the first record cut", () => {
    const leader = new SequenceChecker(1);
    leader.addProducer(0);
    for (let s = 0; s < 5; s++) leader.check(0, 0, packSequence(0, s));
    // Records 3 and 4 are cut on failover, last first or first last: 3 is expected next.
    leader.truncated(0, 0, packSequence(0, 4));
    leader.truncated(0, 0, packSequence(0, 3));
    expect(leader.check(0, 0, packSequence(0, 4))).toBe(Verdict.outOfSequence);
    expect(leader.check(0, 0, packSequence(0, 2))).toBe(Verdict.duplicate);
    expect(leader.check(0, 0, packSequence(0, 3))).toBe(Verdict.append);
  });

  it("the producer numbers per partition and bumps its epoch only for an unfillable gap", () => {
    // Keys 0 and 1 go to partition 0, key 2 to partition 1.
    const producer = new ProducerSequences(2, (key) => (key < 2 ? 0 : 1));
    producer.assign(10, 0);
    producer.assign(11, 1);
    producer.assign(12, 2);
    producer.assign(13, 0);
    expect([10, 11, 12, 13].map((r) => producer.packedOf(r))).toEqual([0, 1, 0, 2]);
    // Request 11 refused while 10 is outstanding: 10 may still fill the gap, nothing changes.
    producer.refused(11, packSequence(0, 1));
    expect(producer.epochBumps).toBe(0);
    // The producer gives up on 10: 11 is now the lowest outstanding of partition 0, and its
    // refusal means sequence 0 will never come. Epoch 1; 11 and 13 renumbered 0 and 1.
    producer.release(10);
    producer.refused(11, packSequence(0, 1));
    expect(producer.epochBumps).toBe(1);
    expect(producer.packedOf(11)).toBe(packSequence(1, 0));
    expect(producer.packedOf(13)).toBe(packSequence(1, 1));
    expect(producer.packedOf(12)).toBe(packSequence(0, 0));
    // A late refusal of a copy from the old epoch changes nothing.
    producer.refused(11, packSequence(0, 1));
    expect(producer.epochBumps).toBe(1);
    producer.assign(14, 1);
    expect(producer.packedOf(14)).toBe(packSequence(1, 2));
  });
});

/**
 * One partition, 10 keys, 50 records/s with acks=all and up to 50 in flight; the producer's link
 * loses 1% of what it carries, so retries (after a 0.3 s timeout) are common and records sent
 * after a lost one overtake it unless sequence numbers stop them.
 */
function lossyProducer(
  extra: Partial<ProducerConfig>,
  faults: FaultConfig[] = [],
  links: LinkConfig[] = [link("api", "events", { lossProbability: 0.01 })],
) {
  return simulate(
    scenario({
      durationS: 600,
      drainS: 60,
      producers: [
        producer(50, {
          to: "events",
          acks: "all",
          maxInFlight: 50,
          requestTimeoutS: 0.3,
          retryBackoffS: 0.05,
          maxRetries: 10,
          keys: { count: 10, skew: "uniform", zipfExponent: 1 },
          ...extra,
        }),
      ],
      topics: [topic({ partitions: 1 })],
      consumers: [streamConsumer(1, 0.001)],
      links,
      faults,
    }),
    { seed: 3, variantName: "v" },
  ).summary;
}

describe("an idempotent producer with many requests in flight", () => {
  it("without idempotence, retried records land behind later ones of their key", () => {
    const s = lossyProducer({ idempotent: false });
    expect(s.fates.lost).toBe(0);
    expect(s.counters.producerRetries).toBe(s.counters.linkLosses);
    expect(s.ordering.violations).toBeGreaterThan(100);
    expect(s.counters.sequenceRefusals).toBe(0);
  });

  it("with idempotence, the same losses keep every key in order, with no loss and no duplicate", () => {
    const s = lossyProducer({ idempotent: true });
    expect(s.fates.lost).toBe(0);
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.ordering.violations).toBe(0);
    expect(s.fates.processed).toBe(s.fates.produced);
    // Records behind a lost one were refused and sent again, not retried.
    expect(s.counters.sequenceRefusals).toBeGreaterThan(s.counters.linkLosses);
    expect(s.counters.producerGaveUp).toBe(0);
  });

  it("lost acknowledgements: duplicates dropped by the leader, order kept", () => {
    const s = lossyProducer(
      { idempotent: true },
      [],
      [link("events", "api", { lossProbability: 0.05 })],
    );
    expect(s.fates.duplicateEffects).toBe(0);
    expect(s.ordering.violations).toBe(0);
    expect(s.counters.deduplicatedByBroker).toBeGreaterThan(0);
  });

  it("a record given up leaves a gap the next epoch steps over: later records still get through", () => {
    // The link is cut for 30 s; with 2 retries at 0.5 s the producer gives up on what it sent
    // then. Without a new epoch the leader would refuse every later record for ever.
    const s = lossyProducer({ idempotent: true, maxRetries: 2 }, [
      { kind: "partition", atS: 100, durationS: 30, a: "api", b: "events" },
    ]);
    // Lost: what was produced during the cut, about 50/s x 30 s.
    expect(s.counters.producerGaveUp).toBeGreaterThan(1300);
    expect(s.counters.producerGaveUp).toBeLessThan(1700);
    expect(s.fates.lost).toBe(s.counters.producerGaveUp);
    expect(s.fates.processed + s.fates.lost).toBe(s.fates.produced);
    expect(s.ordering.violations).toBe(0);
    expect(s.fates.duplicateEffects).toBe(0);
  });
});
