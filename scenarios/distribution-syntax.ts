/**
 * Distributions as written in a scenario: a bare duration is a constant, otherwise a mapping
 * with one key naming the kind (`{ exponential: 40ms }`, `{ uniform: [10ms, 50ms] }`, ...).
 * Times carry units; the result is a DistributionSpec in seconds, checked by the kernel's own
 * validateDistribution so the file and the simulator agree on what is valid.
 */
import {
  DistributionError,
  type DistributionSpec,
  validateDistribution,
} from "../sim/distributions.ts";
import { Fields, fail, failWith, joinPath, readDurationS, readList, readNumber } from "./fields.ts";
import type { RawNode } from "./raw.ts";

const KINDS = ["constant", "uniform", "exponential", "normal", "lognormal", "pareto", "empirical"];
const EXPECTED =
  "a duration (constant) or one of { constant | uniform | exponential | normal | lognormal | pareto | empirical: ... }";
/** An empirical list is held in memory by every component that samples it. */
const EMPIRICAL_VALUES_MAX = 100_000;

export function readDistribution(node: RawNode, path: string): DistributionSpec {
  const spec = node.kind === "scalar" ? constant(node, path) : byKind(node, path);
  try {
    validateDistribution(spec);
  } catch (error) {
    if (!(error instanceof DistributionError)) throw error;
    failWith(node, path, "a valid distribution", error.message);
  }
  return spec;
}

function constant(node: RawNode, path: string): DistributionSpec {
  return { kind: "constant", value: readDurationS(node, path) };
}

function byKind(node: RawNode, path: string): DistributionSpec {
  const fields = Fields.open(node, path, KINDS, EXPECTED);
  const given = fields.map.entries.map((e) => e.key);
  if (given.length !== 1) {
    const problem =
      given.length === 0
        ? `expected ${EXPECTED}, got an empty mapping`
        : `give exactly one distribution kind, got ${given.join(" and ")}`;
    failWith(node, path, EXPECTED, problem);
  }
  const kind = given[0];
  const value = fields.required(kind, EXPECTED);
  const at = joinPath(path, kind);
  switch (kind) {
    case "constant":
      return constant(value, at);
    case "uniform":
      return uniform(value, at);
    case "exponential":
      return exponential(value, at);
    case "normal":
      return normal(value, at);
    case "lognormal":
      return lognormal(value, at);
    case "pareto":
      return pareto(value, at);
    default:
      return empirical(value, at);
  }
}

function uniform(node: RawNode, path: string): DistributionSpec {
  const expected = "[min, max] or { min, max }";
  if (node.kind === "list") {
    if (node.items.length !== 2) fail(node, path, expected);
    const [min, max] = node.items;
    return {
      kind: "uniform",
      min: readDurationS(min, joinPath(path, 0)),
      max: readDurationS(max, joinPath(path, 1)),
    };
  }
  const fields = Fields.open(node, path, ["min", "max"], expected);
  return {
    kind: "uniform",
    min: readDurationS(fields.required("min", "a duration"), fields.pathOf("min")),
    max: readDurationS(fields.required("max", "a duration"), fields.pathOf("max")),
  };
}

function exponential(node: RawNode, path: string): DistributionSpec {
  if (node.kind === "scalar") return { kind: "exponential", mean: readDurationS(node, path) };
  const fields = Fields.open(node, path, ["mean"], "a mean duration or { mean }");
  return {
    kind: "exponential",
    mean: readDurationS(fields.required("mean", "a duration"), fields.pathOf("mean")),
  };
}

function normal(node: RawNode, path: string): DistributionSpec {
  const fields = Fields.open(node, path, ["mean", "stddev"], "{ mean, stddev }");
  return {
    kind: "normal",
    mean: readDurationS(fields.required("mean", "a duration"), fields.pathOf("mean")),
    stddev: readDurationS(fields.required("stddev", "a duration"), fields.pathOf("stddev")),
  };
}

/** By quantiles (durations, the readable form) or by the log-space parameters (plain numbers). */
function lognormal(node: RawNode, path: string): DistributionSpec {
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
    median: readDurationS(fields.required("median", "a duration"), fields.pathOf("median")),
    p99: readDurationS(fields.required("p99", "a duration"), fields.pathOf("p99")),
  };
}

function pareto(node: RawNode, path: string): DistributionSpec {
  const fields = Fields.open(node, path, ["scale", "shape"], "{ scale, shape }");
  return {
    kind: "pareto",
    scale: readDurationS(fields.required("scale", "a duration"), fields.pathOf("scale")),
    shape: readNumber(fields.required("shape", "a number"), fields.pathOf("shape")),
  };
}

function empirical(node: RawNode, path: string): DistributionSpec {
  const expected = `a list of 1 to ${EMPIRICAL_VALUES_MAX} durations`;
  const items = readList(node, path, expected);
  if (items.length === 0 || items.length > EMPIRICAL_VALUES_MAX) fail(node, path, expected);
  return {
    kind: "empirical",
    values: items.map((item, i) => readDurationS(item, joinPath(path, i))),
  };
}
