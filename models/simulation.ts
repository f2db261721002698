/**
 * Runs one scenario variant: wires it (models/world.ts), runs it to the end of its drain, checks
 * conservation of messages, and returns its summary and time series.
 */
import { LatencyHistogram } from "../sim/histogram.ts";
import { KernelError } from "../sim/kernel.ts";
import type { Trace } from "../sim/trace.ts";
import type { RunLimits, ScenarioConfig } from "./config.ts";
import { checkConservation } from "./conservation.ts";
import { runContention } from "./contention.ts";
import { isDownstreamFault } from "./downstream.ts";
import { InvariantError } from "./errors.ts";
import { evaluateExpectations } from "./expectations.ts";
import { RETRIES_EXHAUSTED_REASON } from "./queueConsumers.ts";
import { recoveredAtS } from "./recovery.ts";
import type {
  CallRouteSummary,
  Calls,
  ContentionSummary,
  DownstreamSummary,
  ExchangeSummary,
  Fates,
  LatencyStats,
  Ordering,
  PriorityClassSummary,
  Scaling,
  SubscriptionSummary,
  VariantResult,
  VariantSeries,
  VariantSummary,
} from "./results.ts";
import { checkVirtualTimeBudget, guardRun } from "./runGuard.ts";
import type { Subscription } from "./subscription.ts";
import { type CallRoute, World } from "./world.ts";

export interface SimulateOptions {
  seed: number;
  variantName: string;
  trace?: Trace | null;
  /** The run's budgets (BudgetExceededError past one); the config's own when absent. */
  limits?: RunLimits;
  /** The wall clock of the wall-time budget, in ms (performance.now); only the guard reads it. */
  clockMs?: () => number;
}

export function simulate(config: ScenarioConfig, options: SimulateOptions): VariantResult {
  const { seed, variantName } = options;
  const limits = options.limits ?? config.limits;
  checkVirtualTimeBudget(config.durationS, config.drainS, limits, { seed, variant: variantName });
  let world: World | null = null;
  let contention: ContentionSummary | null = null;
  try {
    world = new World(config, seed, options.trace ?? null);
    guardRun(world.kernel, limits, { seed, variant: variantName, clockMs: options.clockMs });
    world.run();
    checkConservation(world);
    // The contention experiment runs its own contests, after (and apart from) the world's run.
    if (config.contention !== null) contention = runContention(config.contention, world.streams);
  } catch (error) {
    // Components know the virtual time of a broken invariant, not the run it belongs to: add
    // the seed and variant, so the report of the bug says how to replay it.
    if (error instanceof InvariantError && error.variant === null) {
      throw new InvariantError(error.problem, error.timeS, seed, variantName);
    }
    if (error instanceof KernelError) {
      throw new InvariantError(error.message, world?.kernel.nowS ?? 0, seed, variantName);
    }
    throw error;
  }
  return {
    name: options.variantName,
    summary: summarize(world!, contention),
    series: series(world!),
  };
}

