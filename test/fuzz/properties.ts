/**
 * The properties the fuzz cases are held to, shared by the test suite and `npm run fuzz`.
 *
 * Loading: `loadScenarioText` returns a scenario whose every variant passes a structural sanity
 * check, or throws a ScenarioError whose message is one printable line starting with the file
 * name and naming the field and what was expected; never another exception, never slowly.
 *
 * Running: a valid scenario runs to the end, or stops with a ModelConfigError (a scenario the
 * models cannot wire), or with an EventLoopError when it is a known zero-delay loop (a consumer
 * that fails every message in zero time and nacks it with no delay); never another exception.
 */
import type { ScenarioConfig } from "../../models/config.ts";
import { EventLoopError, ModelConfigError } from "../../models/errors.ts";
import { alertMetrics } from "../../models/results.ts";
import { ScenarioError } from "../../scenarios/errors.ts";
import { EXPECTATION_METRICS } from "../../scenarios/expectations.ts";
import { NAME_LENGTH_MAX, NAME_PATTERN } from "../../scenarios/fields.ts";
import { type LoadedScenario, loadScenarioText } from "../../scenarios/loader.ts";
import { runScenario } from "../../scenarios/run.ts";
import { SAMPLE_BUCKETS_MAX, SCENARIO_NAME_PATTERN } from "../../scenarios/schema.ts";
import { type DistributionSpec, validateDistribution } from "../../sim/distributions.ts";
import type { LoaderCase, RunnableScenario } from "./scenarioArbitraries.ts";

/** A load that takes longer than this is a hang in the making (real files load in ~1 ms). */
export const LOAD_TIME_MAX_MS = 2000;

/** A broken property: the message says which, and the case is printed by the caller. */
export class PropertyFailure extends Error {}

export type LoaderOutcome =
  | { kind: "loaded"; variants: number; ms: number }
  | { kind: "error"; error: ScenarioError; ms: number };

/** Loads a case and checks the outcome; throws PropertyFailure (or the unexpected error). */
export function checkLoaderCase(c: LoaderCase): LoaderOutcome {
  const started = performance.now();
  let loaded: LoadedScenario;
  try {
    loaded = loadScenarioText(c.text, c.file, c.overrides);
  } catch (error) {
    const ms = performance.now() - started;
    if (!(error instanceof ScenarioError)) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new PropertyFailure(`threw something other than a ScenarioError: ${what}`, {
        cause: error,
      });
    }
    const problems = [...errorProblems(error, c.file), ...slowness(ms)];
    if (problems.length > 0) {
      throw new PropertyFailure(
        `${problems.join("; ")}\nmessage: ${JSON.stringify(error.message)}`,
      );
    }
    return { kind: "error", error, ms };
  }
  const ms = performance.now() - started;
  const problems = [...sanityProblems(loaded), ...slowness(ms)];
  if (problems.length > 0) {
    throw new PropertyFailure(`loaded, but: ${problems.join("; ")}`);
  }
  return { kind: "loaded", variants: loaded.variants.length, ms };
}

function slowness(ms: number): string[] {
  return ms > LOAD_TIME_MAX_MS ? [`took ${Math.round(ms)} ms (limit ${LOAD_TIME_MAX_MS})`] : [];
}

/** Whether `text` has characters that would break the line, or reach a terminal as codes. */
function unprintable(text: string): boolean {
  for (const c of text) {
    const code = c.charCodeAt(0);
    if ((code < 0x20 && c !== "\t") || (code >= 0x7f && code <= 0x9f)) return true;
    if (c === "\u2028" || c === "\u2029") return true;
  }
  return false;
}

/** What is wrong with a ScenarioError's message for a user. */
export function errorProblems(error: ScenarioError, file: string): string[] {
  const problems: string[] = [];
  const message = error.message;
  if (unprintable(message)) problems.push("the message is not one printable line");
  if (!message.startsWith(file)) problems.push("the message does not start with the file name");
  if (error.expected.trim() === "") problems.push("the error has no expectation");
  // A complete `problem` may replace "expected ..., got ..." (an unknown key with a suggestion);
  // the expectation is then in the error's fields, and the problem says it in its own words.
  if (error.detail.problem === undefined && !message.includes("expected ")) {
    problems.push("the message does not say what was expected");
  }
  if (error.line !== null && !message.startsWith(`${file}:${error.line}:`)) {
    problems.push("the message does not give the line");
  }
  if (error.path !== "" && !unprintable(error.path) && !message.includes(`${error.path}: `)) {
    problems.push(`the message does not name the field ${error.path}`);
  }
  return problems;
}

