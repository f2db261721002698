/** A consumer with `forwardTo` is a pipeline stage: what it applies goes on to the next broker. */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { loadScenarioText } from "../../scenarios/loader.ts";

const PIPELINE = `
name: pipeline
duration: 2m
drain: 1m
topics: [{ name: orders, partitions: 4 }]
queues: [{ name: work }]
producers: [{ name: checkout, to: orders, rate: 50/s, keys: { count: 100 } }]
consumers:
  - { name: router, topic: orders, count: 2, processing: 2ms, forwardTo: work, commit: after-processing }
  - { name: workers, queue: work, count: 4, processing: { exponential: 50ms } }
`;

function run(text: string) {
  const config = loadScenarioText(text, "p.yaml").variants[0].config;
  return simulate(config, { seed: 1, variantName: "base" }).summary;
}

describe("a pipeline of two brokers", () => {
  it("every order applied by the router is published on to the work queue and processed there", () => {
    const s = run(PIPELINE);
    const [orders, work] = [
      s.subscriptions.find((x) => x.name === "orders/router")!,
      s.subscriptions.find((x) => x.name === "work")!,
    ];
    expect(orders.fates.processed).toBe(orders.fates.produced);
    expect(work.fates.produced).toBe(orders.fates.processed);
    expect(work.fates.processed).toBe(work.fates.produced);
    // End to end from the order's own production: both stages' time, so at least the work
    // queue's own processing at the median.
    expect(work.latency.p50S!).toBeGreaterThan(0.03);
    expect(s.fates.conserved).toBe(true);
  });

  it("a duplicate effect at the first stage is forwarded as the same message: the second stage gets it twice", () => {
    const withCrash =
      `${PIPELINE}faults: [{ at: 60s, crash: router, instance: 0, for: 5s }]\n`.replace(
        "commit: after-processing",
        "commit: auto",
      );
    const s = run(withCrash);
    const orders = s.subscriptions.find((x) => x.name === "orders/router")!;
    const work = s.subscriptions.find((x) => x.name === "work")!;
    expect(orders.fates.duplicateEffects).toBeGreaterThan(0);
    // The same orders (the same ids) reach the work queue, some of them twice: the work queue's
    // workers, which have no duplicates of their own here, apply each second copy again.
    expect(work.fates.produced).toBe(orders.fates.processed);
    expect(work.fates.processed).toBe(work.fates.produced);
    expect(work.fates.duplicateEffects).toBe(orders.fates.duplicateEffects);
    expect(s.fates.conserved).toBe(true);

    // Idempotent workers keyed on the order recognise every second copy.
    const idempotent = run(
      withCrash.replace(
        "{ name: workers, queue: work,",
        "{ name: workers, queue: work, idempotency: conditional-write,",
      ),
    );
    const work2 = idempotent.subscriptions.find((x) => x.name === "work")!;
    const orders2 = idempotent.subscriptions.find((x) => x.name === "orders/router")!;
    expect(work2.fates.duplicateEffects).toBe(0);
    expect(work2.duplicatesSkipped).toBe(orders2.fates.duplicateEffects);
  });

  it("forwarding to its own source is refused at its line", () => {
    expect(() =>
      loadScenarioText(PIPELINE.replace("forwardTo: work", "forwardTo: orders"), "p.yaml"),
    ).toThrow(/p\.yaml:9:.*cannot forward to it/);
  });
});

describe("a ring of pipeline stages", () => {
  it("is refused, naming the ring", () => {
    const ring = `
name: ring
duration: 1m
queues: [{ name: a }, { name: b }]
producers: [{ name: p, to: a, rate: 1/s }]
consumers:
  - { name: ab, queue: a, processing: 1ms, forwardTo: b }
  - { name: ba, queue: b, processing: 1ms, forwardTo: a }
`;
    expect(() => loadScenarioText(ring, "r.yaml")).toThrow(/forward in a ring: a -> b -> a/);
  });
});
