/**
 * The summary as a list of sections of rows (metric x variant), built once so that the Markdown,
 * HTML and terminal reports show the same numbers with the same labels.
 */

import {
  COUNTERS_KEYS,
  type Counters,
  type ExpectationOutcome,
  type Fates,
  type LatencyStats,
  type OrderingViolationReport,
  type RunResult,
  type SubscriptionSummary,
  type VariantSummary,
} from "../models/results.ts";
import { formatCount, formatDecimal, formatDurationS, formatRatePerS, NO_VALUE } from "./format.ts";
import { alertsSection, autoscales, backlogSection, scalingSection } from "./scalingTables.ts";

export type CellStatus = "pass" | "fail";

export interface Cell {
  text: string;
  /** Set where the cell is a verdict: a conservation check or an expectation. */
  status?: CellStatus;
}

export interface TableRow {
  label: string;
  /** One cell per variant, in the run's variant order. */
  cells: Cell[];
  /**
   * The cells are phrases rather than numbers (the first order violation): too wide for a
   * terminal column, so the terminal writes them on lines of their own under the label.
   */
  prose?: boolean;
}

export interface Section {
  title: string;
  rows: TableRow[];
  /** A remark shown under the table in Markdown and HTML (the terminal has no room for it). */
  note?: string;
}

type Metric = (summary: VariantSummary) => Cell;

function row(result: RunResult, label: string, metric: Metric): TableRow {
  return { label, cells: result.variants.map((variant) => metric(variant.summary)) };
}

const text = (value: string): Cell => ({ text: value });

function verdictCell(passed: boolean, observed: string): Cell {
  return { text: `${passed ? "✔" : "✘"} ${observed}`, status: passed ? "pass" : "fail" };
}

/** What a fates table shows: a variant's fates and the causes behind its losses and duplicates. */
interface FatesSource {
  fates: Fates;
  lostByCause: Record<string, number>;
  duplicatesByCause: Record<string, number>;
  droppedByReason?: Record<string, number>;
}

/** The source of a fates table in one variant; undefined where the variant lacks it. */
type SourcePick = (s: VariantSummary) => FatesSource | undefined;

const NO_CAUSES: Record<string, number> = {};

function countOf(record: Record<string, number>, cause: string): number {
  // hasOwn: a cause spelled like an Object.prototype member must not read the prototype.
  return Object.hasOwn(record, cause) ? record[cause] : 0;
}

/**
 * One row per cause seen in any variant, causes sorted by name (as the models sort them), with
 * `prefix` naming the fate they break down: "lost: deleted by retention before the group read it".
 */
function causeRows(
  result: RunResult,
  source: SourcePick,
  prefix: string,
  causesOf: (source: FatesSource) => Record<string, number>,
): TableRow[] {
  const causes = new Set<string>();
  for (const variant of result.variants) {
    const found = source(variant.summary);
    if (found) for (const cause of Object.keys(causesOf(found))) causes.add(cause);
  }
  return [...causes].sort().map((cause) =>
    row(result, `${prefix}: ${cause}`, (s) => {
      const found = source(s);
      return text(found ? formatCount(countOf(causesOf(found), cause)) : NO_VALUE);
    }),
  );
}

/**
 * The fate rows, each cause row right under the fate it explains. The conservation row is left
 * out when `conservedAlways` is false and every variant conserved (per-subscription tables: the
 * overall table already says so).
 */
function fateRows(result: RunResult, source: SourcePick, conservedAlways: boolean): TableRow[] {
  const count = (label: string, pick: (fates: Fates) => number): TableRow =>
    row(result, label, (s) => {
      const found = source(s);
      return text(found ? formatCount(pick(found.fates)) : NO_VALUE);
    });
  const conserved = row(result, "conserved", (s) => {
    const found = source(s);
    if (!found) return text(NO_VALUE);
    return verdictCell(found.fates.conserved, found.fates.conserved ? "yes" : "NO");
  });
  const showConserved = conservedAlways || conserved.cells.some((cell) => cell.status === "fail");
  return [
    count("produced", (f) => f.produced),
    count("processed", (f) => f.processed),
    count("dead-lettered", (f) => f.deadLettered),
    count("dropped", (f) => f.dropped),
    ...causeRows(result, source, "dropped", (f) => f.droppedByReason ?? NO_CAUSES),
    count("pending at end", (f) => f.pending),
    count("lost", (f) => f.lost),
    ...causeRows(result, source, "lost", (f) => f.lostByCause),
    count("duplicate effects", (f) => f.duplicateEffects),
    ...causeRows(result, source, "duplicates", (f) => f.duplicatesByCause),
    ...(showConserved ? [conserved] : []),
  ];
}

