/** RabbitMQ exchanges in scenario files: their syntax and errors, and runs through them. */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { summaryJson } from "../../reports/summary.ts";
import { listBundledScenarios, loadScenario } from "../../scenarios/index.ts";
import { runScenario } from "../../scenarios/run.ts";
import { Trace } from "../../sim/trace.ts";
import { errorOf, load } from "./helpers.ts";

interface Parts {
  exchange?: string;
  producer?: string;
  bottom?: string;
}

/**
 * A valid scenario with a topic exchange; the lines are: 1 name, 2 duration, 3 queues:, 4 eu,
 * 5 us, 6 audit, 7 exchanges:, 8 `- name: events`, 9 type, 10 bindings:, 11 eu's, 12 audit's,
 * 13 producers:, 14 producer, 15 consumers:, 16-18 consumers.
 */
function text(parts: Parts = {}): string {
  return [
    "name: t",
    "duration: 1m",
    "queues:",
    "  - { name: eu }",
    "  - { name: us }",
    "  - { name: audit }",
    "exchanges:",
    parts.exchange ??
      [
        "  - name: events",
        "    type: topic",
        "    bindings:",
        '      - { queue: eu, key: "orders.eu.*" }',
        '      - { queue: audit, key: "#" }',
      ].join("\n"),
    "producers:",
    parts.producer ??
      '  - { name: shop, to: events, rate: 10/s, routingKeys: { "orders.eu.created": 1 } }',
    "consumers:",
    "  - { name: eu-workers, queue: eu, processing: 10ms }",
    "  - { name: us-workers, queue: us, processing: 10ms }",
    "  - { name: auditor, queue: audit, processing: 10ms }",
    ...(parts.bottom ? [parts.bottom] : []),
    "",
  ].join("\n");
}

