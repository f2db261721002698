/**
 * A `retry:` block: a preset by name, a preset with overrides, or a policy written out. Fields
 * left out come from the preset when there is one, else from RETRY_DEFAULTS; inside `backoff`,
 * `budget` and `circuitBreaker`, a field left out comes from the inherited value of the same
 * kind (so `{ preset: grpc, backoff: { exponential: { cap: 5s } } }` keeps gRPC's base and
 * multiplier), else from that kind's defaults. See docs/retry-policies.md.
 */
import type {
  BackoffConfig,
  CircuitBreakerConfig,
  JitterKind,
  RetryBudgetConfig,
  RetryPolicyConfig,
} from "../models/retryPolicy.ts";
import { RETRY_PRESET_NAMES, retryPreset } from "../models/retryPresets.ts";
import { ScenarioError } from "./errors.ts";
import {
  Fields,
  fail,
  failWith,
  joinPath,
  readDurationS,
  readNumber,
  readProbability,
  readRatePerS,
  readWholeNumber,
} from "./fields.ts";
import { describeRaw, type RawNode } from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";

export const RETRY_KEYS = [
  "preset",
  "maxAttempts",
  "backoff",
  "jitter",
  "budget",
  "circuitBreaker",
];
const BACKOFF_KINDS = ["fixed", "exponential", "doublingsThenLinear"];
const JITTER_KINDS = ["none", "full", "equal", "decorrelated"] as const;
const RATIO_KEYS = ["ratio", "minPerSecond", "window"];
const BUDGET_KINDS = ["ratio", "quota", "throttle"];

/** Kafka's `retries` is a Java int; no state grows with attempts, so no tighter limit is needed. */
export const MAX_ATTEMPTS_MAX = 2_147_483_647;
/** Far beyond any real quota (AWS: 500); whole units. */
const QUOTA_UNITS_MAX = 1_000_000_000;
/** gRPC: maxTokens must be in (0, 1000]. */
const THROTTLE_TOKENS_MAX = 1000;
/** 0.1 x 2^100 s is about 4e29 s: far past any cap. */
const MAX_DOUBLINGS_MAX = 100;
/** The breaker keeps one byte per call of its window. */
const BREAKER_WINDOW_MAX = 1_000_000;

const EXPECTED =
  "a retry preset name or { preset, maxAttempts, backoff, jitter, budget, circuitBreaker }";
const BACKOFF_EXPECTED =
  "'immediate', { fixed: 1s }, { exponential: { base, multiplier, cap } } or { doublingsThenLinear: { min, max, maxDoublings } }";
const JITTER_EXPECTED = "'none', 'full', 'equal', 'decorrelated' or { proportional: 20% }";
const BUDGET_EXPECTED =
  "'none', a ratio like 10%, 'quota', 'throttle', { ratio, minPerSecond, window }, { quota: { ... } } or { throttle: { ... } }";
const BREAKER_EXPECTED = "'none' or { failureRatio, window, minimumCalls, open, halfOpenCalls }";

/** Defaults of the sub-fields of each kind, used when neither the file nor a preset gives one. */
export const RETRY_DEFAULTS = {
  /** 100 ms doubling up to 10 s. */
  exponential: { kind: "exponential", baseS: 0.1, multiplier: 2, capS: 10 },
  /** Cloud Tasks' queue defaults. */
  doublingsThenLinear: { kind: "doublings-then-linear", minS: 0.1, maxS: 3600, maxDoublings: 16 },
  /** Finagle's ttl of 10 s; no reserve unless asked (the SRE book's budget has none). */
  ratio: { kind: "ratio", ratio: 0.1, minPerS: 0, windowS: 10 },
  /** The AWS SDKs' standard retry quota. */
  quota: { kind: "quota", capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 },
  /** gRFC A6's retryThrottling example. */
  throttle: { kind: "throttle", maxTokens: 10, tokenRatio: 0.1 },
  /** resilience4j's CircuitBreakerConfig defaults. */
  circuitBreaker: {
    failureRatio: 0.5,
    windowCalls: 100,
    minimumCalls: 100,
    openS: 60,
    halfOpenCalls: 10,
  },
} as const;

/** A `retry:` block with nothing in it: 3 attempts, 100 ms doubling to 10 s, full jitter. */
export const RETRY_POLICY_DEFAULT: RetryPolicyConfig = {
  preset: null,
  maxAttempts: 3,
  backoff: RETRY_DEFAULTS.exponential,
  jitter: "full",
  jitterRatio: 0,
  budget: null,
  circuitBreaker: null,
};

