/**
 * The `contention:` block: a scenario of a contention experiment alone (no duration, no broker),
 * its defaults (the AWS study's network, unlimited attempts) and one-line errors.
 */
import { describe, expect, it } from "vitest";
import type { ScenarioConfig } from "../../models/config.ts";
import { ScenarioError } from "../../scenarios/errors.ts";
import { loadScenarioText } from "../../scenarios/loader.ts";
import { MAX_ATTEMPTS_MAX } from "../../scenarios/retry.ts";

/** A scenario of `contention:` followed by `lines` (line 3 onwards), and then `bottom`. */
function text(lines: string[], bottom: string[] = []): string {
  return ["name: t", "contention:", ...lines, ...bottom, ""].join("\n");
}

function config(lines: string[], bottom: string[] = []): ScenarioConfig {
  return loadScenarioText(text(lines, bottom), "x.yaml").variants[0].config;
}

function errorOf(lines: string[]): ScenarioError {
  try {
    config(lines);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).not.toContain("\n");
    return error as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

describe("a contention scenario", () => {
  it("needs no duration, queue, producer or consumer; the study's hop and unlimited attempts by default", () => {
    const read = config(["  clients: 50", "  retry: { jitter: equal }"]);
    expect(read.contention).toEqual({
      clientCounts: [50],
      hop: { kind: "normal", mean: 0.01, stddev: 0.002 },
      retry: expect.objectContaining({ maxAttempts: MAX_ATTEMPTS_MAX, jitter: "equal" }),
      repetitions: 10,
    });
    expect(read.durationS).toBe(1);
    expect(read.drainS).toBe(0);
    expect(read.queues).toEqual([]);
    expect(read.producers).toEqual([]);
  });

  it("reads every field; attempts given, or a preset's, are kept", () => {
    const read = config([
      "  clients: [1, 10, 100]",
      "  hop: { uniform: [5ms, 15ms] }",
      "  retry: { maxAttempts: 7, backoff: { exponential: { base: 10ms, cap: 2s } }, jitter: none }",
      "  repetitions: 3",
    ]);
    expect(read.contention).toMatchObject({
      clientCounts: [1, 10, 100],
      hop: { kind: "uniform", min: 0.005, max: 0.015 },
      retry: {
        maxAttempts: 7,
        backoff: { kind: "exponential", baseS: 0.01, multiplier: 2, capS: 2 },
        jitter: "none",
      },
      repetitions: 3,
    });
    expect(config(["  clients: 5", "  retry: aws-standard"]).contention?.retry.maxAttempts).toBe(3);
  });

  it("lets expectations name its metrics, with units", () => {
    const read = config(
      ["  clients: 5", "  retry: {}"],
      ["expect: { contention.callsAtMax: '< 20', contention.completionAtMaxS: '< 500ms' }"],
    );
    expect(read.expect.map((e) => [e.metric, e.op, e.value])).toEqual([
      ["contention.callsAtMax", "<", 20],
      ["contention.completionAtMaxS", "<", 0.5],
    ]);
  });

  it("a scenario with producers still needs somewhere to publish", () => {
    expect(() =>
      config(["  clients: 5", "  retry: {}"], ["producers:", "  - { name: api, rate: 1/s }"]),
    ).toThrow(/queues/);
  });
});

describe("errors", () => {
  it("client counts out of order", () => {
    const error = errorOf(["  clients: [10, 30, 20]", "  retry: {}"]);
    expect(error.path).toBe("contention.clients.2");
    expect(error.line).toBe(3);
    expect(error.message).toContain("20 comes after 30");
  });

  it("no clients, or too many", () => {
    expect(errorOf(["  clients: 0", "  retry: {}"]).path).toBe("contention.clients");
    expect(errorOf(["  clients: []", "  retry: {}"]).path).toBe("contention.clients");
    expect(errorOf(["  clients: [5, 20000]", "  retry: {}"]).path).toBe("contention.clients.1");
  });

  it("a circuit breaker, a missing retry, an unknown key", () => {
    const breaker = errorOf(["  clients: 5", "  retry: { circuitBreaker: { open: 1s } }"]);
    expect(breaker.path).toBe("contention.retry");
    expect(breaker.message).toContain("circuit breaker");
    expect(errorOf(["  clients: 5"]).message).toContain("missing 'retry'");
    const misspelt = errorOf(["  clients: 5", "  retry: {}", "  repetition: 3"]);
    expect(misspelt.path).toBe("contention.repetition");
    expect(misspelt.message).toContain("repetitions");
  });
});