/**
 * True when some variant has several subscriptions: then each gets a fates table (and a group in
 * subscription-fates.png) of its own.
 */
export function hasSeveralSubscriptions(result: RunResult): boolean {
  return result.variants.some((variant) => variant.summary.subscriptions.length > 1);
}

/**
 * The overall fates (summed over subscriptions). With one subscription per variant, its causes
 * are shown here too: they are the best explanation of the numbers.
 */
function fatesSection(result: RunResult): Section {
  const withCauses = !hasSeveralSubscriptions(result);
  const source: SourcePick = (s) => {
    const only = withCauses ? s.subscriptions[0] : undefined;
    return {
      fates: s.fates,
      lostByCause: only?.lostByCause ?? NO_CAUSES,
      duplicatesByCause: only?.duplicatesByCause ?? NO_CAUSES,
      droppedByReason: only?.droppedByReason ?? NO_CAUSES,
    };
  };
  return { title: "Message fates", rows: fateRows(result, source, true) };
}

/** Subscription names in order of first appearance over the variants. */
export function subscriptionNames(result: RunResult): string[] {
  const names: string[] = [];
  for (const variant of result.variants) {
    for (const subscription of variant.summary.subscriptions) {
      if (!names.includes(subscription.name)) names.push(subscription.name);
    }
  }
  return names;
}

function subscriptionSection(result: RunResult, name: string): Section {
  const source = (s: VariantSummary): SubscriptionSummary | undefined =>
    s.subscriptions.find((subscription) => subscription.name === name);
  const count =
    (pick: (subscription: SubscriptionSummary) => number): Metric =>
    (s) => {
      const found = source(s);
      return text(found ? formatCount(pick(found)) : NO_VALUE);
    };
  const latency =
    (pick: (subscription: SubscriptionSummary) => number | null): Metric =>
    (s) => {
      const found = source(s);
      return text(found ? formatDurationS(pick(found)) : NO_VALUE);
    };
  const skipped = row(
    result,
    "duplicates skipped",
    count((sub) => sub.duplicatesSkipped),
  );
  return {
    title: `Message fates: ${name}`,
    rows: [
      ...fateRows(result, source, false),
      ...(allZero(skipped) ? [] : [skipped]),
      row(
        result,
        "per-key order violations",
        count((sub) => sub.orderingViolations),
      ),
      row(
        result,
        "latency p50",
        latency((sub) => sub.latency.p50S),
      ),
      row(
        result,
        "latency p99",
        latency((sub) => sub.latency.p99S),
      ),
    ],
  };
}

/** One fates table per subscription, when some variant has more than one. */
function subscriptionSections(result: RunResult): Section[] {
  if (!hasSeveralSubscriptions(result)) return [];
  return subscriptionNames(result).map((name) => subscriptionSection(result, name));
}

function latencySection(
  result: RunResult,
  title: string,
  pick: (s: VariantSummary) => LatencyStats,
): Section {
  const duration =
    (stat: (l: LatencyStats) => number | null): Metric =>
    (s) =>
      text(formatDurationS(stat(pick(s))));
  return {
    title,
    rows: [
      row(result, "samples", (s) => text(formatCount(pick(s).count))),
      row(
        result,
        "mean",
        duration((l) => l.meanS),
      ),
      row(
        result,
        "p50",
        duration((l) => l.p50S),
      ),
      row(
        result,
        "p95",
        duration((l) => l.p95S),
      ),
      row(
        result,
        "p99",
        duration((l) => l.p99S),
      ),
      row(
        result,
        "p99.9",
        duration((l) => l.p999S),
      ),
      row(
        result,
        "max",
        duration((l) => l.maxS),
      ),
    ],
  };
}

function throughputSection(result: RunResult): Section {
  return {
    title: "Throughput",
    rows: [
      row(result, "produced", (s) => text(formatRatePerS(s.throughput.producedPerS))),
      row(result, "processed", (s) => text(formatRatePerS(s.throughput.processedPerS))),
    ],
  };
}

