/** The queue fields of SQS FIFO: `fifo` and `deduplicationWindow`. */
import { describe, expect, it } from "vitest";
import { errorOf, load, scenarioText } from "./helpers.ts";

function queueOf(queues: string, overrides: string[] = []) {
  const loaded = load(scenarioText({ queues }), overrides);
  return loaded.variants[0].config.queues[0];
}

describe("FIFO queues in a scenario", () => {
  it("are standard by default, with SQS's 5-minute deduplication window", () => {
    expect(queueOf("  - { name: orders }")).toMatchObject({
      fifo: false,
      orderingKeys: false,
      deduplicationWindowS: 300,
    });
    expect(queueOf("  - { name: orders, fifo: true }")).toMatchObject({
      fifo: true,
      orderingKeys: false,
      deduplicationWindowS: 300,
    });
  });

  it("read fifo and deduplicationWindow", () => {
    expect(queueOf("  - { name: orders, fifo: true, deduplicationWindow: 5m }")).toEqual({
      name: "orders",
      visibilityTimeoutS: 30,
      maxReceives: null,
      fifo: true,
      orderingKeys: false,
      deduplicationWindowS: 300,
      maxLength: null,
      maxBytes: null,
      overflow: "unbounded",
      diskLimitBytes: null,
      messageTtlS: null,
      expire: "drop",
      delayS: 0,
      priorities: 1,
      requeueOnDisconnect: false,
      requeueToHead: false,
      apiLimitPerS: null,
      dispatchLimit: null,
      maxInFlight: null,
      redeliveryBackoff: null,
    });
    expect(
      queueOf("  - { name: orders, fifo: true, deduplicationWindow: 1ms }").deduplicationWindowS,
    ).toBe(0.001);
    expect(
      queueOf("  - { name: orders, fifo: true, deduplicationWindow: 0s }").deduplicationWindowS,
    ).toBe(0);
  });

  it("can be switched on by --set, and the window restored to its default by null", () => {
    const q = queueOf("  - { name: orders }", [
      "queues.orders.fifo=true",
      "queues.orders.deduplicationWindow=10s",
    ]);
    expect(q).toMatchObject({ fifo: true, deduplicationWindowS: 10 });
    const restored = queueOf("  - { name: orders, fifo: true, deduplicationWindow: 10s }", [
      "queues.orders.deduplicationWindow=",
    ]);
    expect(restored.deduplicationWindowS).toBe(300);
  });

  it("reject deduplicationWindow without fifo: true, with its line and column", () => {
    const error = errorOf(
      scenarioText({ queues: "  - { name: orders, deduplicationWindow: 5m }" }),
    );
    expect(error.message).toBe(
      "x.yaml:4:42: queues.orders.deduplicationWindow: 'deduplicationWindow' applies only to fifo: true",
    );
    expect(error.line).toBe(4);
    const explicit = errorOf(
      scenarioText({ queues: "  - name: orders\n    fifo: false\n    deduplicationWindow: 1m" }),
    );
    expect(explicit.message).toBe(
      "x.yaml:6:26: queues.orders.deduplicationWindow: 'deduplicationWindow' applies only to fifo: true",
    );
  });

  it("reject a fifo that is not a boolean and a negative window", () => {
    expect(
      errorOf(scenarioText({ queues: "  - { name: orders, fifo: yes please }" })).message,
    ).toMatch(/^x\.yaml:4:27: queues\.orders\.fifo: expected/);
    expect(
      errorOf(
        scenarioText({ queues: "  - { name: orders, fifo: true, deduplicationWindow: -1s }" }),
      ).message,
    ).toMatch(/^x\.yaml:4:54: queues\.orders\.deduplicationWindow: expected a duration >= 0/);
  });
});
