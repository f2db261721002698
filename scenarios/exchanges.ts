/**
 * `exchanges:` (RabbitMQ exchanges with their bindings) and a producer's `routingKeys`: from their
 * file syntax to their resolved config. The routing itself is models/exchange.ts.
 */
import type { BindingConfig, ExchangeConfig, RoutingKeyWeight } from "../models/config.ts";
import {
  bindingKeyProblem,
  EXCHANGE_TYPES,
  type ExchangeType,
  routingKeyProblem,
} from "../models/exchange.ts";
import type { Context } from "./components.ts";
import { Fields, fail, failWith, joinPath, readChoice, readList, readName } from "./fields.ts";
import type { RawNode } from "./raw.ts";

export const EXCHANGE_KEYS = ["name", "type", "bindings", "alternate"];
export const BINDING_KEYS = ["queue", "key"];

/** Far more bindings or routing keys than any scenario needs: a generated file gone wrong. */
export const EXCHANGE_LIMITS = { bindingsMax: 10_000, routingKeysMax: 10_000 } as const;

const BINDINGS_EXPECTED = `a list of bindings { queue, key }`;
const ROUTING_KEYS_EXPECTED = `routing keys with weights, like { "orders.eu.created": 3, "orders.us.created": 1 }, a list of keys, or one key`;

export function readExchange(fields: Fields, name: string, ctx: Context): ExchangeConfig {
  const type = readChoice(
    fields.required("type", `an exchange type (${EXCHANGE_TYPES.join(", ")})`),
    fields.pathOf("type"),
    EXCHANGE_TYPES,
  );
  const bindings = fields.read(
    "bindings",
    (n, p) => {
      const items = readList(n, p, BINDINGS_EXPECTED);
      if (items.length > EXCHANGE_LIMITS.bindingsMax) {
        fail(n, p, `at most ${EXCHANGE_LIMITS.bindingsMax} bindings`);
      }
      return items.map((item, i) => readBinding(item, joinPath(p, i), type, ctx));
    },
    [],
  );
  const alternate = fields.read<string | null>(
    "alternate",
    (n, p) => readQueueName(n, p, ctx),
    null,
  );
  return { name, type, bindings, alternate };
}

function readBinding(node: RawNode, path: string, type: ExchangeType, ctx: Context): BindingConfig {
  const example =
    type === "fanout" ? "{ queue: audit }" : `{ queue: eu-orders, key: "orders.eu.*" }`;
  const fields = Fields.open(node, path, BINDING_KEYS, `a binding ${example}`);
  const queue = readQueueName(
    fields.required("queue", "the name of a queue"),
    fields.pathOf("queue"),
    ctx,
  );
  if (type === "fanout") {
    if (fields.has("key")) {
      fields.refuse(
        "key",
        "a binding { queue } without a key",
        "a fanout exchange routes every message to every bound queue and ignores keys: leave 'key' out",
      );
    }
    return { queue, key: "" };
  }
  const what = type === "topic" ? `a pattern like "orders.eu.*" or "#"` : `a key like "orders.eu"`;
  const keyNode = fields.required("key", `the binding key, ${what}`);
  const key = readKeyText(keyNode, fields.pathOf("key"), what);
  const problem = bindingKeyProblem(type, key);
  if (problem !== null) failWith(keyNode, fields.pathOf("key"), what, problem);
  return { queue, key };
}

function readQueueName(node: RawNode, path: string, ctx: Context): string {
  const name = readName(node, path);
  ctx.names.expect(name, ["queue"], node, path);
  return name;
}

/** A key as written: text (a number written bare, `2024`, is its digits). */
function readKeyText(node: RawNode, path: string, expected: string): string {
  if (node.kind !== "scalar") fail(node, path, expected);
  const { value } = node;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return node.text;
  return fail(node, path, expected);
}

/**
 * A producer's `routingKeys`: required for a producer to a direct or topic exchange, refused
 * anywhere else (a queue or topic has no routing keys; a fanout exchange ignores them).
 */
export function readRoutingKeys(fields: Fields, to: string, ctx: Context): RoutingKeyWeight[] {
  const exchange = ctx.exchanges?.get(to);
  if (exchange === undefined) {
    if (fields.has("routingKeys")) {
      const kind = ctx.names.kindOf(to) ?? "destination";
      fields.refuse(
        "routingKeys",
        "a producer to a direct or topic exchange",
        `'routingKeys' applies only to producers of a direct or topic exchange; '${to}' is a ${kind} (its producers publish to it by name)`,
      );
    }
    return [];
  }
  if (exchange.type === "fanout") {
    if (fields.has("routingKeys")) {
      fields.refuse(
        "routingKeys",
        "no 'routingKeys' here",
        `'${to}' is a fanout exchange: it routes every message to every bound queue and ignores routing keys; leave 'routingKeys' out`,
      );
    }
    return [];
  }
  const node = fields.required(
    "routingKeys",
    `the routing keys of the messages to the ${exchange.type} exchange '${to}': ${ROUTING_KEYS_EXPECTED}`,
  );
  const path = fields.pathOf("routingKeys");
  const keys = readWeights(node, path);
  if (keys.length === 0) fail(node, path, `at least one routing key: ${ROUTING_KEYS_EXPECTED}`);
  if (keys.length > EXCHANGE_LIMITS.routingKeysMax) {
    fail(node, path, `at most ${EXCHANGE_LIMITS.routingKeysMax} routing keys`);
  }
  for (const { key, at } of keys) {
    const problem = routingKeyProblem(exchange.type, key);
    if (problem !== null) failWith(at, joinPath(path, key), "a literal routing key", problem);
  }
  return keys.map(({ key, weight }) => ({ key, weight }));
}

/** `{ key: weight, ... }`, `[key, ...]` (equal weights) or `key`. */
function readWeights(node: RawNode, path: string): { key: string; weight: number; at: RawNode }[] {
  const expected = ROUTING_KEYS_EXPECTED;
  if (node.kind === "scalar")
    return [{ key: readKeyText(node, path, expected), weight: 1, at: node }];
  const entries =
    node.kind === "list"
      ? node.items.map((item, i) => ({
          key: readKeyText(item, joinPath(path, i), "a routing key"),
          at: item,
          weight: 1,
        }))
      : node.entries.map((entry) => {
          const weightPath = joinPath(path, entry.key);
          const value = entry.value;
          if (
            value.kind !== "scalar" ||
            typeof value.value !== "number" ||
            !Number.isFinite(value.value) ||
            value.value <= 0
          ) {
            fail(value, weightPath, "a weight > 0");
          }
          return { key: entry.key, weight: value.value as number, at: value };
        });
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.key)) {
      failWith(
        entry.at,
        path,
        "each routing key once",
        `the routing key '${entry.key}' is given twice`,
      );
    }
    seen.add(entry.key);
  }
  return entries;
}
