/** A RabbitMQ classic queue requeues a nacked message at the head of the line, not the tail. */
import { describe, expect, it } from "vitest";
import { simulate } from "../../models/simulation.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

/**
 * Three messages (constant arrivals at 10/s: t = 0.1, 0.2, 0.3) wait for one consumer that
 * starts at 1 s; every processing fails (1 s each) and is nacked at once; two receives each.
 * The order of deliveries, by message id, is what the requeue rule decides.
 */
function deliveries(requeueToHead: boolean): number[] {
  const order: number[] = [];
  const trace = new Trace((line) => {
    const event = JSON.parse(line) as { ev: string; msg?: number };
    if (event.ev === "deliver") order.push(event.msg!);
  });
  simulate(
    scenario({
      durationS: 0.35,
      drainS: 30,
      producers: [producer(10, { arrivals: "constant" })],
      queues: [queue({ maxReceives: 2, requeueToHead })],
      consumers: [
        consumer(1, 1, {
          processing: { kind: "constant", value: 1 },
          failureProbability: 1,
          onFailure: "nack",
          nackDelayS: 0,
          startS: 1,
        }),
      ],
    }),
    { seed: 1, variantName: "v", trace },
  );
  return order;
}

describe("requeue to head", () => {
  it("at the head: each message is delivered again at once, before the next one", () => {
    expect(deliveries(true)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it("at the tail (SQS, quorum queues): the others go first", () => {
    expect(deliveries(false)).toEqual([0, 1, 2, 0, 1, 2]);
  });
});
