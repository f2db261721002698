/**
 * `faults`: scheduled crashes of consumer instances, network partitions between two
 * components, and crashes of a topic's brokers. Read after the components, since a fault names
 * them (and a crash's default down time is its consumer's `restart`).
 */
import type {
  ConsumerConfig,
  FaultConfig,
  ProducerConfig,
  QueueConfig,
  ServiceConfig,
  TopicConfig,
} from "../models/config.ts";
import { type Context, readPair } from "./components.ts";
import {
  checkDownstreamFaultKeys,
  DOWNSTREAM_FAULT_KEYS,
  DOWNSTREAM_FAULT_KINDS,
  readDownstreamFault,
} from "./downstreams.ts";
import {
  Fields,
  failWith,
  joinPath,
  readDurationS,
  readList,
  readName,
  readWholeNumber,
} from "./fields.ts";
import { describeRaw, type RawNode } from "./raw.ts";

export const FAULT_KEYS = [
  "at",
  "crash",
  "instance",
  "for",
  "partition",
  "crashBroker",
  "topic",
  "redrive",
  "count",
  ...DOWNSTREAM_FAULT_KEYS,
];

/** The keys that say what kind of fault an entry is. */
const KINDS = ["crash", "partition", "crashBroker", "redrive", ...DOWNSTREAM_FAULT_KINDS] as const;
const KINDS_TEXT = "crash, partition, crashBroker, redrive, outage, slowdown or capacityDrop";

const FAULT_EXPECTED =
  "a fault { at, crash, instance, for }, { at, partition: [a, b], for }, { at, crashBroker, topic, for }, { at, redrive: <queue>, count }, { at, outage: <downstream>, for, mode }, { at, slowdown: <downstream>, factor, for } or { at, capacityDrop: <downstream>, servers, for }";
const FAULTS_EXPECTED = `a list of faults, each { at, ... } with one of ${KINDS_TEXT}`;

/** The components that exchange messages (whose links a partition can cut), and the topics. */
export interface Wiring {
  producers: readonly ProducerConfig[];
  consumers: readonly ConsumerConfig[];
  topics: readonly TopicConfig[];
  queues: readonly QueueConfig[];
  downstreams: readonly ServiceConfig[];
}

export function readFaults(
  node: RawNode,
  path: string,
  ctx: Context,
  wiring: Wiring,
): FaultConfig[] {
  const items = readList(node, path, FAULTS_EXPECTED);
  return items.map((item, i) => readFault(item, joinPath(path, i), ctx, wiring));
}

function readFault(node: RawNode, path: string, ctx: Context, wiring: Wiring): FaultConfig {
  const fields = Fields.open(node, path, FAULT_KEYS, FAULT_EXPECTED);
  const kinds = KINDS.filter((key) => fields.has(key));
  if (kinds.length > 1) {
    const [first, second] = kinds;
    failWith(
      fields.get(second)!,
      path,
      `one of ${KINDS_TEXT}`,
      `give one kind of fault, not both '${first}' and '${second}'`,
    );
  }
  if (kinds.length === 0) {
    failWith(
      fields.map,
      path,
      FAULT_EXPECTED,
      `missing the kind of fault (expected one of ${KINDS_TEXT})`,
    );
  }
  const kind = kinds[0];
  if (kind !== "crashBroker" && fields.has("topic")) {
    fields.refuse(
      "topic",
      "crashBroker",
      "'topic' applies only to crashBroker faults (the topic whose broker crashes)",
    );
  }
  if (kind !== "crash" && fields.has("instance")) {
    fields.refuse("instance", "crash", "'instance' applies only to crash faults");
  }
  if (kind !== "redrive" && fields.has("count")) {
    fields.refuse("count", "redrive", "'count' applies only to redrive faults");
  }
  checkDownstreamFaultKeys(fields, kind);
  const atS = readDurationS(fields.required("at", "a time like 2m"), fields.pathOf("at"));
  const endS = ctx.durationS + ctx.drainS;
  if (atS >= endS) {
    fields.refuse(
      "at",
      "a time before the end of duration + drain",
      `at ${atS}s is at or after the end of the run (duration + drain = ${endS}s): the fault would never happen`,
    );
  }
  if (kind === "crash") return readCrash(fields, atS, ctx, wiring.consumers);
  if (kind === "redrive") return readRedrive(fields, atS, ctx);
  if ((DOWNSTREAM_FAULT_KINDS as readonly string[]).includes(kind)) {
    return readDownstreamFault(fields, atS, wiring.downstreams);
  }
  if (kind === "partition") return readPartition(fields, atS, ctx, wiring);
  return readBrokerCrash(fields, atS, ctx, wiring.topics);
}