function summarize(world: World, contention: ContentionSummary | null): VariantSummary {
  const { stats, config, kernel } = world;
  const windowS = config.durationS - Math.min(config.warmupS, config.durationS);
  const subscriptions = world.subscriptions.map((s) => subscriptionSummary(world, s));
  const sum = (pick: (s: SubscriptionSummary) => number) => total(subscriptions, pick);
  const summary: VariantSummary = {
    fates: {
      produced: sum((s) => s.fates.produced),
      processed: sum((s) => s.fates.processed),
      deadLettered: sum((s) => s.fates.deadLettered),
      dropped: sum((s) => s.fates.dropped),
      pending: sum((s) => s.fates.pending),
      lost: sum((s) => s.fates.lost),
      duplicateEffects: sum((s) => s.fates.duplicateEffects),
      conserved: true,
    },
    latency: latencyStats(mergedLatency(world.subscriptions)),
    queueWait: latencyStats(stats.queueWait),
    throughput: {
      producedPerS: windowS > 0 ? stats.producedInWindow / windowS : 0,
      processedPerS: windowS > 0 ? stats.processedInWindow / windowS : 0,
    },
    ordering: ordering(world.subscriptions),
    counters: {
      deliveries: stats.deliveries,
      redeliveries: stats.redeliveries,
      acks: stats.acks,
      nacks: stats.nacks,
      visibilityTimeouts: stats.visibilityTimeouts,
      movedToDeadLetter: stats.movedToDeadLetter,
      consumerCrashes:
        total(world.queueConsumers, (pool) => pool.crashes) +
        total(world.streamGroups, (group) => group.crashes),
      rebalances: total(world.streamGroups, (group) => group.rebalances),
      commitsRejected: total(world.streamGroups, (group) => group.commitsRejected),
      fencedCommits:
        total(world.queueConsumers, (pool) => pool.fencedCommits) +
        total(world.streamGroups, (group) => group.fencedCommits),
      offsetResets: total(world.streamGroups, (group) => group.offsetResets),
      duplicatesSkipped: sum((s) => s.duplicatesSkipped),
      deduplicatedByBroker: stats.deduplicatedByBroker + stats.fifoDeduplicated,
      producerRetries: total(world.producerClients, (client) => client.retries),
      producerGaveUp: total(world.producerClients, (client) => client.givenUp),
      sequenceRefusals: total(world.topics.values(), (topic) => topic.sequenceRefusals),
      partitionDrops: total(world.links, (link) => link.partitionDrops),
      leaderElections: total(world.topics.values(), (topic) => topic.replication.elections),
      truncatedRecords: total(world.topics.values(), (topic) => topic.replication.truncatedRecords),
      processingFailures: stats.processingFailures,
      linkLosses: total(world.links, (link) => link.losses),
      linkDuplicates: total(world.links, (link) => link.duplicates),
      eventsFired: kernel.eventsFired,
      endS: kernel.nowS,
      overflowDropped: total(world.queues.values(), (queue) => queue.overflowDropped),
      overflowRejected: total(world.queues.values(), (queue) => queue.overflowRejected),
      overflowDeadLettered: total(world.queues.values(), (queue) => queue.overflowDeadLettered),
      publishBlockedS: total(world.producerClients, (client) => client.blockedTimeS(kernel.nowS)),
      expired: total(world.queues.values(), (queue) => queue.expired),
      rateLimitDelayed: total(world.producerClients, (client) => client.rateLimitDelayed),
      rateLimitDropped: total(world.producerClients, (client) => client.rateLimitDropped),
      throttledWrites:
        total(world.topics.values(), (topic) => topic.throttledWrites) +
        total(world.queues.values(), (queue) => queue.limits.throttledWrites),
      throttledReads:
        total(world.topics.values(), (topic) => topic.readLimit?.throttled ?? 0) +
        total(world.queues.values(), (queue) => queue.limits.throttledReads),
      dispatchWaits: total(world.queues.values(), (queue) => queue.limits.dispatchWaits),
      unroutable: total(world.exchanges.values(), (exchange) => exchange.unroutable),
    },
    subscriptions,
    exchanges: [...world.exchanges.values()].map(
      (exchange): ExchangeSummary => ({
        name: exchange.config.name,
        type: exchange.config.type,
        published: exchange.published,
        routedCopies: exchange.routedCopies,
        unroutable: exchange.unroutable,
        toAlternate: exchange.toAlternate,
      }),
    ),
    calls: calls(world),
    callRoutes: world.callRoutes.map(callRouteSummary),
    downstreams: [...world.services.values()].map(
      ({ name, downstream }): DownstreamSummary => ({
        name,
        requests: downstream.requests,
        completed: downstream.completed,
        rejected: downstream.rejected,
        responseTime: latencyStats(downstream.responseTime),
      }),
    ),
    expectations: [],
    contention,
    backlog: stats.backlog.summary(),
    scaling: scaling(world),
    alerts: Object.fromEntries(world.alerts.map((alert) => [alert.config.name, alert.summary()])),
    publishWait: latencyStats(stats.publishWait),
    byPriority: byPriority(world),
  };
  summary.expectations = evaluateExpectations(config.expect, summary);
  return summary;
}

function scaling(world: World): Scaling {
  const gauge = world.instanceGauge;
  const instanceSeconds = gauge.instanceSeconds(world.endS);
  return {
    autoscaledConsumers: world.autoscalers.length,
    instancesMin: gauge.instancesMin,
    instancesMax: gauge.instancesMax,
    instancesMean: world.endS > 0 ? instanceSeconds / world.endS : gauge.instances,
    instanceSeconds,
    scaleUps: total(world.autoscalers, (autoscaler) => autoscaler.scaleUps),
    scaleDowns: total(world.autoscalers, (autoscaler) => autoscaler.scaleDowns),
  };
}

