/**
 * Wires one scenario variant onto a kernel, runs it, checks conservation and returns its
 * results. A run is a pure function of (config, seed): every random number comes from a stream
 * named after the component that draws it.
 */

import type { LatencyHistogram } from "../sim/histogram.ts";
import { Kernel } from "../sim/kernel.ts";
import { TimeGrid } from "../sim/metrics.ts";
import { RandomStreams } from "../sim/random.ts";
import type { Trace } from "../sim/trace.ts";
import type { LinkConfig, ScenarioConfig } from "./config.ts";
import { ConsumerGroup } from "./consumerGroup.ts";
import { InvariantError, ModelConfigError } from "./errors.ts";
import { evaluateExpectations } from "./expectations.ts";
import { FateLedger } from "./ledger.ts";
import { Link } from "./link.ts";
import { MessageStore } from "./messages.ts";
import { Producer } from "./producer.ts";
import type { LatencyStats, VariantResult, VariantSeries, VariantSummary } from "./results.ts";
import { RunStats } from "./stats.ts";
import { TaskQueue } from "./taskQueue.ts";

export interface SimulateOptions {
  seed: number;
  variantName: string;
  trace?: Trace | null;
}

/** Buckets of the time-series charts when the scenario does not set a sample interval. */
const DEFAULT_BUCKETS = 200;
/** More buckets than this would make the charts unreadable and the memory large. */
const MAX_BUCKETS = 100_000;

export function simulate(config: ScenarioConfig, options: SimulateOptions): VariantResult {
  const world = new World(config, options);
  world.run();
  return world.result(options.variantName);
}

class World {
  readonly kernel = new Kernel();
  readonly streams: RandomStreams;
  readonly ledger: FateLedger;
  readonly store: MessageStore;
  readonly stats: RunStats;
  readonly queues = new Map<string, TaskQueue>();
  readonly producers: Producer[] = [];
  readonly producerLinks: Link[] = [];
  readonly consumers: ConsumerGroup[] = [];
  readonly links: Link[] = [];
  readonly endS: number;

  constructor(
    readonly config: ScenarioConfig,
    readonly options: SimulateOptions,
  ) {
    const kernel = this.kernel;
    const trace = options.trace ?? null;
    this.streams = new RandomStreams(options.seed);
    this.ledger = new FateLedger(kernel);
    this.store = new MessageStore(kernel);
    this.endS = config.durationS + config.drainS;
    this.stats = new RunStats(
      kernel,
      timeGrid(config, this.endS),
      config.warmupS,
      config.durationS,
    );

    for (const queueConfig of config.queues) {
      const queue = new TaskQueue(kernel, queueConfig, this.store, this.ledger, this.stats, trace);
      this.queues.set(queueConfig.name, queue);
    }
    for (const producerConfig of config.producers)
      this.wireProducer(producerConfig.name, producerConfig.to, trace);
    for (const consumerConfig of config.consumers) {
      const queue = this.queue(consumerConfig.queue);
      const group = new ConsumerGroup(
        kernel,
        consumerConfig,
        queue,
        this.store,
        this.ledger,
        this.stats,
        this.streams,
        trace,
      );
      const deliveryLink = this.link(queue.config.name, consumerConfig.name, {
        deliver: (token) => group.received(token),
        lost: (token) => group.receiveLost(token),
      });
      const ackLink = this.link(consumerConfig.name, queue.config.name, {
        deliver: (slot, receiptAndNack) => group.ackArrived(slot, receiptAndNack),
        lost: () => {},
      });
      group.connect(deliveryLink, ackLink);
      this.consumers.push(group);
    }
  }

  private wireProducer(name: string, to: string, trace: Trace | null): void {
    const config = this.config.producers.find((p) => p.name === name)!;
    const queue = this.queue(to);
    const { store, ledger, stats, kernel } = this;
    const linkName = `${name}->${to}`;
    const link = this.link(name, to, {
      deliver: (slot) => queue.publish(slot),
      lost: (slot) => {
        if (trace)
          trace.emit(kernel.nowS, "link-loss", { msg: store.messageId[slot], link: linkName });
        ledger.removeCopy(store.messageId[slot], `link-loss:${linkName}`);
        store.release(slot);
      },
      duplicate: (slot) => {
        ledger.addCopy(store.messageId[slot]);
        return store.duplicate(slot);
      },
    });
    this.producerLinks.push(link);
    const producer = new Producer(
      kernel,
      config,
      this.config.durationS,
      this.streams,
      (keyIndex) => {
        const messageId = ledger.newMessage();
        stats.recordProduced();
        const slot = store.allocate(messageId, keyIndex, kernel.nowS);
        if (trace)
          trace.emit(kernel.nowS, "produce", {
            msg: messageId,
            key: `k${keyIndex}`,
            producer: name,
          });
        link.send(slot, 0);
      },
    );
    this.producers.push(producer);
  }

