/**
 * One scenario variant wired onto a kernel: producers publish over links to queues and topics;
 * consumers read queues (competing) or topics (by consumer group); faults are scheduled. Every
 * random number comes from a stream named after the component that draws it, so a run is a pure
 * function of (config, seed).
 */
import { Kernel } from "../sim/kernel.ts";
import { TimeGrid } from "../sim/metrics.ts";
import { RandomStreams } from "../sim/random.ts";
import type { Trace } from "../sim/trace.ts";
import { Alert } from "./alerts.ts";
import { Autoscaler, InstanceGauge } from "./autoscaler.ts";
import { CallClient, type CallTarget } from "./callClient.ts";
import { Callers } from "./callers.ts";
import type {
  CallConfig,
  ConsumerConfig,
  FaultConfig,
  LinkConfig,
  ProducerConfig,
  ScenarioConfig,
} from "./config.ts";
import { Downstream, isDownstreamFault } from "./downstream.ts";
import { ModelConfigError } from "./errors.ts";
import { ExchangeBroker, ExchangeRoutes } from "./exchangeBroker.ts";
import { Link, type LinkEnds } from "./link.ts";
import { MessageIdSet } from "./messageIdSet.ts";
import { MessageStore } from "./messages.ts";
import { PriorityClasses } from "./priorityClasses.ts";
import { Producer } from "./producer.ts";
import { ProducerAnswer, ProducerClient, type ProducerRouting } from "./producerClient.ts";
import { ProducerSequences } from "./producerSequence.ts";
import { PulsarSubscription } from "./pulsarSubscription.ts";
import { QueueConsumers } from "./queueConsumers.ts";
import { groupReading, poolReading, queueReading, rateReading } from "./readings.ts";
import { RetryPolicy } from "./retryPolicy.ts";
import { ServiceLayer } from "./serviceLayer.ts";
import { RunStats } from "./stats.ts";
import { StreamGroup } from "./streamGroup.ts";
import { Subscription } from "./subscription.ts";
import { TaskQueue } from "./taskQueue.ts";
import { Topic } from "./topic.ts";

/** Buckets of the time-series charts when the scenario does not set a sample interval. */
const DEFAULT_BUCKETS = 200;
/** More buckets than this would make the charts unreadable and the memory large. */
const MAX_BUCKETS = 100_000;

/** A client of a downstream service, for the reports: who calls whom. */
export interface CallRoute {
  /** The consumer, callers or service that calls. */
  from: string;
  to: string;
  client: CallClient;
  policy: RetryPolicy;
}

/** Where a producer publishes: the subscriptions that become responsible for each message. */
interface Destination {
  name: string;
  subscriptions(): Subscription[];
  /** The queue or the topic it is (one of them is null). */
  queue: TaskQueue | null;
  topic: Topic | null;
  /** Producer links into this destination, for the copies in transit on them. */
  links: Link[];
}

export class World {
  readonly kernel = new Kernel();
  readonly streams: RandomStreams;
  readonly store: MessageStore;
  readonly stats: RunStats;
  readonly queues = new Map<string, TaskQueue>();
  readonly topics = new Map<string, Topic>();
  /** RabbitMQ exchanges by name, and the routes (routing keys) their producers use. */
  readonly exchanges = new Map<string, ExchangeBroker>();
  readonly exchangeRoutes = new ExchangeRoutes();
  readonly destinations = new Map<string, Destination>();
  readonly producers: Producer[] = [];
  readonly producerClients: ProducerClient[] = [];
  readonly queueConsumers: QueueConsumers[] = [];
  readonly streamGroups: StreamGroup[] = [];
  /** Topic consumers with a subscriptionType; their pools are among `queueConsumers`. */
  readonly pulsarSubscriptions: PulsarSubscription[] = [];
  /** Every subscription, queues first, then consumer groups in the order of the consumers. */
  readonly subscriptions: Subscription[] = [];
  readonly links: Link[] = [];
  /** Downstream services by name. */
  readonly services = new Map<string, ServiceLayer>();
  readonly callers: Callers[] = [];
  /** Every client of a downstream service, in the order: services, consumers, callers. */
  readonly callRoutes: CallRoute[] = [];
  readonly endS: number;
  /** Instances of all consumers over time. */
  readonly instanceGauge: InstanceGauge;
  readonly autoscalers: Autoscaler[] = [];
  /** The scenario's alerts, in its order. */
  readonly alerts: Alert[] = [];
  private nextMessageId = 0;
  private readonly trace: Trace | null;