/** "k12: #1041 after #1057 at 12.5 s (orders)": #1041 was produced first and processed last. */
export function formatViolation(violation: OrderingViolationReport): string {
  return (
    `${violation.key}: #${violation.earlierMessageId} after #${violation.laterMessageId} ` +
    `at ${formatDurationS(violation.atS)} (${violation.subscription})`
  );
}

/** Order violations always (zero says order held); the first violation when there is one. */
function orderingSection(result: RunResult): Section {
  const rows = [
    row(result, "per-key order violations", (s) => text(formatCount(s.ordering.violations))),
  ];
  if (result.variants.some((variant) => variant.summary.ordering.first !== null)) {
    rows.push({
      ...row(result, "first violation", (s) =>
        text(s.ordering.first === null ? NO_VALUE : formatViolation(s.ordering.first)),
      ),
      prose: true,
    });
  }
  return { title: "Ordering", rows };
}

/** Row labels of the counters; `satisfies` makes a counter added to the model a compile error here. */
const COUNTER_LABELS = {
  deliveries: "deliveries",
  redeliveries: "redeliveries",
  acks: "acks",
  nacks: "nacks",
  visibilityTimeouts: "visibility timeouts",
  movedToDeadLetter: "moved to dead-letter queue",
  consumerCrashes: "consumer crashes",
  rebalances: "rebalances",
  commitsRejected: "offset commits rejected",
  fencedCommits: "fenced commits",
  offsetResets: "offset resets",
  duplicatesSkipped: "duplicates skipped",
  deduplicatedByBroker: "duplicates dropped by the broker",
  producerRetries: "producer retries",
  producerGaveUp: "producer gave up",
  sequenceRefusals: "copies refused out of sequence (idempotent producer)",
  leaderElections: "leader elections",
  truncatedRecords: "records truncated on failover",
  partitionDrops: "sends dropped by network partitions",
  processingFailures: "processing failures",
  linkLosses: "link losses",
  linkDuplicates: "link duplicates",
  eventsFired: "events fired",
  endS: "ended at",
  overflowDropped: "dropped by a full queue",
  overflowRejected: "publishes refused by a full queue",
  overflowDeadLettered: "refused and dead-lettered (maxlen)",
  publishBlockedS: "producers blocked by a full queue",
  expired: "messages expired (TTL)",
  rateLimitDelayed: "messages delayed by a producer rate limit",
  rateLimitDropped: "messages dropped by a producer rate limit",
  throttledWrites: "writes throttled (broker limit)",
  throttledReads: "reads throttled (broker limit)",
  dispatchWaits: "deliveries held by dispatch limits",
  unroutable: "unroutable (no binding matched)",
} as const satisfies Record<keyof Counters, string>;

/** Zero wherever there is a value (a variant may lack a subscription). */
function allZero(tableRow: TableRow): boolean {
  return tableRow.cells.every((cell) => cell.text === "0" || cell.text === NO_VALUE);
}

/**
 * The counters in the model's order. A counter that is zero in every variant is left out (and
 * named in the section's note): most belong to features a scenario does not use (rebalances in a
 * queue scenario, nacks on a topic), and a table full of zeros hides the numbers that matter.
 * summary.json keeps every counter, for comparisons by program.
 */
function countersSection(result: RunResult): Section {
  const rows: TableRow[] = [];
  const hidden: string[] = [];
  for (const key of Object.keys(COUNTERS_KEYS) as (keyof Counters)[]) {
    if (key === "endS") continue; // last, below
    const label = COUNTER_LABELS[key];
    // Counters of time (named ...S) read as durations.
    const format = key.endsWith("S") ? formatDurationS : formatCount;
    const counterRow = row(result, label, (s) => text(format(s.counters[key])));
    const zero = result.variants.every((variant) => variant.summary.counters[key] === 0);
    if (zero || allZero(counterRow)) hidden.push(label);
    else rows.push(counterRow);
  }
  rows.push(row(result, COUNTER_LABELS.endS, (s) => text(formatDurationS(s.counters.endS))));
  const note =
    hidden.length === 0 ? undefined : `Zero in every variant, not shown: ${hidden.join(", ")}.`;
  return { title: "Counters", rows, ...(note === undefined ? {} : { note }) };
}

/**
 * The observed value of an expectation, in the unit its metric's name carries: a rate for
 * `...PerS`, a duration for `...S`, else a number.
 */
