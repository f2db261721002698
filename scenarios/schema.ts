/**
 * The scenario file's top level: reads one variant's raw document (overrides already applied)
 * into a ScenarioConfig, filling every default. `variants` is the loader's business and is
 * only allowed here. The full reference is docs/scenario-format.md.
 */
import type {
  CallConfig,
  ConsumerConfig,
  FaultConfig,
  LinkConfig,
  ScenarioConfig,
  ServiceConfig,
} from "../models/config.ts";
import { dropsSomeKey, unroutableSubscriptionName } from "../models/exchange.ts";
import { namedMetrics } from "../models/results.ts";
import { RUN_LIMITS_DEFAULT } from "../models/runGuard.ts";
import { readAlerts } from "./alerts.ts";
import { CALLER_KEYS, readCall, readCaller } from "./calls.ts";
import {
  type Context,
  PRODUCER_KEYS,
  QUEUE_KEYS,
  readLinks,
  readProducer,
  readQueue,
  readTopic,
  TOPIC_KEYS,
} from "./components.ts";
import { CONSUMER_KEYS, checkGroups, readConsumer } from "./consumers.ts";
import { readContention } from "./contention.ts";
import { DOWNSTREAM_KEYS, readDownstream } from "./downstreams.ts";
import { ScenarioError } from "./errors.ts";
import { EXCHANGE_KEYS, readExchange } from "./exchanges.ts";
import { readExpectations } from "./expectations.ts";
import { readFaults } from "./faults.ts";
import {
  Fields,
  failWith,
  joinPath,
  NAME_LENGTH_MAX,
  NAME_PATTERN,
  readDurationS,
  readList,
  readName,
  readText,
  readWholeNumber,
} from "./fields.ts";
import { readLimits } from "./limits.ts";
import { type ComponentKind, ComponentNames } from "./names.ts";
import { itemName, type RawNode } from "./raw.ts";
import { applySystemPresets } from "./systemPresets.ts";

export const SCENARIO_KEYS = [
  "name",
  "description",
  "seed",
  "duration",
  "drain",
  "warmup",
  "sampleInterval",
  "queues",
  "topics",
  "exchanges",
  "producers",
  "consumers",
  "downstreams",
  "callers",
  "links",
  "faults",
  "expect",
  "limits",
  "variants",
  "contention",
  "alerts",
];

/** Scenario names become directory and file names in reports. */
export const SCENARIO_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const SCENARIO_NAME_EXPECTED = "a lowercase name of letters, digits and '-'";
export const SCENARIO_EXPECTED =
  "a mapping with name, duration, queues or topics, producers and consumers (or downstreams and callers)";
export const DRAIN_DEFAULT_S = 60;
/** The (empty) time line of a scenario of a contention experiment alone. */
export const CONTENTION_ONLY_DURATION_S = 1;
/** A chart with more buckets than this costs memory and shows nothing more. */
export const SAMPLE_BUCKETS_MAX = 100_000;