describe("exchanges: what the loader refuses", () => {
  it("the base text loads, with the exchange and the producer's routing keys resolved", () => {
    const config = load(text()).variants[0].config;
    expect(config.exchanges).toEqual([
      {
        name: "events",
        type: "topic",
        bindings: [
          { queue: "eu", key: "orders.eu.*" },
          { queue: "audit", key: "#" },
        ],
        alternate: null,
      },
    ]);
    expect(config.producers[0].routingKeys).toEqual([{ key: "orders.eu.created", weight: 1 }]);
  });

  it("a binding to something that is not a queue", () => {
    const error = errorOf(
      text({
        exchange: '  - { name: events, type: direct, bindings: [{ queue: asia, key: "a" }] }',
      }),
    );
    expect(error.line).toBe(8);
    expect(error.path).toBe("exchanges.events.bindings.0.queue");
    expect(error.message).toMatch(/no queue named 'asia'/);
  });

  it("an alternate that is not a queue", () => {
    const error = errorOf(
      text({ exchange: "  - { name: events, type: fanout, alternate: shop }" }),
    );
    expect(error.path).toBe("exchanges.events.alternate");
    expect(error.message).toMatch(/'shop' is a producer, expected a queue/);
  });

  it("an unknown type, with the types named", () => {
    const error = errorOf(text({ exchange: "  - { name: events, type: headers }" }));
    expect(error.path).toBe("exchanges.events.type");
    expect(error.message).toMatch(/'direct' or 'fanout' or 'topic', got headers/);
  });

  it("a key on a fanout binding", () => {
    const error = errorOf(
      text({
        exchange: '  - { name: events, type: fanout, bindings: [{ queue: eu, key: "x" }] }',
        producer: "  - { name: shop, to: events, rate: 10/s }",
      }),
    );
    expect(error.path).toBe("exchanges.events.bindings.0.key");
    expect(error.message).toMatch(/fanout exchange .* ignores keys/);
  });

  it("a wildcard glued to a word in a topic pattern", () => {
    const error = errorOf(
      text({
        exchange: '  - { name: events, type: topic, bindings: [{ queue: eu, key: "orders.eu*" }] }',
      }),
    );
    expect(error.path).toBe("exchanges.events.bindings.0.key");
    expect(error.message).toMatch(/'eu\*' mixes a wildcard/);
  });

  it("a name shared by an exchange and a queue", () => {
    const error = errorOf(
      text({ exchange: "  - { name: audit, type: fanout, bindings: [{ queue: eu }] }" }),
    );
    expect(error.line).toBe(8);
    expect(error.message).toMatch(/'audit' is already the name of a queue/);
  });

  it("routingKeys on a producer to a queue", () => {
    const error = errorOf(
      text({ producer: '  - { name: shop, to: eu, rate: 10/s, routingKeys: { "a": 1 } }' }),
    );
    expect(error.line).toBe(14);
    expect(error.path).toBe("producers.shop.routingKeys");
    expect(error.message).toMatch(
      /applies only to producers of a direct or topic exchange; 'eu' is a queue/,
    );
  });

  it("routingKeys on a producer to a fanout exchange", () => {
    const error = errorOf(
      text({
        exchange: "  - { name: events, type: fanout, bindings: [{ queue: eu }] }",
        producer: '  - { name: shop, to: events, rate: 10/s, routingKeys: "a" }',
      }),
    );
    expect(error.path).toBe("producers.shop.routingKeys");
    expect(error.message).toMatch(
      /fanout exchange: it routes every message .* ignores routing keys/,
    );
  });

  it("a producer to a direct or topic exchange without routingKeys: the field is named", () => {
    const error = errorOf(text({ producer: "  - { name: shop, to: events, rate: 10/s }" }));
    expect(error.line).toBe(14);
    expect(error.path).toBe("producers.shop.routingKeys");
    expect(error.message).toMatch(/missing 'routingKeys'/);
  });

  it("a routing key with a wildcard, a weight of 0, a key given twice", () => {
    const wildcard = errorOf(
      text({ producer: '  - { name: shop, to: events, rate: 1/s, routingKeys: ["orders.*"] }' }),
    );
    expect(wildcard.message).toMatch(/a routing key is a literal/);
    const zero = errorOf(
      text({ producer: '  - { name: shop, to: events, rate: 1/s, routingKeys: { "a": 0 } }' }),
    );
    expect(zero.path).toBe("producers.shop.routingKeys.a");
    expect(zero.message).toMatch(/a weight > 0/);
    const twice = errorOf(
      text({ producer: '  - { name: shop, to: events, rate: 1/s, routingKeys: ["a", "a"] }' }),
    );
    expect(twice.message).toMatch(/'a' is given twice/);
  });

  it("an exchange named in expectations: its figures, and its unroutable subscription", () => {
    const loaded = load(
      text({
        producer: '  - { name: shop, to: events, rate: 10/s, routingKeys: ["x"] }',
        exchange: '  - { name: events, type: direct, bindings: [{ queue: eu, key: "eu" }] }',
        bottom:
          "expect: { exchanges.events.unroutable: 600, subscriptions.events/unroutable.fates.dropped: 600 }",
      }),
    );
    expect(loaded.variants[0].config.expect.map((e) => e.metric)).toEqual([
      "exchanges.events.unroutable",
      "subscriptions.events/unroutable.fates.dropped",
    ]);
    // Every key routes somewhere: no unroutable subscription to name.
    const error = errorOf(
      text({ bottom: "expect: { subscriptions.events/unroutable.fates.dropped: 0 }" }),
    );
    expect(error.message).toMatch(/unknown metric/);
  });
});

/** A topic exchange over three queues, with faults of every kind that touches its copies. */
const FAULTY = `
name: faulty
duration: 2m
drain: 5m
queues:
  - { name: eu, visibilityTimeout: 5s }
  - { name: us, visibilityTimeout: 5s }
  - { name: audit, visibilityTimeout: 5s, maxReceives: 3 }
exchanges:
  - name: events
    type: topic
    bindings:
      - { queue: eu, key: "orders.eu.*" }
      - { queue: eu, key: "*.eu.created" }
      - { queue: us, key: "orders.us.*" }
      - { queue: audit, key: "orders.#" }
producers:
  - name: shop
    to: events
    rate: 40/s
    acks: all
    retries: 2
    requestTimeout: 1s
    routingKeys: { orders.eu.created: 3, orders.us.created: 2, orders.apac.created: 1, returns.eu.created: 1, returns.us.created: 1 }
consumers:
  - { name: eu-workers, queue: eu, count: 3, processing: { exponential: 50ms }, failure: 5% }
  - { name: us-workers, queue: us, count: 3, processing: { exponential: 50ms }, commit: before-processing }
  - { name: auditor, queue: audit, count: 2, processing: { exponential: 40ms }, failure: 20% }
links:
  - { from: shop, to: events, loss: 2%, duplicate: 2%, latency: { exponential: 5ms } }
  - { from: events, to: shop, loss: 2% }
faults:
  - { at: 20s, crash: eu-workers, instance: 0, for: 10s }
  - { at: 40s, crash: us-workers, instance: 1, for: 10s }
  - { at: 60s, crash: auditor, instance: 0, for: 10s }
  - { at: 80s, partition: [shop, events], for: 3s }
`;