export function formatObserved(outcome: ExpectationOutcome): string {
  if (outcome.observed === null) return NO_VALUE;
  if (/PerS$/.test(outcome.metric)) return formatRatePerS(outcome.observed);
  if (/S$/.test(outcome.metric)) return formatDurationS(outcome.observed);
  return Number.isInteger(outcome.observed)
    ? formatCount(outcome.observed)
    : formatDecimal(outcome.observed);
}

/**
 * One row per distinct expectation text, in order of first appearance: variants of a scenario
 * normally share the scenario's expectations, but a variant may lack one.
 */
function expectationsSection(result: RunResult): Section {
  const texts: string[] = [];
  for (const variant of result.variants) {
    for (const outcome of variant.summary.expectations) {
      if (!texts.includes(outcome.text)) texts.push(outcome.text);
    }
  }
  return {
    title: "Expectations",
    rows: texts.map((expectation) =>
      row(result, expectation, (s) => {
        const outcome = s.expectations.find((o) => o.text === expectation);
        return outcome ? verdictCell(outcome.passed, formatObserved(outcome)) : text(NO_VALUE);
      }),
    ),
  };
}

/** Does any variant call a downstream service (or produce messages)? Sections without it are left out. */
export function callsSomething(result: RunResult): boolean {
  return result.variants.some((variant) => variant.summary.callRoutes.length > 0);
}

function producesMessages(result: RunResult): boolean {
  return result.variants.some((variant) => variant.summary.fates.produced > 0);
}

/** Requests into the call graph: load with retries against goodput, wasted work, recovery. */
function callsSection(result: RunResult): Section {
  const calls = (s: VariantSummary) => s.calls;
  const recovery = (s: VariantSummary): string => {
    const { triggerEndS, recoveryS } = s.calls;
    if (triggerEndS === null) return NO_VALUE;
    return recoveryS === null ? "did not recover" : formatDurationS(recoveryS);
  };
  return {
    title: "Calls to downstream services",
    rows: [
      row(result, "requests", (s) => text(formatCount(calls(s).requests))),
      row(result, "attempts", (s) => text(formatCount(calls(s).attempts))),
      row(result, "attempts per request", (s) =>
        text(calls(s).amplification === null ? NO_VALUE : formatDecimal(calls(s).amplification!)),
      ),
      row(result, "succeeded", (s) => text(formatCount(calls(s).succeeded))),
      row(result, "failed", (s) => text(formatCount(calls(s).failed))),
      row(result, "goodput", (s) => text(formatRatePerS(calls(s).goodputPerS))),
      row(result, "wasted replies", (s) => text(formatCount(calls(s).wastedReplies))),
      row(result, "recovery after the trigger", (s) => text(recovery(s))),
    ],
    note: "Attempts include retries; wasted replies are successes that came after their caller gave up; recovery: goodput back to 90% of its level before the trigger, and the backlog back near it.",
  };
}

/** One row per (caller, service) pair and measure, for every client of a downstream. */
function callRouteSection(result: RunResult): Section {
  const routeNames: string[] = [];
  for (const variant of result.variants) {
    for (const route of variant.summary.callRoutes) {
      const name = `${route.from} → ${route.to}`;
      if (!routeNames.includes(name)) routeNames.push(name);
    }
  }
  const rows: TableRow[] = [];
  for (const name of routeNames) {
    const find = (s: VariantSummary) =>
      s.callRoutes.find((route) => `${route.from} → ${route.to}` === name);
    const cell =
      (pick: (route: VariantSummary["callRoutes"][number]) => string) => (s: VariantSummary) => {
        const route = find(s);
        return text(route === undefined ? NO_VALUE : pick(route));
      };
    rows.push(
      row(
        result,
        `${name}: retry policy`,
        cell((r) => r.retry),
      ),
      row(
        result,
        `${name}: calls / attempts`,
        cell((r) => `${formatCount(r.calls)} / ${formatCount(r.attempts)}`),
      ),
      row(
        result,
        `${name}: timeouts / rejected`,
        cell((r) => `${formatCount(r.timeouts)} / ${formatCount(r.rejections)}`),
      ),
      row(
        result,
        `${name}: breaker refusals / budget denials`,
        cell((r) => `${formatCount(r.breakerRefusals)} / ${formatCount(r.budgetDenials)}`),
      ),
    );
  }
  for (const name of downstreamNames(result)) {
    const find = (s: VariantSummary) => s.downstreams.find((d) => d.name === name);
    rows.push(
      row(result, `${name}: requests / completed / rejected`, (s) => {
        const d = find(s);
        return text(
          d === undefined
            ? NO_VALUE
            : `${formatCount(d.requests)} / ${formatCount(d.completed)} / ${formatCount(d.rejected)}`,
        );
      }),
      row(result, `${name}: response p99`, (s) => {
        const p99S = find(s)?.responseTime.p99S ?? null;
        return text(p99S === null ? NO_VALUE : formatDurationS(p99S));
      }),
    );
  }
  return { title: "Callers and services", rows };
}