/** Everything a model may rely on in a loaded scenario, checked independently of the loader. */
export function sanityProblems(loaded: LoadedScenario): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(SCENARIO_NAME_PATTERN.test(loaded.name), `scenario name ${JSON.stringify(loaded.name)}`);
  check(loaded.variants.length >= 1, "no variants");
  const variantNames = loaded.variants.map((v) => v.name);
  check(new Set(variantNames).size === variantNames.length, "duplicate variant names");
  for (const variant of loaded.variants) {
    check(
      NAME_PATTERN.test(variant.name) && variant.name.length <= NAME_LENGTH_MAX,
      `variant name ${JSON.stringify(variant.name)}`,
    );
    for (const problem of configProblems(variant.config))
      problems.push(`${variant.name}: ${problem}`);
  }
  return problems;
}

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const wholeAtLeast = (x: unknown, min: number) => Number.isSafeInteger(x) && (x as number) >= min;
const probability = (x: unknown) => finite(x) && x >= 0 && x <= 1;
const COMMIT_POINTS = ["before-processing", "after-processing", "auto", "transactional"];

function distributionProblem(spec: DistributionSpec | null): string | null {
  if (spec === null) return null;
  try {
    validateDistribution(spec);
  } catch (error) {
    return (error as Error).message;
  }
  const numbers = Object.values(spec).flatMap((v) => (Array.isArray(v) ? v : [v]));
  return numbers.every((v) => typeof v === "string" || finite(v)) ? null : "a non-finite parameter";
}

/** The paths of every number in `value` that is not finite: none may be, in any field. */
function nonFinitePaths(value: unknown, path: string): string[] {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [`${path} = ${value}`];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    nonFinitePaths(v, path === "" ? k : `${path}.${k}`),
  );
}