  constructor(
    readonly config: ScenarioConfig,
    readonly seed: number,
    trace: Trace | null,
  ) {
    this.trace = trace;
    this.streams = new RandomStreams(seed);
    this.store = new MessageStore(this.kernel);
    this.endS = config.durationS + config.drainS;
    this.stats = new RunStats(
      this.kernel,
      timeGrid(config, this.endS),
      config.warmupS,
      config.durationS,
    );
    this.instanceGauge = new InstanceGauge(
      this.kernel,
      this.stats.grid,
      config.consumers.reduce((sum, consumer) => sum + consumer.count, 0),
    );

    for (const queueConfig of config.queues) {
      const subscription = new Subscription(
        queueConfig.name,
        this.kernel,
        this.stats,
        this.keyCount(queueConfig.name),
      );
      this.subscriptions.push(subscription);
      if (queueConfig.priorities > 1) {
        subscription.priorityClasses = new PriorityClasses(queueConfig.priorities);
      }
      const queue = new TaskQueue(
        this.kernel,
        queueConfig,
        subscription,
        this.store,
        this.stats,
        trace,
      );
      this.queues.set(queueConfig.name, queue);
      this.destinations.set(queueConfig.name, {
        name: queueConfig.name,
        subscriptions: () => [subscription],
        queue,
        topic: null,
        links: [],
      });
    }
    for (const topicConfig of config.topics) {
      const topic = new Topic(
        this.kernel,
        topicConfig,
        this.keyCount(topicConfig.name),
        this.store,
        this.stats,
        trace,
      );
      this.topics.set(topicConfig.name, topic);
      this.destinations.set(topicConfig.name, {
        name: topicConfig.name,
        subscriptions: () => topic.groups.map((group) => group.subscription),
        queue: null,
        topic,
        links: [],
      });
    }
    for (const exchangeConfig of config.exchanges) this.wireExchange(exchangeConfig);
    this.wireServices();
    for (const consumerConfig of config.consumers) {
      if (consumerConfig.queue !== null)
        this.wireQueueConsumers(consumerConfig, consumerConfig.queue);
      else if (consumerConfig.subscriptionType !== undefined)
        this.wirePulsarSubscription(consumerConfig, consumerConfig.topic!);
      else this.wireStreamGroup(consumerConfig, consumerConfig.topic!);
    }
    for (const producerConfig of config.producers) this.wireProducer(producerConfig, true);
    // Pipeline stages last, once every subscription of their next destination exists.
    for (const pool of this.queueConsumers) this.wireForward(pool);
    for (const group of this.streamGroups) this.wireForward(group);
    for (const callerConfig of config.callers) {
      const { target, policy } = this.callTo(callerConfig.name, callerConfig.calls);
      const callers = new Callers(
        this.kernel,
        callerConfig,
        config.durationS,
        target,
        policy,
        this.streams,
        this.stats.grid,
      );
      this.callers.push(callers);
      this.callRoutes.push({
        from: callerConfig.name,
        to: callerConfig.calls.target,
        client: callers.client,
        policy,
      });
    }
    for (const fault of config.faults) this.scheduleFault(fault);
    for (const alertConfig of config.alerts) {
      this.alerts.push(
        new Alert(this.kernel, alertConfig, this.alertReading(alertConfig), this.endS),
      );
    }
  }

