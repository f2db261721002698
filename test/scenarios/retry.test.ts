/** The `retry:` block: presets, overrides, defaults, every form, and one-line errors. */
import { describe, expect, it } from "vitest";
import { RetryPolicy, type RetryPolicyConfig } from "../../models/retryPolicy.ts";
import { RETRY_PRESET_NAMES, RETRY_PRESETS } from "../../models/retryPresets.ts";
import { ScenarioError } from "../../scenarios/errors.ts";
import { entryOf, parseRawText } from "../../scenarios/raw.ts";
import { readRetryPolicy } from "../../scenarios/retry.ts";
import { RandomStreams } from "../../sim/random.ts";

/** Reads the `retry` key of a small document at path `consumers.workers.retry`. */
function read(text: string): RetryPolicyConfig {
  const root = parseRawText(text, "x.yaml");
  if (root.kind !== "map") throw new Error("test document must be a mapping");
  const config = readRetryPolicy(entryOf(root, "retry")!.value, "consumers.workers.retry");
  // Whatever the reader accepts, the runtime accepts.
  expect(() => new RetryPolicy(config, new RandomStreams(1).stream("retry"))).not.toThrow();
  return config;
}

function errorOf(text: string): ScenarioError {
  try {
    read(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).not.toContain("\n");
    return error as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

const P = "consumers.workers.retry";

describe("defaults", () => {
  it("an empty block: 3 attempts, 100 ms doubling to 10 s, full jitter, no budget or breaker", () => {
    expect(read("retry: {}")).toEqual({
      preset: null,
      maxAttempts: 3,
      backoff: { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 10 },
      jitter: "full",
      jitterRatio: 0,
      budget: null,
      circuitBreaker: null,
    });
  });

  it("a field given replaces only that field", () => {
    expect(read("retry: { maxAttempts: 5, jitter: none }")).toMatchObject({
      maxAttempts: 5,
      jitter: "none",
      backoff: { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 10 },
    });
  });
});

describe("presets", () => {
  it.each(RETRY_PRESET_NAMES)("%s by name is the preset's config", (name) => {
    expect(read(`retry: ${name}`)).toEqual(RETRY_PRESETS[name].config);
  });

  it("a preset with overrides keeps its name and its other fields", () => {
    const config = read("retry: { preset: grpc, maxAttempts: 3 }");
    expect(config).toEqual({ ...RETRY_PRESETS.grpc.config, maxAttempts: 3 });
    expect(config.preset).toBe("grpc");
  });

  it("a partial backoff of the preset's kind keeps the preset's other values", () => {
    expect(read("retry: { preset: grpc, backoff: { exponential: { cap: 5s } } }").backoff).toEqual({
      kind: "exponential",
      baseS: 0.1,
      multiplier: 2,
      capS: 5,
    });
  });

  it("a backoff of another kind starts from that kind's defaults", () => {
    expect(read("retry: { preset: grpc, backoff: { doublingsThenLinear: {} } }").backoff).toEqual({
      kind: "doublings-then-linear",
      minS: 0.1,
      maxS: 3600,
      maxDoublings: 16,
    });
  });

  it("'none' removes a preset's budget; a partial budget keeps the preset's values", () => {
    expect(read("retry: { preset: aws-standard, budget: none }").budget).toBeNull();
    expect(read("retry: { preset: finagle, budget: { minPerSecond: 5 } }").budget).toEqual({
      kind: "ratio",
      ratio: 0.2,
      minPerS: 5,
      windowS: 10,
    });
    expect(
      read("retry: { preset: aws-standard, budget: { quota: { capacity: 100 } } }").budget,
    ).toEqual({ kind: "quota", capacity: 100, retryCost: 5, timeoutCost: 10, successRefund: 1 });
  });
});

describe("backoff", () => {
  it.each([
    ["immediate", { kind: "immediate" }],
    ["{ fixed: 1s }", { kind: "fixed", delayS: 1 }],
    [
      "{ exponential: { base: 100ms, multiplier: 2, cap: 10s } }",
      { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 10 },
    ],
    ["{ exponential: 200ms }", { kind: "exponential", baseS: 0.2, multiplier: 2, capS: 10 }],
    [
      "{ exponential: { base: 5ms, cap: 2s } }",
      { kind: "exponential", baseS: 0.005, multiplier: 2, capS: 2 },
    ],
    [
      "{ doublingsThenLinear: { min: 100ms, max: 1h, maxDoublings: 16 } }",
      { kind: "doublings-then-linear", minS: 0.1, maxS: 3600, maxDoublings: 16 },
    ],
    [
      "{ doublingsThenLinear: { min: 10s, max: 300s, maxDoublings: 3 } }",
      { kind: "doublings-then-linear", minS: 10, maxS: 300, maxDoublings: 3 },
    ],
  ])("backoff: %s", (written, backoff) => {
    expect(read(`retry: { backoff: ${written} }`).backoff).toEqual(backoff);
  });
});

describe("jitter", () => {
  it.each(["none", "full", "equal", "decorrelated"] as const)("jitter: %s", (jitter) => {
    expect(read(`retry: { jitter: ${jitter} }`)).toMatchObject({ jitter, jitterRatio: 0 });
  });

  it("jitter: { proportional: 20% }", () => {
    expect(read("retry: { jitter: { proportional: 20% } }")).toMatchObject({
      jitter: "proportional",
      jitterRatio: 0.2,
    });
  });
});

describe("budget", () => {
  it.each([
    ["10%", { kind: "ratio", ratio: 0.1, minPerS: 0, windowS: 10 }],
    [
      "{ ratio: 10%, minPerSecond: 10, window: 10s }",
      { kind: "ratio", ratio: 0.1, minPerS: 10, windowS: 10 },
    ],
    [
      "{ ratio: 20%, minPerSecond: 30/m }",
      { kind: "ratio", ratio: 0.2, minPerS: 0.5, windowS: 10 },
    ],
    ["quota", { kind: "quota", capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 }],
    [
      "{ quota: { capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 } }",
      { kind: "quota", capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 },
    ],
    ["throttle", { kind: "throttle", maxTokens: 10, tokenRatio: 0.1 }],
    [
      "{ throttle: { maxTokens: 100, tokenRatio: 0.5 } }",
      { kind: "throttle", maxTokens: 100, tokenRatio: 0.5 },
    ],
    ["none", null],
  ])("budget: %s", (written, budget) => {
    expect(read(`retry: { budget: ${written} }`).budget).toEqual(budget);
  });
});

describe("circuit breaker", () => {
  it("the full form", () => {
    const text =
      "retry: { circuitBreaker: { failureRatio: 50%, window: 100, minimumCalls: 10, open: 60s, halfOpenCalls: 10 } }";
    expect(read(text).circuitBreaker).toEqual({
      failureRatio: 0.5,
      windowCalls: 100,
      minimumCalls: 10,
      openS: 60,
      halfOpenCalls: 10,
    });
  });

  it("an empty one takes resilience4j's defaults: 50% over 100 calls, 60 s open, 10 trials", () => {
    expect(read("retry: { circuitBreaker: {} }").circuitBreaker).toEqual({
      failureRatio: 0.5,
      windowCalls: 100,
      minimumCalls: 100,
      openS: 60,
      halfOpenCalls: 10,
    });
  });

  it("a smaller window lowers the default minimumCalls to it", () => {
    expect(read("retry: { circuitBreaker: { window: 20 } }").circuitBreaker).toMatchObject({
      windowCalls: 20,
      minimumCalls: 20,
    });
  });
});

describe("errors", () => {
  it.each([
    // [text, line, column, path, what the message says]
    [
      "retry: aws-standrd",
      1,
      8,
      P,
      "unknown retry preset 'aws-standrd', did you mean 'aws-standard'?",
    ],
    ["retry: { preset: grcp }", 1, 18, `${P}.preset`, "did you mean 'grpc'?"],
    ["retry: 3", 1, 8, P, "write { maxAttempts: 3 }"],
    ["retry:\n  maxAttempt: 3", 2, 3, `${P}.maxAttempt`, "did you mean 'maxAttempts'?"],
    ["retry:\n  maxAttempts: 0", 2, 16, `${P}.maxAttempts`, "expected a whole number >= 1, got 0"],
    ["retry:\n  maxAttempts: 2.5", 2, 16, `${P}.maxAttempts`, "expected a whole number >= 1"],
    [
      "retry:\n  exponential: { base: 1s }",
      2,
      3,
      `${P}.exponential`,
      "write backoff: { exponential",
    ],
    ["retry:\n  backoff: 1s", 2, 12, `${P}.backoff`, "write { fixed: 1s }"],
    ["retry:\n  backoff: immediat", 2, 12, `${P}.backoff`, "did you mean 'immediate'?"],
    [
      "retry:\n  backoff: { exponentail: {} }",
      2,
      14,
      `${P}.backoff.exponentail`,
      "did you mean 'exponential'?",
    ],
    [
      "retry:\n  backoff: { fixed: 1s, exponential: 2s }",
      2,
      12,
      `${P}.backoff`,
      "give one kind of backoff, got fixed and exponential",
    ],
    ["retry:\n  backoff: { fixed: -1s }", 2, 21, `${P}.backoff.fixed`, "got -1s"],
    [
      "retry:\n  backoff:\n    exponential:\n      base: 2s\n      cap: 1s",
      5,
      12,
      `${P}.backoff.exponential.cap`,
      "cap (1s) is shorter than base (2s)",
    ],
    [
      "retry:\n  backoff: { exponential: { multiplier: 0.5 } }",
      2,
      41,
      `${P}.backoff.exponential.multiplier`,
      "expected a multiplier >= 1",
    ],
    [
      "retry:\n  backoff: { exponential: { base: 0s } }",
      2,
      35,
      `${P}.backoff.exponential.base`,
      "expected a duration > 0",
    ],
    [
      "retry:\n  backoff: { doublingsThenLinear: { min: 1h, max: 1s } }",
      2,
      51,
      `${P}.backoff.doublingsThenLinear.max`,
      "max (1s) is shorter than min (3600s)",
    ],
    [
      "retry:\n  backoff: { fixed: 1s }\n  jitter: decorrelated",
      3,
      11,
      `${P}.jitter`,
      "decorrelated jitter grows from the backoff's base up to its cap",
    ],
    ["retry:\n  jitter: fulll", 2, 11, `${P}.jitter`, "did you mean 'full'?"],
    ["retry:\n  jitter: proportional", 2, 11, `${P}.jitter`, "write { proportional: 20% }"],
    ["retry:\n  budget: 15", 2, 11, `${P}.budget`, "got 15 (did you mean 15%?)"],
    ["retry:\n  budget: quotta", 2, 11, `${P}.budget`, "did you mean 'quota'?"],
    [
      "retry:\n  budget: { ratio: 10%, quota: {} }",
      2,
      11,
      `${P}.budget`,
      "give one kind of budget, got ratio and quota",
    ],
    [
      "retry:\n  budget: { quota: {}, window: 10s }",
      2,
      32,
      `${P}.budget.window`,
      "'window' applies only to a ratio budget",
    ],
    [
      "retry:\n  budget:\n    quota: { capacity: 100, retryCost: 200 }",
      3,
      40,
      `${P}.budget.quota.retryCost`,
      "retryCost 200 is more than the capacity 100",
    ],
    [
      "retry:\n  budget: { throttle: { maxTokens: 2000 } }",
      2,
      36,
      `${P}.budget.throttle.maxTokens`,
      "expected a number > 0 and <= 1000, got 2000",
    ],
    [
      "retry:\n  budget: { minPerSecond: 3 }",
      2,
      11,
      `${P}.budget`,
      "with none of ratio, quota, throttle",
    ],
    [
      "retry:\n  circuitBreaker: { failureRatio: 0 }",
      2,
      35,
      `${P}.circuitBreaker.failureRatio`,
      "expected a failure ratio > 0",
    ],
    [
      "retry:\n  circuitBreaker: { window: 10, minimumCalls: 20 }",
      2,
      47,
      `${P}.circuitBreaker.minimumCalls`,
      "minimumCalls 20 is more than the window of 10 calls",
    ],
    [
      "retry:\n  circuitBreaker: { halfOpenCall: 3 }",
      2,
      21,
      `${P}.circuitBreaker.halfOpenCall`,
      "did you mean 'halfOpenCalls'?",
    ],
  ])("%j", (text, line, column, path, says) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
    expect(error.path).toBe(path);
    expect(error.message).toContain(says);
    expect(error.message.startsWith(`x.yaml:${line}:${column}: ${path}: `)).toBe(true);
  });

  it("a whole message: file, line, column, field, expected and found", () => {
    expect(errorOf("retry:\n  maxAttempts: 0").message).toBe(
      `x.yaml:2:16: ${P}.maxAttempts: expected a whole number >= 1, got 0`,
    );
  });
});
