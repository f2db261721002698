/**
 * Pub/Sub ordering keys and lease extension. The rules (Google Cloud Pub/Sub docs, "Ordering
 * messages" and "Lease management"): a key's messages are delivered in publish order; when one
 * is redelivered (nacked, or its ack deadline expired), every later message of the key is
 * redelivered too, acked ones included; the client libraries extend the ack deadline of the
 * messages they hold up to 60 min, and a crashed subscriber stops extending.
 */
import { describe, expect, it } from "vitest";
import type { ScenarioConfig } from "../../models/config.ts";
import { OrderingKeys } from "../../models/orderingKeys.ts";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

interface Event {
  t: number;
  ev: string;
  msg: number;
  key: string;
}

function traced(config: ScenarioConfig, keep: string[], seed = 1) {
  const events: Event[] = [];
  const trace = new Trace((line) => {
    const parsed = JSON.parse(line) as Event;
    if (keep.includes(parsed.ev)) events.push(parsed);
  });
  const { summary } = simulate(config, { seed, variantName: "v", trace });
  return { summary, events };
}

/** Hands out the key's next message and holds the key with `receipt`. */
function handOut(keys: OrderingKeys, receipt: number): number {
  const slot = keys.take();
  keys.hold(0, receipt);
  return slot;
}

describe("OrderingKeys: the window of one key", () => {
  const clock = { nowS: 0 };

  it("m2 nacked after m3 was acked: m2, m3, m4 are handed out again, in order", () => {
    const keys = new OrderingKeys(1, clock);
    for (const slot of [1, 2, 3, 4]) keys.pushTail(0, slot);
    // m1: handed out, its callback succeeds, acked: it is the head, it settles at once.
    expect(handOut(keys, 101)).toBe(1);
    expect(keys.hasDeliverable).toBe(false); // one callback at a time
    expect(keys.released(0, 101)).toBe(true);
    keys.ack(0, 1);
    expect(keys.settledHead(0)).toBe(1);
    expect(keys.settledHead(0)).toBe(-1);
    // m2, m3, m4 outstanding; m3 acked while m2 is not: m3 stays in the window.
    expect(handOut(keys, 102)).toBe(2);
    keys.released(0, 102);
    expect(handOut(keys, 103)).toBe(3);
    keys.released(0, 103);
    keys.ack(0, 3);
    expect(keys.settledHead(0)).toBe(-1);
    expect(keys.ackedCount).toBe(1);
    expect(handOut(keys, 104)).toBe(4);
    // m2 nacked: it and the two later window messages (m3 acked, m4 in flight) go back.
    expect(keys.rollBack(0, 2)).toBe(2);
    expect(keys.ackedCount).toBe(0);
    expect(keys.size).toBe(3);
    expect(keys.heldReceipt(0)).toBe(-1); // the key is free again
    const again: number[] = [];
    for (let receipt = 201; keys.hasDeliverable; receipt++) {
      again.push(handOut(keys, receipt));
      keys.released(0, receipt);
    }
    expect(again).toEqual([2, 3, 4]);
  });

  it("the acked prefix settles when the oldest unacked message is acked", () => {
    const keys = new OrderingKeys(1, clock);
    for (const slot of [1, 2, 3]) keys.pushTail(0, slot);
    for (const receipt of [1, 2, 3]) {
      handOut(keys, receipt);
      keys.released(0, receipt);
    }
    keys.ack(0, 2);
    keys.ack(0, 3);
    expect(keys.settledHead(0)).toBe(-1); // 1 is unacked: 2 and 3 wait in the window
    keys.ack(0, 1);
    expect([keys.settledHead(0), keys.settledHead(0), keys.settledHead(0)]).toEqual([1, 2, 3]);
    expect(keys.settledHead(0)).toBe(-1);
    expect(keys.ackedCount).toBe(0);
  });

  it("a stale callback does not release the key; a message published later waits behind", () => {
    const keys = new OrderingKeys(1, clock);
    keys.pushTail(0, 1);
    handOut(keys, 7);
    keys.pushTail(0, 2);
    expect(keys.released(0, 6)).toBe(false);
    expect(keys.hasDeliverable).toBe(false);
    expect(keys.released(0, 7)).toBe(true);
    expect(keys.take()).toBe(2);
  });
});