/** Reads a whole scenario document; `root` must not have been validated before. */
export function readScenarioConfig(root: RawNode): ScenarioConfig {
  if (root.kind === "map") applySystemPresets(root);
  const fields = Fields.open(root, "", SCENARIO_KEYS, SCENARIO_EXPECTED);
  const name = readName(
    fields.required("name", SCENARIO_NAME_EXPECTED),
    "name",
    SCENARIO_NAME_PATTERN,
    SCENARIO_NAME_EXPECTED,
  );
  const description = fields.read("description", readText, "");
  const seed = fields.read("seed", (n, p) => readWholeNumber(n, p, 0, Number.MAX_SAFE_INTEGER), 1);
  // A contention experiment runs each contest to its end: it needs no duration of its own.
  const contentionOnly = fields.has("contention") && !fields.has("duration");
  const durationS = contentionOnly
    ? CONTENTION_ONLY_DURATION_S
    : readDurationS(fields.required("duration", "a duration like 10m"), "duration", {
        exclusive: true,
      });
  const drainS = fields.read("drain", readDurationS, contentionOnly ? 0 : DRAIN_DEFAULT_S);
  const warmupS = fields.read("warmup", readDurationS, 0);
  if (warmupS >= durationS) {
    const problem = `warmup (${warmupS}s) must be shorter than duration (${durationS}s)`;
    failWith(fields.get("warmup")!, "warmup", "a warmup shorter than duration", problem);
  }
  const sampleIntervalS = fields.read("sampleInterval", readSampleIntervalS, null);
  if (sampleIntervalS !== null && (durationS + drainS) / sampleIntervalS > SAMPLE_BUCKETS_MAX) {
    const problem = `sampleInterval ${sampleIntervalS}s makes more than ${SAMPLE_BUCKETS_MAX} buckets over duration + drain`;
    failWith(fields.get("sampleInterval")!, "sampleInterval", "a longer interval", problem);
  }

  const ctx: Context = { durationS, drainS, names: new ComponentNames() };
  // All names first, so any reference can be checked and a duplicate is caught at once.
  const queueItems = openComponents(fields, "queue", ctx, false);
  const topicItems = openComponents(fields, "topic", ctx, false);
  const exchangeItems = openComponents(fields, "exchange", ctx, false);
  const downstreamItems = openComponents(fields, "downstream", ctx, false);
  const callerItems = openComponents(fields, "caller", ctx, false);
  // A scenario of callers and services alone, or of a contention experiment, needs no broker;
  // anything else needs a queue or topic, producers and consumers.
  const messaging =
    (callerItems.length === 0 && !fields.has("contention")) ||
    fields.has("producers") ||
    fields.has("consumers");
  if (messaging) checkSomeDestination(fields, queueItems.length + topicItems.length);
  const producerItems = openComponents(fields, "producer", ctx, messaging);
  const consumerItems = openComponents(fields, "consumer", ctx, messaging);
  const downstreams = downstreamItems.map((item) => ({
    ...readDownstream(item.fields, item.name),
    calls: item.fields.read<CallConfig | null>("calls", (n, p) => readCall(n, p, ctx), null),
  }));
  checkNoCallCycle(downstreamItems, downstreams);
  const callers = callerItems.map((item) => readCaller(item.fields, item.name, ctx));
  const queues = queueItems.map((item) => readQueue(item.fields, item.name));
  const topics = topicItems.map((item) => readTopic(item.fields, item.name));
  const exchanges = exchangeItems.map((item) => readExchange(item.fields, item.name, ctx));
  ctx.exchanges = new Map(exchanges.map((exchange) => [exchange.name, exchange]));
  const producers = producerItems.map((item) => readProducer(item.fields, item.name, ctx));
  const consumers = consumerItems.map((item) => readConsumer(item.fields, item.name, ctx));
  checkNoForwardCycle(consumerItems, consumers);
  checkGroups(consumerItems.map((item, i) => ({ fields: item.fields, config: consumers[i] })));
  const links = readAllLinks(fields, ctx);
  const faults = fields.read<FaultConfig[]>(
    "faults",
    (n, p) => readFaults(n, p, ctx, { producers, consumers, topics, downstreams, queues }),
    [],
  );
  const alerts = fields.read("alerts", (n, p) => readAlerts(n, p, ctx, consumers), []);
  const alertNames = alerts.map((alert) => alert.name);
  const named = namedMetrics({
    subscriptions: [
      ...queues.map((q) => q.name),
      ...consumers.filter((c) => c.topic !== null).map((c) => `${c.topic}/${c.group}`),
      ...exchanges
        .filter((e) =>
          dropsSomeKey(
            e.type,
            e.bindings.map((b) => b.key),
            e.alternate !== null,
            producers
              .filter((p) => p.to === e.name)
              .flatMap((p) =>
                p.routingKeys.length === 0 ? [""] : p.routingKeys.map((k) => k.key),
              ),
          ),
        )
        .map((e) => unroutableSubscriptionName(e.name)),
    ],
    exchanges: exchanges.map((e) => e.name),
    downstreams: downstreams.map((d) => d.name),
    callRoutes: [
      ...downstreams.flatMap((d) => (d.calls ? [[d.name, d.calls.target] as const] : [])),
      ...consumers.flatMap((c) => (c.calls ? [[c.name, c.calls.target] as const] : [])),
      ...callers.map((c) => [c.name, c.calls.target] as const),
    ],
    priorityClasses: queues.flatMap((q) =>
      q.priorities >= 2 ? Array.from({ length: q.priorities }, (_, k) => [q.name, k] as const) : [],
    ),
  });
  const expect = fields.read("expect", (n, p) => readExpectations(n, p, alertNames, named), []);
  const limits = fields.read("limits", readLimits, RUN_LIMITS_DEFAULT);
  const contention = fields.read("contention", readContention, null);
  return {
    name,
    description,
    seed,
    durationS,
    drainS,
    warmupS,
    sampleIntervalS,
    producers,
    queues,
    topics,
    exchanges,
    consumers,
    downstreams,
    callers,
    links,
    faults,
    expect,
    limits,
    contention,
    alerts,
  };
}

/**
 * Pipeline stages that forward in a ring (orders -> work -> orders) would pass every message
 * round for ever, multiplying at every duplicate: refused, naming the ring.
 */
