/**
 * The downstream syntax read directly from parsed YAML: an item of `downstreams`, and the
 * faults that name a downstream. Errors are one line with file:line:col, path, expected, found.
 */
import { describe, expect, it } from "vitest";
import type { DownstreamConfig } from "../../models/downstream.ts";
import {
  checkDownstreamFaultKeys,
  DOWNSTREAM_EXPECTED,
  DOWNSTREAM_FAULT_KEYS,
  DOWNSTREAM_KEYS,
  readDownstream,
  readDownstreamFault,
} from "../../scenarios/downstreams.ts";
import { ScenarioError } from "../../scenarios/errors.ts";
import { FAULT_KEYS } from "../../scenarios/faults.ts";
import { Fields, readDurationS, readName } from "../../scenarios/fields.ts";
import { entryOf, parseRawText, type RawNode } from "../../scenarios/raw.ts";

/** The first item of the top-level list `key` in `text`. */
function firstItem(text: string, key: string): RawNode {
  const root = parseRawText(text, "x.yaml");
  if (root.kind !== "map") throw new Error("not a mapping");
  const list = entryOf(root, key)!.value;
  if (list.kind !== "list") throw new Error("not a list");
  return list.items[0];
}

/** Reads `downstreams:` followed by `item` (line 2), as the schema would. */
function downstream(item: string): DownstreamConfig {
  const node = firstItem(`downstreams:\n${item}\n`, "downstreams");
  const fields = Fields.open(node, "downstreams.payments", DOWNSTREAM_KEYS, DOWNSTREAM_EXPECTED);
  const name = readName(fields.required("name", "a name"), fields.pathOf("name"));
  return readDownstream(fields, name);
}

const PAYMENTS: DownstreamConfig = {
  name: "payments",
  servers: 10,
  queueCapacity: 100,
  serviceTime: { kind: "exponential", mean: 0.05 },
  knee: null,
};

/** Reads `faults:` followed by `item` (line 2), as faults.ts would once it knows the keys. */
function fault(item: string, downstreams: DownstreamConfig[] = [PAYMENTS]) {
  const node = firstItem(`faults:\n${item}\n`, "faults");
  const fields = Fields.open(
    node,
    "faults.0",
    [...FAULT_KEYS, ...DOWNSTREAM_FAULT_KEYS],
    "a fault",
  );
  const atS = readDurationS(fields.required("at", "a time"), fields.pathOf("at"));
  return readDownstreamFault(fields, atS, downstreams);
}

function errorOf(read: () => unknown): ScenarioError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return error as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

describe("readDownstream", () => {
  it("reads every field, in SI units", () => {
    expect(
      downstream(
        "  - { name: payments, servers: 10, queue: 100, service: { exponential: 50ms }, knee: { inSystem: 300, slowdown: 10 } }",
      ),
    ).toEqual({
      name: "payments",
      servers: 10,
      queueCapacity: 100,
      serviceTime: { kind: "exponential", mean: 0.05 },
      knee: { inSystem: 300, ratePerS: null, slowdownFactor: 10 },
    });
  });

  it("defaults: 1 server, an unbounded queue, no knee; a bare duration is a constant service", () => {
    expect(downstream("  - { name: payments, service: 20ms }")).toEqual({
      name: "payments",
      servers: 1,
      queueCapacity: null,
      serviceTime: { kind: "constant", value: 0.02 },
      knee: null,
    });
    expect(downstream("  - { name: payments, queue: unbounded, service: 1s }").queueCapacity).toBe(
      null,
    );
    expect(downstream("  - { name: payments, queue: 0, service: 1s }").queueCapacity).toBe(0);
  });

  it("takes every distribution a consumer's processing takes", () => {
    const d = downstream(
      "  - { name: payments, service: { lognormal: { median: 20ms, p99: 200ms } } }",
    );
    expect(d.serviceTime).toEqual({ kind: "lognormal-quantiles", median: 0.02, p99: 0.2 });
  });

  it.each([
    [
      "  - { name: payments, servers: 0, service: 1s }",
      "x.yaml:2:32: downstreams.payments.servers: expected a whole number >= 1, got 0",
    ],
    [
      "  - { name: payments, queue: unbounde, service: 1s }",
      "x.yaml:2:30: downstreams.payments.queue: expected a whole number from 0 to 100000000, or 'unbounded', got unbounde, did you mean 'unbounded'?",
    ],
    [
      "  - { name: payments, queue: -1, service: 1s }",
      "x.yaml:2:30: downstreams.payments.queue: expected a whole number from 0 to 100000000, or 'unbounded', got -1",
    ],
    [
      "  - { name: payments }",
      "x.yaml:2:5: downstreams.payments.service: missing 'service' (expected a distribution like { exponential: 50ms })",
    ],
    [
      "  - { name: payments, service: { exponential: 0s } }",
      "x.yaml:2:32: downstreams.payments.service: exponential mean must be > 0, got 0",
    ],
    [
      "  - { name: payments, service: 1s, knee: { inSystem: 300 } }",
      "x.yaml:2:42: downstreams.payments.knee.slowdown: missing 'slowdown' (expected how many times slower above the knee, a number >= 1 like 10)",
    ],
    [
      "  - { name: payments, service: 1s, knee: { inSystem: 300, slowdown: 0.5 } }",
      "x.yaml:2:69: downstreams.payments.knee.slowdown: expected a number from 1 to 1000000 (how many times slower), got 0.5",
    ],
    [
      "  - { name: payments, service: 1s, knee: { inSystem: 0, slowdown: 10 } }",
      "x.yaml:2:54: downstreams.payments.knee.inSystem: expected a whole number >= 1, got 0",
    ],
    [
      "  - { name: payments, service: 1s, timeout: 1s }",
      "x.yaml:2:36: downstreams.payments.timeout: unknown key 'timeout' (expected one of: name, servers, queue, service, knee)",
    ],
  ])("%s is refused on one line", (item, message) => {
    const error = errorOf(() => downstream(item));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain("\n");
    expect(error.line).toBe(2);
  });
});