/**
 * One key, one message a second, processing 0.1 s, ack deadline 10.5 s (no lease extension),
 * and the link from the consumer to the queue cut from 1.05 s to 1.15 s: the ack of the message
 * produced at 1 s (processed 1.0 to 1.1 s) is lost. The client hands the key's next messages out
 * anyway (its callback succeeded), and their acks arrive: they wait in the window behind it.
 * At 11.5 s its deadline expires and it is delivered again with every later message already
 * delivered, acked ones included, in order: each of them is a duplicate effect.
 */
function lostAck(orderingKeys: boolean, extra: Partial<ScenarioConfig> = {}): ScenarioConfig {
  return scenario({
    durationS: 30,
    drainS: 30,
    producers: [producer(1, { arrivals: "constant" })],
    queues: [queue({ visibilityTimeoutS: 10.5, orderingKeys })],
    consumers: [consumer(1, 0, { processing: { kind: "constant", value: 0.1 } })],
    faults: [{ kind: "partition", atS: 1.05, durationS: 0.1, a: "workers", b: "orders" }],
    ...extra,
  });
}

describe("ordering keys on a queue", () => {
  it("an expired deadline redelivers the message and every later one of its key, in order", () => {
    const { summary, events } = traced(lostAck(true), ["deliver", "visibility-timeout"]);
    const expiry = events.find((e) => e.ev === "visibility-timeout")!;
    const lostMessage = expiry.msg;
    // Every message of the key delivered before the expiry, from the lost-ack one on.
    const before = events.filter((e) => e.ev === "deliver" && e.t < expiry.t).map((e) => e.msg);
    const window = before.slice(before.indexOf(lostMessage));
    expect(window.length).toBeGreaterThan(5); // 10.5 s of one message a second
    const after = events.filter((e) => e.ev === "deliver" && e.t >= expiry.t).map((e) => e.msg);
    expect(after.slice(0, window.length)).toEqual(window);
    const fates = summary.fates;
    expect(fates.duplicateEffects).toBe(window.length);
    expect(summary.subscriptions[0].duplicatesByCause).toEqual({
      "redelivery-after-visibility-timeout": 1,
      "redelivery-of-ordering-key": window.length - 1,
    });
    expect(summary.ordering.violations).toBe(0);
    expect(fates.lost).toBe(0);
    expect(fates.conserved).toBe(true);
  });

  it("without ordering keys only the message whose ack was lost comes back", () => {
    const { summary } = traced(lostAck(false), []);
    expect(summary.subscriptions[0].duplicatesByCause).toEqual({
      "redelivery-after-visibility-timeout": 1,
    });
  });

  it("keeps per-key order over seeds with failures, nacks, lost acks and crashes", () => {
    const config = scenario({
      durationS: 120,
      drainS: 60,
      producers: [producer(30, { keys: { count: 10, skew: "uniform", zipfExponent: 1 } })],
      queues: [queue({ visibilityTimeoutS: 2, orderingKeys: true })],
      consumers: [
        consumer(3, 0.05, {
          concurrency: 4,
          prefetch: 8,
          failureProbability: 0.05,
          crashRatePerS: 0.02,
          restartS: 3,
          leaseExtensionS: 5,
        }),
      ],
      links: [
        {
          from: "workers",
          to: "orders",
          latency: { kind: "exponential", mean: 0.01 },
          lossProbability: 0.02,
          duplicateProbability: 0,
        },
      ],
    });
    let duplicates = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { summary } = simulate(config, { seed, variantName: "v" });
      const variant = summary;
      expect(variant.ordering.violations).toBe(0);
      expect(variant.fates.conserved).toBe(true);
      expect(variant.fates.lost).toBe(0);
      duplicates += variant.subscriptions[0].duplicatesByCause["redelivery-of-ordering-key"] ?? 0;
    }
    expect(duplicates).toBeGreaterThan(0);
  });

  it("is deterministic: the same seed gives the same summary", () => {
    const config = lostAck(true, {
      producers: [producer(5, { keys: { count: 3, skew: "uniform", zipfExponent: 1 } })],
    });
    const a = JSON.stringify(simulate(config, { seed: 9, variantName: "v" }).summary);
    const b = JSON.stringify(simulate(config, { seed: 9, variantName: "v" }).summary);
    expect(a).toBe(b);
  });
});