function checkNoForwardCycle(
  items: { fields: Fields; name: string }[],
  consumers: ConsumerConfig[],
): void {
  // Edges: a destination to the destinations its consumers forward to.
  const next = new Map<string, string[]>();
  for (const c of consumers) {
    if (c.forward === null) continue;
    const source = (c.queue ?? c.topic)!;
    next.set(source, [...(next.get(source) ?? []), c.forward.to]);
  }
  consumers.forEach((c, i) => {
    if (c.forward === null) return;
    const start = (c.queue ?? c.topic)!;
    const path = [start, c.forward.to];
    const seen = new Set<string>();
    const stack: string[][] = [path];
    while (stack.length > 0) {
      const route = stack.pop()!;
      const last = route[route.length - 1];
      if (last === start) {
        const fields = items[i].fields;
        failWith(
          fields.get("forwardTo")!,
          fields.pathOf("forwardTo"),
          "a destination that does not forward back",
          `the consumers forward in a ring: ${route.join(" -> ")}`,
        );
      }
      if (seen.has(last)) continue;
      seen.add(last);
      for (const to of next.get(last) ?? []) stack.push([...route, to]);
    }
  });
}

/** Services that call each other in a ring would never answer: refused, naming the ring. */
function checkNoCallCycle(
  items: { fields: Fields; name: string }[],
  downstreams: ServiceConfig[],
): void {
  const callee = new Map(downstreams.map((d) => [d.name, d.calls?.target ?? null]));
  downstreams.forEach((start, i) => {
    const ring = [start.name];
    let next = callee.get(start.name) ?? null;
    while (next !== null) {
      ring.push(next);
      if (next === start.name) {
        const fields = items[i].fields;
        failWith(
          fields.get("calls")!,
          fields.pathOf("calls"),
          "a call to a service that does not call back",
          `the services call each other in a ring: ${ring.join(" -> ")}`,
        );
      }
      if (ring.length > downstreams.length) break; // a ring not through `start`: found from its own members
      next = callee.get(next) ?? null;
    }
  });
}

function readSampleIntervalS(node: RawNode, path: string): number | null {
  if (node.kind === "scalar" && node.value === "auto") return null;
  return readDurationS(node, path, { exclusive: true });
}

const KEYS_BY_KIND: Record<ComponentKind, string[]> = {
  queue: QUEUE_KEYS,
  topic: TOPIC_KEYS,
  exchange: EXCHANGE_KEYS,
  producer: PRODUCER_KEYS,
  consumer: CONSUMER_KEYS,
  downstream: [...DOWNSTREAM_KEYS, "calls"],
  caller: CALLER_KEYS,
};

/** A list of named components (when `required`, a non-empty one), each name registered. */
function openComponents(
  fields: Fields,
  kind: ComponentKind,
  ctx: Context,
  required: boolean,
): { fields: Fields; name: string }[] {
  const key = `${kind}s`;
  const expected = `a list of ${kind}s, each { name, ... }`;
  if (!required && !fields.has(key)) return [];
  const listNode = fields.required(key, expected);
  const items = readList(listNode, key, expected);
  if (required && items.length === 0) {
    failWith(listNode, key, expected, `expected at least one ${kind}`);
  }
  return items.map((item, i) => {
    const path = joinPath(key, itemLabel(item, i));
    const itemFields = Fields.open(item, path, KEYS_BY_KIND[kind], `a ${kind} { name, ... }`);
    const nameNode = itemFields.required("name", "a name");
    const name = readName(nameNode, itemFields.pathOf("name"));
    ctx.names.add(kind, name, nameNode, itemFields.pathOf("name"));
    return { fields: itemFields, name };
  });
}

/** Queues and topics are each optional, but producers need somewhere to publish. */
function checkSomeDestination(fields: Fields, count: number): void {
  if (count > 0) return;
  const expected = "at least one queue or topic";
  const key = ["queues", "topics"].find((k) => fields.has(k));
  if (key === undefined) {
    failWith(
      fields.nodeOrSelf("queues"),
      "queues",
      expected,
      `missing 'queues' or 'topics' (expected ${expected})`,
    );
  }
  failWith(fields.get(key)!, key, expected, `expected ${expected} (in 'queues' or 'topics')`);
}

function readAllLinks(fields: Fields, ctx: Context): LinkConfig[] {
  const listNode = fields.get("links");
  if (listNode === undefined) return [];
  const items = readList(
    listNode,
    "links",
    "a list of links { from, to, latency, loss, duplicate }",
  );
  const links: LinkConfig[] = [];
  const seen = new Map<string, RawNode>();
  items.forEach((item, i) => {
    const path = joinPath("links", i);
    for (const link of readLinks(item, path, ctx)) {
      const id = `${link.from} -> ${link.to}`;
      const previous = seen.get(id);
      if (previous !== undefined) {
        throw new ScenarioError({
          at: item.at,
          path,
          expected: "one link per direction",
          problem: `the link ${id} is already defined${previous.at.line === null ? "" : ` at line ${previous.at.line}`}`,
        });
      }
      seen.set(id, item);
      links.push(link);
    }
  });
  return links;
}

/** A list item's path segment: its name when it has a valid one, else its index. */
export function itemLabel(item: RawNode, index: number): string | number {
  const name = itemName(item);
  return name !== null && NAME_PATTERN.test(name) && name.length <= NAME_LENGTH_MAX ? name : index;
}