  /** How an alert's metric is read: from its queue, or its consumer (a pool or a group). */
  private alertReading(alert: ScenarioConfig["alerts"][number]): () => number {
    const clock = this.kernel;
    let read: (() => number) | null = null;
    if (alert.subjectKind === "queue") {
      const queue = this.queues.get(alert.subject);
      if (!queue)
        throw new ModelConfigError(`alert ${alert.name}: no queue named '${alert.subject}'`);
      read = queueReading(queue, alert.metric, clock);
    } else {
      const pool = this.queueConsumers.find((p) => p.config.name === alert.subject);
      const group = this.streamGroups.find((g) => g.config.name === alert.subject);
      const pulsar = pool && this.pulsarOf(pool);
      if (pulsar && alert.metric === "lag") read = () => pulsar.backlog();
      else if (pool) read = poolReading(pool, this.queueOf(pool), alert.metric, clock);
      else if (group && alert.metric === "throttleRate") {
        const topic = this.topics.get(group.config.topic!)!;
        read = rateReading(() => topic.throttledWrites, clock);
      } else if (group) read = groupReading(group, alert.metric, clock);
      else throw new ModelConfigError(`alert ${alert.name}: no consumer named '${alert.subject}'`);
    }
    if (read === null) {
      throw new ModelConfigError(
        `alert ${alert.name}: ${alert.subjectKind} ${alert.subject} has no metric '${alert.metric}'`,
      );
    }
    return read;
  }

  /** Services first (all of them, so a layer can call one defined after it), then their calls. */
  private wireServices(): void {
    for (const serviceConfig of this.config.downstreams) {
      const downstream = new Downstream(this.kernel, serviceConfig, this.streams, this.stats.grid);
      this.services.set(
        serviceConfig.name,
        new ServiceLayer(this.kernel, serviceConfig.name, downstream),
      );
    }
    for (const serviceConfig of this.config.downstreams) {
      if (serviceConfig.calls === null) continue;
      const layer = this.services.get(serviceConfig.name)!;
      const { target, policy } = this.callTo(serviceConfig.name, serviceConfig.calls);
      layer.dependency = new CallClient(
        this.kernel,
        `service:${serviceConfig.name}`,
        target,
        serviceConfig.calls.timeoutS,
        policy,
        true,
        (slot, ok) => layer.dependencyDone(slot, ok),
        this.stats.grid,
      );
      this.callRoutes.push({
        from: serviceConfig.name,
        to: serviceConfig.calls.target,
        client: layer.dependency,
        policy,
      });
    }
  }

  /** The service `from` calls, and a retry policy of its own (its budget and breaker). */
  private callTo(from: string, call: CallConfig): { target: CallTarget; policy: RetryPolicy } {
    const target = this.services.get(call.target);
    if (!target)
      throw new ModelConfigError(`${from}: no downstream service named '${call.target}'`);
    const policy = new RetryPolicy(call.retry, this.streams.stream(`${from}/retry`));
    return { target, policy };
  }

  run(): void {
    for (const callers of this.callers) callers.start();
    for (const pool of this.queueConsumers) pool.start();
    for (const group of this.streamGroups) group.start();
    for (const topic of this.topics.values()) topic.start();
    for (const producer of this.producers) producer.start();
    for (const autoscaler of this.autoscalers) autoscaler.start();
    for (const alert of this.alerts) alert.start();
    this.kernel.run(this.endS);
    this.stats.finish(this.endS);
    this.instanceGauge.finish(this.endS);
    for (const service of this.services.values()) service.downstream.finish(this.endS);
  }

  /** An exchange, with the links of its producers counted as a destination's. */
  private wireExchange(config: ScenarioConfig["exchanges"][number]): void {
    if (this.destinations.has(config.name)) {
      throw new ModelConfigError(`exchange ${config.name}: the name of a queue or topic too`);
    }
    const exchange = new ExchangeBroker(
      this.kernel,
      config,
      this.queues,
      this.exchangeRoutes,
      this.store,
      this.stats,
      this.trace,
      (name) => {
        const subscription = new Subscription(
          name,
          this.kernel,
          this.stats,
          this.keyCount(config.name),
        );
        this.subscriptions.push(subscription);
        return subscription;
      },
    );
    for (const queue of [...config.bindings.map((b) => b.queue), config.alternate]) {
      if (queue !== null && this.queues.get(queue)?.gate) {
        throw new ModelConfigError(
          `exchange ${config.name}: queue ${queue} blocks its producers (overflow block or a disk limit), which is modeled for producers publishing to it directly only`,
        );
      }
    }
    this.exchanges.set(config.name, exchange);
    this.destinations.set(config.name, {
      name: config.name,
      subscriptions: () => [],
      queue: null,
      topic: null,
      links: [],
    });
  }

