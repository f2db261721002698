/**
 * A RabbitMQ exchange inside the broker: a copy that reaches it from a producer is routed by its
 * routing key (models/exchange.ts) and becomes one copy in each target queue.
 *
 * Accounting: each queue is its own subscription with its own fate ledger, as each consumer group
 * of a topic is. A producer draws a message's routing key when it publishes, and the message is
 * admitted to the ledgers of the queues that key routes to (routing is a pure function of the key
 * and the bindings never change, so this is the set the exchange will choose). Its copies held by
 * the producer and on the link count in each of those ledgers; at the exchange the copy is split
 * into one per queue. So a message routed to k queues is produced k times in the summed fates and
 * each queue's ledger balances on its own. A message no binding matches (and no alternate queue
 * takes) belongs to the exchange's own subscription, `<exchange>/unroutable`, where it is dropped
 * with reason UNROUTABLE_DROP_REASON on arrival: RabbitMQ discards it (mandatory=false) and still
 * confirms the publish.
 *
 * Publisher confirms: the answer goes back once every target queue has taken its copy (they take
 * it at once, in the same broker): acknowledged when all took it, refused when one refused it (a
 * full queue under reject-publish, as RabbitMQ nacks the publish), so the producer's retry puts
 * another copy into the queues that had taken it. An unroutable message is confirmed at once.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { Rng } from "../sim/random.ts";
import type { Trace } from "../sim/trace.ts";
import type { ExchangeConfig, RoutingKeyWeight } from "./config.ts";
import { ModelConfigError } from "./errors.ts";
import { ExchangeRouter, unroutableSubscriptionName } from "./exchange.ts";
import { MessageIdSet } from "./messageIdSet.ts";
import type { MessageStore } from "./messages.ts";
import { ProducerAnswer, type ProducerRouting } from "./producerClient.ts";
import type { RunStats } from "./stats.ts";
import type { Subscription } from "./subscription.ts";
import type { TaskQueue } from "./taskQueue.ts";

/** Drop reason of a message that matched no binding of an exchange without an alternate queue. */
export const UNROUTABLE_DROP_REASON = "unroutable (no binding matched)";

/** Where the messages of one routing key of one exchange go. */
export interface ExchangeRoute {
  exchange: ExchangeBroker;
  routingKey: string;
  /** The target queues (the bound ones, else the alternate); empty: dropped at the exchange. */
  queues: readonly TaskQueue[];
  /** The ledgers responsible for its messages: the queues', or the exchange's own. */
  subscriptions: readonly Subscription[];
  /** No binding matched: the alternate queue takes it (or, with none, it is dropped). */
  unroutable: boolean;
}

/** Every route of every exchange of a run, numbered: a copy carries its route's number. */
export class ExchangeRoutes {
  readonly routes: ExchangeRoute[] = [];

  add(route: ExchangeRoute): number {
    this.routes.push(route);
    return this.routes.length - 1;
  }
}

export class ExchangeBroker {
  /** Copies that reached the exchange (a producer's retry counts again). */
  published = 0;
  /** Copies the bindings put into queues: a copy routed to k queues counts k. */
  routedCopies = 0;
  /** Copies no binding matched. */
  unroutable = 0;
  /** Of those, copies given to the alternate queue (the others were dropped). */
  toAlternate = 0;
  readonly router: ExchangeRouter;
  /** The exchange's ledger of unroutable messages it drops; null until a route needs it. */
  unroutableSubscription: Subscription | null = null;

  private readonly routeIds = new Map<string, number>();
  /** Copies of one arrival, one per target queue (reused: no allocation per message). */
  private copies = new Int32Array(8);

  constructor(
    private readonly kernel: Kernel,
    readonly config: ExchangeConfig,
    /** The run's queues by name. */
    private readonly queues: ReadonlyMap<string, TaskQueue>,
    private readonly table: ExchangeRoutes,
    private readonly store: MessageStore,
    private readonly stats: RunStats,
    private readonly trace: Trace | null,
    /** Makes the exchange's own subscription, the first time a routing key matches nothing. */
    private readonly newUnroutableSubscription: (name: string) => Subscription,
  ) {
    const names = [...queues.keys()];
    const indexOf = (queue: string, what: string): number => {
      const index = names.indexOf(queue);
      if (index < 0) {
        throw new ModelConfigError(`exchange ${config.name}: ${what} '${queue}' is not a queue`);
      }
      return index;
    };
    this.router = new ExchangeRouter(
      config.type,
      config.bindings.map((b) => ({ queue: indexOf(b.queue, "binding to"), key: b.key })),
      config.alternate === null ? null : indexOf(config.alternate, "alternate"),
    );
  }