export function readRetryPolicy(node: RawNode, path: string): RetryPolicyConfig {
  if (node.kind === "scalar") return readPresetName(node, path);
  refuseBackoffAtTop(node, path);
  const fields = Fields.open(node, path, RETRY_KEYS, EXPECTED);
  const base = fields.has("preset")
    ? readPresetName(fields.get("preset")!, fields.pathOf("preset"))
    : structuredClone(RETRY_POLICY_DEFAULT);
  const maxAttempts = fields.read(
    "maxAttempts",
    (n, p) => readWholeNumber(n, p, 1, MAX_ATTEMPTS_MAX),
    base.maxAttempts,
  );
  const backoff = fields.read("backoff", (n, p) => readBackoff(n, p, base.backoff), base.backoff);
  const { jitter, jitterRatio } = fields.read("jitter", readJitter, {
    jitter: base.jitter,
    jitterRatio: base.jitterRatio,
  });
  if (jitter === "decorrelated" && (backoff.kind === "fixed" || backoff.kind === "immediate")) {
    const blamed = fields.has("jitter") ? "jitter" : "backoff";
    fields.refuse(
      blamed,
      "an exponential or doublingsThenLinear backoff with decorrelated jitter",
      `decorrelated jitter grows from the backoff's base up to its cap, and a${backoff.kind === "fixed" ? " fixed" : "n immediate"} backoff has neither: use an exponential or doublingsThenLinear backoff, or another jitter`,
    );
  }
  const budget = fields.read<RetryBudgetConfig | null>(
    "budget",
    (n, p) => readBudget(n, p, base.budget),
    base.budget,
  );
  const circuitBreaker = fields.read<CircuitBreakerConfig | null>(
    "circuitBreaker",
    (n, p) => readCircuitBreaker(n, p, base.circuitBreaker),
    base.circuitBreaker,
  );
  return {
    preset: base.preset,
    maxAttempts,
    backoff,
    jitter,
    jitterRatio,
    budget,
    circuitBreaker,
  };
}

function readPresetName(node: RawNode, path: string): RetryPolicyConfig {
  if (node.kind !== "scalar") fail(node, path, EXPECTED);
  const { value } = node;
  if (typeof value === "string" && RETRY_PRESET_NAMES.includes(value)) return retryPreset(value);
  const known = `a retry preset (${RETRY_PRESET_NAMES.join(", ")})`;
  if (typeof value === "number") {
    failWith(
      node,
      path,
      known,
      `expected ${known} or a mapping, got ${describeRaw(node)} (for a number of attempts, write { maxAttempts: ${describeRaw(node)} })`,
    );
  }
  const hint = typeof value === "string" ? suggestionSuffix(value, RETRY_PRESET_NAMES) : "";
  failWith(node, path, known, `unknown retry preset '${describeRaw(node)}'${hint}`);
}

const REDELIVERY_BACKOFF_EXPECTED = `${BACKOFF_EXPECTED}, or a retry preset without jitter`;

/**
 * A queue's `redeliveryBackoff`: a backoff written as a retry policy's, or the name of a retry
 * preset without jitter (`cloud-tasks`), whose backoff it takes ('immediate': none).
 */
export function readRedeliveryBackoff(node: RawNode, path: string): BackoffConfig | null {
  if (node.kind === "scalar" && typeof node.value === "string" && node.value !== "immediate") {
    const preset = readPresetName(node, path);
    if (preset.jitter !== "none") {
      failWith(
        node,
        path,
        REDELIVERY_BACKOFF_EXPECTED,
        `retry preset '${node.value}' has ${preset.jitter} jitter, and a broker's redelivery backoff has none: write its backoff instead`,
      );
    }
    return preset.backoff;
  }
  const backoff = readBackoff(node, path, RETRY_DEFAULTS.exponential);
  return backoff.kind === "immediate" ? null : backoff;
}

/** `retry: { exponential: ... }` is a backoff written one level too high: say so. */
function refuseBackoffAtTop(node: RawNode, path: string): void {
  if (node.kind !== "map") return;
  for (const entry of node.entries) {
    if (entry.key === "immediate" || BACKOFF_KINDS.includes(entry.key)) {
      throw new ScenarioError({
        at: entry.keyAt,
        path: joinPath(path, entry.key),
        expected: `one of ${RETRY_KEYS.join(", ")}`,
        problem: `'${entry.key}' is a kind of backoff: write backoff: { ${entry.key}: ... } (or backoff: immediate)`,
      });
    }
  }
}