  /** The largest key count of the producers writing to `destination` (keys are shared by name). */
  private keyCount(destination: string, seen: readonly string[] = []): number {
    // A queue bound to an exchange (or its alternate) takes the keys of the exchange's producers.
    const through = new Set(
      this.config.exchanges
        .filter(
          (e) => e.alternate === destination || e.bindings.some((b) => b.queue === destination),
        )
        .map((e) => e.name),
    );
    const counts = this.config.producers
      .filter((p) => p.to === destination || through.has(p.to))
      .map((p) => p.keys.count);
    // A pipeline stage forwards the keys of its own source (a ring of stages counts once).
    for (const consumer of this.config.consumers) {
      const source = (consumer.queue ?? consumer.topic)!;
      if (consumer.forward?.to === destination && !seen.includes(source)) {
        counts.push(this.keyCount(source, [...seen, destination]));
      }
    }
    return Math.max(1, ...counts);
  }

  /** The queue a pool reads: its queue, or its Pulsar subscription's. */
  private queueOf(pool: QueueConsumers): TaskQueue {
    if (pool.config.queue !== null) return this.queues.get(pool.config.queue)!;
    return this.pulsarOf(pool)!.queue;
  }

  /** The Pulsar subscription a pool consumes, or undefined for a queue's pool. */
  private pulsarOf(pool: QueueConsumers): PulsarSubscription | undefined {
    return this.pulsarSubscriptions.find((s) => s.config === pool.config);
  }

  private wireQueueConsumers(config: ConsumerConfig, queueName: string): void {
    const queue = this.queues.get(queueName);
    if (!queue)
      throw new ModelConfigError(`consumer ${config.name}: no queue named '${queueName}'`);
    this.wirePool(config, queue, queueName);
  }

  /** A Pulsar subscription: a queue fed by the topic, read by the consumer's pool. */
  private wirePulsarSubscription(config: ConsumerConfig, topicName: string): void {
    const topic = this.topics.get(topicName);
    if (!topic)
      throw new ModelConfigError(`consumer ${config.name}: no topic named '${topicName}'`);
    if (config.autoscale !== null) {
      throw new ModelConfigError(
        `consumer ${config.name}: a Pulsar subscription does not autoscale`,
      );
    }
    const subscription = this.groupSubscription(topicName, config.group);
    const reader = new PulsarSubscription(
      this.kernel,
      config,
      topic,
      subscription,
      this.store,
      this.stats,
      this.trace,
    );
    topic.groups.push(reader);
    this.pulsarSubscriptions.push(reader);
    this.wirePool(config, reader.queue, topicName).attachment = reader;
  }

  /** A pool of competing consumers on `queue`, over links to and from `queueName` (the broker). */

  /** A pool of competing consumers on `queue`, over links to and from `brokerName`. */
  private wirePool(config: ConsumerConfig, queue: TaskQueue, queueName: string): QueueConsumers {
    const call = config.calls === null ? null : this.callTo(config.name, config.calls);
    const pool = new QueueConsumers(
      this.kernel,
      config,
      queue,
      queue.subscription,
      this.store,
      this.stats,
      this.streams,
      this.trace,
      call?.target ?? null,
      call?.policy ?? null,
      this.stats.grid,
      this.instanceGauge,
    );
    if (call !== null) {
      this.callRoutes.push({
        from: config.name,
        to: config.calls!.target,
        client: pool.callClient!,
        policy: call.policy,
      });
    }
    const deliveryLink = this.link(queueName, config.name, {
      deliver: (token, receipt) => pool.received(token, receipt),
      lost: (token, receipt) => pool.receiveLost(token, receipt),
    });
    const ackLink = this.link(config.name, queueName, {
      deliver: (slot, receiptAndKind) => pool.ackArrived(slot, receiptAndKind),
      lost: () => {},
    });
    pool.connect(deliveryLink, ackLink);
    this.queueConsumers.push(pool);
    const autoscale = config.autoscale;
    if (autoscale === null) return pool;
    const read = queueReading(queue, autoscale.metric, this.kernel, autoscale.includeInFlight);
    if (read === null) {
      throw new ModelConfigError(
        `consumer ${config.name}: a queue consumer cannot scale on '${autoscale.metric}'`,
      );
    }
    this.autoscalers.push(
      new Autoscaler(this.kernel, config.name, autoscale, read, pool, pool.poolSize, config.startS),
    );
    return pool;
  }

