/**
 * Downstream services as written in a scenario: the items of the top-level `downstreams` list,
 * and the faults that name one (`outage`, `slowdown`, `capacityDrop`). The reference is
 * docs/downstreams.md.
 *
 * ```yaml
 * downstreams:
 *   - { name: payments, servers: 10, queue: 100, service: { exponential: 50ms },
 *       knee: { inSystem: 300, slowdown: 10 } }
 * faults:
 *   - { at: 2m, outage: payments, for: 60s, mode: hang }
 *   - { at: 5m, slowdown: payments, factor: 10, for: 60s }
 *   - { at: 8m, capacityDrop: payments, servers: 2, for: 10s }
 * ```
 */
import type { DownstreamConfig, DownstreamFaultConfig, OutageMode } from "../models/downstream.ts";
import { readDistribution } from "./distribution-syntax.ts";
import {
  Fields,
  fail,
  failWith,
  readChoice,
  readDurationS,
  readName,
  readNumber,
  readRatePerS,
  readWholeNumber,
} from "./fields.ts";
import { describeRaw, type RawNode } from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";

export const DOWNSTREAM_KEYS = ["name", "servers", "queue", "service", "knee"];
export const KNEE_KEYS = ["inSystem", "rate", "slowdown"];
const KNEE_EXPECTED = "a knee { inSystem, slowdown } or { rate, slowdown }";
/** The keys that make a fault a downstream fault, one per kind. */
export const DOWNSTREAM_FAULT_KINDS = ["outage", "slowdown", "capacityDrop"] as const;
/** Keys a downstream fault adds to a fault entry (beside `at` and `for`). */
export const DOWNSTREAM_FAULT_KEYS = [...DOWNSTREAM_FAULT_KINDS, "mode", "factor", "servers"];

export const DOWNSTREAM_EXPECTED = "a downstream { name, servers, queue, service, knee }";

/** Limits on what can grow, so a typo fails here rather than in the run. */
export const DOWNSTREAM_LIMITS = {
  serversMax: 100_000,
  queueCapacityMax: 100_000_000,
  kneeInSystemMax: 100_000_000,
  /** A slowdown beyond a million times is a typo (and would push service times past any run). */
  slowdownFactorMax: 1_000_000,
} as const;

export const DOWNSTREAM_DEFAULTS = {
  servers: 1,
  queueCapacity: null,
  knee: null,
  outageMode: "reject",
} as const;

/** The fields a downstream fault takes beside `at` and `for`, by kind. */
const FAULT_ONLY_KEYS: Record<string, (typeof DOWNSTREAM_FAULT_KINDS)[number]> = {
  mode: "outage",
  factor: "slowdown",
  servers: "capacityDrop",
};

/** One item of `downstreams`; `fields` opened with DOWNSTREAM_KEYS and its name already read. */
export function readDownstream(fields: Fields, name: string): DownstreamConfig {
  const servers = fields.read(
    "servers",
    (n, p) => readWholeNumber(n, p, 1, DOWNSTREAM_LIMITS.serversMax),
    DOWNSTREAM_DEFAULTS.servers,
  );
  const queueCapacity = fields.read<number | null>("queue", readQueueCapacity, null);
  const serviceTime = readDistribution(
    fields.required("service", "a distribution like { exponential: 50ms }"),
    fields.pathOf("service"),
  );
  const knee = fields.read<DownstreamConfig["knee"]>("knee", readKnee, null);
  return { name, servers, queueCapacity, serviceTime, knee };
}

/** A whole number of waiting requests, or `unbounded`. */
function readQueueCapacity(node: RawNode, path: string): number | null {
  if (node.kind === "scalar" && node.value === "unbounded") return null;
  const max = DOWNSTREAM_LIMITS.queueCapacityMax;
  const expected = `a whole number from 0 to ${max}, or 'unbounded'`;
  const value = node.kind === "scalar" ? node.value : null;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max) {
    return value;
  }
  const hint = typeof value === "string" ? suggestionSuffix(value, ["unbounded"]) : "";
  failWith(
    node,
    path,
    expected,
    `expected ${expected}, got ${describeRaw(node)}${hint.startsWith(",") ? hint : ""}`,
  );
}

function readKnee(node: RawNode, path: string): DownstreamConfig["knee"] {
  const fields = Fields.open(node, path, KNEE_KEYS, KNEE_EXPECTED);
  if (fields.has("inSystem") === fields.has("rate")) {
    failWith(node, path, KNEE_EXPECTED, "give one of 'inSystem' and 'rate', exactly one");
  }
  const inSystem = fields.read<number | null>(
    "inSystem",
    (n, p) => readWholeNumber(n, p, 1, DOWNSTREAM_LIMITS.kneeInSystemMax),
    null,
  );
  const ratePerS = fields.read<number | null>("rate", readRatePerS, null);
  const slowdownFactor = readFactor(
    fields.required("slowdown", "how many times slower above the knee, a number >= 1 like 10"),
    fields.pathOf("slowdown"),
  );
  return { inSystem, ratePerS, slowdownFactor };
}

