/**
 * RabbitMQ's exchange routing, as a pure function of the routing key (AMQP 0-9-1 model):
 * - direct: the queues whose binding key equals the routing key;
 * - fanout: every bound queue (keys are ignored);
 * - topic: keys are words separated by dots; in a binding pattern `*` stands for exactly one
 *   word and `#` for zero or more words (`lazy.#` matches `lazy`, `lazy.a.b`).
 * A queue bound by several matching bindings gets the message once. What no binding matches goes
 * to the alternate queue when there is one (RabbitMQ's alternate-exchange, here a queue), else
 * nowhere. Bindings do not change during a run, so each routing key's answer is computed once.
 */

export type ExchangeType = "direct" | "fanout" | "topic";

export const EXCHANGE_TYPES: readonly ExchangeType[] = ["direct", "fanout", "topic"];

/** AMQP 0-9-1 carries routing and binding keys as short strings: at most 255 bytes. */
export const ROUTING_KEY_MAX_BYTES = 255;

/** A binding of an exchange to queue number `queue` (an index the caller chose) with `key`. */
export interface ExchangeBinding {
  queue: number;
  /** The binding key: a literal (direct), a pattern (topic), unused (fanout). */
  key: string;
}

const NO_QUEUES: readonly number[] = Object.freeze([]);

/** Words of a routing key or pattern; the empty key has none (as RabbitMQ splits it). */
function wordsOf(key: string): string[] {
  return key === "" ? [] : key.split(".");
}

/**
 * Whether a topic binding `pattern` matches `routingKey`: `*` is exactly one word, `#` zero or
 * more words, any other word matches itself. Dynamic programming over (pattern word, key word),
 * so patterns with several `#` stay linear in the product of their lengths.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = wordsOf(pattern);
  const k = wordsOf(routingKey);
  // matched[j]: the first i pattern words match the first j key words.
  let matched = new Uint8Array(k.length + 1);
  matched[0] = 1;
  for (const word of p) {
    const next = new Uint8Array(k.length + 1);
    for (let j = 0; j <= k.length; j++) {
      if (word === "#") {
        next[j] = matched[j] | (j > 0 ? next[j - 1] : 0);
      } else if (j > 0 && matched[j - 1] === 1 && (word === "*" || word === k[j - 1])) {
        next[j] = 1;
      }
    }
    matched = next;
  }
  return matched[k.length] === 1;
}

/** UTF-8 length of a key. */
function byteLength(key: string): number {
  return new TextEncoder().encode(key).length;
}

/**
 * What is wrong with a binding key for an exchange of `type`, or null. A wildcard must be a whole
 * word of a topic pattern (`orders.*`, not `orders*`): RabbitMQ would take `orders*` literally,
 * which is never what was meant.
 */
export function bindingKeyProblem(type: ExchangeType, key: string): string | null {
  if (byteLength(key) > ROUTING_KEY_MAX_BYTES) {
    return `a binding key is at most ${ROUTING_KEY_MAX_BYTES} bytes (AMQP short string)`;
  }
  if (type !== "topic") return null;
  for (const word of wordsOf(key)) {
    if (word !== "*" && word !== "#" && /[*#]/.test(word)) {
      return `'${word}' mixes a wildcard with other characters: '*' and '#' stand alone between dots (e.g. 'orders.*.created', 'orders.#')`;
    }
  }
  return null;
}

/** What is wrong with a routing key a producer sends, or null (it is a literal, never a pattern). */
export function routingKeyProblem(type: ExchangeType, key: string): string | null {
  if (byteLength(key) > ROUTING_KEY_MAX_BYTES) {
    return `a routing key is at most ${ROUTING_KEY_MAX_BYTES} bytes (AMQP short string)`;
  }
  if (type === "topic" && wordsOf(key).some((word) => word === "*" || word === "#")) {
    return `a routing key is a literal: '*' and '#' are wildcards of binding keys only`;
  }
  return null;
}

/** One exchange's routing: which queues a routing key reaches, cached per key. */
export class ExchangeRouter {
  private readonly cache = new Map<string, readonly number[]>();
  private readonly targetCache = new Map<string, readonly number[]>();

  constructor(
    readonly type: ExchangeType,
    private readonly bindings: readonly ExchangeBinding[],
    /** The queue that takes what no binding matches; null: such a message is dropped. */
    readonly alternate: number | null = null,
  ) {}

  /** The queues the bindings route `routingKey` to: ascending, each once; empty when none match. */
  routeQueues(routingKey: string): readonly number[] {
    const cached = this.cache.get(routingKey);
    if (cached !== undefined) return cached;
    const queues = new Set<number>();
    for (const binding of this.bindings) {
      if (this.matches(binding.key, routingKey)) queues.add(binding.queue);
    }
    const route = queues.size === 0 ? NO_QUEUES : Object.freeze([...queues].sort((a, b) => a - b));
    this.cache.set(routingKey, route);
    return route;
  }

  /** Where a message with `routingKey` goes: its bound queues, else the alternate, else nowhere. */
  targetQueues(routingKey: string): readonly number[] {
    const cached = this.targetCache.get(routingKey);
    if (cached !== undefined) return cached;
    const bound = this.routeQueues(routingKey);
    const targets =
      bound.length > 0 || this.alternate === null ? bound : Object.freeze([this.alternate]);
    this.targetCache.set(routingKey, targets);
    return targets;
  }

  /** True when no binding matches `routingKey` (it goes to the alternate, or is dropped). */
  isUnroutable(routingKey: string): boolean {
    return this.routeQueues(routingKey).length === 0;
  }

  private matches(bindingKey: string, routingKey: string): boolean {
    if (this.type === "fanout") return true;
    if (this.type === "direct") return bindingKey === routingKey;
    return topicMatches(bindingKey, routingKey);
  }
}

/** The name of the subscription that accounts an exchange's dropped unroutable messages. */
export function unroutableSubscriptionName(exchange: string): string {
  return `${exchange}/unroutable`;
}

/**
 * Whether an exchange drops some of these routing keys: it has no alternate queue and one of
 * them matches none of its bindings (then it has an unroutable subscription in the results).
 */
export function dropsSomeKey(
  type: ExchangeType,
  bindingKeys: readonly string[],
  hasAlternate: boolean,
  routingKeys: readonly string[],
): boolean {
  if (hasAlternate) return false;
  const router = new ExchangeRouter(
    type,
    bindingKeys.map((key, queue) => ({ queue, key })),
  );
  return routingKeys.some((key) => router.isUnroutable(key));
}
