/**
 * A small hand-built RunResult: two variants of a retry storm, 12 buckets of 5 s, latency
 * series with gaps (no message processed during the outage). The first variant has two
 * subscriptions (the payments queue and an audit consumer group on a topic) with losses and
 * duplicates by cause and an order violation; the second has the queue only, and none.
 */

import type {
  Calls,
  Counters,
  LatencyStats,
  RunResult,
  Scaling,
  SubscriptionSummary,
  VariantSeries,
} from "../../models/results.ts";

const BUCKET_S = 5;
const TIMES_S = Array.from({ length: 12 }, (_, i) => i * BUCKET_S);

function latency(meanS: number, p99S: number): LatencyStats {
  return {
    count: 980,
    meanS,
    p50S: meanS * 0.8,
    p95S: p99S * 0.6,
    p99S,
    p999S: p99S * 1.7,
    maxS: p99S * 2.1,
  };
}

function series(storm: boolean): VariantSeries {
  const scale = storm ? 8 : 1;
  return {
    bucketS: BUCKET_S,
    timesS: TIMES_S,
    queueDepth: [0, 2, 3, 40 * scale, 120 * scale, 90 * scale, 30, 8, 3, 1, 0, 0],
    inFlight: [4, 5, 5, 20, 20, 20, 18, 9, 6, 5, 1, 0],
    callAttemptsPerS: new Array(TIMES_S.length).fill(0),
    storedBytes: new Array(TIMES_S.length).fill(0),
    goodputPerS: new Array(TIMES_S.length).fill(0),
    dlqDepth: [0, 0, 0, 0, storm ? 3 : 1, storm ? 9 : 2, storm ? 12 : 2, 12, 12, 12, 12, 12].map(
      (d) => (storm ? d : Math.min(d, 2)),
    ),
    producedPerS: [20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 0, 0],
    processedPerS: storm
      ? [16, 20, 20, 4, 0, 0, 32, 35, 28, 21, 4, 0]
      : [16, 20, 20, 12, 6, 9, 24, 26, 22, 21, 4, 0],
    latencyP50S: [0.042, 0.05, 0.051, 0.3, null, null, 4.2, 2.1, 0.4, 0.06, 0.05, null].map((v) =>
      v === null || storm ? v : v / 2,
    ),
    latencyP95S: [0.08, 0.09, 0.095, 0.9, null, null, 9.5, 5.5, 1.1, 0.1, 0.09, null].map((v) =>
      v === null || storm ? v : v / 3,
    ),
    latencyP99S: [0.11, 0.12, 0.13, 1.6, null, null, 14, 8, 2, 0.2, 0.11, null].map((v) =>
      v === null || storm ? v : v / 4,
    ),
    consumerCount: new Array(TIMES_S.length).fill(4),
  };
}

/** The counters the streams features added, all zero. */
const NO_STREAM_COUNTERS = {
  consumerCrashes: 0,
  rebalances: 0,
  commitsRejected: 0,
  fencedCommits: 0,
  offsetResets: 0,
  duplicatesSkipped: 0,
  deduplicatedByBroker: 0,
  producerRetries: 0,
  producerGaveUp: 0,
  sequenceRefusals: 0,
  partitionDrops: 0,
  leaderElections: 0,
  truncatedRecords: 0,
  overflowDropped: 0,
  overflowRejected: 0,
  overflowDeadLettered: 0,
  publishBlockedS: 0,
  expired: 0,
  rateLimitDelayed: 0,
  rateLimitDropped: 0,
  throttledWrites: 0,
  throttledReads: 0,
  dispatchWaits: 0,
  unroutable: 0,
} as const satisfies Partial<Counters>;

/** No downstream calls in this fixture. */
const NO_CALLS = {
  requests: 0,
  attempts: 0,
  amplification: null,
  succeeded: 0,
  failed: 0,
  goodputPerS: 0,
  wastedReplies: 0,
  triggerEndS: null,
  recoveryS: null,
  recovered: null,
} as const satisfies Calls;

/** Four consumer instances all along, no autoscaler. */
const FIXED_SCALING = {
  autoscaledConsumers: 0,
  instancesMin: 4,
  instancesMax: 4,
  instancesMean: 4,
  instanceSeconds: 240,
  scaleUps: 0,
  scaleDowns: 0,
} as const satisfies Scaling;
/** Producers published straight into their queue. */
const NO_PUBLISH_WAIT = {
  count: 980,
  meanS: 0,
  p50S: 0,
  p95S: 0,
  p99S: 0,
  p999S: 0,
  maxS: 0,
} as const satisfies LatencyStats;

/** Subscriptions of the first variant: their fates sum to the variant's. */
function stormSubscriptions(): SubscriptionSummary[] {
  return [
    {
      name: "payments",
      fates: {
        produced: 600,
        processed: 588,
        deadLettered: 12,
        dropped: 0,
        pending: 0,
        lost: 0,
        duplicateEffects: 36,
        conserved: true,
      },
      latency: latency(0.05, 0.5),
      lostByCause: {},
      duplicatesByCause: {
        "redelivery-after-nack": 16,
        "redelivery-after-visibility-timeout": 20,
      },
      duplicatesSkipped: 0,
      orderingViolations: 0,
      deadLetteredByReason: {},
      droppedByReason: {},
    },
    {
      name: "events/audit",
      fates: {
        produced: 400,
        processed: 397,
        deadLettered: 0,
        dropped: 0,
        pending: 0,
        lost: 3,
        duplicateEffects: 5,
        conserved: true,
      },
      latency: latency(0.1, 1.0),
      lostByCause: {
        "deleted by retention before the group read it": 2,
        "offset committed before processing, then crashed": 1,
      },
      duplicatesByCause: { "reread-after-crash": 5 },
      duplicatesSkipped: 0,
      orderingViolations: 2,
      deadLetteredByReason: {},
      droppedByReason: {},
    },
  ];
}

