/** Queues, producers, consumers and links: from their file syntax to their resolved config. */
import type {
  ConsumerConfig,
  KeyConfig,
  LinkConfig,
  ProducerConfig,
  ProducerPhase,
  QueueConfig,
} from "../models/config.ts";
import { readDistribution } from "./distribution-syntax.ts";
import {
  Fields,
  fail,
  failWith,
  joinPath,
  readBoolean,
  readChoice,
  readDurationS,
  readList,
  readName,
  readNumber,
  readProbability,
  readRatePerS,
  readWholeNumber,
} from "./fields.ts";
import type { ComponentKind, ComponentNames } from "./names.ts";
import type { RawNode } from "./raw.ts";

export const QUEUE_KEYS = ["name", "visibilityTimeout", "maxReceives"];
export const PRODUCER_KEYS = [
  "name",
  "to",
  "rate",
  "phases",
  "repeat",
  "arrivals",
  "start",
  "keys",
];
export const PHASE_KEYS = ["for", "rate"];
export const KEYS_KEYS = ["count", "skew", "exponent"];
export const CONSUMER_KEYS = [
  "name",
  "queue",
  "count",
  "concurrency",
  "processing",
  "failure",
  "onFailure",
  "nackDelay",
];
export const LINK_KEYS = ["from", "to", "between", "latency", "loss", "duplicate"];

/** Limits on what can grow, so a typo (`count: 2000000`) fails here rather than in the run. */
export const LIMITS = {
  consumerCountMax: 100_000,
  concurrencyMax: 10_000,
  keyCountMax: 10_000_000,
  /** SQS allows 1 to 1000. */
  maxReceivesMax: 1000,
  phasesMax: 10_000,
} as const;

/** One key: no ordering or skew effects unless the scenario asks for them. */
const KEYS_DEFAULT: KeyConfig = { count: 1, skew: "uniform", zipfExponent: 1 };

/** SQS's default visibility timeout. */
export const VISIBILITY_TIMEOUT_DEFAULT_S = 30;

/** What every reader needs: the scenario's duration and the names seen so far. */
export interface Context {
  durationS: number;
  names: ComponentNames;
}

export function readQueue(fields: Fields, name: string): QueueConfig {
  const visibilityTimeoutS = fields.read(
    "visibilityTimeout",
    (n, p) => readDurationS(n, p, { exclusive: true }),
    VISIBILITY_TIMEOUT_DEFAULT_S,
  );
  const maxReceives = fields.read<number | null>(
    "maxReceives",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.maxReceivesMax),
    null,
  );
  return { name, visibilityTimeoutS, maxReceives };
}

export function readProducer(fields: Fields, name: string, ctx: Context): ProducerConfig {
  const to = readReference(fields, "to", "queue", ctx);
  const startS = fields.read("start", readDurationS, 0);
  if (startS >= ctx.durationS) {
    failWith(
      fields.get("start")!,
      fields.pathOf("start"),
      "a start before duration",
      `starts at ${startS}s, at or after the end of duration (${ctx.durationS}s): it would never publish`,
    );
  }
  const arrivals = fields.read(
    "arrivals",
    (n, p) => readChoice(n, p, ["poisson", "constant"] as const),
    "poisson",
  );
  const { phases, repeatPhases } = readLoad(fields, ctx.durationS - startS);
  const keys = fields.read<KeyConfig>("keys", readKeys, KEYS_DEFAULT);
  return { name, to, arrivals, startS, phases, repeatPhases, keys };
}

/** `rate` (one phase to the end) or `phases` (with `repeat`), not both. */
function readLoad(
  fields: Fields,
  remainingS: number,
): { phases: ProducerPhase[]; repeatPhases: boolean } {
  const hasRate = fields.has("rate");
  const hasPhases = fields.has("phases");
  if (hasRate && hasPhases) {
    failWith(
      fields.get("phases")!,
      fields.path,
      "rate or phases",
      "give either 'rate' or 'phases', not both",
    );
  }
  if (!hasPhases) {
    if (fields.has("repeat")) {
      failWith(
        fields.get("repeat")!,
        fields.pathOf("repeat"),
        "phases",
        "'repeat' applies only to 'phases'",
      );
    }
    const ratePerS = readRatePerS(
      fields.required("rate", "a rate like 500/s (or 'phases')"),
      fields.pathOf("rate"),
    );
    return { phases: [{ durationS: remainingS, ratePerS }], repeatPhases: false };
  }
  const listPath = fields.pathOf("phases");
  const items = readList(fields.get("phases")!, listPath, "a list of { for, rate }");
  if (items.length === 0 || items.length > LIMITS.phasesMax) {
    fail(
      fields.get("phases")!,
      listPath,
      `a list of 1 to ${LIMITS.phasesMax} phases { for, rate }`,
    );
  }
  const phases = items.map((item, i) => readPhase(item, joinPath(listPath, i)));
  return { phases, repeatPhases: fields.read("repeat", readBoolean, false) };
}

function readPhase(node: RawNode, path: string): ProducerPhase {
  const fields = Fields.open(node, path, PHASE_KEYS, "a phase { for: 2m, rate: 100/s }");
  return {
    durationS: readDurationS(fields.required("for", "a duration"), fields.pathOf("for"), {
      exclusive: true,
    }),
    ratePerS: readRatePerS(fields.required("rate", "a rate like 500/s"), fields.pathOf("rate")),
  };
}