function downstreamNames(result: RunResult): string[] {
  const names: string[] = [];
  for (const variant of result.variants) {
    for (const d of variant.summary.downstreams) if (!names.includes(d.name)) names.push(d.name);
  }
  return names;
}

/** The publish wait, when something made publishes wait (a link, retries, a blocked or rate-limited producer). */
function publishWaitSections(result: RunResult): Section[] {
  const waited = result.variants.some((variant) => (variant.summary.publishWait.maxS ?? 0) > 0);
  if (!waited) return [];
  return [latencySection(result, "Publish wait (producer to queue)", (s) => s.publishWait)];
}

/** What each RabbitMQ exchange did with the copies it was sent, when a variant has exchanges. */
function exchangeSections(result: RunResult): Section[] {
  const names: string[] = [];
  for (const variant of result.variants) {
    for (const e of variant.summary.exchanges) if (!names.includes(e.name)) names.push(e.name);
  }
  if (names.length === 0) return [];
  const rows = names.flatMap((name) => {
    const cell =
      (pick: (e: VariantSummary["exchanges"][number]) => string) => (s: VariantSummary) => {
        const e = s.exchanges.find((x) => x.name === name);
        return text(e === undefined ? NO_VALUE : pick(e));
      };
    return [
      row(
        result,
        `${name}: published / routed copies`,
        cell((e) => `${formatCount(e.published)} / ${formatCount(e.routedCopies)}`),
      ),
      row(
        result,
        `${name}: unroutable / to alternate`,
        cell((e) => `${formatCount(e.unroutable)} / ${formatCount(e.toAlternate)}`),
      ),
    ];
  });
  return [
    {
      title: "Exchanges",
      rows,
      note: "Copies: a copy routed to k queues counts k routed copies; an unroutable copy goes to the alternate queue, or is dropped (see the exchange's /unroutable subscription).",
    },
  ];
}

/** Fates and latency per priority class, for queues with classes. */
function prioritySections(result: RunResult): Section[] {
  const names: string[] = [];
  for (const variant of result.variants) {
    for (const entry of variant.summary.byPriority) {
      const name = `${entry.queue} priority ${entry.priority}`;
      if (!names.includes(name)) names.push(name);
    }
  }
  if (names.length === 0) return [];
  const rows = names.flatMap((name) => {
    const find = (s: VariantSummary) =>
      s.byPriority.find((entry) => `${entry.queue} priority ${entry.priority}` === name);
    const cell =
      (pick: (entry: VariantSummary["byPriority"][number]) => string) => (s: VariantSummary) => {
        const entry = find(s);
        return text(entry === undefined ? NO_VALUE : pick(entry));
      };
    return [
      row(
        result,
        `${name}: produced / processed / dropped`,
        cell(
          (e) =>
            `${formatCount(e.produced)} / ${formatCount(e.processed)} / ${formatCount(e.dropped)}`,
        ),
      ),
      row(
        result,
        `${name}: dead-lettered / lost / pending`,
        cell(
          (e) =>
            `${formatCount(e.deadLettered)} / ${formatCount(e.lost)} / ${formatCount(e.pending)}`,
        ),
      ),
      row(
        result,
        `${name}: latency p50 / p99`,
        cell((e) => `${formatDurationS(e.latency.p50S)} / ${formatDurationS(e.latency.p99S)}`),
      ),
    ];
  });
  return [{ title: "By priority class", rows, note: "Class 0 is the lowest." }];
}

/**
 * Every section of the summary: overall fates, one fates table per subscription (when a variant
 * has several), latencies, throughput, ordering, counters, and expectations when there are any.
 */