export function smallRunResult(): RunResult {
  return {
    scenario: "retry-storm",
    description: "Payments outage at 15 s: does jitter keep p99 < 2s & the DLQ small?",
    file: "scenarios/retry-storm.yaml",
    seed: 1187,
    overrides: ["producers.api.rate=20/s", "downstreams.payments.timeout=1s"],
    durationS: 50,
    drainS: 10,
    variants: [
      {
        name: "no-jitter",
        summary: {
          fates: {
            produced: 1000,
            processed: 985,
            deadLettered: 12,
            dropped: 0,
            pending: 0,
            lost: 3,
            duplicateEffects: 41,
            conserved: true,
          },
          latency: latency(0.8123456789, 14.2),
          queueWait: latency(0.0123, 0.35),
          throughput: { producedPerS: 20, processedPerS: 16.416666666666668 },
          ordering: {
            violations: 2,
            first: {
              subscription: "events/audit",
              key: "k12",
              earlierMessageId: 1041,
              laterMessageId: 1057,
              atS: 12.5,
            },
          },
          counters: {
            deliveries: 1241,
            redeliveries: 256,
            acks: 985,
            nacks: 240,
            visibilityTimeouts: 16,
            movedToDeadLetter: 3,
            ...NO_STREAM_COUNTERS,
            consumerCrashes: 1,
            rebalances: 3,
            commitsRejected: 1,
            processingFailures: 240,
            linkLosses: 3,
            linkDuplicates: 0,
            eventsFired: 18234,
            endS: 60,
          },
          subscriptions: stormSubscriptions(),
          calls: NO_CALLS,
          exchanges: [],
          callRoutes: [],
          downstreams: [],
          expectations: [
            { text: "no message lost", metric: "fates.lost", observed: 3, passed: false },
            { text: "p99 under 2s", metric: "latency.p99S", observed: 14.2, passed: false },
          ],
          contention: null,
          backlog: { depthMax: 1041, depthMaxAtS: 24.5, drainedAtS: 51.25, timeToDrainS: 26.75 },
          scaling: FIXED_SCALING,
          alerts: {},
          publishWait: NO_PUBLISH_WAIT,
          byPriority: [],
        },
        series: series(true),
      },
      {
        name: "full-jitter",
        summary: {
          fates: {
            produced: 1000,
            processed: 998,
            deadLettered: 2,
            dropped: 0,
            pending: 0,
            lost: 0,
            duplicateEffects: 5,
            conserved: true,
          },
          latency: { ...latency(0.31, 1.5), count: 998 },
          queueWait: {
            count: 0,
            meanS: null,
            p50S: null,
            p95S: null,
            p99S: null,
            p999S: null,
            maxS: null,
          },
          throughput: { producedPerS: 20, processedPerS: 16.633333333 },
          ordering: { violations: 0, first: null },
          counters: {
            deliveries: 1010,
            redeliveries: 10,
            acks: 998,
            nacks: 12,
            visibilityTimeouts: 0,
            movedToDeadLetter: 0,
            ...NO_STREAM_COUNTERS,
            processingFailures: 12,
            linkLosses: 0,
            linkDuplicates: 0,
            eventsFired: 9120,
            endS: 58.25,
          },
          subscriptions: [
            {
              name: "payments",
              fates: {
                produced: 1000,
                processed: 998,
                deadLettered: 2,
                dropped: 0,
                pending: 0,
                lost: 0,
                duplicateEffects: 5,
                conserved: true,
              },
              latency: latency(0.15, 1.5),
              lostByCause: {},
              duplicatesByCause: { "redelivery-after-nack": 5 },
              duplicatesSkipped: 0,
              orderingViolations: 0,
              deadLetteredByReason: {},
              droppedByReason: {},
            },
          ],
          calls: NO_CALLS,
          exchanges: [],
          callRoutes: [],
          downstreams: [],
          expectations: [
            { text: "no message lost", metric: "fates.lost", observed: 0, passed: true },
            { text: "p99 under 2s", metric: "latency.p99S", observed: 1.5, passed: true },
          ],
          contention: null,
          backlog: { depthMax: 130, depthMaxAtS: 23, drainedAtS: 41.5, timeToDrainS: 18.5 },
          scaling: FIXED_SCALING,
          alerts: {},
          publishWait: NO_PUBLISH_WAIT,
          byPriority: [],
        },
        series: series(false),
      },
    ],
  };
}

/** The same run with one subscription per variant: the first variant's two merged into one. */
export function singleSubscriptionRunResult(): RunResult {
  const result = smallRunResult();
  const storm = result.variants[0].summary;
  storm.subscriptions = [
    {
      name: "payments",
      fates: { ...storm.fates },
      latency: latency(0.2, 2.0),
      lostByCause: {
        "deleted by retention before the group read it": 2,
        "offset committed before processing, then crashed": 1,
      },
      duplicatesByCause: {
        "redelivery-after-nack": 16,
        "redelivery-after-visibility-timeout": 20,
        "reread-after-crash": 5,
      },
      duplicatesSkipped: 0,
      orderingViolations: 2,
      deadLetteredByReason: {},
      droppedByReason: {},
    },
  ];
  storm.ordering.first = { ...storm.ordering.first!, subscription: "payments" };
  return result;
}