function readKeys(node: RawNode, path: string): KeyConfig {
  const fields = Fields.open(node, path, KEYS_KEYS, "{ count, skew, exponent }");
  const count = fields.read("count", (n, p) => readWholeNumber(n, p, 1, LIMITS.keyCountMax), 1);
  const skew = fields.read(
    "skew",
    (n, p) => readChoice(n, p, ["uniform", "zipf"] as const),
    "uniform",
  );
  if (skew !== "zipf" && fields.has("exponent")) {
    failWith(
      fields.get("exponent")!,
      fields.pathOf("exponent"),
      "skew: zipf",
      "'exponent' applies only to skew: zipf",
    );
  }
  const zipfExponent = fields.read("exponent", readPositiveNumber, 1);
  return { count, skew, zipfExponent };
}

export function readConsumer(fields: Fields, name: string, ctx: Context): ConsumerConfig {
  const queue = readReference(fields, "queue", "queue", ctx);
  const count = fields.read(
    "count",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.consumerCountMax),
    1,
  );
  const concurrency = fields.read(
    "concurrency",
    (n, p) => readWholeNumber(n, p, 1, LIMITS.concurrencyMax),
    1,
  );
  const processing = readDistribution(
    fields.required("processing", "a distribution like { exponential: 40ms }"),
    fields.pathOf("processing"),
  );
  const failureProbability = fields.read("failure", readProbability, 0);
  const onFailure = fields.read(
    "onFailure",
    (n, p) => readChoice(n, p, ["nack", "timeout"] as const),
    "nack",
  );
  if (onFailure !== "nack" && fields.has("nackDelay")) {
    failWith(
      fields.get("nackDelay")!,
      fields.pathOf("nackDelay"),
      "onFailure: nack",
      "'nackDelay' applies only to onFailure: nack",
    );
  }
  const nackDelayS = fields.read("nackDelay", readDurationS, 0);
  return { name, queue, count, concurrency, processing, failureProbability, onFailure, nackDelayS };
}

/** One link in the file: `from`/`to`, or `between: [a, b]` for both directions. */
export function readLinks(node: RawNode, path: string, ctx: Context): LinkConfig[] {
  const fields = Fields.open(
    node,
    path,
    LINK_KEYS,
    "a link { from, to, latency, loss, duplicate }",
  );
  const latency = fields.read("latency", readDistribution, null);
  const lossProbability = fields.read("loss", readProbability, 0);
  const duplicateProbability = fields.read("duplicate", readProbability, 0);
  const ends = readEnds(fields, ctx);
  return ends.map(([from, to]) => ({ from, to, latency, lossProbability, duplicateProbability }));
}

const LINK_END_KINDS: readonly ComponentKind[] = ["producer", "queue", "consumer"];

function readEnds(fields: Fields, ctx: Context): [string, string][] {
  if (fields.has("between")) {
    if (fields.has("from") || fields.has("to")) {
      failWith(
        fields.get("between")!,
        fields.pathOf("between"),
        "between or from/to",
        "give either 'between' or 'from' and 'to', not both",
      );
    }
    const betweenPath = fields.pathOf("between");
    const items = readList(fields.get("between")!, betweenPath, "a list of two names [a, b]");
    if (items.length !== 2) fail(fields.get("between")!, betweenPath, "a list of two names [a, b]");
    const [a, b] = items.map((item, i) => readEnd(item, joinPath(betweenPath, i), ctx));
    checkDistinct(a, b, fields.get("between")!, betweenPath);
    return [
      [a, b],
      [b, a],
    ];
  }
  const from = readEnd(
    fields.required("from", "a component name (or 'between')"),
    fields.pathOf("from"),
    ctx,
  );
  const to = readEnd(fields.required("to", "a component name"), fields.pathOf("to"), ctx);
  checkDistinct(from, to, fields.get("to")!, fields.pathOf("to"));
  return [[from, to]];
}

function readEnd(node: RawNode, path: string, ctx: Context): string {
  const name = readName(node, path);
  ctx.names.expect(name, LINK_END_KINDS, node, path);
  return name;
}

function checkDistinct(a: string, b: string, node: RawNode, path: string): void {
  if (a === b)
    failWith(
      node,
      path,
      "two different components",
      `a link joins two different components, got '${a}' twice`,
    );
}

/** A queue name; may be left out when the scenario has exactly one queue. */
function readReference(fields: Fields, key: string, kind: ComponentKind, ctx: Context): string {
  const node = fields.get(key);
  if (node === undefined) {
    const candidates = ctx.names.namesOf(kind);
    if (candidates.length === 1) return candidates[0];
    fields.required(
      key,
      `the name of a ${kind} (there are ${candidates.length}: ${candidates.join(", ")})`,
    );
  }
  const name = readName(node!, fields.pathOf(key));
  ctx.names.expect(name, [kind], node!, fields.pathOf(key));
  return name;
}

function readPositiveNumber(node: RawNode, path: string): number {
  const value = readNumber(node, path);
  if (value <= 0) fail(node, path, "a number > 0");
  return value;
}