export function configProblems(config: ScenarioConfig): string[] {
  const problems: string[] = nonFinitePaths(config, "").map((p) => `not finite: ${p}`);
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(wholeAtLeast(config.seed, 0), `seed ${config.seed}`);
  check(finite(config.durationS) && config.durationS > 0, `durationS ${config.durationS}`);
  check(finite(config.drainS) && config.drainS >= 0, `drainS ${config.drainS}`);
  check(finite(config.durationS + config.drainS), "durationS + drainS is not finite");
  check(
    finite(config.warmupS) && config.warmupS >= 0 && config.warmupS < config.durationS,
    `warmupS ${config.warmupS}`,
  );
  const interval = config.sampleIntervalS;
  check(
    interval === null ||
      (finite(interval) &&
        interval > 0 &&
        (config.durationS + config.drainS) / interval <= SAMPLE_BUCKETS_MAX),
    `sampleIntervalS ${interval}`,
  );
  const kinds = new Map<string, string>();
  const register = (kind: string, name: string) => {
    check(
      NAME_PATTERN.test(name) && name.length <= NAME_LENGTH_MAX,
      `${kind} name ${JSON.stringify(name)}`,
    );
    check(!kinds.has(name), `the name ${name} is used twice`);
    kinds.set(name, kind);
  };
  // Callers and services alone, or a contention experiment, need no broker; anything else
  // needs all three.
  if (config.callers.length === 0 && config.contention === null) {
    check(config.queues.length + config.topics.length >= 1, "no queue or topic");
    check(config.producers.length >= 1, "no producers");
    check(config.consumers.length >= 1, "no consumers");
  }
  const contention = config.contention;
  if (contention !== null) {
    const counts = contention.clientCounts;
    check(
      counts.length >= 1 &&
        counts.every((n, i) => wholeAtLeast(n, 1) && n <= 10_000 && (i === 0 || n > counts[i - 1])),
      `contention clients ${counts.join(", ")}`,
    );
    check(wholeAtLeast(contention.repetitions, 1), `contention repetitions`);
    const hop = distributionProblem(contention.hop);
    check(hop === null, `contention hop: ${hop}`);
    check(contention.retry.circuitBreaker === null, "contention retry with a circuit breaker");
  }
  for (const q of config.queues) {
    register("queue", q.name);
    check(finite(q.visibilityTimeoutS) && q.visibilityTimeoutS > 0, `${q.name}.visibilityTimeoutS`);
    check(q.maxReceives === null || wholeAtLeast(q.maxReceives, 1), `${q.name}.maxReceives`);
    check(typeof q.fifo === "boolean", `${q.name}.fifo`);
    check(
      finite(q.deduplicationWindowS) && q.deduplicationWindowS >= 0,
      `${q.name}.deduplicationWindowS`,
    );
    const limited = q.maxLength !== null || q.maxBytes !== null;
    check(q.maxLength === null || wholeAtLeast(q.maxLength, 1), `${q.name}.maxLength`);
    check(q.maxBytes === null || wholeAtLeast(q.maxBytes, 1), `${q.name}.maxBytes`);
    check(limited === (q.overflow !== "unbounded"), `${q.name}.overflow ${q.overflow}`);
    check(!q.fifo || (!limited && q.messageTtlS === null), `${q.name}: FIFO with capacity or TTL`);
    check(wholeAtLeast(q.priorities, 1) && q.priorities <= 255, `${q.name}.priorities`);
    check(q.messageTtlS === null || q.messageTtlS > 0, `${q.name}.messageTtlS`);
    check(finite(q.delayS) && q.delayS >= 0, `${q.name}.delayS`);
  }
  // Topics arrive with streams; a config without them has none.
  for (const t of config.topics ?? []) {
    register("topic", t.name);
    check(wholeAtLeast(t.partitions, 1), `${t.name}.partitions`);
    check(wholeAtLeast(t.brokers, 1), `${t.name}.brokers`);
    check(
      wholeAtLeast(t.replicationFactor, 1) && t.replicationFactor <= t.brokers,
      `${t.name}.replicationFactor ${t.replicationFactor} on ${t.brokers} brokers`,
    );
    check(
      wholeAtLeast(t.minInsyncReplicas, 1) && t.minInsyncReplicas <= t.replicationFactor,
      `${t.name}.minInsyncReplicas`,
    );
    check(finite(t.replicationLagS) && t.replicationLagS >= 0, `${t.name}.replicationLagS`);
    check(
      t.retentionS === null || (finite(t.retentionS) && t.retentionS > 0),
      `${t.name}.retentionS`,
    );
    check(
      t.retentionBytes === null || wholeAtLeast(t.retentionBytes, 1),
      `${t.name}.retentionBytes`,
    );
    check(wholeAtLeast(t.segmentBytes, 1), `${t.name}.segmentBytes`);
    check(t.segmentS === null || (finite(t.segmentS) && t.segmentS > 0), `${t.name}.segmentS`);
    check(
      finite(t.retentionCheckIntervalS) && t.retentionCheckIntervalS > 0,
      `${t.name}.retentionCheckIntervalS`,
    );
  }
  for (const e of config.exchanges) {
    register("exchange", e.name);
    check(["direct", "fanout", "topic"].includes(e.type), `${e.name}.type ${e.type}`);
    for (const b of e.bindings) {
      check(kinds.get(b.queue) === "queue", `${e.name} binds ${b.queue}, not a queue`);
      check(e.type !== "fanout" || b.key === "", `${e.name}: a fanout binding with a key`);
    }
    check(
      e.alternate === null || kinds.get(e.alternate) === "queue",
      `${e.name}.alternate ${e.alternate} is not a queue`,
    );
  }
  for (const p of config.producers) register("producer", p.name);
  for (const c of config.consumers) register("consumer", c.name);
  const targets = ["queue", "topic", "exchange"];
  for (const p of config.producers) {
    check(
      targets.includes(kinds.get(p.to) ?? ""),
      `${p.name}.to ${p.to} is not a queue, topic or exchange`,
    );
    const exchange = config.exchanges.find((e) => e.name === p.to);
    check(
      (exchange !== undefined && exchange.type !== "fanout") === p.routingKeys.length > 0,
      `${p.name}.routingKeys: ${p.routingKeys.length} for ${exchange?.type ?? "no exchange"}`,
    );
    for (const k of p.routingKeys) {
      check(finite(k.weight) && k.weight > 0, `${p.name}.routingKeys ${k.key} weight ${k.weight}`);
    }
    check(["none", "leader", "all"].includes(p.acks), `${p.name}.acks ${p.acks}`);
    check(!p.idempotent || p.acks === "all", `${p.name} is idempotent without acks: all`);
    check(p.arrivals === "poisson" || p.arrivals === "constant", `${p.name}.arrivals`);
    check(finite(p.startS) && p.startS >= 0 && p.startS < config.durationS, `${p.name}.startS`);
    check(p.phases.length >= 1, `${p.name} has no phases`);
    for (const phase of p.phases) {
      check(finite(phase.durationS) && phase.durationS > 0, `${p.name} phase durationS`);
      check(finite(phase.ratePerS) && phase.ratePerS >= 0, `${p.name} phase ratePerS`);
    }
    check(typeof p.repeatPhases === "boolean", `${p.name}.repeatPhases`);
    check(wholeAtLeast(p.keys.count, 1), `${p.name}.keys.count`);
    check(p.keys.skew === "uniform" || p.keys.skew === "zipf", `${p.name}.keys.skew`);
    check(finite(p.keys.zipfExponent) && p.keys.zipfExponent > 0, `${p.name}.keys.zipfExponent`);
    const sizes = distributionProblem(p.messageSizeDistribution);
    check(sizes === null, `${p.name}.messageSizeDistribution: ${sizes}`);
    check(wholeAtLeast(p.messageSizeBytes, 1), `${p.name}.messageSizeBytes`);
    check(wholeAtLeast(p.priority, 0) && p.priority <= 255, `${p.name}.priority`);
    check(
      p.rateLimit === null || (p.rateLimit.ratePerS > 0 && wholeAtLeast(p.rateLimit.burst, 1)),
      `${p.name}.rateLimit`,
    );
  }
  for (const c of config.consumers) {
    const source =
      c.queue !== null && c.queue !== undefined
        ? kinds.get(c.queue) === "queue"
        : kinds.get(c.topic ?? "") === "topic";
    check(source, `${c.name} reads neither a queue nor a topic`);
    check(wholeAtLeast(c.count, 1), `${c.name}.count`);
    check(wholeAtLeast(c.concurrency, 1), `${c.name}.concurrency`);
    const processing = distributionProblem(c.processing);
    check(processing === null, `${c.name}.processing: ${processing}`);
    check(probability(c.failureProbability), `${c.name}.failureProbability`);
    check(c.onFailure === "nack" || c.onFailure === "timeout", `${c.name}.onFailure`);
    check(finite(c.nackDelayS) && c.nackDelayS >= 0, `${c.name}.nackDelayS`);
    const onTopic = c.topic !== null && c.topic !== undefined;
    check(COMMIT_POINTS.includes(c.commit), `${c.name}.commit ${c.commit}`);
    check(onTopic || c.commit !== "auto", `${c.name}: commit auto on a queue`);
    check(!onTopic || c.concurrency === 1, `${c.name}: concurrency ${c.concurrency} on a topic`);
    check(!onTopic || c.onFailure === "nack", `${c.name}: onFailure timeout on a topic`);
    check(
      finite(c.autoCommitIntervalS) && c.autoCommitIntervalS > 0,
      `${c.name}.autoCommitIntervalS`,
    );
    const idempotency = c.idempotency;
    check(
      idempotency.kind !== "seen-table" ||
        (finite(idempotency.ttlS) && idempotency.ttlS > 0 && wholeAtLeast(idempotency.capacity, 1)),
      `${c.name}.idempotency`,
    );
    check(wholeAtLeast(c.maxPollRecords, 1), `${c.name}.maxPollRecords`);
    check(
      finite(c.heartbeatIntervalS) &&
        c.heartbeatIntervalS > 0 &&
        c.heartbeatIntervalS < c.sessionTimeoutS,
      `${c.name}.heartbeatIntervalS ${c.heartbeatIntervalS} with sessionTimeoutS ${c.sessionTimeoutS}`,
    );
    check(finite(c.maxPollIntervalS) && c.maxPollIntervalS > 0, `${c.name}.maxPollIntervalS`);
    check(["earliest", "latest"].includes(c.autoOffsetReset), `${c.name}.autoOffsetReset`);
    check(finite(c.restartS) && c.restartS > 0, `${c.name}.restartS`);
    check(finite(c.crashRatePerS) && c.crashRatePerS >= 0, `${c.name}.crashRatePerS`);
    const a = c.autoscale;
    if (a !== null && a !== undefined) {
      check(
        wholeAtLeast(a.minInstances, 1) && a.minInstances <= c.count && c.count <= a.maxInstances,
        `${c.name}.autoscale: min ${a.minInstances} <= count ${c.count} <= max ${a.maxInstances}`,
      );
      check(finite(a.target) && a.target > 0, `${c.name}.autoscale.target`);
      check(finite(a.intervalS) && a.intervalS > 0, `${c.name}.autoscale.intervalS`);
      check(probability(a.tolerance), `${c.name}.autoscale.tolerance`);
      for (const key of [
        "scaleUpStabilizationS",
        "scaleDownStabilizationS",
        "cooldownS",
        "coldStartS",
      ] as const) {
        check(finite(a[key]) && a[key] >= 0, `${c.name}.autoscale.${key}`);
      }
    }
  }
  for (const alert of config.alerts ?? []) {
    check(kinds.has(alert.subject), `alert ${alert.name} watches ${alert.subject}, nothing`);
    check(finite(alert.threshold) && alert.threshold >= 0, `alert ${alert.name} threshold`);
    check(finite(alert.intervalS) && alert.intervalS > 0, `alert ${alert.name} intervalS`);
    check(finite(alert.forS) && alert.forS >= 0, `alert ${alert.name} forS`);
  }
  const alertMetricNames = (config.alerts ?? []).flatMap((alert) => alertMetrics(alert.name));
  const links = new Set<string>();
  for (const link of config.links) {
    const id = `${link.from} -> ${link.to}`;
    check(kinds.has(link.from) && kinds.has(link.to), `link ${id}: an end names nothing`);
    check(link.from !== link.to, `link ${id} is a loop`);
    check(!links.has(id), `link ${id} twice`);
    links.add(id);
    const latency = distributionProblem(link.latency);
    check(latency === null, `link ${id} latency: ${latency}`);
    check(probability(link.lossProbability), `link ${id} lossProbability`);
    check(probability(link.duplicateProbability), `link ${id} duplicateProbability`);
  }
  const endS = config.durationS + config.drainS;
  for (const f of config.faults ?? []) {
    check(
      finite(f.atS) && f.atS >= 0 && f.atS < endS,
      `fault at ${f.atS}s, the run ends at ${endS}s`,
    );
    if (f.kind === "crash") {
      const c = config.consumers.find((x) => x.name === f.consumer);
      check(c !== undefined, `crash of ${f.consumer}, not a consumer`);
      check(
        c === undefined ||
          f.instance === null ||
          (Number.isSafeInteger(f.instance) && f.instance >= 0 && f.instance < c.count),
        `crash of instance ${f.instance} of ${f.consumer}`,
      );
      check(c === undefined || f.atS >= c.startS, `crash of ${f.consumer} before it starts`);
      check(finite(f.downS) && f.downS > 0, `crash downS ${f.downS}`);
      continue;
    }
    if (f.kind === "partition") {
      check(kinds.has(f.a) && kinds.has(f.b) && f.a !== f.b, `partition ${f.a}|${f.b}`);
      check(finite(f.durationS) && f.durationS > 0, `partition durationS ${f.durationS}`);
      continue;
    }
    if (f.kind === "redrive") {
      check(
        config.queues.some((q) => q.name === f.queue),
        `redrive of ${f.queue}, not a queue`,
      );
      continue;
    }
    if (f.kind !== "broker-crash") {
      check(
        config.downstreams.some((d) => d.name === f.downstream),
        `${f.kind} of ${f.downstream}, not a downstream`,
      );
      check(finite(f.durationS) && f.durationS > 0, `${f.kind} durationS ${f.durationS}`);
      continue;
    }
    const t = (config.topics ?? []).find((topic) => topic.name === f.topic);
    check(t !== undefined, `broker crash on ${f.topic}, not a topic`);
    check(
      t !== undefined && Number.isSafeInteger(f.broker) && f.broker >= 0 && f.broker < t.brokers,
      `broker crash of broker ${f.broker} of ${f.topic}`,
    );
    check(finite(f.downS) && f.downS > 0, `broker crash downS ${f.downS}`);
  }
  const { eventsMax, wallTimeSMax, virtualTimeSMax } = config.limits;
  check(eventsMax === null || wholeAtLeast(eventsMax, 1), `limits.eventsMax ${eventsMax}`);
  for (const [name, seconds] of Object.entries({ wallTimeSMax, virtualTimeSMax })) {
    check(seconds === null || (finite(seconds) && seconds > 0), `limits.${name} ${seconds}`);
  }
  for (const e of config.expect) {
    check(
      EXPECTATION_METRICS.includes(e.metric) ||
        alertMetricNames.includes(e.metric) ||
        /^(subscriptions|downstreams|callRoutes|byPriority|exchanges)\.[^.]+\./.test(e.metric),
      `expect metric ${e.metric}`,
    );
    check(["<", "<=", "==", "!=", ">=", ">"].includes(e.op), `expect op ${e.op}`);
    check(finite(e.value), `expect ${e.metric} value ${e.value}`);
  }
  return problems;
}