/** End-to-end latency over all subscriptions: their histograms merged. */
function mergedLatency(subscriptions: Subscription[]): LatencyHistogram {
  const merged = new LatencyHistogram();
  for (const subscription of subscriptions) merged.merge(subscription.latency);
  return merged;
}

/** The sum of `pick` over `items`. */
function total<T>(items: Iterable<T>, pick: (item: T) => number): number {
  let sum = 0;
  for (const item of items) sum += pick(item);
  return sum;
}

function fatesOf(subscription: Subscription): Fates {
  const ledger = subscription.ledger;
  return { ...ledger.counts(), duplicateEffects: ledger.duplicateEffects, conserved: true };
}

function sortedRecord(map: Map<string, number>): Record<string, number> {
  const record: Record<string, number> = {};
  for (const key of [...map.keys()].sort()) record[key] = map.get(key)!;
  return record;
}

function subscriptionSummary(world: World, subscription: Subscription): SubscriptionSummary {
  return {
    name: subscription.name,
    fates: fatesOf(subscription),
    latency: latencyStats(subscription.latency),
    lostByCause: sortedRecord(subscription.ledger.lostByCause),
    duplicatesByCause: sortedRecord(subscription.duplicatesByCause),
    duplicatesSkipped: subscription.duplicatesSkipped,
    orderingViolations: subscription.ordering.violations,
    deadLetteredByReason: sortedRecord(deadLetterReasons(world, subscription)),
    droppedByReason: sortedRecord(subscription.ledger.droppedByReason),
  };
}

/** A queue's dead-letter reasons, or a consumer group's (calls that used up their attempts). */
function deadLetterReasons(world: World, subscription: Subscription): Map<string, number> {
  const queue =
    world.queues.get(subscription.name) ??
    world.pulsarSubscriptions.find((s) => s.subscription === subscription)?.queue;
  if (queue !== undefined) return queue.deadLetterReasons;
  const group = world.streamGroups.find((g) => g.subscription === subscription);
  return new Map(
    group && group.deadLettered > 0 ? [[RETRIES_EXHAUSTED_REASON, group.deadLettered]] : [],
  );
}

/** Each priority class of each queue that has classes, lowest first. */
function byPriority(world: World): PriorityClassSummary[] {
  return world.subscriptions.flatMap((subscription) => {
    const classes = subscription.priorityClasses;
    if (classes === null) return [];
    return classes.counts(subscription.ledger).map(({ latency, ...counts }) => ({
      queue: subscription.name,
      ...counts,
      latency: latencyStats(latency),
    }));
  });
}

/** The clients where requests enter the call graph: consumers and callers, not services. */
function entryRoutes(world: World): CallRoute[] {
  const services = world.services;
  return world.callRoutes.filter((route) => !services.has(route.from));
}

function calls(world: World): Calls {
  const { config, stats } = world;
  const entries = entryRoutes(world);
  const requests = total(entries, (route) => route.client.calls);
  const attempts = total(entries, (route) => route.client.attempts);
  const windowS = config.durationS - Math.min(config.warmupS, config.durationS);
  const trigger = triggerWindow(config.faults);
  let recoveryS: number | null = null;
  if (trigger !== null) {
    const goodput = sumSeries(
      stats.grid.bucketCount,
      entries.map((route) => route.client.successSeries.ratePerS()),
    );
    const backlog = sumSeries(stats.grid.bucketCount, [
      stats.readySeries.mean(),
      ...[...world.services.values()].map((service) => service.downstream.inSystemSeries.mean()),
    ]);
    const atS = recoveredAtS({
      bucketS: stats.grid.bucketS,
      goodputPerS: goodput,
      backlog,
      triggerStartS: trigger.startS,
      triggerEndS: trigger.endS,
      untilS: config.durationS,
    });
    if (atS !== null) recoveryS = Math.max(0, atS - trigger.endS);
  }
  return {
    requests,
    attempts,
    amplification: requests > 0 ? attempts / requests : null,
    succeeded: total(entries, (route) => route.client.succeeded),
    failed: total(entries, (route) => route.client.failed),
    goodputPerS:
      windowS > 0
        ? total(entries, (route) =>
            countWithin(
              route.client.successSeries.perBucket(),
              stats.grid.bucketS,
              config.warmupS,
              config.durationS,
            ),
          ) / windowS
        : 0,
    wastedReplies: total(world.callRoutes, (route) => route.client.wastedReplies),
    triggerEndS: trigger?.endS ?? null,
    recoveryS,
    recovered: trigger === null ? null : recoveryS === null ? 0 : 1,
  };
}

