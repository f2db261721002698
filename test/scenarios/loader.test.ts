import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConsumerConfig, ScenarioConfig } from "../../models/config.ts";
import { loadScenario } from "../../scenarios/loader.ts";
import { errorOf, load, scenarioText } from "./helpers.ts";

function only(text: string, overrides: string[] = []): ScenarioConfig {
  const loaded = load(text, overrides);
  expect(loaded.variants).toHaveLength(1);
  return loaded.variants[0].config;
}

describe("defaults", () => {
  it("fill every field of a minimal scenario", () => {
    const loaded = load(scenarioText());
    expect(loaded).toMatchObject({ file: "x.yaml", name: "t", description: "", seed: 1 });
    expect(loaded.variants.map((v) => [v.name, v.description])).toEqual([["base", ""]]);
    expect(loaded.variants[0].config).toEqual({
      name: "t",
      description: "",
      seed: 1,
      durationS: 60,
      drainS: 60,
      warmupS: 0,
      sampleIntervalS: null,
      producers: [
        {
          name: "api",
          to: "orders",
          routingKeys: [],
          arrivals: "poisson",
          startS: 0,
          phases: [{ durationS: 60, ratePerS: 10 }],
          repeatPhases: false,
          keys: { count: 1, skew: "uniform", zipfExponent: 1 },
          messageSizeBytes: 1024,
          acks: "none",
          maxRetries: 3,
          requestTimeoutS: 30,
          retryBackoffS: 0.1,
          idempotent: false,
          maxInFlight: 5,
          messageSizeDistribution: null,
          priority: 0,
          rateLimit: null,
        },
      ],
      queues: [
        {
          name: "orders",
          visibilityTimeoutS: 30,
          maxReceives: null,
          fifo: false,
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
        },
      ],
      exchanges: [],
      topics: [],
      consumers: [
        {
          name: "workers",
          queue: "orders",
          topic: null,
          group: "workers",
          count: 1,
          concurrency: 1,
          prefetch: 1,
          processing: { kind: "constant", value: 0.01 },
          failureProbability: 0,
          poisonProbability: 0,
          calls: null,
          onFailure: "nack",
          nackDelayS: 0,
          leaseExtensionS: 0,
          commit: "after-processing",
          autoCommitIntervalS: 5,
          idempotency: { kind: "none" },
          startS: 0,
          restartS: 10,
          crashRatePerS: 0,
          maxPollRecords: 500,
          sessionTimeoutS: 45,
          heartbeatIntervalS: 3,
          maxPollIntervalS: 300,
          autoOffsetReset: "latest",
          autoscale: null,
          forward: null,
        },
      ],
      downstreams: [],
      callers: [],
      links: [],
      faults: [],
      expect: [],
      // The documented defaults of limits: (docs/scenario-format.md).
      limits: { eventsMax: 2e9, wallTimeSMax: null, virtualTimeSMax: 365 * 86400 },
      contention: null,
      alerts: [],
    } satisfies ScenarioConfig);
  });

  it("a plain rate runs from start to the end of duration; phases are kept as written", () => {
    const config = only(
      scenarioText({
        producers: [
          "  - { name: api, rate: 10/s, start: 15s, arrivals: constant }",
          "  - name: spiky",
          "    phases: [{ for: 2m, rate: 100/s }, { for: 30s, rate: 1000/s }]",
          "    repeat: true",
          "    keys: { count: 1000, skew: zipf, exponent: 1.1 }",
        ].join("\n"),
      }),
    );
    expect(config.producers[0]).toMatchObject({
      startS: 15,
      arrivals: "constant",
      phases: [{ durationS: 45, ratePerS: 10 }],
    });
    expect(config.producers[1]).toMatchObject({
      to: "orders",
      phases: [
        { durationS: 120, ratePerS: 100 },
        { durationS: 30, ratePerS: 1000 },
      ],
      repeatPhases: true,
      keys: { count: 1000, skew: "zipf", zipfExponent: 1.1 },
    });
  });
});