  /** The number of the route of `routingKey` (made the first time it is asked for). */
  routeOf(routingKey: string): number {
    const known = this.routeIds.get(routingKey);
    if (known !== undefined) return known;
    const all = [...this.queues.values()];
    const queues = this.router.targetQueues(routingKey).map((index) => all[index]);
    if (queues.length > this.copies.length) this.copies = new Int32Array(queues.length);
    let subscriptions: readonly Subscription[] = queues.map((queue) => queue.subscription);
    if (queues.length === 0) {
      this.unroutableSubscription ??= this.newUnroutableSubscription(
        unroutableSubscriptionName(this.config.name),
      );
      subscriptions = [this.unroutableSubscription];
    }
    const id = this.table.add({
      exchange: this,
      routingKey,
      queues,
      subscriptions,
      unroutable: this.router.isUnroutable(routingKey),
    });
    this.routeIds.set(routingKey, id);
    return id;
  }

  /**
   * How a producer picks its messages' routes: by weight, from its own stream (a fanout
   * exchange ignores keys: one route). `keys` empty means the empty routing key.
   */
  producerRouting(keys: readonly RoutingKeyWeight[], rng: Rng): ProducerRouting {
    const written = keys.length === 0 ? [{ key: "", weight: 1 }] : keys;
    const routes = written.map((k) => this.routeOf(k.key));
    const cdf = new Float64Array(written.length);
    let total = 0;
    written.forEach((k, i) => {
      total += k.weight;
      cdf[i] = total;
    });
    const table = this.table.routes;
    return {
      nextRoute: () => {
        if (routes.length === 1) return routes[0];
        const u = rng.next() * total;
        let i = 0;
        while (i < cdf.length - 1 && cdf[i] <= u) i++;
        return routes[i];
      },
      subscriptionsOf: (route) => table[route].subscriptions,
      keyOf: (route) => table[route].routingKey,
    };
  }

  /**
   * A copy from a producer reached the exchange. Returns the publisher confirm (a ProducerAnswer)
   * once every target queue has its copy. `accepted`: an idempotent producer's ids each queue
   * already took in (another copy is dropped there, acknowledged all the same); null otherwise.
   */
  receive(slot: number, accepted: Map<TaskQueue, MessageIdSet> | null): number {
    const store = this.store;
    const route = this.table.routes[store.route[slot]];
    const messageId = store.messageId[slot];
    store.route[slot] = -1;
    this.published++;
    const queues = route.queues;
    if (route.unroutable) this.unroutable++;
    if (queues.length === 0) {
      if (this.trace) this.emit("unroutable", messageId, route);
      const ledger = route.subscriptions[0].ledger;
      ledger.recordDropped(messageId, UNROUTABLE_DROP_REASON);
      ledger.removeCopy(messageId, null);
      store.release(slot);
      return ProducerAnswer.acknowledged;
    }
    if (route.unroutable) this.toAlternate += queues.length;
    else this.routedCopies += queues.length;
    if (this.trace) this.emit("exchange-route", messageId, route);
    // The copies first: a queue may release its copy at once (a drop), and that slot be reused.
    const copies = this.copies;
    copies[0] = slot;
    for (let i = 1; i < queues.length; i++) copies[i] = store.duplicate(slot);
    let allTaken = true;
    for (let i = 0; i < queues.length; i++) {
      const queue = queues[i];
      const copy = copies[i];
      let seen = accepted?.get(queue);
      if (accepted !== null && seen === undefined) {
        seen = new MessageIdSet();
        accepted.set(queue, seen);
      }
      if (seen?.has(messageId)) {
        this.stats.deduplicatedByBroker++;
        queue.subscription.ledger.removeCopy(messageId, null);
        store.release(copy);
        continue;
      }
      const taken = queue.publish(copy);
      if (taken) seen?.add(messageId);
      else allTaken = false;
    }
    return allTaken ? ProducerAnswer.acknowledged : ProducerAnswer.refused;
  }

  private emit(kind: string, messageId: number, route: ExchangeRoute): void {
    this.trace!.emit(this.kernel.nowS, kind, {
      msg: messageId,
      exchange: this.config.name,
      routingKey: route.routingKey,
      ...(route.queues.length > 0
        ? { queues: route.queues.map((q) => q.config.name).join(", ") }
        : {}),
    });
  }
}
