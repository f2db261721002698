/**
 * A consumer's `autoscale` block: a Kubernetes HPA with a KEDA scaler (models/autoscaler.ts).
 *
 * ```yaml
 * autoscale: { metric: depth, target: 100, min: 1, max: 50, coldStart: 20s }
 * ```
 *
 * The defaults are HPA's (sync period 15 s, tolerance 10%, scale-up stabilization 0 s,
 * scale-down stabilization 300 s) and KEDA's SQS scaler's (in-flight messages count).
 */
import type { AutoscaleConfig } from "../models/config.ts";
import { readInterval } from "./alerts.ts";
import { type Context, LIMITS } from "./components.ts";
import {
  Fields,
  fail,
  readBoolean,
  readChoice,
  readDurationS,
  readNumber,
  readProbability,
  readWholeNumber,
} from "./fields.ts";
import type { RawNode } from "./raw.ts";

export const AUTOSCALE_KEYS = [
  "metric",
  "target",
  "min",
  "max",
  "includeInFlight",
  "interval",
  "tolerance",
  "scaleUpStabilization",
  "scaleDownStabilization",
  "cooldown",
  "coldStart",
];

export const AUTOSCALE_DEFAULTS = {
  /** HPA --horizontal-pod-autoscaler-sync-period. */
  intervalS: 15,
  /** HPA --horizontal-pod-autoscaler-tolerance. */
  tolerance: 0.1,
  /** HPA behavior.scaleUp.stabilizationWindowSeconds. */
  scaleUpStabilizationS: 0,
  /** HPA behavior.scaleDown.stabilizationWindowSeconds (and the older downscale delay): 5 min. */
  scaleDownStabilizationS: 300,
  cooldownS: 0,
  coldStartS: 0,
  minInstances: 1,
  /** KEDA aws-sqs-queue scaleOnInFlight. */
  includeInFlight: true,
} as const;

const EXPECTED =
  "an autoscaler { metric, target, min, max, coldStart, interval, scaleUpStabilization, scaleDownStabilization, cooldown, tolerance }";

/** The autoscaler of a consumer of a queue (`onTopic` false) or of a topic. */
export function readAutoscale(
  node: RawNode,
  path: string,
  onTopic: boolean,
  ctx: Context,
): AutoscaleConfig {
  const fields = Fields.open(node, path, AUTOSCALE_KEYS, EXPECTED);
  const metric = fields.read(
    "metric",
    (n, p) => readChoice(n, p, ["depth", "lag", "oldestAge"] as const),
    onTopic ? "lag" : "depth",
  );
  if (onTopic && metric === "depth") {
    fields.refuse(
      "metric",
      "'lag' or 'oldestAge'",
      "a consumer group scales on 'lag' (or 'oldestAge'), not 'depth'",
    );
  }
  if (!onTopic && metric === "lag") {
    fields.refuse(
      "metric",
      "'depth' or 'oldestAge'",
      "a queue consumer scales on 'depth' (or 'oldestAge'); 'lag' is a consumer group's",
    );
  }
  const target =
    metric === "oldestAge"
      ? readDurationS(
          fields.required(
            "target",
            "the age to keep the oldest message under, a duration like 30s",
          ),
          fields.pathOf("target"),
          { exclusive: true },
        )
      : readPositive(
          fields.required("target", "messages per instance, a number like 100"),
          fields.pathOf("target"),
        );
  if (metric !== "depth" && fields.has("includeInFlight")) {
    fields.refuse(
      "includeInFlight",
      "metric: depth",
      "'includeInFlight' applies only to metric: depth",
    );
  }
  const includeInFlight = fields.read(
    "includeInFlight",
    readBoolean,
    AUTOSCALE_DEFAULTS.includeInFlight,
  );
  const minInstances = fields.read(
    "min",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.consumerCountMax),
    AUTOSCALE_DEFAULTS.minInstances,
  );
  const maxInstances = readWholeNumber(
    fields.required("max", "the most instances, a whole number"),
    fields.pathOf("max"),
    1,
    LIMITS.consumerCountMax,
  );
  if (maxInstances < minInstances) {
    fields.refuse(
      "max",
      `a max >= min (${minInstances})`,
      `max (${maxInstances}) is below min (${minInstances})`,
    );
  }
  return {
    metric,
    target,
    includeInFlight,
    minInstances,
    maxInstances,
    intervalS: readInterval(fields, ctx, AUTOSCALE_DEFAULTS.intervalS),
    tolerance: fields.read("tolerance", readProbability, AUTOSCALE_DEFAULTS.tolerance),
    scaleUpStabilizationS: fields.read(
      "scaleUpStabilization",
      readDurationS,
      AUTOSCALE_DEFAULTS.scaleUpStabilizationS,
    ),
    scaleDownStabilizationS: fields.read(
      "scaleDownStabilization",
      readDurationS,
      AUTOSCALE_DEFAULTS.scaleDownStabilizationS,
    ),
    cooldownS: fields.read("cooldown", readDurationS, AUTOSCALE_DEFAULTS.cooldownS),
    coldStartS: fields.read("coldStart", readDurationS, AUTOSCALE_DEFAULTS.coldStartS),
  };
}

function readPositive(node: RawNode, path: string): number {
  const value = readNumber(node, path);
  if (!(value > 0)) fail(node, path, "a number > 0");
  return value;
}
