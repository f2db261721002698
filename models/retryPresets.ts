/**
 * Named retry policies of real clients, each with its documented values and where they come
 * from (docs/retry-policies.md lists them too). A scenario names one (`retry: aws-standard`) and
 * may override any field (`retry: { preset: grpc, maxAttempts: 3 }`).
 */
import type { RetryPolicyConfig } from "./retryPolicy.ts";

export interface RetryPreset {
  config: RetryPolicyConfig;
  /** One line for listings. */
  description: string;
  /** Where each value comes from. */
  source: string;
  /** What queuelab chose where the source is silent, and what it does not model. */
  notes: string;
}

/** The default backoff of a `retry:` block: 100 ms doubling up to 10 s. */
const EXPONENTIAL_100MS_TO_10S = {
  kind: "exponential",
  baseS: 0.1,
  multiplier: 2,
  capS: 10,
} as const;

function preset(
  name: string,
  fields: Omit<RetryPolicyConfig, "preset" | "jitterRatio"> & { jitterRatio?: number },
  text: Omit<RetryPreset, "config">,
): [string, RetryPreset] {
  return [name, { config: { preset: name, jitterRatio: 0, ...fields }, ...text }];
}

export const RETRY_PRESETS: Record<string, RetryPreset> = Object.fromEntries([
  preset(
    "aws-standard",
    {
      maxAttempts: 3,
      backoff: { kind: "exponential", baseS: 1, multiplier: 2, capS: 20 },
      jitter: "full",
      budget: { kind: "quota", capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 },
      circuitBreaker: null,
    },
    {
      description: "AWS SDK standard retry mode: 3 attempts, full jitter up to 20 s, a retry quota",
      source:
        "AWS SDKs and Tools Reference Guide, 'Retry behavior' (standard mode: max attempts 3, delay random(0,1) x min(2^(attempt-1), 20 s)); botocore retries/standard.py and aws-sdk-js-v3 util-retry constants (INITIAL_RETRY_TOKENS 500, RETRY_COST 5, TIMEOUT_RETRY_COST 10, NO_RETRY_INCREMENT 1)",
      notes:
        "A success after a retry refunds that retry's cost (5, or 10 after a timeout), as the SDKs do; after a first attempt it refunds 1. botocore caps after jitter (min(u x 2^(n-1), 20)), which differs from u x min(2^(n-1), 20) only from the 6th retry on. aws-sdk-js-v3 uses a 100 ms base instead of 1 s.",
    },
  ),
  preset(
    "grpc",
    {
      maxAttempts: 5,
      backoff: { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 1 },
      jitter: "full",
      budget: { kind: "throttle", maxTokens: 10, tokenRatio: 0.1 },
      circuitBreaker: null,
    },
    {
      description: "gRPC retry policy: 5 attempts, full jitter 0.1 s doubling to 1 s, throttling",
      source:
        "gRFC A6 'gRPC Retry Design' (delay random(0, min(initialBackoff x backoffMultiplier^(n-1), maxBackoff)); maxAttempts above 5 is treated as 5; retryThrottling example maxTokens 10, tokenRatio 0.1; retries stop when tokens <= maxTokens/2); initialBackoff 0.1s, maxBackoff 1s, backoffMultiplier 2 from the retry policy example in A6 and the grpc.io retry guide",
      notes:
        "gRPC has no default backoff (the service config must give one): the values are its documented example's. maxAttempts is gRPC's upper limit, 5 (the example uses 4).",
    },
  ),
  preset(
    "sre-budget",
    {
      maxAttempts: 3,
      backoff: EXPONENTIAL_100MS_TO_10S,
      jitter: "full",
      budget: { kind: "ratio", ratio: 0.1, minPerS: 0, windowS: 10 },
      circuitBreaker: null,
    },
    {
      description: "Google SRE book: 3 attempts per request, retries under 10% of requests",
      source:
        "Site Reliability Engineering (O'Reilly, 2016), ch. 21 'Handling Overload': a per-request retry budget of up to three attempts and a per-client retry budget of 10% of requests; ch. 22 'Addressing Cascading Failures': randomized exponential backoff",
      notes:
        "The book names no backoff values or window: queuelab uses its default backoff (100 ms doubling to 10 s, full jitter) and Finagle's 10 s window, with no reserve.",
    },
  ),
  preset(
    "finagle",
    {
      maxAttempts: 3,
      backoff: { kind: "immediate" },
      jitter: "none",
      budget: { kind: "ratio", ratio: 0.2, minPerS: 10, windowS: 10 },
      circuitBreaker: null,
    },
    {
      description: "Finagle's default RetryBudget: 20% of requests plus 10 retries/s over 10 s",
      source:
        "Finagle RetryBudget.apply() (finagle-core service/RetryBudget.scala: ttl 10 s, minRetriesPerSec 10, percentCanRetry 0.2); requeues without delay by default (Retries.Budget.emptyBackoffSchedule, ClientParams.withRetryBackoff)",
      notes:
        "Finagle bounds a request's requeues by a share of the budget's balance (RequeueFilter), not by a count; queuelab uses 3 attempts so that the budget is the limit that matters in a storm.",
    },
  ),
  preset(
    "celery-autoretry",
    {
      maxAttempts: 4,
      backoff: { kind: "exponential", baseS: 1, multiplier: 2, capS: 600 },
      jitter: "full",
      budget: null,
      circuitBreaker: null,
    },
    {
      description:
        "Celery autoretry_for with retry_backoff=True: 3 retries, full jitter up to 600 s",
      source:
        "Celery task docs, 'Automatic retry for known exceptions': max_retries 3, retry_backoff=True is a factor of 1 s, retry_backoff_max 600 s, retry_jitter True; celery/utils/time.py get_exponential_backoff_interval: min(maximum, factor x 2^retries), then a uniform pick in [0, countdown]",
      notes:
        "Celery draws a whole number of seconds (randrange(countdown + 1)); queuelab draws a real number in [0, countdown).",
    },
  ),
  preset(
    "cloud-tasks",
    {
      maxAttempts: 100,
      backoff: { kind: "doublings-then-linear", minS: 0.1, maxS: 3600, maxDoublings: 16 },
      jitter: "none",
      budget: null,
      circuitBreaker: null,
    },
    {
      description:
        "Google Cloud Tasks queue defaults: 100 attempts, 0.1 s doubling 16 times, max 1 h",
      source:
        "Cloud Tasks RetryConfig reference (maxAttempts, minBackoff, maxBackoff, maxDoublings: 'doubles max_doublings times, then increases linearly, and finally retries at intervals of max_backoff'); defaults max attempts 100, min backoff 0.1 s, max backoff 3600 s, max doublings 16 (queue.yaml defaults)",
      notes:
        "Cloud Tasks documents no jitter. With these defaults the cap (3600 s) is reached while still doubling (0.1 x 2^16 = 6553.6 s > 3600 s), so the linear phase never shows; maxRetryDuration is not modeled.",
    },
  ),
  preset(
    "kafka-producer",
    {
      maxAttempts: 2_147_483_647,
      backoff: { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 1 },
      jitter: "proportional",
      jitterRatio: 0.2,
      budget: null,
      circuitBreaker: null,
    },
    {
      description:
        "Kafka producer: retries without count limit, 100 ms doubling to 1 s, +-20% jitter",
      source:
        "Kafka producer configs retries (Integer.MAX_VALUE), retry.backoff.ms 100, retry.backoff.max.ms 1000 (KIP-580); CommonClientConfigs RETRY_BACKOFF_EXP_BASE 2 and RETRY_BACKOFF_JITTER 0.2; clients common/utils/ExponentialBackoff.java: min(max, initial x 2^attempts x random(0.8, 1.2))",
      notes:
        "Kafka bounds a record's retries by delivery.timeout.ms (120 s), which belongs to the producer, not to this policy.",
    },
  ),
  preset(
    "none",
    {
      maxAttempts: 1,
      backoff: { kind: "immediate" },
      jitter: "none",
      budget: null,
      circuitBreaker: null,
    },
    {
      description: "no retry: one attempt",
      source: "queuelab",
      notes: "",
    },
  ),
  preset(
    "immediate-3",
    {
      maxAttempts: 3,
      backoff: { kind: "immediate" },
      jitter: "none",
      budget: null,
      circuitBreaker: null,
    },
    {
      description: "3 attempts in all, each retry at once: the naive client of retry storms",
      source: "queuelab",
      notes: "3 is attempts in all (1 + 2 retries), as maxAttempts counts them.",
    },
  ),
  preset(
    "exponential-no-jitter",
    {
      maxAttempts: 3,
      backoff: EXPONENTIAL_100MS_TO_10S,
      jitter: "none",
      budget: null,
      circuitBreaker: null,
    },
    {
      description: "3 attempts, 100 ms doubling to 10 s, no jitter: retries stay in lockstep",
      source:
        "queuelab's default backoff without jitter (AWS Architecture Blog, 'Exponential Backoff And Jitter', 2015, shows why it clusters)",
      notes: "",
    },
  ),
]);

export const RETRY_PRESET_NAMES: readonly string[] = Object.keys(RETRY_PRESETS);

/** A copy of the preset's config (callers may change it freely); a RangeError for an unknown name. */
export function retryPreset(name: string): RetryPolicyConfig {
  const found = Object.hasOwn(RETRY_PRESETS, name) ? RETRY_PRESETS[name] : undefined;
  if (found === undefined) {
    throw new RangeError(
      `unknown retry preset '${name}' (known: ${RETRY_PRESET_NAMES.join(", ")})`,
    );
  }
  return structuredClone(found.config);
}