export function summarySections(result: RunResult): Section[] {
  // A scenario of callers and services alone, or of a contention experiment, has no messages:
  // their tables would be all zero.
  const contention = hasContention(result);
  const messages = producesMessages(result) || (!callsSomething(result) && !contention);
  const sections = [
    ...(messages
      ? [
          fatesSection(result),
          ...subscriptionSections(result),
          ...exchangeSections(result),
          latencySection(result, "End-to-end latency", (s) => s.latency),
          latencySection(result, "Queue wait", (s) => s.queueWait),
          ...publishWaitSections(result),
          ...prioritySections(result),
          throughputSection(result),
          backlogSection(result),
          orderingSection(result),
        ]
      : []),
    ...(callsSomething(result) ? [callsSection(result), callRouteSection(result)] : []),
    ...(autoscales(result) ? [scalingSection(result)] : []),
    ...[alertsSection(result)].filter((section) => section !== null),
    ...(contentionOnly(result) ? [] : [countersSection(result)]),
    ...(contention ? [contentionSection(result)] : []),
  ];
  const expectations = expectationsSection(result);
  if (expectations.rows.length > 0) sections.push(expectations);
  return sections;
}

/** Does any variant have results of a contention experiment? */
export function hasContention(result: RunResult): boolean {
  return result.variants.some((variant) => variant.summary.contention !== null);
}

/** A contention experiment and nothing else: no messages, no calls, no time line to show. */
export function contentionOnly(result: RunResult): boolean {
  return hasContention(result) && !producesMessages(result) && !callsSomething(result);
}

/** The tables show at most this many client counts (summary.json and the charts show all). */
const CONTENTION_COUNTS_SHOWN_MAX = 5;

/** The client counts of the table: all of them when few, else the first, the last and between. */
function contentionCountsShown(result: RunResult): number[] {
  const counts = new Set<number>();
  for (const variant of result.variants) {
    for (const point of variant.summary.contention?.byClients ?? []) counts.add(point.clients);
  }
  const sorted = [...counts].sort((a, b) => a - b);
  if (sorted.length <= CONTENTION_COUNTS_SHOWN_MAX) return sorted;
  const last = sorted.length - 1;
  return Array.from(
    { length: CONTENTION_COUNTS_SHOWN_MAX },
    (_, k) => sorted[Math.round((k * last) / (CONTENTION_COUNTS_SHOWN_MAX - 1))],
  );
}

/** Calls and completion time at a few client counts; gave-up rows only when some client did. */
function contentionSection(result: RunResult): Section {
  type Point = NonNullable<VariantSummary["contention"]>["byClients"][number];
  const cell =
    (clients: number, format: (point: Point) => string): Metric =>
    (s) => {
      const point = s.contention?.byClients.find((p) => p.clients === clients);
      return text(point === undefined ? NO_VALUE : format(point));
    };
  const rows: TableRow[] = [
    row(result, "contests per client count", (s) =>
      text(s.contention === null ? NO_VALUE : formatCount(s.contention.repetitions)),
    ),
  ];
  for (const clients of contentionCountsShown(result)) {
    rows.push(
      row(
        result,
        `${clients} clients: calls`,
        cell(clients, (p) => formatCount(p.calls)),
      ),
      row(
        result,
        `${clients} clients: completion`,
        cell(clients, (p) => formatDurationS(p.completionS)),
      ),
    );
    const gaveUp = row(
      result,
      `${clients} clients: gave up`,
      cell(clients, (p) => formatCount(p.gaveUp)),
    );
    if (!allZero(gaveUp)) rows.push(gaveUp);
  }
  return {
    title: "Contention on one row",
    rows,
    note: "Means over the contests of each client count. Calls are conditional writes (each after a read of the row's version); completion is when the last client learned that its write succeeded. summary.json and the charts have every client count.",
  };
}

export interface FailedExpectation {
  variant: string;
  outcome: ExpectationOutcome;
}

export function failedExpectations(result: RunResult): FailedExpectation[] {
  return result.variants.flatMap((variant) =>
    variant.summary.expectations
      .filter((outcome) => !outcome.passed)
      .map((outcome) => ({ variant: variant.name, outcome })),
  );
}

/** One line on all expectations of all variants; null when the scenario states none. */
export function expectationsVerdict(result: RunResult): { text: string; passed: boolean } | null {
  const total = result.variants.reduce((n, v) => n + v.summary.expectations.length, 0);
  if (total === 0) return null;
  const failed = failedExpectations(result).length;
  return failed === 0
    ? { text: `✔ All ${total} expectation checks passed.`, passed: true }
    : { text: `✘ ${failed} of ${total} expectation checks failed.`, passed: false };
}