/** `{ at, crashBroker: 1, topic: orders, for: 60s }`: a broker of the topic's cluster. */
function readBrokerCrash(
  fields: Fields,
  atS: number,
  ctx: Context,
  topics: readonly TopicConfig[],
): FaultConfig {
  const topicNode = fields.get("topic");
  let name: string;
  if (topicNode !== undefined) {
    name = readName(topicNode, fields.pathOf("topic"));
    ctx.names.expect(name, ["topic"], topicNode, fields.pathOf("topic"));
  } else if (topics.length === 1) {
    name = topics[0].name;
  } else if (topics.length === 0) {
    fields.refuse(
      "crashBroker",
      "a topic",
      "'crashBroker' crashes a broker of a topic's cluster, and the scenario has no topic",
    );
  } else {
    const names = topics.map((t) => t.name).join(", ");
    const expected = `the name of a topic (there are ${topics.length}: ${names})`;
    const problem = `missing 'topic' (expected ${expected})`;
    failWith(fields.map, fields.pathOf("topic"), expected, problem);
  }
  const topic = topics.find((t) => t.name === name)!;
  const brokerNode = fields.get("crashBroker")!;
  const last = topic.brokers - 1;
  const value = brokerNode.kind === "scalar" ? brokerNode.value : null;
  if (!(typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= last)) {
    const brokers =
      topic.brokers === 1
        ? "1 broker, number 0"
        : `${topic.brokers} brokers, numbered 0 to ${last}`;
    failWith(
      brokerNode,
      fields.pathOf("crashBroker"),
      `a broker number from 0 to ${last}`,
      `topic '${name}' has ${brokers}; got ${describeRaw(brokerNode)}`,
    );
  }
  const downS = positiveDuration(
    fields.required("for", "how long the broker stays down, a duration > 0 like 60s"),
    fields.pathOf("for"),
  );
  return { kind: "broker-crash", atS, topic: name, broker: value, downS };
}

function readCrash(
  fields: Fields,
  atS: number,
  ctx: Context,
  consumers: readonly ConsumerConfig[],
): FaultConfig {
  const node = fields.get("crash")!;
  const name = readName(node, fields.pathOf("crash"));
  ctx.names.expect(name, ["consumer"], node, fields.pathOf("crash"));
  const consumer = consumers.find((c) => c.name === name)!;
  if (atS < consumer.startS) {
    fields.refuse(
      "at",
      `a time at or after '${name}' starts`,
      `at ${atS}s is before '${name}' starts (start: ${consumer.startS}s): there is nothing to crash yet`,
    );
  }
  const instance = fields.read<number | null>(
    "instance",
    (n, p) => readInstance(n, p, consumer),
    null,
  );
  const downS = fields.read("for", positiveDuration, consumer.restartS);
  return { kind: "crash", atS, consumer: name, instance, downS };
}

/** Instances are numbered from 0; the message says how many there are. */
function readInstance(node: RawNode, path: string, consumer: ConsumerConfig): number {
  const last = consumer.count - 1;
  const expected = `an instance number from 0 to ${last}`;
  const value = node.kind === "scalar" ? node.value : null;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= last) {
    return value;
  }
  const instances =
    consumer.count === 1
      ? "1 instance, number 0"
      : `${consumer.count} instances, numbered 0 to ${last}`;
  failWith(node, path, expected, `'${consumer.name}' has ${instances}; got ${describeRaw(node)}`);
}

function readPartition(fields: Fields, atS: number, ctx: Context, wiring: Wiring): FaultConfig {
  const pairNode = fields.get("partition")!;
  const pairPath = fields.pathOf("partition");
  const [a, b] = readPair(
    pairNode,
    pairPath,
    ctx,
    "a partition is between two different components",
  );
  if (!exchangeMessages(a, b, wiring)) {
    failWith(
      pairNode,
      pairPath,
      "two components that exchange messages",
      `'${a}' and '${b}' exchange no messages (a producer talks only to its queue or topic, a consumer only to the queue or topic it reads), so a partition between them would cut nothing`,
    );
  }
  const durationS = positiveDuration(
    fields.required("for", "how long the partition lasts, a duration > 0 like 30s"),
    fields.pathOf("for"),
  );
  return { kind: "partition", atS, durationS, a, b };
}

function exchangeMessages(a: string, b: string, wiring: Wiring): boolean {
  const pairs: [string, string][] = [
    ...wiring.producers.map((p): [string, string] => [p.name, p.to]),
    ...wiring.consumers.map((c): [string, string] => [c.name, (c.queue ?? c.topic)!]),
  ];
  return pairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

/** `{ at: 10m, redrive: orders, count: 100 }`: dead letters back to their queue (all without count). */
function readRedrive(fields: Fields, atS: number, ctx: Context): FaultConfig {
  const node = fields.get("redrive")!;
  const queue = readName(node, fields.pathOf("redrive"));
  ctx.names.expect(queue, ["queue"], node, fields.pathOf("redrive"));
  if (fields.has("for")) {
    fields.refuse("for", "no 'for' here", "a redrive happens at once; it has no 'for'");
  }
  const count = fields.read<number | null>(
    "count",
    (n, p) => readWholeNumber(n, p, 1, Number.MAX_SAFE_INTEGER),
    null,
  );
  return { kind: "redrive", atS, queue, count };
}

function positiveDuration(node: RawNode, path: string): number {
  return readDurationS(node, path, { exclusive: true });
}
