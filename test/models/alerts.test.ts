/**
 * Alerts fire and clear at the virtual times a hand-worked metric profile says, by Prometheus'
 * rules: pending from the first evaluation that holds, firing once it has held for `for`,
 * cleared at the first that does not (or after `keepFiringFor`).
 */
import { describe, expect, it } from "vitest";
import { Alert } from "../../models/alerts.ts";
import type { AlertConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { Kernel } from "../../sim/kernel.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

function rule(extra: Partial<AlertConfig> = {}): AlertConfig {
  return {
    name: "a",
    metric: "depth",
    subject: "orders",
    subjectKind: "queue",
    op: ">",
    threshold: 10,
    forS: 20,
    keepFiringForS: 0,
    intervalS: 10,
    ...extra,
  };
}

/** Feeds `values` at evaluations 0, 10, 20, ... s, then sums the alert up with the run ending at `endS`. */
function evaluate(config: AlertConfig, values: number[], endS: number) {
  const alert = new Alert(new Kernel(), config, () => 0, endS);
  values.forEach((value, i) => {
    alert.evaluate(i * config.intervalS, value);
  });
  return alert.summary();
}

describe("alert rules (hand-worked)", () => {
  //            t:  0  10  20  30  40  50  60  70  80  90
  const values = [0, 50, 50, 50, 5, 50, 50, 50, 50, 50];

  it("fires once the condition has held for `for`, clears at the first evaluation it does not", () => {
    // Holds from 10 s: pending at 10, 20; fires at 30 (held 20 s); 40 s does not hold: cleared.
    // Holds again from 50 s: fires at 70, still firing at the end (100 s).
    const summary = evaluate(rule(), values, 100);
    expect(summary.firings).toEqual([
      { firedAtS: 30, clearedAtS: 40 },
      { firedAtS: 70, clearedAtS: null },
    ]);
    expect(summary.fired).toBe(2);
    expect(summary.firstFiredAtS).toBe(30);
    expect(summary.firingS).toBe(10 + 30);
    expect(summary.rule).toBe("depth of orders > 10 for 20s");
  });

  it("resets a pending alert when the condition breaks before `for` has passed", () => {
    // for 40 s: pending from 10, broken at 40 (held 30 s); from 50, fires at 90.
    const summary = evaluate(rule({ forS: 40 }), values, 100);
    expect(summary.firings).toEqual([{ firedAtS: 90, clearedAtS: null }]);
  });

  it("with `for: 0`, fires at the first evaluation that holds", () => {
    const summary = evaluate(rule({ forS: 0 }), values, 100);
    expect(summary.firings).toEqual([
      { firedAtS: 10, clearedAtS: 40 },
      { firedAtS: 50, clearedAtS: null },
    ]);
  });

  it("keepFiringFor rides out a short dip, and clears after a long one", () => {
    // Fires at 30; 40 s does not hold: kept (0 s < 15 s); 50 s holds again: one firing.
    expect(evaluate(rule({ keepFiringForS: 15 }), values, 100).firings).toEqual([
      { firedAtS: 30, clearedAtS: null },
    ]);
    // A dip of 40 .. 60 s (three evaluations): cleared at 60, 20 s after it began (>= 15 s).
    const dip = [0, 50, 50, 50, 5, 5, 5, 50, 50, 50];
    expect(evaluate(rule({ keepFiringForS: 15 }), dip, 100).firings).toEqual([
      { firedAtS: 30, clearedAtS: 60 },
      { firedAtS: 90, clearedAtS: null },
    ]);
  });

  it("`below` fires while the metric is lower (a fleet that shrank too far, say)", () => {
    const summary = evaluate(rule({ op: "<", threshold: 10, forS: 0 }), values, 100);
    expect(summary.firings).toEqual([
      { firedAtS: 0, clearedAtS: 10 },
      { firedAtS: 40, clearedAtS: 50 },
    ]);
  });
});

describe("alerts in a run", () => {
  // Three messages at 10.25, 10.5 and 10.75 s that always fail after 15 s of processing; one
  // receive each (maxReceives 1), so each is dead-lettered at 25.25 .. 25.75 s. At 52 s a
  // redrive sends them back: delivered at once, dead-lettered again at 67 s.
  // dlqDepth at the evaluations (every 10 s): 0 until 20, 3 at 30, 40, 50, 0 at 60, 3 from 70.
  function run(alerts: AlertConfig[]) {
    return simulate(
      scenario({
        durationS: 100,
        drainS: 0,
        producers: [
          producer(0, {
            arrivals: "constant",
            phases: [
              { durationS: 10, ratePerS: 0 },
              { durationS: 1, ratePerS: 4 },
            ],
          }),
        ],
        queues: [queue({ maxReceives: 1 })],
        consumers: [
          consumer(1, 15, {
            concurrency: 3,
            processing: { kind: "constant", value: 15 },
            failureProbability: 1,
          }),
        ],
        faults: [{ kind: "redrive", atS: 52, queue: "orders", count: null }],
        alerts,
      }),
      { seed: 1, variantName: "v" },
    );
  }

  it("fire and clear at the evaluations the dead-letter queue's depth says", () => {
    const dlq = rule({ name: "dlq", metric: "dlqDepth", threshold: 2, forS: 15 });
    const instant = rule({ name: "dlq-now", metric: "dlqDepth", threshold: 0, forS: 0 });
    const kept = rule({
      name: "dlq-kept",
      metric: "dlqDepth",
      threshold: 0,
      forS: 0,
      keepFiringForS: 10,
    });
    const result = run([dlq, instant, kept]);
    expect(result.summary.fates.deadLettered).toBe(3);
    const alerts = result.summary.alerts;
    expect(Object.keys(alerts)).toEqual(["dlq", "dlq-now", "dlq-kept"]);
    // Pending from 30 s, firing at 50 (held 20 >= 15), cleared at 60; pending from 70, firing at 90.
    expect(alerts.dlq.firings).toEqual([
      { firedAtS: 50, clearedAtS: 60 },
      { firedAtS: 90, clearedAtS: null },
    ]);
    expect(alerts.dlq.firingS).toBe(10 + 10);
    expect(alerts["dlq-now"].firings).toEqual([
      { firedAtS: 30, clearedAtS: 60 },
      { firedAtS: 70, clearedAtS: null },
    ]);
    // The dip lasts one evaluation (60 s): kept firing (0 s < 10 s).
    expect(alerts["dlq-kept"].firings).toEqual([{ firedAtS: 30, clearedAtS: null }]);
    expect(alerts["dlq-kept"].firingS).toBe(70);
  });

  it("can watch the age of the oldest message and a consumer's instances", () => {
    // Nothing waits here (3 tokens, 3 messages): the oldest age stays 0 and never fires.
    const age = rule({ name: "age", metric: "oldestAge", threshold: 0, forS: 0 });
    const fleet = rule({
      name: "fleet",
      metric: "consumers",
      subject: "workers",
      subjectKind: "consumer",
      op: "<",
      threshold: 2,
      forS: 0,
    });
    const alerts = run([age, fleet]).summary.alerts;
    expect(alerts.age.fired).toBe(0);
    expect(alerts.fleet.firings).toEqual([{ firedAtS: 0, clearedAtS: null }]);
  });

  it("measure the age of the message next in line", () => {
    // One consumer busy for 15 s with the first of three messages: the second (10.5 s) waits
    // until 25.25 s. At 20 s the oldest ready message is 9.5 s old; at 10 s nothing waits.
    const under = rule({ name: "under", metric: "oldestAge", threshold: 9.4, forS: 0 });
    const over = rule({ name: "over", metric: "oldestAge", threshold: 9.6, forS: 0 });
    const result = simulate(
      scenario({
        durationS: 40,
        drainS: 0,
        producers: [
          producer(0, {
            arrivals: "constant",
            phases: [
              { durationS: 10, ratePerS: 0 },
              { durationS: 1, ratePerS: 4 },
            ],
          }),
        ],
        consumers: [consumer(1, 15, { processing: { kind: "constant", value: 15 } })],
        alerts: [under, over],
      }),
      { seed: 1, variantName: "v" },
    );
    // 30 s: the second message went at 25.25 s; the third (10.75 s) is next in line, 19.25 s old.
    expect(result.summary.alerts.under.firings).toEqual([{ firedAtS: 20, clearedAtS: null }]);
    expect(result.summary.alerts.over.firings).toEqual([{ firedAtS: 30, clearedAtS: null }]);
  });
});