function readBackoff(node: RawNode, path: string, inherited: BackoffConfig): BackoffConfig {
  if (node.kind === "scalar") {
    if (node.value === "immediate") return { kind: "immediate" };
    const written = typeof node.value === "string" ? node.value : "";
    const hint = written === "" ? "" : suggestionSuffix(written, ["immediate"]);
    const suffix = hint.startsWith(",")
      ? hint
      : typeof node.value === "number" || /^\s*[\d.]/.test(written)
        ? ` (for a constant delay, write { fixed: ${describeRaw(node)} })`
        : "";
    failWith(
      node,
      path,
      BACKOFF_EXPECTED,
      `expected ${BACKOFF_EXPECTED}, got ${describeRaw(node)}${suffix}`,
    );
  }
  const fields = Fields.open(node, path, BACKOFF_KINDS, BACKOFF_EXPECTED);
  const kind = onlyKind(fields, BACKOFF_KINDS, BACKOFF_EXPECTED, "backoff");
  const value = fields.required(kind, BACKOFF_EXPECTED);
  const at = fields.pathOf(kind);
  if (kind === "fixed") return { kind: "fixed", delayS: readDurationS(value, at) };
  if (kind === "exponential") {
    return readExponential(
      value,
      at,
      inherited.kind === "exponential" ? inherited : RETRY_DEFAULTS.exponential,
    );
  }
  return readDoublings(
    value,
    at,
    inherited.kind === "doublings-then-linear" ? inherited : RETRY_DEFAULTS.doublingsThenLinear,
  );
}

/** The one key of a `{ kind: ... }` mapping. */
function onlyKind(
  fields: Fields,
  kinds: readonly string[],
  expected: string,
  what: string,
): string {
  const given = fields.map.entries.map((e) => e.key).filter((k) => kinds.includes(k));
  if (given.length === 1) return given[0];
  const problem =
    given.length === 0
      ? `expected ${expected}, got ${describeRaw(fields.map)} with none of ${kinds.join(", ")}`
      : `give one kind of ${what}, got ${given.join(" and ")}`;
  failWith(fields.map, fields.path, expected, problem);
}

function readExponential(
  node: RawNode,
  path: string,
  inherited: Extract<BackoffConfig, { kind: "exponential" }>,
): BackoffConfig {
  // `{ exponential: 200ms }`: the base, with the other fields inherited.
  if (node.kind === "scalar") return { ...inherited, baseS: positiveDuration(node, path) };
  const fields = Fields.open(
    node,
    path,
    ["base", "multiplier", "cap"],
    "{ base, multiplier, cap }",
  );
  const baseS = fields.read("base", positiveDuration, inherited.baseS);
  const multiplier = fields.read(
    "multiplier",
    (n, p) => {
      const x = readNumber(n, p);
      if (x < 1) fail(n, p, "a multiplier >= 1 (2 doubles the delay at each retry)");
      return x;
    },
    inherited.multiplier,
  );
  const capS = fields.read("cap", positiveDuration, inherited.capS);
  if (capS < baseS) {
    fields.refuse(
      fields.has("cap") ? "cap" : "base",
      "cap >= base",
      `cap (${capS}s) is shorter than base (${baseS}s): every delay would be the cap`,
    );
  }
  return { kind: "exponential", baseS, multiplier, capS };
}

function readDoublings(
  node: RawNode,
  path: string,
  inherited: Extract<BackoffConfig, { kind: "doublings-then-linear" }>,
): BackoffConfig {
  const fields = Fields.open(
    node,
    path,
    ["min", "max", "maxDoublings"],
    "{ min, max, maxDoublings }",
  );
  const minS = fields.read("min", positiveDuration, inherited.minS);
  const maxS = fields.read("max", positiveDuration, inherited.maxS);
  const maxDoublings = fields.read(
    "maxDoublings",
    (n, p) => readWholeNumber(n, p, 0, MAX_DOUBLINGS_MAX),
    inherited.maxDoublings,
  );
  if (maxS < minS) {
    fields.refuse(
      fields.has("max") ? "max" : "min",
      "max >= min",
      `max (${maxS}s) is shorter than min (${minS}s)`,
    );
  }
  return { kind: "doublings-then-linear", minS, maxS, maxDoublings };
}

