/**
 * Distributions as written in a scenario: a bare duration is a constant, otherwise a mapping
 * with one key naming the kind (`{ exponential: 40ms }`, `{ uniform: [10ms, 50ms] }`, ...).
 * Times carry units; the result is a DistributionSpec in seconds, checked by the kernel's own
 * validateDistribution so the file and the simulator agree on what is valid. Message sizes are
 * written the same way with sizes (`{ lognormal: { median: 2KiB, p99: 64KiB } }`), in bytes.
 */
import {
  DistributionError,
  type DistributionSpec,
  validateDistribution,
} from "../sim/distributions.ts";
import {
  Fields,
  fail,
  failWith,
  joinPath,
  readBytes,
  readDurationS,
  readList,
  readNumber,
} from "./fields.ts";
import type { RawNode } from "./raw.ts";

const KINDS = ["constant", "uniform", "exponential", "normal", "lognormal", "pareto", "empirical"];
const KINDS_TEXT =
  "one of { constant | uniform | exponential | normal | lognormal | pareto | empirical: ... }";
/** An empirical list is held in memory by every component that samples it. */
const EMPIRICAL_VALUES_MAX = 100_000;

/** What a distribution's values are: durations in seconds, or sizes in bytes. */
interface Quantity {
  /** "a duration", "a size". */
  name: string;
  read(node: RawNode, path: string): number;
}

const DURATION: Quantity = { name: "a duration", read: (node, path) => readDurationS(node, path) };

/** Largest value of a size distribution (a message's size is capped at 1 GiB anyway). */
const SIZE_VALUE_MAX_BYTES = 1024 ** 4;
const SIZE: Quantity = {
  name: "a size",
  read: (node, path) => readBytes(node, path, 0, SIZE_VALUE_MAX_BYTES),
};

export function readDistribution(node: RawNode, path: string): DistributionSpec {
  return readDistributionOf(node, path, DURATION);
}

/** A distribution of sizes in bytes: `2KiB` (a constant) or `{ lognormal: { median: 2KiB, p99: 64KiB } }`. */
export function readSizeDistribution(node: RawNode, path: string): DistributionSpec {
  return readDistributionOf(node, path, SIZE);
}

function readDistributionOf(node: RawNode, path: string, q: Quantity): DistributionSpec {
  const spec = node.kind === "scalar" ? constant(node, path, q) : byKind(node, path, q);
  try {
    validateDistribution(spec);
  } catch (error) {
    if (!(error instanceof DistributionError)) throw error;
    failWith(node, path, "a valid distribution", error.message);
  }
  return spec;
}

function constant(node: RawNode, path: string, q: Quantity): DistributionSpec {
  return { kind: "constant", value: q.read(node, path) };
}

function byKind(node: RawNode, path: string, q: Quantity): DistributionSpec {
  const expected = `${q.name} (constant) or ${KINDS_TEXT}`;
  const fields = Fields.open(node, path, KINDS, expected);
  const given = fields.map.entries.map((e) => e.key);
  if (given.length !== 1) {
    const problem =
      given.length === 0
        ? `expected ${expected}, got an empty mapping`
        : `give exactly one distribution kind, got ${given.join(" and ")}`;
    failWith(node, path, expected, problem);
  }
  const kind = given[0];
  const value = fields.required(kind, expected);
  const at = joinPath(path, kind);
  switch (kind) {
    case "constant":
      return constant(value, at, q);
    case "uniform":
      return uniform(value, at, q);
    case "exponential":
      return exponential(value, at, q);
    case "normal":
      return normal(value, at, q);
    case "lognormal":
      return lognormal(value, at, q);
    case "pareto":
      return pareto(value, at, q);
    default:
      return empirical(value, at, q);
  }
}

function uniform(node: RawNode, path: string, q: Quantity): DistributionSpec {
  const expected = "[min, max] or { min, max }";
  if (node.kind === "list") {
    if (node.items.length !== 2) fail(node, path, expected);
    const [min, max] = node.items;
    return {
      kind: "uniform",
      min: q.read(min, joinPath(path, 0)),
      max: q.read(max, joinPath(path, 1)),
    };
  }
  const fields = Fields.open(node, path, ["min", "max"], expected);
  return {
    kind: "uniform",
    min: q.read(fields.required("min", q.name), fields.pathOf("min")),
    max: q.read(fields.required("max", q.name), fields.pathOf("max")),
  };
}

function exponential(node: RawNode, path: string, q: Quantity): DistributionSpec {
  if (node.kind === "scalar") return { kind: "exponential", mean: q.read(node, path) };
  const fields = Fields.open(
    node,
    path,
    ["mean"],
    `${q.name.replace("a ", "a mean ")} or { mean }`,
  );
  return {
    kind: "exponential",
    mean: q.read(fields.required("mean", q.name), fields.pathOf("mean")),
  };
}

function normal(node: RawNode, path: string, q: Quantity): DistributionSpec {
  const fields = Fields.open(node, path, ["mean", "stddev"], "{ mean, stddev }");
  return {
    kind: "normal",
    mean: q.read(fields.required("mean", q.name), fields.pathOf("mean")),
    stddev: q.read(fields.required("stddev", q.name), fields.pathOf("stddev")),
  };
}

/** By quantiles (durations or sizes, the readable form) or by the log-space parameters (plain numbers). */
function lognormal(node: RawNode, path: string, q: Quantity): DistributionSpec {
  const expected = "{ median, p99 } or { mu, sigma }";
  const fields = Fields.open(node, path, ["median", "p99", "mu", "sigma"], expected);
  const byQuantiles = fields.has("median") || fields.has("p99");
  const byParameters = fields.has("mu") || fields.has("sigma");
  if (byQuantiles && byParameters) {
    failWith(node, path, expected, `give { median, p99 } or { mu, sigma }, not both`);
  }
  if (byParameters) {
    return {
      kind: "lognormal",
      mu: readNumber(fields.required("mu", "a number"), fields.pathOf("mu")),
      sigma: readNumber(fields.required("sigma", "a number"), fields.pathOf("sigma")),
    };
  }
  return {
    kind: "lognormal-quantiles",
    median: q.read(fields.required("median", q.name), fields.pathOf("median")),
    p99: q.read(fields.required("p99", q.name), fields.pathOf("p99")),
  };
}

function pareto(node: RawNode, path: string, q: Quantity): DistributionSpec {
  const fields = Fields.open(node, path, ["scale", "shape"], "{ scale, shape }");
  return {
    kind: "pareto",
    scale: q.read(fields.required("scale", q.name), fields.pathOf("scale")),
    shape: readNumber(fields.required("shape", "a number"), fields.pathOf("shape")),
  };
}

function empirical(node: RawNode, path: string, q: Quantity): DistributionSpec {
  const expected = `a list of 1 to ${EMPIRICAL_VALUES_MAX} ${q === SIZE ? "sizes" : "durations"}`;
  const items = readList(node, path, expected);
  if (items.length === 0 || items.length > EMPIRICAL_VALUES_MAX) fail(node, path, expected);
  return {
    kind: "empirical",
    values: items.map((item, i) => q.read(item, joinPath(path, i))),
  };
}
