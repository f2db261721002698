/** The `autoscale` block of a consumer and the top-level `alerts`: defaults, forms and errors. */
import { describe, expect, it } from "vitest";
import { errorOf, load, scenarioText, topicScenarioText } from "./helpers.ts";

const consumerWith = (autoscale: string, extra = "") =>
  scenarioText({
    consumers: `  - { name: workers, processing: 10ms${extra}, autoscale: ${autoscale} }`,
  });

describe("autoscale", () => {
  it("fills HPA's and KEDA's defaults, and starts at min instances", () => {
    const config = load(consumerWith("{ target: 100, min: 2, max: 50 }")).variants[0].config;
    expect(config.consumers[0].count).toBe(2);
    expect(config.consumers[0].autoscale).toEqual({
      metric: "depth",
      target: 100,
      includeInFlight: true,
      minInstances: 2,
      maxInstances: 50,
      intervalS: 15,
      tolerance: 0.1,
      scaleUpStabilizationS: 0,
      scaleDownStabilizationS: 300,
      cooldownS: 0,
      coldStartS: 0,
    });
  });

  it("reads every field with units; oldestAge takes a duration", () => {
    const config = load(
      consumerWith(
        "{ metric: oldestAge, target: 30s, min: 1, max: 9, interval: 30s, tolerance: 5%, scaleUpStabilization: 1m, scaleDownStabilization: 10m, cooldown: 2m, coldStart: 20s }",
        ", count: 3",
      ),
    ).variants[0].config;
    expect(config.consumers[0].count).toBe(3);
    expect(config.consumers[0].autoscale).toMatchObject({
      metric: "oldestAge",
      target: 30,
      intervalS: 30,
      tolerance: 0.05,
      scaleUpStabilizationS: 60,
      scaleDownStabilizationS: 600,
      cooldownS: 120,
      coldStartS: 20,
    });
  });

  it("refuses what makes no sense, naming the field", () => {
    expect(errorOf(consumerWith("{ target: 10, min: 5, max: 3 }")).message).toBe(
      "x.yaml:8:78: consumers.workers.autoscale.max: max (3) is below min (5)",
    );
    expect(errorOf(consumerWith("{ target: 10, max: 3 }", ", count: 4")).message).toMatch(
      /consumers\.workers\.count: .*count \(4\), the initial instances, is outside the autoscaler's min 1 and max 3/,
    );
    expect(errorOf(consumerWith("{ metric: lag, target: 10, max: 3 }")).message).toMatch(
      /consumers\.workers\.autoscale\.metric: .*'lag' is a consumer group's/,
    );
    expect(errorOf(consumerWith("{ target: 0, max: 3 }")).message).toMatch(
      /autoscale\.target: expected a number > 0/,
    );
    expect(errorOf(consumerWith("{ target: 5, max: 3, interval: 100us }")).message).toMatch(
      /consumers\.workers\.autoscale\.interval: .*makes more than 1000000 evaluations/,
    );
    expect(errorOf(consumerWith("{ max: 3 }")).message).toMatch(
      /autoscale\.target: .*missing 'target'/,
    );
    expect(errorOf(consumerWith("{ target: 5, max: 3, coldstart: 5s }")).message).toMatch(
      /unknown key 'coldstart', did you mean 'coldStart'\?/,
    );
    expect(
      errorOf(consumerWith("{ metric: oldestAge, target: 5s, max: 3, includeInFlight: false }"))
        .message,
    ).toMatch(/'includeInFlight' applies only to metric: depth/);
  });

  it("on a consumer group, scales on lag by default; depth is a queue's", () => {
    const text = (autoscale: string) =>
      topicScenarioText({
        consumers: `  - { name: email, processing: 10ms, autoscale: ${autoscale} }`,
      });
    const config = load(text("{ target: 100, max: 4 }")).variants[0].config;
    expect(config.consumers[0].autoscale).toMatchObject({
      metric: "lag",
      target: 100,
      maxInstances: 4,
    });
    expect(errorOf(text("{ metric: depth, target: 10, max: 4 }")).message).toMatch(
      /consumers\.email\.autoscale\.metric: .*a consumer group scales on 'lag'/,
    );
  });

  it("a variant can turn it off", () => {
    const text = `${consumerWith("{ target: 10, max: 4 }")}variants:\n  - { name: on }\n  - { name: off, set: { consumers.workers.autoscale: null } }\n`;
    const [on, off] = load(text).variants.map((v) => v.config.consumers[0].autoscale);
    expect(on?.maxInstances).toBe(4);
    expect(off).toBeNull();
  });
});