/** A slowdown factor: a number from 1 (no slowdown) to DOWNSTREAM_LIMITS.slowdownFactorMax. */
function readFactor(node: RawNode, path: string): number {
  const factor = readNumber(node, path);
  const max = DOWNSTREAM_LIMITS.slowdownFactorMax;
  if (factor < 1 || factor > max)
    fail(node, path, `a number from 1 to ${max} (how many times slower)`);
  return factor;
}

/**
 * Refuses `mode`, `factor` and `servers` on a fault of a kind they do not belong to (`kind` is
 * the key that names the fault's kind: crash, partition, outage, ...). faults.ts calls it for
 * every fault; readDownstreamFault calls it for its own.
 */
export function checkDownstreamFaultKeys(fields: Fields, kind: string): void {
  for (const [key, owner] of Object.entries(FAULT_ONLY_KEYS)) {
    if (owner !== kind && fields.has(key)) {
      fields.refuse(key, owner, `'${key}' applies only to ${owner} faults`);
    }
  }
}

/**
 * A fault entry naming a downstream: `{ at, outage: payments, for, mode }`,
 * `{ at, slowdown: payments, factor, for }` or `{ at, capacityDrop: payments, servers, for }`.
 * `fields` holds exactly one of DOWNSTREAM_FAULT_KINDS (faults.ts checks that a fault is of one
 * kind); `atS` is its `at`, already read and checked against the run's end.
 */
export function readDownstreamFault(
  fields: Fields,
  atS: number,
  downstreams: readonly DownstreamConfig[],
): DownstreamFaultConfig {
  const kind = DOWNSTREAM_FAULT_KINDS.find((key) => fields.has(key));
  if (kind === undefined) {
    throw new Error(`readDownstreamFault on a fault without ${DOWNSTREAM_FAULT_KINDS.join(", ")}`);
  }
  checkDownstreamFaultKeys(fields, kind);
  const downstream = readDownstreamName(fields, kind, downstreams);
  const durationS = readDurationS(
    fields.required("for", `how long the ${describeKind(kind)} lasts, a duration > 0 like 60s`),
    fields.pathOf("for"),
    { exclusive: true },
  );
  if (kind === "outage") {
    const mode = fields.read<OutageMode>(
      "mode",
      (n, p) => readChoice(n, p, ["reject", "hang"] as const),
      DOWNSTREAM_DEFAULTS.outageMode,
    );
    return { kind: "outage", atS, durationS, downstream, mode };
  }
  if (kind === "slowdown") {
    const factor = readFactor(
      fields.required("factor", "how many times slower, a number >= 1 like 10"),
      fields.pathOf("factor"),
    );
    return { kind: "slowdown", atS, durationS, downstream, factor };
  }
  const config = downstreams.find((d) => d.name === downstream)!;
  const serversNode = fields.required(
    "servers",
    `the servers that keep working, a whole number from 0 to ${config.servers}`,
  );
  const serversPath = fields.pathOf("servers");
  const servers = readWholeNumber(serversNode, serversPath, 0, DOWNSTREAM_LIMITS.serversMax);
  if (servers > config.servers) {
    failWith(
      serversNode,
      serversPath,
      `a whole number from 0 to ${config.servers}`,
      `'${downstream}' has ${config.servers} server${config.servers === 1 ? "" : "s"}, so a capacity drop cannot leave ${servers} working`,
    );
  }
  return { kind: "capacity-drop", atS, durationS, downstream, servers };
}

function describeKind(kind: (typeof DOWNSTREAM_FAULT_KINDS)[number]): string {
  return kind === "capacityDrop" ? "capacity drop" : kind;
}

function readDownstreamName(
  fields: Fields,
  kind: string,
  downstreams: readonly DownstreamConfig[],
): string {
  const node = fields.get(kind)!;
  const path = fields.pathOf(kind);
  const name = readName(node, path);
  const names = downstreams.map((d) => d.name);
  if (!names.includes(name)) {
    const hint = suggestionSuffix(name, names);
    const known = hint.startsWith(",") ? hint : ` (known: ${names.join(", ") || "none"})`;
    failWith(node, path, "the name of a downstream", `no downstream named '${name}'${known}`);
  }
  return name;
}
