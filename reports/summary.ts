/**
 * summary.json (machine-readable, stable key order) and summary.md (for people and pull requests).
 */

import {
  ALERT_FIRING_KEYS,
  ALERT_KEYS,
  type AlertSummary,
  BACKLOG_KEYS,
  CALL_ROUTE_KEYS,
  CALLS_KEYS,
  CONTENTION_KEYS,
  CONTENTION_POINT_KEYS,
  COUNTERS_KEYS,
  type ContentionSummary,
  DOWNSTREAM_KEYS,
  EXCHANGE_SUMMARY_KEYS,
  EXPECTATION_KEYS,
  FATES_KEYS,
  LATENCY_KEYS,
  ORDERING_KEYS,
  ORDERING_VIOLATION_KEYS,
  type Ordering,
  PRIORITY_CLASS_KEYS,
  type RunResult,
  SCALING_KEYS,
  SUBSCRIPTION_KEYS,
  SUMMARY_KEYS,
  type SubscriptionSummary,
  THROUGHPUT_KEYS,
  type VariantSummary,
} from "../models/results.ts";
import { formatDurationS, replayCommand } from "./format.ts";
import { type JsonValue, reportJson } from "./json.ts";
import { expectationsVerdict, type Section, summarySections } from "./tables.ts";

/** Copies the fields of `source` named by `keys`, in the keys' order. */
function pick<T extends object>(source: T, keys: Record<keyof T, true>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(keys) as (keyof T & string)[]) {
    out[key] = source[key] as JsonValue;
  }
  return out;
}

function orderingObject(ordering: Ordering): Record<string, JsonValue> {
  const parts: { [K in keyof Ordering]: JsonValue } = {
    violations: ordering.violations,
    first: ordering.first === null ? null : pick(ordering.first, ORDERING_VIOLATION_KEYS),
  };
  return pick(parts, ORDERING_KEYS);
}

/** Causes stay in the order given: the models sort them by name. */
function subscriptionObject(subscription: SubscriptionSummary): Record<string, JsonValue> {
  const parts: { [K in keyof SubscriptionSummary]: JsonValue } = {
    name: subscription.name,
    fates: pick(subscription.fates, FATES_KEYS),
    latency: pick(subscription.latency, LATENCY_KEYS),
    lostByCause: { ...subscription.lostByCause },
    duplicatesByCause: { ...subscription.duplicatesByCause },
    duplicatesSkipped: subscription.duplicatesSkipped,
    orderingViolations: subscription.orderingViolations,
    deadLetteredByReason: { ...subscription.deadLetteredByReason },
    droppedByReason: { ...subscription.droppedByReason },
  };
  return pick(parts, SUBSCRIPTION_KEYS);
}

function contentionObject(contention: ContentionSummary): Record<string, JsonValue> {
  const parts: { [K in keyof ContentionSummary]: JsonValue } = {
    ...contention,
    byClients: contention.byClients.map((point) => pick(point, CONTENTION_POINT_KEYS)),
  };
  return pick(parts, CONTENTION_KEYS);
}

/** Alerts in the scenario's order (the models insert them so), each firing's keys documented. */
function alertsObject(alerts: Record<string, AlertSummary>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [name, alert] of Object.entries(alerts)) {
    out[name] = pick(
      { ...alert, firings: alert.firings.map((firing) => pick(firing, ALERT_FIRING_KEYS)) },
      ALERT_KEYS,
    );
  }
  return out;
}

