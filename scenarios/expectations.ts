/**
 * `expect`: conditions on a variant's summary that a run checks. Written as a mapping
 * (`fates.lost: 0`, `latency.p99S: "< 2s"`, nesting allowed: `fates: { lost: 0 }`) or as a list
 * of strings (`"fates.lost == 0"`). A metric's unit follows its name: `...S` takes a duration,
 * `...PerS` a rate, anything else a plain number.
 */
import type { ComparisonOp, Expectation } from "../models/config.ts";
import { alertMetrics, SUMMARY_METRICS } from "../models/results.ts";
import { ScenarioError } from "./errors.ts";
import { fail, failWith, joinPath, withUnits } from "./fields.ts";
import type { RawNode } from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";
import { parseQuantity } from "./units.ts";

/** The numeric fields of a variant summary (models/results.ts). */
export const EXPECTATION_METRICS = SUMMARY_METRICS;

const EXPECTED = `a mapping like { fates.lost: 0, latency.p99S: "< 2s" } or a list like ["fates.lost == 0"]`;
/** Metrics of named entries (models/results.ts namedMetrics). */
const NAMED_PREFIX = /^(subscriptions|exchanges|downstreams|callRoutes|byPriority)\./;
const OPS: readonly ComparisonOp[] = ["<=", ">=", "==", "!=", "<", ">"];
const CONDITION_PATTERN = /^(<=|>=|==|!=|<|>|=)?\s*(\S.*)$/;
const STATEMENT_PATTERN = /^([A-Za-z0-9_./-]+)\s*(<=|>=|==|!=|<|>|=)\s*(\S.*)$/;

/**
 * The expectations of a scenario whose alerts are named `alertNames` (each adds
 * `alerts.<name>.fired`, `.firstFiredAtS` and `.firingS` to the metrics it may name), and whose
 * named entries (subscriptions, downstreams, ...) add `extraMetrics`.
 */
export function readExpectations(
  node: RawNode,
  path: string,
  alertNames: readonly string[] = [],
  extraMetrics: readonly string[] = [],
): Expectation[] {
  const metrics = [...EXPECTATION_METRICS, ...alertNames.flatMap(alertMetrics), ...extraMetrics];
  if (node.kind === "map") return fromMapping(node, path, "", metrics);
  if (node.kind !== "list") fail(node, path, EXPECTED);
  return node.items.flatMap((item, i) => {
    const itemPath = joinPath(path, i);
    if (item.kind === "map") return fromMapping(item, itemPath, "", metrics);
    if (item.kind !== "scalar" || typeof item.value !== "string") {
      fail(item, itemPath, `a condition like "fates.lost == 0"`);
    }
    const match = STATEMENT_PATTERN.exec(item.value.trim());
    if (match === null) fail(item, itemPath, `a condition like "fates.lost == 0"`);
    return [build(item, itemPath, match[1], match[2], match[3], item.value.trim(), metrics)];
  });
}

/** Flattens nested mappings into dotted metric names: `{ fates: { lost: 0 } }` is `fates.lost`. */
function fromMapping(
  node: RawNode & { kind: "map" },
  path: string,
  prefix: string,
  metrics: readonly string[],
): Expectation[] {
  return node.entries.flatMap((entry) => {
    const metric = prefix === "" ? entry.key : `${prefix}.${entry.key}`;
    const entryPath = joinPath(path, entry.key);
    const { value } = entry;
    if (value.kind === "map") return fromMapping(value, entryPath, metric, metrics);
    if (value.kind === "scalar" && typeof value.value === "number") {
      return [
        build(value, entryPath, metric, "==", value.text, `${metric} == ${value.text}`, metrics),
      ];
    }
    if (value.kind !== "scalar" || typeof value.value !== "string") {
      fail(value, entryPath, `a number or a condition like "< 2s"`);
    }
    const match = CONDITION_PATTERN.exec(value.value.trim());
    if (match === null) fail(value, entryPath, `a number or a condition like "< 2s"`);
    const op = match[1] ?? "==";
    return [build(value, entryPath, metric, op, match[2], `${metric} ${op} ${match[2]}`, metrics)];
  });
}

function build(
  node: RawNode,
  path: string,
  metricWritten: string,
  opWritten: string,
  valueText: string,
  text: string,
  metrics: readonly string[],
): Expectation {
  const metric = resolveMetric(node, path, metricWritten, metrics);
  const op = (opWritten === "=" ? "==" : opWritten) as ComparisonOp;
  if (!OPS.includes(op)) fail(node, path, `one of ${OPS.join(" ")}`);
  const unit = metric.endsWith("PerS") ? "rate" : metric.endsWith("S") ? "duration" : "plain";
  const value = withUnits(
    { kind: "scalar", value: valueText, text: valueText, at: node.at },
    path,
    (v) => parseQuantity(v, unit),
  );
  return { metric, op, value, text };
}

/** A full path, or a bare leaf name when only one metric has it (`lost` is `fates.lost`). */
function resolveMetric(
  node: RawNode,
  path: string,
  written: string,
  metrics: readonly string[],
): string {
  if (metrics.includes(written)) return written;
  // A bare name means a run-wide metric, never one of a named entry (`lost` is `fates.lost`).
  const leaves = written.includes(".")
    ? []
    : metrics.filter((m) => m.endsWith(`.${written}`) && !NAMED_PREFIX.test(m));
  if (leaves.length === 1) return leaves[0];
  if (leaves.length > 1) {
    failWith(node, path, "a metric", `'${written}' is ambiguous: say ${leaves.join(" or ")}`);
  }
  const hint = suggestionSuffix(written, metrics);
  throw new ScenarioError({
    at: node.at,
    path,
    expected: "a summary metric",
    problem: `unknown metric '${written}'${hint.startsWith(",") ? hint : ` (metrics: ${metrics.join(", ")})`}`,
  });
}