export type RunOutcome = "ran" | "model-config-error" | "scenario-error" | "zero-delay-loop";

/**
 * A consumer that takes no time, fails every message and nacks it with no delay, on a queue with
 * no maxReceives: each message is delivered again at the same instant, for ever. The guard stops
 * it (EventLoopError); any other loop at one instant is a model bug.
 */
function knownZeroDelayLoop(config: ScenarioConfig): boolean {
  return config.consumers.some((c) => {
    const queue = config.queues.find((q) => q.name === c.queue);
    return (
      queue !== undefined &&
      queue.maxReceives === null &&
      c.processing.kind === "constant" &&
      c.processing.value === 0 &&
      c.failureProbability === 1 &&
      c.onFailure === "nack" &&
      c.nackDelayS === 0
    );
  });
}

/** The overrides every run case is loaded with: a short horizon. */
export const RUN_OVERRIDES = ["duration=10s"];

/** Loads (with a short duration) and runs a scenario; throws PropertyFailure on anything else. */
export function checkRunCase(scenario: RunnableScenario): RunOutcome {
  let loaded: LoadedScenario;
  try {
    loaded = loadScenarioText(scenario.text, "fuzz-run.yaml", RUN_OVERRIDES);
  } catch (error) {
    if (error instanceof ScenarioError) return "scenario-error";
    throw new PropertyFailure(
      `loading threw ${(error as Error).name}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const problems = sanityProblems(loaded);
  if (problems.length > 0) throw new PropertyFailure(`loaded, but: ${problems.join("; ")}`);
  try {
    const result = runScenario(loaded);
    for (const variant of result.variants) {
      if (!variant.summary.fates.conserved) {
        throw new PropertyFailure(`variant ${variant.name}: fates not conserved`);
      }
    }
    return "ran";
  } catch (error) {
    if (error instanceof ModelConfigError) return "model-config-error";
    if (error instanceof PropertyFailure) throw error;
    if (
      error instanceof EventLoopError &&
      loaded.variants.some((v) => knownZeroDelayLoop(v.config))
    ) {
      return "zero-delay-loop";
    }
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new PropertyFailure(`the run threw ${what}`, { cause: error });
  }
}