/** A variant's summary as summary.json writes it (and a sweep's runs.jsonl), keys in order. */
export function summaryObject(summary: VariantSummary): Record<string, JsonValue> {
  const parts: { [K in keyof VariantSummary]: JsonValue } = {
    fates: pick(summary.fates, FATES_KEYS),
    latency: pick(summary.latency, LATENCY_KEYS),
    queueWait: pick(summary.queueWait, LATENCY_KEYS),
    throughput: pick(summary.throughput, THROUGHPUT_KEYS),
    ordering: orderingObject(summary.ordering),
    counters: pick(summary.counters, COUNTERS_KEYS),
    subscriptions: summary.subscriptions.map(subscriptionObject),
    exchanges: summary.exchanges.map((exchange) => pick(exchange, EXCHANGE_SUMMARY_KEYS)),
    calls: pick(summary.calls, CALLS_KEYS),
    callRoutes: summary.callRoutes.map((route) => pick(route, CALL_ROUTE_KEYS)),
    downstreams: summary.downstreams.map((downstream) =>
      pick(
        { ...downstream, responseTime: pick(downstream.responseTime, LATENCY_KEYS) },
        DOWNSTREAM_KEYS,
      ),
    ),
    expectations: summary.expectations.map((outcome) => pick(outcome, EXPECTATION_KEYS)),
    contention: summary.contention === null ? null : contentionObject(summary.contention),
    backlog: pick(summary.backlog, BACKLOG_KEYS),
    scaling: pick(summary.scaling, SCALING_KEYS),
    alerts: alertsObject(summary.alerts),
    publishWait: pick(summary.publishWait, LATENCY_KEYS),
    byPriority: summary.byPriority.map((entry) =>
      pick({ ...entry, latency: pick(entry.latency, LATENCY_KEYS) }, PRIORITY_CLASS_KEYS),
    ),
  };
  return pick(parts, SUMMARY_KEYS);
}

/** summary.json: the run without its series, keys in the order of models/results.ts. */
export function summaryJson(result: RunResult): string {
  return reportJson({
    scenario: result.scenario,
    description: result.description,
    file: result.file,
    seed: result.seed,
    overrides: result.overrides,
    durationS: result.durationS,
    drainS: result.drainS,
    variants: result.variants.map((variant) => ({
      name: variant.name,
      ...summaryObject(variant.summary),
    })),
  });
}

/** Text safe inside a Markdown paragraph or table cell: no raw HTML, no column breaks. */
function markdownText(text: string, inTable: boolean): string {
  const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return inTable ? escaped.replace(/\|/g, "\\|").replace(/\r?\n/g, " ") : escaped;
}

function markdownTable(section: Section, variantNames: string[]): string {
  const header = ["", ...variantNames].map((name) => markdownText(name, true));
  const lines = [
    `| ${header.join(" | ")} |`,
    `|:--|${variantNames.map(() => "--:|").join("")}`,
    ...section.rows.map(
      (row) =>
        `| ${[row.label, ...row.cells.map((cell) => cell.text)]
          .map((cell) => markdownText(cell, true))
          .join(" | ")} |`,
    ),
  ];
  const note = section.note === undefined ? "" : `\n_${markdownText(section.note, false)}_\n`;
  return `## ${markdownText(section.title, false)}\n\n${lines.join("\n")}\n${note}`;
}

/** summary.md: header, replay command, then one table per section with variants as columns. */
export function summaryMarkdown(result: RunResult): string {
  const names = result.variants.map((variant) => variant.name);
  const parts = [`# ${markdownText(result.scenario, false)}: queuelab report\n`];
  if (result.description.trim() !== "") parts.push(`${markdownText(result.description, false)}\n`);
  const facts = [
    `- Scenario file: \`${result.file.replace(/`/g, "'")}\``,
    `- Seed: ${result.seed}`,
    `- Duration: ${formatDurationS(result.durationS)}, then drain ${formatDurationS(result.drainS)}`,
    `- Variants: ${names.map((name) => markdownText(name, false)).join(", ")}`,
  ];
  if (result.overrides.length > 0) {
    facts.push(
      `- Overrides: ${result.overrides.map((o) => `\`${o.replace(/`/g, "'")}\``).join(", ")}`,
    );
  }
  parts.push(`${facts.join("\n")}\n`);
  const verdict = expectationsVerdict(result);
  if (verdict !== null) parts.push(`**${verdict.text}**\n`);
  parts.push(`Replay this run:\n\n\`\`\`sh\n${replayCommand(result)}\n\`\`\`\n`);
  for (const section of summarySections(result)) parts.push(markdownTable(section, names));
  return parts.join("\n");
}