  /** The subscription of consumer group (or Pulsar subscription) `group` on a topic. */
  private groupSubscription(topicName: string, group: string): Subscription {
    const subscription = new Subscription(
      `${topicName}/${group}`,
      this.kernel,
      this.stats,
      this.keyCount(topicName),
    );
    this.subscriptions.push(subscription);
    return subscription;
  }

  private wireStreamGroup(config: ConsumerConfig, topicName: string): void {
    const topic = this.topics.get(topicName);
    if (!topic)
      throw new ModelConfigError(`consumer ${config.name}: no topic named '${topicName}'`);
    const subscription = this.groupSubscription(topicName, config.group);
    const call = config.calls === null ? null : this.callTo(config.name, config.calls);
    const group = new StreamGroup(
      this.kernel,
      config,
      topic.logs,
      topic.replication,
      subscription,
      this.stats,
      this.streams,
      this.trace,
      this.instanceGauge,
      call?.target ?? null,
      call?.policy ?? null,
    );
    if (call !== null) {
      this.callRoutes.push({
        from: config.name,
        to: config.calls!.target,
        client: group.callClient!,
        policy: call.policy,
      });
    }
    topic.groups.push(group);
    group.readLimit = topic.readLimit;
    const fetchLink = this.link(topicName, config.name, {
      deliver: (member, epoch) => group.fetchArrived(member, epoch),
      lost: (member, epoch) => group.fetchLost(member, epoch),
    });
    const commitLink = this.link(config.name, topicName, {
      deliver: (member, generationAndKind) => group.fromMember(member, generationAndKind),
      lost: () => {},
    });
    group.connect(fetchLink, commitLink);
    this.streamGroups.push(group);
    const autoscale = config.autoscale;
    if (autoscale !== null) {
      const read = groupReading(group, autoscale.metric, this.kernel);
      if (read === null) {
        throw new ModelConfigError(
          `consumer ${config.name}: a consumer group cannot scale on '${autoscale.metric}'`,
        );
      }
      // Members beyond the partitions would sit idle: KEDA's Kafka scaler stops there too.
      const useful = topic.config.partitions;
      this.autoscalers.push(
        new Autoscaler(this.kernel, config.name, autoscale, read, group, useful, config.startS),
      );
    }
  }

  /** A consumer that forwards what it applies publishes through a sending side of its own. */
  private wireForward(consumer: QueueConsumers | StreamGroup): void {
    const forward = consumer.config.forward;
    if (forward === null) return;
    const source = (consumer.config.queue ?? consumer.config.topic)!;
    const config = { ...forward, keys: { ...forward.keys, count: this.keyCount(source) } };
    const client = this.wireProducer(config, false);
    // Every consumer group is made by now: each may see a message the stage forwards twice.
    for (const subscription of this.destinations.get(forward.to)!.subscriptions()) {
      subscription.ledger.acceptReadmissions();
    }
    consumer.forward = (messageId, keyIndex, producedAtS) =>
      client.publish(keyIndex, producedAtS, messageId);
  }