function readJitter(node: RawNode, path: string): { jitter: JitterKind; jitterRatio: number } {
  if (node.kind === "scalar") {
    if (node.value === "proportional") {
      failWith(
        node,
        path,
        JITTER_EXPECTED,
        "proportional jitter needs its size: write { proportional: 20% }",
      );
    }
    const { value } = node;
    const known = JITTER_KINDS.find((kind) => kind === value);
    if (known !== undefined) return { jitter: known, jitterRatio: 0 };
    const hint = typeof value === "string" ? suggestionSuffix(value, JITTER_KINDS) : "";
    const suffix = hint.startsWith(",") ? hint : "";
    failWith(
      node,
      path,
      JITTER_EXPECTED,
      `expected ${JITTER_EXPECTED}, got ${describeRaw(node)}${suffix}`,
    );
  }
  const fields = Fields.open(node, path, ["proportional"], JITTER_EXPECTED);
  const ratio = readProbability(
    fields.required("proportional", "a ratio like 20%"),
    fields.pathOf("proportional"),
  );
  return { jitter: "proportional", jitterRatio: ratio };
}

function readBudget(
  node: RawNode,
  path: string,
  inherited: RetryBudgetConfig | null,
): RetryBudgetConfig | null {
  if (node.kind === "scalar") {
    if (node.value === "none") return null;
    if (node.value === "quota") return { ...RETRY_DEFAULTS.quota };
    if (node.value === "throttle") return { ...RETRY_DEFAULTS.throttle };
    if (node.value === "ratio") {
      failWith(node, path, BUDGET_EXPECTED, "a ratio budget needs its ratio: write budget: 10%");
    }
    const looksLikeWord = typeof node.value === "string" && /^[A-Za-z]/.test(node.value);
    if (looksLikeWord) {
      const hint = suggestionSuffix(String(node.value), ["none", "quota", "throttle"]);
      const suffix = hint.startsWith(",") ? hint : "";
      failWith(
        node,
        path,
        BUDGET_EXPECTED,
        `expected ${BUDGET_EXPECTED}, got ${describeRaw(node)}${suffix}`,
      );
    }
    const ratio = readProbability(node, path);
    return { ...inheritedRatio(inherited), ratio };
  }
  const fields = Fields.open(node, path, [...RATIO_KEYS, "quota", "throttle"], BUDGET_EXPECTED);
  const given = BUDGET_KINDS.filter((k) => fields.has(k));
  const ratioSiblings = RATIO_KEYS.filter((k) => k !== "ratio" && fields.has(k));
  // `{ minPerSecond: 5 }` alone changes an inherited ratio budget.
  const kind =
    given.length === 0 && ratioSiblings.length > 0 && inherited?.kind === "ratio"
      ? "ratio"
      : onlyKind(fields, BUDGET_KINDS, BUDGET_EXPECTED, "budget");
  if (kind !== "ratio" && ratioSiblings.length > 0) {
    fields.refuse(
      ratioSiblings[0],
      `no '${ratioSiblings[0]}' with a ${kind} budget`,
      `'${ratioSiblings[0]}' applies only to a ratio budget, not to ${kind}`,
    );
  }
  if (kind === "ratio") return readRatio(fields, inheritedRatio(inherited));
  if (kind === "quota") {
    const from = inherited?.kind === "quota" ? inherited : RETRY_DEFAULTS.quota;
    return readQuota(
      fields.required("quota", "a retry quota { ... }"),
      fields.pathOf("quota"),
      from,
    );
  }
  const from = inherited?.kind === "throttle" ? inherited : RETRY_DEFAULTS.throttle;
  return readThrottle(
    fields.required("throttle", "a retry throttle { ... }"),
    fields.pathOf("throttle"),
    from,
  );
}

type RatioBudget = Extract<RetryBudgetConfig, { kind: "ratio" }>;
type QuotaBudget = Extract<RetryBudgetConfig, { kind: "quota" }>;
type ThrottleBudget = Extract<RetryBudgetConfig, { kind: "throttle" }>;

function inheritedRatio(inherited: RetryBudgetConfig | null): RatioBudget {
  return inherited?.kind === "ratio" ? inherited : RETRY_DEFAULTS.ratio;
}

function readRatio(fields: Fields, from: RatioBudget): RatioBudget {
  return {
    kind: "ratio",
    ratio: fields.read("ratio", readProbability, from.ratio),
    minPerS: fields.read("minPerSecond", readRatePerS, from.minPerS),
    windowS: fields.read("window", positiveDuration, from.windowS),
  };
}

