/**
 * Conservation of messages at the end of a run, checked two ways for every subscription: its
 * ledger's running fate counters against a recount of every message's stored fate, and the live
 * copies the ledger believes in against the copies actually found (queued, in flight, on links,
 * retained in logs past the group's commits, held by consumers). A topic's retained copies are
 * counted from its logs (up to the log end, above the high watermark too, since a failover that
 * truncates a log removes the groups' copies of the records it cuts), and each group's offsets
 * are checked against its partitions' high watermarks. A copy on its way to an exchange (held by
 * its producer, or on a link) counts for each queue its routing key routes to, or for the
 * exchange's unroutable subscription, as read from the copy's route. A Pulsar subscription's
 * copies are those of its queue and its consumers, and the records of the topic not yet handed
 * to it. A mismatch is a queuelab bug, reported
 * with the seed.
 */
import { InvariantError } from "./errors.ts";
import type { World } from "./world.ts";

export function checkConservation(world: World): void {
  const nowS = world.kernel.nowS;
  const fail = (message: string): never => {
    throw new InvariantError(message, nowS, world.seed);
  };

  // Copies in transit on each destination's producer links, and held by its producers awaiting
  // acknowledgement (counted once per subscription).
  const onLinks = new Map<string, number>();
  const heldByProducers = new Map<string, number>();
  for (const client of world.producerClients) {
    const to = client.config.to;
    heldByProducers.set(to, (heldByProducers.get(to) ?? 0) + client.held);
  }
  for (const [name, destination] of world.destinations) {
    onLinks.set(
      name,
      destination.links.reduce((sum, link) => sum + link.inTransit, 0),
    );
  }

  const toExchanges = copiesToExchanges(world);
  for (const [name, queue] of world.queues) {
    const held = world.queueConsumers
      .filter((pool) => pool.config.queue === name)
      .reduce((sum, pool) => sum + pool.heldCopies, 0);
    const found =
      queue.ready.size +
      queue.inFlightCount +
      queue.ackedInWindowCount +
      queue.delayedCount +
      onLinks.get(name)! +
      held +
      (heldByProducers.get(name) ?? 0) +
      (toExchanges.get(queue.subscription) ?? 0);
    checkLedger(queue.subscription.name, queue.subscription.ledger, found, fail);
  }
  for (const exchange of world.exchanges.values()) {
    const subscription = exchange.unroutableSubscription;
    if (subscription === null) continue;
    const found = toExchanges.get(subscription) ?? 0;
    checkLedger(subscription.name, subscription.ledger, found, fail);
  }
  for (const group of world.streamGroups) {
    const problems = group.offsetProblems();
    if (problems.length > 0) fail(`${group.subscription.name}: ${problems.join("; ")}`);
    const { retained, inBatches } = group.copiesHeld();
    const topic = group.config.topic!;
    const found = retained + inBatches + onLinks.get(topic)! + (heldByProducers.get(topic) ?? 0);
    checkLedger(group.subscription.name, group.subscription.ledger, found, fail);
  }

  for (const reader of world.pulsarSubscriptions) {
    const { queue } = reader;
    const topic = reader.config.topic!;
    const held = world.queueConsumers
      .filter((pool) => pool.config === reader.config)
      .reduce((sum, pool) => sum + pool.heldCopies, 0);
    const found =
      queue.ready.size +
      queue.inFlightCount +
      queue.delayedCount +
      held +
      reader.retainedInLog() +
      onLinks.get(topic)! +
      (heldByProducers.get(topic) ?? 0);
    checkLedger(reader.subscription.name, reader.subscription.ledger, found, fail);
  }

  // The message store holds the copies on links and in queues, nothing else.
  const places = world.store.countByPlace();
  let ready = 0;
  let inFlight = 0;
  for (const queue of [
    ...world.queues.values(),
    ...world.pulsarSubscriptions.map((s) => s.queue),
  ]) {
    ready += queue.ready.size;
    inFlight += queue.inFlightCount;
  }
  const onAllLinks = [...onLinks.values()].reduce((sum, n) => sum + n, 0);
  if (places.ready !== ready || places.inFlight !== inFlight || places.onLink !== onAllLinks) {
    fail(
      `copies by place (ready ${places.ready}, in flight ${places.inFlight}, on links ${places.onLink}) ` +
        `differ from the queues (${ready}, ${inFlight}) and links (${onAllLinks})`,
    );
  }
  for (const service of world.services.values()) service.downstream.checkConservation();
  const lag = world.streamGroups.reduce((sum, group) => sum + group.lag, 0);
  if (ready + lag !== world.stats.readyDepth)
    fail("the depth gauge drifted from the queues and lags");
}

type Ledger = World["subscriptions"][number]["ledger"];
type Subscription = World["subscriptions"][number];

/** Copies held by exchanges' producers or on their links, per subscription their route names. */
function copiesToExchanges(world: World): Map<Subscription, number> {
  const counts = new Map<Subscription, number>();
  const routes = world.exchangeRoutes.routes;
  const add = (route: number, copies: number) => {
    for (const subscription of routes[route].subscriptions) {
      counts.set(subscription, (counts.get(subscription) ?? 0) + copies);
    }
  };
  for (const client of world.producerClients) {
    if (!world.exchanges.has(client.config.to)) continue;
    for (const route of client.heldRoutes()) add(route, 1);
  }
  for (const [route, copies] of world.store.onLinkByRoute()) add(route, copies);
  return counts;
}

function checkLedger(
  name: string,
  ledger: Ledger,
  copiesFound: number,
  fail: (m: string) => never,
): void {
  const counted = ledger.counts();
  const recounted = ledger.recount();
  for (const key of Object.keys(counted) as (keyof typeof counted)[]) {
    if (counted[key] !== recounted[key]) {
      fail(`${name}: fate '${key}' counted ${counted[key]} but ${recounted[key]} messages have it`);
    }
  }
  if (recounted.pendingWithoutCopy > 0) {
    fail(`${name}: ${recounted.pendingWithoutCopy} pending messages have no live copy`);
  }
  if (recounted.liveCopies !== copiesFound) {
    fail(
      `${name}: the ledger holds ${recounted.liveCopies} live copies, ${copiesFound} were found`,
    );
  }
}