  /** The sending side of a producer (with its arrivals, or a pipeline stage's without). */
  private wireProducer(config: ProducerConfig, withArrivals: boolean): ProducerClient {
    const { name, to } = config;
    const exchange = this.exchanges.get(to);
    if (exchange !== undefined) return this.wireExchangeProducer(config, exchange, withArrivals);
    const destination = this.destinations.get(to);
    if (!destination) throw new ModelConfigError(`producer ${name}: nothing named '${to}'`);
    const { store, kernel } = this;
    const trace = this.trace;
    const linkName = `${name}->${to}`;
    const subscriptions = destination.subscriptions();
    const { queue, topic } = destination;
    // An idempotent producer's broker remembers which of its messages it has taken in (producer
    // id and sequence in Kafka) and drops another copy, acknowledging it all the same; a copy a
    // full queue refused was not taken in. (A topic checks sequence numbers itself,
    // models/producerSequence.ts, as its log can lose records.)
    const accepted = config.idempotent && topic === null ? new MessageIdSet() : null;
    let client: ProducerClient | null = null;
    // What travels back: a request tag and a ProducerAnswer.
    const ackLink = this.link(to, name, {
      deliver: (tag, answer) => client!.answered(tag, answer),
      lost: () => {},
    });
    const producerIndex =
      topic === null ? -1 : topic.addProducer(config, (tag, answer) => ackLink.send(tag, answer));
    const link = this.link(name, to, {
      deliver: (slot) => {
        if (topic !== null) {
          topic.receive(slot, producerIndex);
          return;
        }
        const messageId = store.messageId[slot];
        const tag = store.requestTag[slot];
        queue!.settleInbound(slot, false);
        if (accepted?.has(messageId)) {
          if (tag >= 0) ackLink.send(tag, ProducerAnswer.acknowledged);
          this.stats.deduplicatedByBroker++;
          for (const subscription of subscriptions) subscription.ledger.removeCopy(messageId, null);
          store.release(slot);
          return;
        }
        // The queue first, then its answer: a refusal (a full queue) is answered as one.
        const taken = queue!.publish(slot);
        if (taken) accepted?.add(messageId);
        if (tag >= 0) {
          ackLink.send(tag, taken ? ProducerAnswer.acknowledged : ProducerAnswer.refused);
        }
      },
      lost: (slot) => {
        queue?.settleInbound(slot, true);
        const messageId = store.messageId[slot];
        if (trace) trace.emit(kernel.nowS, "link-loss", { msg: messageId, link: linkName });
        for (const subscription of subscriptions) {
          subscription.ledger.removeCopy(messageId, `lost on link ${linkName}`);
        }
        store.release(slot);
      },
      duplicate: (slot) => {
        for (const subscription of subscriptions)
          subscription.ledger.addCopy(store.messageId[slot]);
        return store.duplicate(slot);
      },
    });
    destination.links.push(link);
    client = new ProducerClient(
      kernel,
      config,
      store,
      subscriptions,
      link,
      this.stats,
      trace,
      () => this.nextMessageId++,
      config.idempotent && topic !== null
        ? new ProducerSequences(topic.config.partitions, (keyIndex) => topic.partitionOf(keyIndex))
        : null,
      this.streams,
      queue?.gate ?? null,
    );
    this.addProducerClient(client, withArrivals);
    return client;
  }

  /** The client's arrivals, when it has its own (a pipeline stage's come from its consumer). */
  private addProducerClient(client: ProducerClient, withArrivals: boolean): void {
    this.producerClients.push(client);
    if (!withArrivals) return;
    this.producers.push(
      new Producer(this.kernel, client.config, this.config.durationS, this.streams, (keyIndex) =>
        client.publish(keyIndex),
      ),
    );
  }

  /**
   * A producer publishing to an exchange (models/exchangeBroker.ts): each message's routing key
   * is drawn when it is published, and its copies count in the ledgers of the queues it routes to.
   */
  private wireExchangeProducer(
    config: ProducerConfig,
    exchange: ExchangeBroker,
    withArrivals: boolean,
  ): ProducerClient {
    const { name, to } = config;
    const { store, kernel } = this;
    const trace = this.trace;
    const linkName = `${name}->${to}`;
    const routing: ProducerRouting = exchange.producerRouting(
      config.routingKeys,
      this.streams.stream(`producer:${name}/routing-keys`),
    );
    const routes = this.exchangeRoutes.routes;
    const accepted = config.idempotent ? new Map() : null;
    let client: ProducerClient | null = null;
    const ackLink = this.link(to, name, {
      deliver: (tag, answer) => client!.answered(tag, answer),
      lost: () => {},
    });
    const link = this.link(name, to, {
      deliver: (slot) => {
        const tag = store.requestTag[slot];
        const answer = exchange.receive(slot, accepted);
        if (tag >= 0) ackLink.send(tag, answer);
      },
      lost: (slot) => {
        const messageId = store.messageId[slot];
        if (trace) trace.emit(kernel.nowS, "link-loss", { msg: messageId, link: linkName });
        for (const subscription of routes[store.route[slot]].subscriptions) {
          subscription.ledger.removeCopy(messageId, `lost on link ${linkName}`);
        }
        store.release(slot);
      },
      duplicate: (slot) => {
        for (const subscription of routes[store.route[slot]].subscriptions) {
          subscription.ledger.addCopy(store.messageId[slot]);
        }
        return store.duplicate(slot);
      },
    });
    this.destinations.get(to)!.links.push(link);
    client = new ProducerClient(
      kernel,
      config,
      store,
      [],
      link,
      this.stats,
      trace,
      () => this.nextMessageId++,
      null,
      this.streams,
      null,
      routing,
    );
    this.addProducerClient(client, withArrivals);
    return client;
  }