/**
 * Lease extension. 10 messages, 3 s apart (constant arrivals at 1/3 per second, for 30 s), each
 * processed 30 s, ack deadline 10 s, 20 consumers (no waiting). With a 1 h lease extension the
 * consumer keeps every message until it is done: no redelivery. Without, a message's deadline
 * expires at 10 s, 20 s, 30 s after each delivery, and each delivery's processing takes 30 s, so
 * every message is delivered again every 10 s until the first delivery finishes at 30 s (the
 * delivery at 30 s expires the same instant the first one finishes): every one of the messages
 * is redelivered, and each delivery made before its first processing ended is processed too.
 */
function slow(leaseExtensionS: number, extra: Partial<ScenarioConfig> = {}): ScenarioConfig {
  return scenario({
    durationS: 30,
    drainS: 200,
    producers: [
      producer(1 / 3, { arrivals: "constant", phases: [{ durationS: 30, ratePerS: 1 / 3 }] }),
    ],
    queues: [queue({ visibilityTimeoutS: 10, maxReceives: 3 })],
    consumers: [consumer(20, 0, { processing: { kind: "constant", value: 30 }, leaseExtensionS })],
    ...extra,
  });
}

describe("lease extension", () => {
  it("a 1 h lease keeps 30 s processing under a 10 s deadline from being redelivered", () => {
    const { summary } = simulate(slow(3600), { seed: 1, variantName: "v" });
    const variant = summary;
    expect(variant.fates.processed).toBe(variant.fates.produced);
    expect(variant.counters.redeliveries).toBe(0);
    expect(variant.counters.visibilityTimeouts).toBe(0);
    expect(variant.fates.duplicateEffects).toBe(0);
  });

  it("without it, every message outlives its deadline and is delivered again", () => {
    const { summary, events } = traced(slow(0), ["deliver"]);
    const variant = summary;
    const produced = variant.fates.produced;
    // maxReceives 3: deliveries at 0, 10 and 20 s after the first; the third expires at 30 s,
    // when the first finishes and acks a stale delivery, and the message goes to the DLQ. The
    // processings of the second and third deliveries end at 40 and 50 s: 2 duplicates each.
    const perMessage = new Map<number, number>();
    for (const e of events) perMessage.set(e.msg, (perMessage.get(e.msg) ?? 0) + 1);
    expect([...perMessage.values()].every((n) => n === 3)).toBe(true);
    expect(variant.counters.redeliveries).toBe(2 * produced);
    expect(variant.fates.duplicateEffects).toBe(2 * produced);
  });

  it("a crashed instance stops extending: its message comes back after the deadline", () => {
    // One consumer; the one message arrives at 1 s (constant arrivals start one gap in) and is
    // delivered at once. Its deadline, 11 s, is extended to 21 s; the instance crashes at 15 s
    // (down 60 s), so nobody extends it again: it expires at 21 s.
    const config = slow(3600, {
      producers: [producer(1, { arrivals: "constant", phases: [{ durationS: 1.5, ratePerS: 1 }] })],
      consumers: [
        consumer(1, 0, {
          processing: { kind: "constant", value: 30 },
          leaseExtensionS: 3600,
          restartS: 60,
        }),
      ],
      faults: [{ kind: "crash", atS: 15, consumer: "workers", instance: 0, downS: 60 }],
    });
    const { summary, events } = traced(config, ["deliver", "lease-extend", "visibility-timeout"]);
    expect(events.slice(0, 3).map((e) => [e.ev, e.t])).toEqual([
      ["deliver", 1],
      ["lease-extend", 11],
      ["visibility-timeout", 21],
    ]);
    expect(summary.fates.processed).toBe(1);
    expect(summary.fates.conserved).toBe(true);
  });
});
