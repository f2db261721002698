/**
 * The top-level `alerts` list: Prometheus-style rules on a queue's or a consumer's metric.
 *
 * ```yaml
 * alerts:
 *   - { name: dlq-growing, on: dlqDepth, queue: orders, above: 0 }
 *   - { name: backlog, on: depth, queue: orders, above: 1000, for: 2m }
 *   - { name: email-behind, on: lag, consumer: email, above: 5000, for: 1m, keepFiringFor: 5m }
 * ```
 */
import type { AlertConfig, AlertMetric, ConsumerConfig } from "../models/config.ts";
import type { Context } from "./components.ts";
import {
  Fields,
  fail,
  failWith,
  joinPath,
  readChoice,
  readDurationS,
  readList,
  readName,
  readNumber,
} from "./fields.ts";
import type { RawNode } from "./raw.ts";

export const ALERT_KEYS = [
  "name",
  "on",
  "queue",
  "consumer",
  "above",
  "below",
  "for",
  "keepFiringFor",
  "interval",
];

const ALERT_METRICS: readonly AlertMetric[] = [
  "depth",
  "inFlight",
  "dlqDepth",
  "oldestAge",
  "lag",
  "consumers",
  "throttleRate",
];
/** Metrics of a queue; `lag` and `consumers` are a consumer's; `oldestAge` and `throttleRate` either's. */
const QUEUE_METRICS: readonly AlertMetric[] = [
  "depth",
  "inFlight",
  "dlqDepth",
  "oldestAge",
  "throttleRate",
];
/** Metrics a consumer stands for: a queue consumer's queue, or a group's own (its topic's). */
const EITHER_METRICS: readonly AlertMetric[] = ["oldestAge", "throttleRate"];

/** Prometheus' default evaluation_interval is 1 m; 15 s is the common setting, and HPA's period. */
export const ALERT_INTERVAL_DEFAULT_S = 15;
/** Alert names start with a letter: they are keys of summary.json, kept in the scenario's order. */
const ALERT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const ALERT_NAME_EXPECTED = "a name of letters, digits, '-' and '_', starting with a letter";
const EXPECTED = "a list of alerts { name, on, queue or consumer, above or below, for }";
const ALERTS_MAX = 1000;
/** Evaluations of one alert over the run at most: a tiny interval over a long run would never end. */
export const EVALUATIONS_MAX = 1_000_000;

export function readAlerts(
  node: RawNode,
  path: string,
  ctx: Context,
  consumers: ConsumerConfig[],
): AlertConfig[] {
  const items = readList(node, path, EXPECTED);
  if (items.length > ALERTS_MAX) fail(node, path, `at most ${ALERTS_MAX} alerts`);
  const seen = new Set<string>();
  return items.map((item, i) => {
    const fields = Fields.open(item, joinPath(path, i), ALERT_KEYS, "an alert { name, on, ... }");
    const nameNode = fields.required("name", "the alert's name");
    const name = readName(nameNode, fields.pathOf("name"), ALERT_NAME_PATTERN, ALERT_NAME_EXPECTED);
    if (seen.has(name)) {
      failWith(
        nameNode,
        fields.pathOf("name"),
        "a unique name",
        `there is already an alert named '${name}'`,
      );
    }
    seen.add(name);
    return readAlert(fields, name, ctx, consumers);
  });
}

function readAlert(
  fields: Fields,
  name: string,
  ctx: Context,
  consumers: ConsumerConfig[],
): AlertConfig {
  const metric = readChoice(
    fields.required("on", `the metric watched: ${ALERT_METRICS.join(", ")}`),
    fields.pathOf("on"),
    ALERT_METRICS,
  );
  const { subject, subjectKind } = readSubject(fields, metric, ctx, consumers);
  if (fields.has("above") === fields.has("below")) {
    fields.refuse(
      fields.has("above") ? "below" : "above",
      "one of 'above' or 'below'",
      "give one of 'above' (fires while the metric is higher) or 'below' (while it is lower)",
    );
  }
  const key = fields.has("above") ? "above" : "below";
  const thresholdNode = fields.get(key)!;
  const threshold =
    metric === "oldestAge"
      ? readDurationS(thresholdNode, fields.pathOf(key))
      : readNumber(thresholdNode, fields.pathOf(key));
  if (threshold < 0) fail(thresholdNode, fields.pathOf(key), "a number >= 0");
  return {
    name,
    metric,
    subject,
    subjectKind,
    op: key === "above" ? ">" : "<",
    threshold,
    forS: fields.read("for", readDurationS, 0),
    keepFiringForS: fields.read("keepFiringFor", readDurationS, 0),
    intervalS: readInterval(fields, ctx, ALERT_INTERVAL_DEFAULT_S),
  };
}

