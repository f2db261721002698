/**
 * The tables of backlog, consumer instances and alerts: how deep the backlog got and how long it
 * took to drain, what the autoscalers did, when each alert fired and cleared, and every
 * dead-letter queue that received messages with no alert watching it (a DLQ that grows must not
 * be silent).
 */

import type { AlertSummary, RunResult, VariantSummary } from "../models/results.ts";
import { formatCount, formatDecimal, formatDurationS, NO_VALUE } from "./format.ts";
import type { Cell, Section, TableRow } from "./tables.ts";

/** Firings listed in a table cell; the rest are counted. */
const FIRINGS_SHOWN = 4;

function row(result: RunResult, label: string, cell: (s: VariantSummary) => string): TableRow {
  return {
    label,
    cells: result.variants.map((variant): Cell => ({ text: cell(variant.summary) })),
  };
}

/** The deepest backlog, when it was reached, and how long until nothing waited. */
export function backlogSection(result: RunResult): Section {
  return {
    title: "Backlog",
    rows: [
      row(result, "deepest backlog", (s) => formatCount(s.backlog.depthMax)),
      row(result, "reached at", (s) => formatDurationS(s.backlog.depthMaxAtS)),
      row(result, "time to drain", (s) => {
        const { depthMaxAtS, timeToDrainS } = s.backlog;
        if (depthMaxAtS === null) return NO_VALUE;
        return timeToDrainS === null ? "did not drain" : formatDurationS(timeToDrainS);
      }),
    ],
    note: "Backlog: messages waiting (ready in queues, and consumer groups' lag). Time to drain: from the deepest backlog to the first moment nothing waited.",
  };
}

/** True when some variant has a consumer with an autoscaler. */
export function autoscales(result: RunResult): boolean {
  return result.variants.some((variant) => variant.summary.scaling.autoscaledConsumers > 0);
}

/** Instances over the run: range, mean, cost, and the autoscalers' decisions. */
export function scalingSection(result: RunResult): Section {
  return {
    title: "Consumer instances",
    rows: [
      row(
        result,
        "fewest / most",
        (s) => `${formatCount(s.scaling.instancesMin)} / ${formatCount(s.scaling.instancesMax)}`,
      ),
      row(result, "mean", (s) => formatDecimal(s.scaling.instancesMean)),
      row(result, "instance-hours", (s) => formatDecimal(s.scaling.instanceSeconds / 3600)),
      row(
        result,
        "scale-ups / scale-downs",
        (s) => `${formatCount(s.scaling.scaleUps)} / ${formatCount(s.scaling.scaleDowns)}`,
      ),
    ],
    note: "Instances running or starting (in their cold start), of all consumers; instance-hours are what the capacity costs.",
  };
}

/** Alert names in order of first appearance over the variants. */
function alertNames(result: RunResult): string[] {
  const names: string[] = [];
  for (const variant of result.variants) {
    for (const name of Object.keys(variant.summary.alerts)) {
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

/** "50.0 s → 1.00 min, 1.50 min → still firing (+3 more)". */
export function formatFirings(alert: AlertSummary): string {
  if (alert.fired === 0) return "never fired";
  const shown = alert.firings
    .slice(0, FIRINGS_SHOWN)
    .map(
      (firing) =>
        `${formatDurationS(firing.firedAtS)} → ${firing.clearedAtS === null ? "still firing" : formatDurationS(firing.clearedAtS)}`,
    );
  const more = alert.fired - shown.length;
  return `${shown.join(", ")}${more > 0 ? ` (+${formatCount(more)} more)` : ""}`;
}

export interface UnwatchedDeadLetters {
  queue: string;
  /** Per variant: messages moved to the queue's DLQ with no dlqDepth alert on it; null: none. */
  counts: (number | null)[];
}

/** Queues whose dead-letter queue received messages in some variant where no alert watched it. */
export function unwatchedDeadLetterQueues(result: RunResult): UnwatchedDeadLetters[] {
  const found: UnwatchedDeadLetters[] = [];
  result.variants.forEach((variant, i) => {
    const watched = new Set(
      Object.values(variant.summary.alerts)
        .filter((alert) => alert.on === "dlqDepth")
        .map((alert) => alert.subject),
    );
    for (const subscription of variant.summary.subscriptions) {
      const moved = Object.values(subscription.deadLetteredByReason).reduce((a, b) => a + b, 0);
      if (moved === 0 || watched.has(subscription.name)) continue;
      let entry = found.find((e) => e.queue === subscription.name);
      if (entry === undefined) {
        entry = { queue: subscription.name, counts: result.variants.map(() => null) };
        found.push(entry);
      }
      entry.counts[i] = moved;
    }
  });
  return found;
}

/**
 * Per alert: how often it fired, and when it fired and cleared; then each dead-letter queue
 * that received messages unwatched. Null when there is nothing to say.
 */
export function alertsSection(result: RunResult): Section | null {
  const rows: TableRow[] = [];
  for (const name of alertNames(result)) {
    const find = (s: VariantSummary): AlertSummary | undefined =>
      Object.hasOwn(s.alerts, name) ? s.alerts[name] : undefined;
    rows.push(
      row(result, `${name}: fired`, (s) => {
        const alert = find(s);
        return alert === undefined ? NO_VALUE : formatCount(alert.fired);
      }),
      {
        ...row(result, `${name}: fired at → cleared at`, (s) => {
          const alert = find(s);
          return alert === undefined ? NO_VALUE : formatFirings(alert);
        }),
        prose: true,
      },
    );
  }
  for (const { queue, counts } of unwatchedDeadLetterQueues(result)) {
    rows.push({
      label: `${queue} dead-letter queue: no alert watches it`,
      cells: counts.map(
        (count): Cell => ({
          text: count === null ? NO_VALUE : `${formatCount(count)} dead-lettered, unwatched`,
          ...(count === null ? {} : { status: "fail" as const }),
        }),
      ),
    });
  }
  if (rows.length === 0) return null;
  const rules = alertNames(result).map((name) => {
    const alert = result.variants.map((v) => v.summary.alerts[name]).find((a) => a !== undefined);
    return `${name}: ${alert?.rule ?? ""}`;
  });
  const note = [
    ...rules,
    unwatchedDeadLetterQueues(result).length > 0
      ? "A dead-letter queue that receives messages should page someone: add an alert { on: dlqDepth, queue: <name>, above: 0 }."
      : "",
  ]
    .filter((line) => line !== "")
    .join("; ");
  return { title: "Alerts", rows, ...(note === "" ? {} : { note }) };
}