/** Where each routing key goes, worked out by hand from the bindings above. */
const ROUTES_BY_HAND: Record<string, string[]> = {
  "orders.eu.created": ["eu", "audit"],
  "orders.us.created": ["us", "audit"],
  "orders.apac.created": ["audit"],
  // "*.eu.created" matches: eu, and only eu (audit's "orders.#" does not).
  "returns.eu.created": ["eu"],
  "returns.us.created": [],
};

describe("system presets through an exchange", () => {
  it("a producer to an exchange takes the producer defaults of its queues' shared system", () => {
    // The rabbitmq preset's producer default: publisher confirms (acks all).
    const shared = load(
      text({
        exchange: "  - { name: events, type: fanout, bindings: [{ queue: eu }, { queue: audit }] }",
        producer: "  - { name: shop, to: events, rate: 1/s }",
      })
        .replace("{ name: eu }", "{ name: eu, system: rabbitmq }")
        .replace("{ name: audit }", "{ name: audit, system: rabbitmq-quorum }"),
    );
    expect(shared.variants[0].config.producers[0].acks).toBe("all");
    // Queues of different systems (SQS's producer defaults are not RabbitMQ's): none applies.
    const mixed = load(
      text({
        exchange: "  - { name: events, type: fanout, bindings: [{ queue: eu }, { queue: audit }] }",
        producer: "  - { name: shop, to: events, rate: 1/s }",
      })
        .replace("{ name: eu }", "{ name: eu, system: rabbitmq }")
        .replace("{ name: audit }", "{ name: audit, system: sqs }"),
    );
    expect(mixed.variants[0].config.producers[0].acks).toBe("none");
  });
});