describe("readDownstreamFault", () => {
  it("outage: reject by default, or hang", () => {
    expect(fault("  - { at: 2m, outage: payments, for: 60s }")).toEqual({
      kind: "outage",
      atS: 120,
      durationS: 60,
      downstream: "payments",
      mode: "reject",
    });
    expect(fault("  - { at: 2m, outage: payments, for: 60s, mode: hang }")).toMatchObject({
      mode: "hang",
    });
  });

  it("slowdown and capacity drop", () => {
    expect(fault("  - { at: 2m, slowdown: payments, factor: 10, for: 60s }")).toEqual({
      kind: "slowdown",
      atS: 120,
      durationS: 60,
      downstream: "payments",
      factor: 10,
    });
    expect(fault("  - { at: 2m, capacityDrop: payments, servers: 2, for: 10s }")).toEqual({
      kind: "capacity-drop",
      atS: 120,
      durationS: 10,
      downstream: "payments",
      servers: 2,
    });
    expect(fault("  - { at: 2m, capacityDrop: payments, servers: 0, for: 10s }")).toMatchObject({
      servers: 0,
    });
  });

  it.each([
    [
      "  - { at: 2m, outage: paymets, for: 60s }",
      "x.yaml:2:23: faults.0.outage: no downstream named 'paymets', did you mean 'payments'?",
    ],
    [
      "  - { at: 2m, outage: payments }",
      "x.yaml:2:5: faults.0.for: missing 'for' (expected how long the outage lasts, a duration > 0 like 60s)",
    ],
    [
      "  - { at: 2m, outage: payments, for: 0s }",
      "x.yaml:2:38: faults.0.for: expected a duration > 0 (like 250ms, 30s or 5m), got 0s",
    ],
    [
      "  - { at: 2m, outage: payments, for: 60s, mode: down }",
      "x.yaml:2:49: faults.0.mode: expected 'reject' or 'hang', got down",
    ],
    [
      "  - { at: 2m, outage: payments, for: 60s, factor: 3 }",
      "x.yaml:2:51: faults.0.factor: 'factor' applies only to slowdown faults",
    ],
    [
      "  - { at: 2m, slowdown: payments, for: 60s }",
      "x.yaml:2:5: faults.0.factor: missing 'factor' (expected how many times slower, a number >= 1 like 10)",
    ],
    [
      "  - { at: 2m, slowdown: payments, factor: 0, for: 60s }",
      "x.yaml:2:43: faults.0.factor: expected a number from 1 to 1000000 (how many times slower), got 0",
    ],
    [
      "  - { at: 2m, slowdown: payments, factor: 2, for: 60s, mode: hang }",
      "x.yaml:2:62: faults.0.mode: 'mode' applies only to outage faults",
    ],
    [
      "  - { at: 2m, capacityDrop: payments, servers: 11, for: 10s }",
      "x.yaml:2:48: faults.0.servers: 'payments' has 10 servers, so a capacity drop cannot leave 11 working",
    ],
    [
      "  - { at: 2m, capacityDrop: payments, servers: 1.5, for: 10s }",
      "x.yaml:2:48: faults.0.servers: expected a whole number >= 0, got 1.5",
    ],
    [
      "  - { at: 2m, capacityDrop: payments, for: 10s }",
      "x.yaml:2:5: faults.0.servers: missing 'servers' (expected the servers that keep working, a whole number from 0 to 10)",
    ],
  ])("%s is refused on one line", (item, message) => {
    const error = errorOf(() => fault(item));
    expect(error.message).toBe(message);
    expect(error.line).toBe(2);
  });

  it("a scenario without downstreams says so", () => {
    expect(errorOf(() => fault("  - { at: 1m, outage: payments, for: 1s }", [])).message).toBe(
      "x.yaml:2:23: faults.0.outage: no downstream named 'payments' (known: none)",
    );
  });

  it("checkDownstreamFaultKeys refuses downstream keys on other faults", () => {
    const node = firstItem("faults:\n  - { at: 1m, crash: workers, servers: 2 }\n", "faults");
    const fields = Fields.open(
      node,
      "faults.0",
      [...FAULT_KEYS, ...DOWNSTREAM_FAULT_KEYS],
      "a fault",
    );
    expect(() => checkDownstreamFaultKeys(fields, "crash")).toThrow(
      "x.yaml:2:40: faults.0.servers: 'servers' applies only to capacityDrop faults",
    );
  });
});