  private queue(name: string): TaskQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new ModelConfigError(`no queue named '${name}'`);
    return queue;
  }

  private link(from: string, to: string, ends: ConstructorParameters<typeof Link>[4]): Link {
    const config: LinkConfig | null =
      this.config.links.find((l) => l.from === from && l.to === to) ?? null;
    const link = new Link(this.kernel, `${from}->${to}`, config, this.streams, ends);
    this.links.push(link);
    return link;
  }

  run(): void {
    for (const group of this.consumers) group.start();
    for (const producer of this.producers) producer.start();
    this.kernel.run(this.endS);
    this.stats.finish(this.endS);
    this.checkConservation();
  }

  /**
   * Conservation, two ways: the running fate counters against a recount of every message's
   * stored fate, and the live copies the ledger believes in against the copies actually found
   * in queues, in flight and on links.
   */
  private checkConservation(): void {
    const nowS = this.kernel.nowS;
    const fail = (message: string): never => {
      throw new InvariantError(message, nowS, this.options.seed);
    };
    const counted = this.ledger.counts();
    const recounted = this.ledger.recount();
    for (const key of Object.keys(counted) as (keyof typeof counted)[]) {
      if (counted[key] !== recounted[key]) {
        fail(`fate '${key}' counted ${counted[key]} but ${recounted[key]} messages have it`);
      }
    }
    if (recounted.pendingWithoutCopy > 0) {
      fail(`${recounted.pendingWithoutCopy} pending messages have no live copy`);
    }
    if (recounted.liveCopies !== this.store.live) {
      fail(`ledger holds ${recounted.liveCopies} live copies, the store ${this.store.live}`);
    }
    const places = this.store.countByPlace();
    let ready = 0;
    let inFlight = 0;
    for (const queue of this.queues.values()) {
      ready += queue.ready.size;
      inFlight += queue.inFlightCount;
    }
    const onLinks = this.producerLinks.reduce((sum, link) => sum + link.inTransit, 0);
    if (places.ready !== ready || places.inFlight !== inFlight || places.onLink !== onLinks) {
      fail(
        `copies by place (ready ${places.ready}, in flight ${places.inFlight}, on links ${places.onLink}) ` +
          `differ from the queues (${ready}, ${inFlight}) and links (${onLinks})`,
      );
    }
    if (ready !== this.stats.readyDepth || inFlight !== this.stats.inFlight) {
      fail("queue depth gauges drifted from the queues");
    }
  }

  result(name: string): VariantResult {
    const { ledger, stats, config } = this;
    const windowS = config.durationS - Math.min(config.warmupS, config.durationS);
    const linkLosses = this.links.reduce((sum, link) => sum + link.losses, 0);
    const linkDuplicates = this.links.reduce((sum, link) => sum + link.duplicates, 0);
    const summary: VariantSummary = {
      fates: {
        produced: ledger.produced,
        processed: ledger.processed,
        deadLettered: ledger.deadLettered,
        dropped: ledger.dropped,
        pending: ledger.pending,
        lost: ledger.lost,
        duplicateEffects: ledger.duplicateEffects,
        conserved: true,
      },
      latency: latencyStats(stats.latency),
      queueWait: latencyStats(stats.queueWait),
      throughput: {
        producedPerS: windowS > 0 ? stats.producedInWindow / windowS : 0,
        processedPerS: windowS > 0 ? stats.processedInWindow / windowS : 0,
      },
      counters: {
        deliveries: stats.deliveries,
        redeliveries: stats.redeliveries,
        acks: stats.acks,
        nacks: stats.nacks,
        visibilityTimeouts: stats.visibilityTimeouts,
        movedToDeadLetter: stats.movedToDeadLetter,
        processingFailures: stats.processingFailures,
        linkLosses,
        linkDuplicates,
        eventsFired: this.kernel.eventsFired,
        endS: this.kernel.nowS,
      },
      expectations: [],
    };
    summary.expectations = evaluateExpectations(config.expect, summary);
    return { name, summary, series: this.series() };
  }

  private series(): VariantSeries {
    const stats = this.stats;
    return {
      bucketS: stats.grid.bucketS,
      timesS: stats.grid.timesS(),
      queueDepth: stats.readySeries.mean(),
      inFlight: stats.inFlightSeries.mean(),
      dlqDepth: stats.dlqSeries.last(),
      producedPerS: stats.producedSeries.ratePerS(),
      processedPerS: stats.processedSeries.ratePerS(),
      latencyP50S: stats.latencySeries.quantile(0.5),
      latencyP95S: stats.latencySeries.quantile(0.95),
      latencyP99S: stats.latencySeries.quantile(0.99),
    };
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

function latencyStats(histogram: LatencyHistogram): LatencyStats {
  if (histogram.count === 0) {
    return { count: 0, meanS: null, p50S: null, p95S: null, p99S: null, p999S: null, maxS: null };
  }
  return {
    count: histogram.count,
    meanS: histogram.meanS,
    p50S: histogram.quantile(0.5),
    p95S: histogram.quantile(0.95),
    p99S: histogram.quantile(0.99),
    p999S: histogram.quantile(0.999),
    maxS: histogram.maxS,
  };
}