function readQuota(node: RawNode, path: string, from: QuotaBudget): QuotaBudget {
  const fields = Fields.open(
    node,
    path,
    ["capacity", "retryCost", "timeoutCost", "successRefund"],
    "a retry quota { capacity, retryCost, timeoutCost, successRefund }",
  );
  const units = (min: number) => (n: RawNode, p: string) =>
    readWholeNumber(n, p, min, QUOTA_UNITS_MAX);
  const capacity = fields.read("capacity", units(1), from.capacity);
  const retryCost = fields.read("retryCost", units(0), from.retryCost);
  const timeoutCost = fields.read("timeoutCost", units(0), from.timeoutCost);
  const successRefund = fields.read("successRefund", units(0), from.successRefund);
  for (const [key, cost] of [
    ["retryCost", retryCost],
    ["timeoutCost", timeoutCost],
  ] as const) {
    if (cost > capacity) {
      fields.refuse(
        fields.has(key) ? key : "capacity",
        `${key} <= capacity`,
        `${key} ${cost} is more than the capacity ${capacity}: no such retry could ever be paid for`,
      );
    }
  }
  return { kind: "quota", capacity, retryCost, timeoutCost, successRefund };
}

function readThrottle(node: RawNode, path: string, from: ThrottleBudget): ThrottleBudget {
  const fields = Fields.open(
    node,
    path,
    ["maxTokens", "tokenRatio"],
    "a retry throttle { maxTokens, tokenRatio }",
  );
  const maxTokens = fields.read(
    "maxTokens",
    (n, p) => {
      const x = readNumber(n, p);
      if (!(x > 0 && x <= THROTTLE_TOKENS_MAX)) fail(n, p, "a number > 0 and <= 1000");
      return x;
    },
    from.maxTokens,
  );
  const tokenRatio = fields.read(
    "tokenRatio",
    (n, p) => {
      const x = readNumber(n, p);
      // gRPC keeps thousandths of a token: a smaller ratio would round to nothing.
      if (!(x >= 0.001)) fail(n, p, "a number >= 0.001 (tokens a success earns back)");
      return x;
    },
    from.tokenRatio,
  );
  return { kind: "throttle", maxTokens, tokenRatio };
}

function readCircuitBreaker(
  node: RawNode,
  path: string,
  inherited: CircuitBreakerConfig | null,
): CircuitBreakerConfig | null {
  if (node.kind === "scalar") {
    if (node.value === "none") return null;
    const written = typeof node.value === "string" ? node.value : "";
    const hint = written === "" ? "" : suggestionSuffix(written, ["none"]);
    const suffix = hint.startsWith(",") ? hint : "";
    failWith(
      node,
      path,
      BREAKER_EXPECTED,
      `expected ${BREAKER_EXPECTED}, got ${describeRaw(node)}${suffix}`,
    );
  }
  const from = inherited ?? RETRY_DEFAULTS.circuitBreaker;
  const fields = Fields.open(
    node,
    path,
    ["failureRatio", "window", "minimumCalls", "open", "halfOpenCalls"],
    BREAKER_EXPECTED,
  );
  const failureRatio = fields.read(
    "failureRatio",
    (n, p) => {
      const x = readProbability(n, p);
      if (x === 0) fail(n, p, "a failure ratio > 0 (at 0 the breaker would open on no failure)");
      return x;
    },
    from.failureRatio,
  );
  const calls = (n: RawNode, p: string) => readWholeNumber(n, p, 1, BREAKER_WINDOW_MAX);
  const windowCalls = fields.read("window", calls, from.windowCalls);
  const minimumCalls = fields.read("minimumCalls", calls, Math.min(from.minimumCalls, windowCalls));
  if (minimumCalls > windowCalls) {
    fields.refuse(
      "minimumCalls",
      `minimumCalls <= window (${windowCalls})`,
      `minimumCalls ${minimumCalls} is more than the window of ${windowCalls} calls: the breaker could never open`,
    );
  }
  return {
    failureRatio,
    windowCalls,
    minimumCalls,
    openS: fields.read("open", positiveDuration, from.openS),
    halfOpenCalls: fields.read("halfOpenCalls", calls, from.halfOpenCalls),
  };
}

function positiveDuration(node: RawNode, path: string): number {
  return readDurationS(node, path, { exclusive: true });
}