  private link(from: string, to: string, ends: LinkEnds): Link {
    const config: LinkConfig | null =
      this.config.links.find((l) => l.from === from && l.to === to) ?? null;
    const link = new Link(this.kernel, from, to, config, this.streams, ends);
    this.links.push(link);
    return link;
  }

  private scheduleFault(fault: FaultConfig): void {
    const kernel = this.kernel;
    if (fault.kind === "broker-crash") {
      const topic = this.topics.get(fault.topic);
      if (!topic) throw new ModelConfigError(`broker crash: no topic named '${fault.topic}'`);
      if (
        !(
          Number.isInteger(fault.broker) &&
          fault.broker >= 0 &&
          fault.broker < topic.config.brokers
        )
      ) {
        throw new ModelConfigError(
          `broker crash: topic ${fault.topic} has brokers 0..${topic.config.brokers - 1}, not ${fault.broker}`,
        );
      }
      const handler = kernel.register(
        `fault:broker-crash:${fault.topic}/${fault.broker}@${fault.atS}`,
        () => topic.replication.crashBroker(fault.broker, fault.downS),
      );
      kernel.scheduleAt(fault.atS, handler);
      return;
    }
    if (fault.kind === "redrive") {
      const queue = this.queues.get(fault.queue);
      if (!queue) throw new ModelConfigError(`redrive: no queue named '${fault.queue}'`);
      const handler = kernel.register(`fault:redrive:${fault.queue}@${fault.atS}`, () =>
        queue.redrive(fault.count ?? Number.POSITIVE_INFINITY),
      );
      kernel.scheduleAt(fault.atS, handler);
      return;
    }
    if (isDownstreamFault(fault)) {
      const service = this.services.get(fault.downstream);
      if (!service) {
        throw new ModelConfigError(`${fault.kind}: no downstream named '${fault.downstream}'`);
      }
      service.downstream.scheduleFault(fault);
      return;
    }
    if (fault.kind === "crash") {
      const target =
        this.queueConsumers.find((pool) => pool.config.name === fault.consumer) ??
        this.streamGroups.find((group) => group.config.name === fault.consumer);
      if (!target) throw new ModelConfigError(`crash fault: no consumer named '${fault.consumer}'`);
      const handler = kernel.register(`fault:crash:${fault.consumer}@${fault.atS}`, () =>
        target.crash(fault.instance, fault.downS),
      );
      kernel.scheduleAt(fault.atS, handler);
      return;
    }
    const cut = this.links.filter(
      (link) =>
        (link.from === fault.a && link.to === fault.b) ||
        (link.from === fault.b && link.to === fault.a),
    );
    const setCut = (isCut: boolean) => () => {
      for (const link of cut) link.isCut = isCut;
      if (this.trace) {
        this.trace.emit(kernel.nowS, isCut ? "partition-start" : "partition-end", {
          between: `${fault.a}|${fault.b}`,
        });
      }
    };
    const name = `fault:partition:${fault.a}|${fault.b}@${fault.atS}`;
    kernel.scheduleAt(fault.atS, kernel.register(`${name}/start`, setCut(true)));
    kernel.scheduleAt(fault.atS + fault.durationS, kernel.register(`${name}/end`, setCut(false)));
  }
}

function timeGrid(config: ScenarioConfig, endS: number): TimeGrid {
  const bucketS = config.sampleIntervalS ?? endS / DEFAULT_BUCKETS;
  const bucketCount = Math.ceil(endS / bucketS - 1e-9);
  if (bucketCount > MAX_BUCKETS) {
    throw new ModelConfigError(
      `sampleInterval ${bucketS}s gives ${bucketCount} chart buckets over ${endS}s; at most ${MAX_BUCKETS}`,
    );
  }
  return new TimeGrid(bucketS, Math.max(1, bucketCount));
}