describe("the file syntax", () => {
  it("reads every top-level field and unit", () => {
    const config = only(
      scenarioText({
        top: "description: one line\nseed: 42\ndrain: 2m\nwarmup: 10s\nsampleInterval: 500ms",
        queues: "  - { name: orders, visibilityTimeout: 1h, maxReceives: 5 }",
        consumers: [
          "  - { name: workers, queue: orders, count: 20, concurrency: 4,",
          "      processing: { exponential: 40ms }, failure: 1%, onFailure: nack, nackDelay: 250ms,",
          "      commit: transactional, idempotency: conditional-write, start: 5s, restart: 1m,",
          "      crashRate: 2/h }",
        ].join("\n"),
      }),
    );
    expect(config).toMatchObject({
      description: "one line",
      seed: 42,
      drainS: 120,
      warmupS: 10,
      sampleIntervalS: 0.5,
    });
    expect(config.queues[0]).toEqual({
      name: "orders",
      visibilityTimeoutS: 3600,
      maxReceives: 5,
      fifo: false,
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
    expect(config.consumers[0]).toEqual({
      name: "workers",
      queue: "orders",
      topic: null,
      group: "workers",
      count: 20,
      concurrency: 4,
      prefetch: 4,
      processing: { kind: "exponential", mean: 0.04 },
      failureProbability: 0.01,
      poisonProbability: 0,
      calls: null,
      onFailure: "nack",
      nackDelayS: 0.25,
      leaseExtensionS: 0,
      commit: "transactional",
      autoCommitIntervalS: 5,
      idempotency: { kind: "conditional-write" },
      startS: 5,
      restartS: 60,
      crashRatePerS: 2 / 3600,
      maxPollRecords: 500,
      sessionTimeoutS: 45,
      heartbeatIntervalS: 3,
      maxPollIntervalS: 300,
      autoOffsetReset: "latest",
      autoscale: null,
      forward: null,
    } satisfies ConsumerConfig);
  });

  it("reads every distribution form", () => {
    const forms: [string, unknown][] = [
      ["40ms", { kind: "constant", value: 0.04 }],
      ["{ constant: 40ms }", { kind: "constant", value: 0.04 }],
      ["{ uniform: [10ms, 50ms] }", { kind: "uniform", min: 0.01, max: 0.05 }],
      ["{ uniform: { min: 10ms, max: 50ms } }", { kind: "uniform", min: 0.01, max: 0.05 }],
      ["{ exponential: 40ms }", { kind: "exponential", mean: 0.04 }],
      ["{ exponential: { mean: 2s } }", { kind: "exponential", mean: 2 }],
      ["{ normal: { mean: 10ms, stddev: 2ms } }", { kind: "normal", mean: 0.01, stddev: 0.002 }],
      [
        "{ lognormal: { median: 20ms, p99: 200ms } }",
        { kind: "lognormal-quantiles", median: 0.02, p99: 0.2 },
      ],
      ["{ lognormal: { mu: -3, sigma: 0.5 } }", { kind: "lognormal", mu: -3, sigma: 0.5 }],
      ["{ pareto: { scale: 10ms, shape: 2.5 } }", { kind: "pareto", scale: 0.01, shape: 2.5 }],
      ["{ empirical: [10ms, 12ms, 1] }", { kind: "empirical", values: [0.01, 0.012, 1] }],
    ];
    for (const [written, spec] of forms) {
      const config = only(
        scenarioText({ consumers: `  - { name: workers, processing: ${written} }` }),
      );
      expect(config.consumers[0].processing, written).toEqual(spec);
    }
  });

  it("expands links: from/to, and between in both directions", () => {
    const config = only(
      scenarioText({
        top: [
          "links:",
          "  - { from: api, to: orders, latency: { exponential: 5ms }, loss: 0.1%, duplicate: 0.2% }",
          "  - { between: [orders, workers], latency: 2ms }",
        ].join("\n"),
      }),
    );
    expect(config.links).toEqual([
      {
        from: "api",
        to: "orders",
        latency: { kind: "exponential", mean: 0.005 },
        lossProbability: 0.001,
        duplicateProbability: 0.002,
      },
      {
        from: "orders",
        to: "workers",
        latency: { kind: "constant", value: 0.002 },
        lossProbability: 0,
        duplicateProbability: 0,
      },
      {
        from: "workers",
        to: "orders",
        latency: { kind: "constant", value: 0.002 },
        lossProbability: 0,
        duplicateProbability: 0,
      },
    ]);
  });

  it("reads expectations as a mapping, nested mapping or list", () => {
    const mapping = only(
      scenarioText({
        top: 'expect: { fates.lost: "== 0", latency.p99S: "< 2s", fates.duplicateEffects: 0, throughput.processedPerS: ">= 600/m" }',
      }),
    );
    expect(mapping.expect).toEqual([
      { metric: "fates.lost", op: "==", value: 0, text: "fates.lost == 0" },
      { metric: "latency.p99S", op: "<", value: 2, text: "latency.p99S < 2s" },
      {
        metric: "fates.duplicateEffects",
        op: "==",
        value: 0,
        text: "fates.duplicateEffects == 0",
      },
      {
        metric: "throughput.processedPerS",
        op: ">=",
        value: 10,
        text: "throughput.processedPerS >= 600/m",
      },
    ]);
    const nested = only(scenarioText({ top: "expect:\n  fates: { lost: 0 }\n  lost: 0" }));
    expect(nested.expect.map((e) => e.text)).toEqual(["fates.lost == 0", "lost == 0"]);
    expect(nested.expect.map((e) => e.metric)).toEqual(["fates.lost", "fates.lost"]);
    const list = only(
      scenarioText({
        top: 'expect: ["fates.lost == 0", "queueWait.meanS<=250ms", "counters.nacks != 3"]',
      }),
    );
    expect(list.expect).toEqual([
      { metric: "fates.lost", op: "==", value: 0, text: "fates.lost == 0" },
      { metric: "queueWait.meanS", op: "<=", value: 0.25, text: "queueWait.meanS<=250ms" },
      { metric: "counters.nacks", op: "!=", value: 3, text: "counters.nacks != 3" },
    ]);
  });

  it("loads a JSON scenario, tab-indented or not, with line numbers in errors", () => {
    const scenario = {
      name: "from-json",
      duration: "1m",
      queues: [{ name: "q" }],
      producers: [{ name: "p", rate: "5/s" }],
      consumers: [{ name: "c", processing: { exponential: "10ms" } }],
      variants: [{ name: "a" }, { name: "b", set: { "consumers.c.count": 3 } }],
    };
    for (const indent of [2, "\t"]) {
      const loaded = load(JSON.stringify(scenario, null, indent));
      expect(loaded.name).toBe("from-json");
      expect(loaded.variants.map((v) => v.config.consumers[0].count)).toEqual([1, 3]);
    }
    const bad = JSON.stringify(
      { ...scenario, queues: [{ name: "q", visibilityTimeout: "x" }] },
      null,
      2,
    );
    expect(errorOf(bad).message).toBe(
      "x.yaml:7:28: queues.q.visibilityTimeout: expected a duration like 250ms, 30s or 5m, got \"x\" (variant 'a')",
    );
  });
});

describe("variants", () => {
  const withVariants = scenarioText({
    top: "description: base description",
    bottom: [
      "variants:",
      "  - { name: baseline }",
      "  - name: faster",
      "    description: twice as fast",
      "    set: { consumers.workers.processing: { exponential: 20ms }, queues.orders.visibilityTimeout: 10s }",
      "  - { name: by-index, set: { consumers.0.count: 3, producers.api.keys.count: 50 } }",
    ].join("\n"),
  });

  it("are the base plus their set, in order", () => {
    const loaded = load(withVariants);
    expect(loaded.description).toBe("base description");
    expect(loaded.variants.map((v) => [v.name, v.description])).toEqual([
      ["baseline", ""],
      ["faster", "twice as fast"],
      ["by-index", ""],
    ]);
    const [baseline, faster, byIndex] = loaded.variants.map((v) => v.config);
    expect(baseline.consumers[0].processing).toEqual({ kind: "constant", value: 0.01 });
    expect(faster.consumers[0].processing).toEqual({ kind: "exponential", mean: 0.02 });
    expect(faster.queues[0].visibilityTimeoutS).toBe(10);
    expect(baseline.queues[0].visibilityTimeoutS).toBe(30);
    expect(byIndex.consumers[0].count).toBe(3);
    expect(byIndex.producers[0].keys.count).toBe(50);
    for (const config of [baseline, faster, byIndex]) {
      expect(config.name).toBe("t");
      expect(config.description).toBe("base description");
    }
  });

  it("errors from a set value point at the set entry and name the variant", () => {
    const text = scenarioText({
      bottom: "variants:\n  - { name: a }\n  - name: b\n    set: { consumers.workers.count: 0 }",
    });
    const error = errorOf(text);
    expect(error.line).toBe(12);
    expect(error.variant).toBe("b");
    expect(error.message).toBe(
      "x.yaml:12:37: consumers.workers.count: expected a whole number >= 1, got 0 (variant 'b')",
    );
  });

  it("a set path that does not exist is an error with a suggestion", () => {
    const variant = (set: string) =>
      errorOf(scenarioText({ bottom: `variants:\n  - name: b\n    set: { ${set} }` })).message;
    expect(variant("consumers.workerz.count: 2")).toBe(
      "x.yaml:11:12: consumers.workerz.count: no item named 'workerz' in 'consumers', did you mean 'workers'? (variant 'b')",
    );
    expect(variant("consumers.workers.cont: 2")).toBe(
      "x.yaml:11:12: consumers.workers.cont: unknown key 'cont', did you mean 'count'? (variant 'b')",
    );
    expect(variant("consumers.3.count: 2")).toBe(
      "x.yaml:11:12: consumers.3.count: no item 3 in 'consumers' (it has 1) (variant 'b')",
    );
    expect(variant("seed: 3")).toBe(
      "x.yaml:11:12: variants.b.set.seed: a variant cannot change 'seed': all variants share the scenario's name and seed",
    );
  });

  it("have unique names", () => {
    const text = scenarioText({ bottom: "variants:\n  - name: b\n  - name: b" });
    expect(errorOf(text).message).toBe(
      "x.yaml:11:11: variants.b.name: there is already a variant named 'b'",
    );
  });

  it("an error in the base names the first variant that inherits it", () => {
    const text = scenarioText({
      top: "drain: -1s",
      bottom: "variants:\n  - name: a",
    });
    expect(errorOf(text).message).toBe(
      "x.yaml:3:8: drain: expected a duration >= 0 (like 250ms, 30s or 5m), got -1s (variant 'a')",
    );
  });
});

describe("--set overrides", () => {
  it("apply to the base, parsed as YAML scalars or flow collections", () => {
    const config = only(scenarioText(), [
      "duration=30m",
      "consumers.workers.processing={exponential: 20ms}",
      "consumers.0.count=12",
      "queues.orders.maxReceives=5",
      "producers.api.keys.count=100",
      "seed=7",
    ]);
    expect(config.durationS).toBe(1800);
    expect(config.producers[0].phases).toEqual([{ durationS: 1800, ratePerS: 10 }]);
    expect(config.consumers[0].processing).toEqual({ kind: "exponential", mean: 0.02 });
    expect(config.consumers[0].count).toBe(12);
    expect(config.queues[0].maxReceives).toBe(5);
    expect(config.producers[0].keys.count).toBe(100);
    expect(config.seed).toBe(7);
  });

  it("an empty value restores the default", () => {
    const text = scenarioText({ queues: "  - { name: orders, maxReceives: 3 }" });
    expect(only(text, ["queues.orders.maxReceives="]).queues[0].maxReceives).toBeNull();
  });

  it("replace a rate with phases when the rate is unset", () => {
    const config = only(scenarioText(), [
      "producers.api.rate=",
      "producers.api.phases=[{for: 10s, rate: 1/s}]",
    ]);
    expect(config.producers[0].phases).toEqual([{ durationS: 10, ratePerS: 1 }]);
  });

  it("reach keys that hold dots", () => {
    const config = only(scenarioText({ top: "expect: { fates.lost: 0 }" }), [
      "expect.fates.lost=3",
    ]);
    expect(config.expect).toEqual([
      { metric: "fates.lost", op: "==", value: 3, text: "fates.lost == 3" },
    ]);
  });

  it("apply before each variant's own set", () => {
    const text = scenarioText({
      bottom: "variants:\n  - { name: a }\n  - { name: b, set: { consumers.workers.count: 2 } }",
    });
    const loaded = load(text, ["consumers.workers.count=5", "duration=2m"]);
    expect(loaded.variants.map((v) => v.config.consumers[0].count)).toEqual([5, 2]);
    expect(loaded.variants.map((v) => v.config.durationS)).toEqual([120, 120]);
  });

  it("errors say --set path=value", () => {
    const error = errorOf(scenarioText(), ["consumers.workers.count=-3"]);
    expect(error.line).toBeNull();
    expect(error.origin).toBe("--set consumers.workers.count=-3");
    expect(error.message).toBe(
      "x.yaml: --set consumers.workers.count=-3: consumers.workers.count: expected a whole number >= 1, got -3",
    );
    expect(errorOf(scenarioText(), ["consumers.workers.count"]).message).toBe(
      "x.yaml: --set consumers.workers.count: expected path=value, e.g. --set consumers.workers.count=12",
    );
    expect(errorOf(scenarioText(), ["duration=[1m"]).message).toMatch(
      /^x\.yaml: --set duration=\[1m: YAML syntax error: /,
    );
    expect(errorOf(scenarioText(), ["durration=5m"]).message).toBe(
      "x.yaml: --set durration=5m: durration: unknown key 'durration', did you mean 'duration'?",
    );
    expect(errorOf(scenarioText(), ["consumers.workerz.count=2"]).message).toBe(
      "x.yaml: --set consumers.workerz.count=2: consumers.workerz.count: no item named 'workerz' in 'consumers', did you mean 'workers'?",
    );
    expect(errorOf(scenarioText(), ["name.x=2"]).message).toBe(
      "x.yaml: --set name.x=2: name.x: cannot set 'x' inside 'name': it holds a single value, not a mapping or list",
    );
    expect(errorOf(scenarioText(), ["consumers..count=2"]).message).toBe(
      "x.yaml: --set consumers..count=2: consumers..count: expected a dotted path like consumers.workers.count, got 'consumers..count'",
    );
  });
});

describe("loadScenario", () => {
  it("reads a file and reports one it cannot read", () => {
    const folder = mkdtempSync(join(tmpdir(), "queuelab-scenario-"));
    const file = join(folder, "s.yaml");
    writeFileSync(file, scenarioText());
    expect(loadScenario(file, ["seed=3"])).toMatchObject({ file, name: "t", seed: 3 });
    const missing = join(folder, "missing.yaml");
    expect(() => loadScenario(missing)).toThrow(
      `${missing}: cannot read the scenario file (ENOENT)`,
    );
  });
});