describe("alerts", () => {
  const withAlerts = (alerts: string, extra = "") =>
    scenarioText({
      queues: "  - { name: orders, maxReceives: 3 }",
      bottom: `alerts:\n${alerts}${extra}`,
    });

  it("reads a rule, with Prometheus-like defaults (for 0s, every 15 s)", () => {
    const config = load(
      withAlerts("  - { name: dlq-growing, on: dlqDepth, queue: orders, above: 0 }"),
    ).variants[0].config;
    expect(config.alerts).toEqual([
      {
        name: "dlq-growing",
        metric: "dlqDepth",
        subject: "orders",
        subjectKind: "queue",
        op: ">",
        threshold: 0,
        forS: 0,
        keepFiringForS: 0,
        intervalS: 15,
      },
    ]);
  });

  it("takes the only queue or consumer when none is named, durations for oldestAge, and `below`", () => {
    const config = load(
      withAlerts(
        [
          "  - { name: old, on: oldestAge, above: 1m, for: 2m, keepFiringFor: 5m, interval: 30s }",
          "  - { name: few, on: consumers, below: 2 }",
        ].join("\n"),
      ),
    ).variants[0].config;
    expect(
      config.alerts.map((a) => [
        a.name,
        a.subject,
        a.subjectKind,
        a.op,
        a.threshold,
        a.forS,
        a.keepFiringForS,
        a.intervalS,
      ]),
    ).toEqual([
      ["old", "orders", "queue", ">", 60, 120, 300, 30],
      ["few", "workers", "consumer", "<", 2, 0, 0, 15],
    ]);
  });

  it("lets expectations name alerts.<name>.fired, .firstFiredAtS and .firingS", () => {
    const text = withAlerts(
      "  - { name: dlq-growing, on: dlqDepth, above: 0 }",
      '\nexpect: { alerts.dlq-growing.fired: "> 0", alerts.dlq-growing.firstFiredAtS: "< 2m", fired: 1 }',
    );
    expect(load(text).variants[0].config.expect.map((e) => [e.metric, e.op, e.value])).toEqual([
      ["alerts.dlq-growing.fired", ">", 0],
      ["alerts.dlq-growing.firstFiredAtS", "<", 120],
      ["alerts.dlq-growing.fired", "==", 1],
    ]);
    const list = withAlerts(
      "  - { name: dlq-growing, on: dlqDepth, above: 0 }",
      '\nexpect: ["alerts.dlq-growing.fired >= 1"]',
    );
    expect(load(list).variants[0].config.expect[0].metric).toBe("alerts.dlq-growing.fired");
  });

  it("refuses an expectation on an alert the scenario does not have", () => {
    const text = withAlerts(
      "  - { name: dlq-growing, on: dlqDepth, above: 0 }",
      '\nexpect: { alerts.dlq-grownig.fired: "> 0" }',
    );
    expect(errorOf(text).message).toMatch(
      /unknown metric 'alerts\.dlq-grownig\.fired', did you mean 'alerts\.dlq-growing\.fired'\?/,
    );
  });

  it("refuses bad rules with one-line errors", () => {
    expect(errorOf(withAlerts("  - { name: a, on: depth, queue: orders }")).message).toMatch(
      /alerts\.0\.above: .*give one of 'above'/,
    );
    expect(errorOf(withAlerts("  - { name: a, on: depth, above: 1, below: 2 }")).message).toMatch(
      /alerts\.0\.below: .*give one of 'above'/,
    );
    expect(errorOf(withAlerts("  - { name: a, on: lag, above: 1 }")).message).toMatch(
      /alerts\.0\.consumer: .*missing 'consumer'/,
    );
    expect(
      errorOf(withAlerts("  - { name: a, on: lag, consumer: workers, above: 1 }")).message,
    ).toMatch(/'workers' consumes a queue; lag is a consumer group's/);
    expect(
      errorOf(withAlerts("  - { name: a, on: depth, queue: workers, above: 1 }")).message,
    ).toMatch(/'workers' is a consumer, expected a queue/);
    expect(errorOf(withAlerts("  - { name: a, on: deep, above: 1 }")).message).toMatch(
      /alerts\.0\.on: expected 'depth' or .* got deep$/,
    );
    expect(errorOf(withAlerts("  - { name: 1a, on: depth, above: 1 }")).message).toMatch(
      /starting with a letter/,
    );
    expect(
      errorOf(
        withAlerts("  - { name: a, on: depth, above: 1 }\n  - { name: a, on: depth, above: 2 }"),
      ).message,
    ).toMatch(/there is already an alert named 'a'/);
    expect(errorOf(withAlerts("  - { name: a, on: depth, above: -1 }")).message).toMatch(
      /a number >= 0/,
    );
    // duration + drain = 120 s: 100 us would make 1.2 million evaluations.
    expect(
      errorOf(withAlerts("  - { name: a, on: depth, above: 1, interval: 100us }")).message,
    ).toMatch(/alerts\.0\.interval: .*makes more than 1000000 evaluations/);
  });

  it("watches a consumer group's lag on a topic", () => {
    const text = topicScenarioText({
      bottom: "alerts:\n  - { name: behind, on: lag, above: 100 }",
    });
    expect(load(text).variants[0].config.alerts[0]).toMatchObject({
      subject: "email",
      subjectKind: "consumer",
    });
  });
});