/** The span of the downstream faults (outage, slowdown, capacity drop), or null. */
function triggerWindow(faults: ScenarioConfig["faults"]): { startS: number; endS: number } | null {
  let window: { startS: number; endS: number } | null = null;
  for (const fault of faults) {
    if (!isDownstreamFault(fault)) continue;
    const endS = fault.atS + fault.durationS;
    window =
      window === null
        ? { startS: fault.atS, endS }
        : { startS: Math.min(window.startS, fault.atS), endS: Math.max(window.endS, endS) };
  }
  return window;
}

/** What a per-bucket count adds up to within [fromS, toS) (buckets cut by the bounds count pro rata). */
function countWithin(perBucket: number[], bucketS: number, fromS: number, toS: number): number {
  let sum = 0;
  perBucket.forEach((count, b) => {
    const overlapS = Math.min(toS, (b + 1) * bucketS) - Math.max(fromS, b * bucketS);
    if (overlapS > 0) sum += (count * overlapS) / bucketS;
  });
  return sum;
}

/** Bucket-wise sums of series on the run's grid of `length` buckets. */
function sumSeries(length: number, series: number[][]): number[] {
  const sum = new Array<number>(length).fill(0);
  for (const values of series) {
    values.forEach((value, i) => {
      sum[i] += value;
    });
  }
  return sum;
}

function callRouteSummary(route: CallRoute): CallRouteSummary {
  const { client, policy } = route;
  return {
    from: route.from,
    to: route.to,
    retry: policy.config.preset ?? "custom",
    calls: client.calls,
    attempts: client.attempts,
    amplification: client.calls > 0 ? client.attempts / client.calls : null,
    succeeded: client.succeeded,
    failed: client.failed,
    timeouts: client.timeouts,
    rejections: client.rejections,
    breakerRefusals: client.breakerRefusals,
    budgetDenials: policy.retriesDeniedByBudget,
    wastedReplies: client.wastedReplies,
  };
}

function ordering(subscriptions: Subscription[]): Ordering {
  let violations = 0;
  let first: Ordering["first"] = null;
  for (const subscription of subscriptions) {
    const checker = subscription.ordering;
    violations += checker.violations;
    const found = checker.firstViolation;
    if (found !== null && (first === null || found.atS < first.atS)) {
      first = {
        subscription: subscription.name,
        key: `k${found.key}`,
        earlierMessageId: found.earlierMessageId,
        laterMessageId: found.laterMessageId,
        atS: found.atS,
      };
    }
  }
  return { violations, first };
}

function series(world: World): VariantSeries {
  const stats = world.stats;
  return {
    bucketS: stats.grid.bucketS,
    timesS: stats.grid.timesS(),
    queueDepth: stats.readySeries.mean(),
    inFlight: stats.inFlightSeries.mean(),
    callAttemptsPerS: sumSeries(
      stats.grid.bucketCount,
      entryRoutes(world).map((route) => route.client.attemptSeries.ratePerS()),
    ),
    goodputPerS: sumSeries(
      stats.grid.bucketCount,
      entryRoutes(world).map((route) => route.client.successSeries.ratePerS()),
    ),
    dlqDepth: stats.dlqSeries.last(),
    storedBytes: stats.storedBytesSeries.mean(),
    producedPerS: stats.producedSeries.ratePerS(),
    processedPerS: stats.processedSeries.ratePerS(),
    latencyP50S: stats.latencySeries.quantile(0.5),
    latencyP95S: stats.latencySeries.quantile(0.95),
    latencyP99S: stats.latencySeries.quantile(0.99),
    consumerCount: world.instanceGauge.series.mean(),
  };
}

function latencyStats(histogram: LatencyHistogram): LatencyStats {
  if (histogram.count === 0) {
    return { count: 0, meanS: null, p50S: null, p95S: null, p99S: null, p999S: null, maxS: null };
  }
  return {
    count: histogram.count,
    meanS: histogram.meanS,
    p50S: histogram.quantile(0.5),
    p95S: histogram.quantile(0.95),
    p99S: histogram.quantile(0.99),
    p999S: histogram.quantile(0.999),
    maxS: histogram.maxS,
  };
}