describe("runs through an exchange", () => {
  it("with crashes, losses, duplicates and a partition, each queue's ledger balances and holds the messages routed to it", () => {
    const config = load(FAULTY).variants[0].config;
    for (const seed of [1, 2, 3]) {
      const produced = new Map<string, number>();
      const trace = new Trace((line) => {
        const event = JSON.parse(line);
        if (event.ev !== "produce") return;
        for (const queue of ROUTES_BY_HAND[event.routingKey] ?? ["?"]) {
          produced.set(queue, (produced.get(queue) ?? 0) + 1);
        }
        if (ROUTES_BY_HAND[event.routingKey].length === 0) {
          produced.set("unroutable", (produced.get("unroutable") ?? 0) + 1);
        }
      });
      // simulate() checks conservation against the queues' and links' own state (and throws).
      const { summary } = simulate(config, { seed, variantName: "base", trace });
      const byName = new Map(summary.subscriptions.map((s) => [s.name, s]));
      expect([...byName.keys()]).toEqual(["eu", "us", "audit", "events/unroutable"]);
      for (const [name, s] of byName) {
        const f = s.fates;
        expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
        const expected = name === "events/unroutable" ? "unroutable" : name;
        expect(f.produced).toBe(produced.get(expected));
      }
      // The faults did something to account for.
      expect(summary.counters.consumerCrashes).toBe(3);
      expect(summary.counters.linkLosses).toBeGreaterThan(0);
      expect(summary.counters.linkDuplicates).toBeGreaterThan(0);
      expect(summary.counters.producerRetries).toBeGreaterThan(0);
      expect(summary.fates.lost).toBeGreaterThan(0);
      // The exchange's own figures: every copy that reached it matched a binding or did not.
      const [exchange] = summary.exchanges;
      expect(exchange.unroutable).toBe(summary.counters.unroutable);
      expect(exchange.unroutable).toBeLessThan(exchange.published);
      expect(exchange.toAlternate).toBe(0);
    }
  });

  it("a constant key that matches nothing: every message is unroutable, dropped, and confirmed", () => {
    const loaded = load(
      text({
        producer:
          '  - { name: shop, to: events, rate: 10/s, arrivals: constant, acks: all, routingKeys: "refunds.eu" }',
        exchange: '  - { name: events, type: direct, bindings: [{ queue: eu, key: "orders.eu" }] }',
      }),
    );
    const { summary } = simulate(loaded.variants[0].config, { seed: 1, variantName: "base" });
    // 10/s evenly for 60 s: arrivals at k x 0.1 s below 60 s. 0.1 is not exact in binary, so
    // the 600th may land just before 60 s: 599 or 600.
    const published = summary.exchanges[0].published;
    expect([599, 600]).toContain(published);
    expect(summary.exchanges[0]).toMatchObject({ unroutable: published, routedCopies: 0 });
    expect(summary.fates).toMatchObject({ produced: published, dropped: published, lost: 0 });
    const unroutable = summary.subscriptions.find((s) => s.name === "events/unroutable")!;
    expect(unroutable.droppedByReason).toEqual({ "unroutable (no binding matched)": published });
    // Confirmed at once: no retry, nothing held.
    expect(summary.counters.producerRetries).toBe(0);
    expect(summary.subscriptions.find((s) => s.name === "eu")!.fates.produced).toBe(0);
  });

  it("unroutable messages number as the binomial says for the weight of the unmatched keys", () => {
    // Weights 3 : 1 for a matched and an unmatched key: each message is unroutable with p = 1/4,
    // independently, so the count over n messages is Binomial(n, 1/4).
    const loaded = load(
      text({
        producer:
          '  - { name: shop, to: events, rate: 50/s, routingKeys: { "orders.eu.created": 3, "x.y": 1 } }',
        exchange: '  - { name: events, type: topic, bindings: [{ queue: eu, key: "orders.#" }] }',
      }),
    );
    const config = loaded.variants[0].config;
    for (const seed of [1, 2, 3, 4]) {
      const { summary } = simulate(config, { seed, variantName: "base" });
      const n = summary.exchanges[0].published;
      const p = 0.25;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(summary.counters.unroutable - n * p)).toBeLessThan(4 * sd);
      // And the rest went to eu, once each.
      expect(summary.exchanges[0].routedCopies).toBe(n - summary.counters.unroutable);
    }
  });

  it("a fanout exchange puts every message in every bound queue; the alternate takes nothing then", () => {
    const loaded = load(
      text({
        exchange:
          "  - { name: events, type: fanout, bindings: [{ queue: eu }, { queue: audit }, { queue: eu }], alternate: us }",
        producer: "  - { name: shop, to: events, rate: 10/s }",
      }),
    );
    const { summary } = simulate(loaded.variants[0].config, { seed: 1, variantName: "base" });
    const [exchange] = summary.exchanges;
    const byName = new Map(summary.subscriptions.map((s) => [s.name, s.fates]));
    // eu is bound twice and gets each message once.
    expect(byName.get("eu")!.produced).toBe(exchange.published);
    expect(byName.get("audit")!.produced).toBe(exchange.published);
    expect(byName.get("us")!.produced).toBe(0);
    expect(exchange).toMatchObject({ routedCopies: 2 * exchange.published, unroutable: 0 });
  });

  it("the publisher confirm waits for every queue: one full queue nacks, and the retry lands twice in the other", () => {
    // audit holds one ready message (reject-publish) and has no consumer; eu takes everything.
    // Messages at 1, 2, 3, 4 s (constant 1/s for 5 s). The first fits both queues: confirmed.
    // Each later one is refused by audit, so the producer sends it again: 1 + 2 retries, each
    // refused by audit, then it gives up. eu took every copy: 1 + 3 x 3 = 10.
    const loaded = load(
      [
        "name: t",
        "duration: 5s",
        "drain: 10s",
        "queues:",
        "  - { name: eu }",
        "  - { name: audit, maxLength: 1, overflow: reject-publish }",
        "exchanges:",
        "  - { name: events, type: fanout, bindings: [{ queue: eu }, { queue: audit }] }",
        "producers:",
        "  - { name: shop, to: events, rate: 1/s, arrivals: constant, acks: all, retries: 2, retryBackoff: 100ms }",
        "consumers:",
        "  - { name: eu-workers, queue: eu, processing: 1ms }",
        "",
      ].join("\n"),
    );
    const { summary } = simulate(loaded.variants[0].config, { seed: 1, variantName: "base" });
    expect(summary.exchanges[0].published).toBe(1 + 3 * 3);
    expect(summary.counters.producerRetries).toBe(3 * 2);
    expect(summary.counters.producerGaveUp).toBe(3);
    expect(summary.counters.overflowRejected).toBe(3 * 3);
    const eu = summary.subscriptions.find((s) => s.name === "eu")!;
    expect(eu.fates).toMatchObject({ produced: 4, processed: 4 });
    expect(eu.duplicatesByCause).toEqual({ "producer-duplicate": 6 });
    const audit = summary.subscriptions.find((s) => s.name === "audit")!;
    expect(audit.fates).toMatchObject({ produced: 4, pending: 1, lost: 3 });
  });

  it("same seed, same summary bytes (the bundled scenario)", () => {
    const bundled = listBundledScenarios().find((b) => b.name === "rabbitmq-exchanges")!;
    const loaded = loadScenario(bundled.file);
    expect(summaryJson(runScenario(loaded))).toBe(summaryJson(runScenario(loaded)));
  });
});