/** An evaluation interval > 0 that makes at most EVALUATIONS_MAX evaluations over the run. */
export function readInterval(fields: Fields, ctx: Context, fallbackS: number): number {
  const intervalS = fields.read(
    "interval",
    (n, p) => readDurationS(n, p, { exclusive: true }),
    fallbackS,
  );
  const evaluations = (ctx.durationS + ctx.drainS) / intervalS;
  if (evaluations > EVALUATIONS_MAX) {
    fields.refuse(
      "interval",
      "a longer interval",
      `interval ${intervalS}s makes more than ${EVALUATIONS_MAX} evaluations over duration + drain`,
    );
  }
  return intervalS;
}

/**
 * `queue: <name>` for a queue's metric, `consumer: <name>` for a consumer's (oldestAge takes
 * either: a consumer of a queue stands for its queue); left out, the only candidate.
 */
function readSubject(
  fields: Fields,
  metric: AlertMetric,
  ctx: Context,
  consumers: ConsumerConfig[],
): { subject: string; subjectKind: "queue" | "consumer" } {
  if (fields.has("queue") && fields.has("consumer")) {
    fields.refuse("consumer", "queue or consumer", "give either 'queue' or 'consumer', not both");
  }
  const onQueue = QUEUE_METRICS.includes(metric);
  // oldestAge and throttleRate are either's; dlqDepth is a queue's, or a topic consumer's
  // dead-letter topic's.
  const onConsumer = !onQueue || EITHER_METRICS.includes(metric) || metric === "dlqDepth";
  const fits = (consumer: ConsumerConfig) =>
    (metric !== "lag" && metric !== "dlqDepth") || consumer.topic !== null;
  if (fields.has("queue")) {
    if (!onQueue) {
      fields.refuse(
        "queue",
        "consumer",
        `'${metric}' is a consumer's metric: write 'consumer: <name>'`,
      );
    }
    const node = fields.get("queue")!;
    const queue = readName(node, fields.pathOf("queue"));
    ctx.names.expect(queue, ["queue"], node, fields.pathOf("queue"));
    return { subject: queue, subjectKind: "queue" };
  }
  if (fields.has("consumer")) {
    const node = fields.get("consumer")!;
    const path = fields.pathOf("consumer");
    const name = readName(node, path);
    ctx.names.expect(name, ["consumer"], node, path);
    const consumer = consumers.find((c) => c.name === name)!;
    if (!onConsumer || !fits(consumer)) {
      const problem =
        metric === "lag"
          ? `'${name}' consumes a queue; lag is a consumer group's (a consumer of a topic)`
          : metric === "dlqDepth"
            ? `'${name}' consumes a queue: write 'queue: <name>' for its dead-letter queue`
            : `'${metric}' is a queue's metric: write 'queue: <name>'`;
      failWith(node, path, "the right kind of subject", problem);
    }
    if (EITHER_METRICS.includes(metric) && consumer.queue !== null) {
      return { subject: consumer.queue, subjectKind: "queue" };
    }
    return { subject: name, subjectKind: "consumer" };
  }
  const queues = onQueue ? ctx.names.namesOf("queue") : [];
  const groups = onConsumer
    ? consumers.filter((c) => fits(c) && (!EITHER_METRICS.includes(metric) || c.topic !== null))
    : [];
  if (queues.length + groups.length === 1) {
    return queues.length === 1
      ? { subject: queues[0], subjectKind: "queue" }
      : { subject: groups[0].name, subjectKind: "consumer" };
  }
  const key = onQueue ? "queue" : "consumer";
  const candidates = [...queues, ...groups.map((c) => c.name)];
  return fields.refuse(
    key,
    `'${key}': the ${onQueue ? "queue" : "consumer"} watched`,
    `missing '${key}' (there are ${candidates.length} candidates: ${candidates.join(", ") || "none"})`,
  );
}
