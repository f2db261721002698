/**
 * The measurements of one run, shared by its components: counters, gauges on the time grid and
 * latency histograms. Fixed memory whatever the run length.
 */
import { LatencyHistogram } from "../sim/histogram.ts";
import type { Kernel } from "../sim/kernel.ts";
import { CounterSeries, GaugeSeries, HistogramSeries, type TimeGrid } from "../sim/metrics.ts";
import { BacklogTracker } from "./backlog.ts";

export class RunStats {
  /** Messages waiting (ready in queues, lag of consumer groups), delivered or fetched and not yet settled, and in dead-letter queues. */
  readyDepth = 0;
  inFlight = 0;
  dlqDepth = 0;

  deliveries = 0;
  redeliveries = 0;
  acks = 0;
  staleAcks = 0;
  nacks = 0;
  visibilityTimeouts = 0;
  movedToDeadLetter = 0;
  /** Copies a broker dropped because it already had the message (idempotent producer, FIFO dedup). */
  deduplicatedByBroker = 0;
  /** Copies a FIFO queue accepted and dropped as duplicates (its deduplication window). */
  fifoDeduplicated = 0;
  processingFailures = 0;

  /** Produced and first-processed within [warmupS, durationS): the steady-state throughput window. */
  producedInWindow = 0;
  processedInWindow = 0;

  readonly queueWait = new LatencyHistogram();
  readonly readySeries: GaugeSeries;
  readonly inFlightSeries: GaugeSeries;
  readonly dlqSeries: GaugeSeries;
  /** Bytes the queues store (ready, delayed, in flight, dead-lettered): what a broker's disk holds. */
  storedBytes = 0;
  readonly storedBytesSeries: GaugeSeries;
  readonly producedSeries: CounterSeries;
  readonly processedSeries: CounterSeries;
  readonly latencySeries: HistogramSeries;
  /** The deepest backlog (readyDepth) and when it drained. */
  readonly backlog = new BacklogTracker();
  /**
   * From publish at the producer to acceptance by a queue, for each copy a queue takes in: the
   * producer's buffer (blocked, rate limited, in-flight window), its retries, and the link.
   */
  readonly publishWait = new LatencyHistogram();

  constructor(
    private readonly kernel: Kernel,
    readonly grid: TimeGrid,
    readonly warmupS: number,
    readonly durationS: number,
  ) {
    this.readySeries = new GaugeSeries(grid);
    this.inFlightSeries = new GaugeSeries(grid);
    this.dlqSeries = new GaugeSeries(grid);
    this.storedBytesSeries = new GaugeSeries(grid);
    this.producedSeries = new CounterSeries(grid);
    this.processedSeries = new CounterSeries(grid);
    this.latencySeries = new HistogramSeries(grid);
  }

  changeReady(delta: number): void {
    this.readyDepth += delta;
    this.readySeries.set(this.kernel.nowS, this.readyDepth);
    this.backlog.observe(this.kernel.nowS, this.readyDepth);
  }

  changeInFlight(delta: number): void {
    this.inFlight += delta;
    this.inFlightSeries.set(this.kernel.nowS, this.inFlight);
  }

  changeStoredBytes(delta: number): void {
    this.storedBytes += delta;
    this.storedBytesSeries.set(this.kernel.nowS, this.storedBytes);
  }

  changeDlq(delta: number): void {
    this.dlqDepth += delta;
    this.dlqSeries.set(this.kernel.nowS, this.dlqDepth);
  }

  recordProduced(): void {
    const nowS = this.kernel.nowS;
    this.producedSeries.add(nowS);
    if (nowS >= this.warmupS && nowS < this.durationS) this.producedInWindow++;
  }

  /** A copy is delivered for the first time, `waitS` after it reached its queue. */
  recordFirstDelivery(producedAtS: number, waitS: number): void {
    if (producedAtS >= this.warmupS) this.queueWait.record(waitS);
  }

  /** A message was processed for the first time. */
  recordFirstProcessing(producedAtS: number): void {
    const nowS = this.kernel.nowS;
    this.processedSeries.add(nowS);
    if (nowS >= this.warmupS && nowS < this.durationS) this.processedInWindow++;
    if (producedAtS >= this.warmupS) {
      // The run's latency histogram is the merge of the subscriptions' (models/subscription.ts).
      this.latencySeries.record(nowS, nowS - producedAtS);
    }
  }

  /** A queue took in a copy of a message produced at `producedAtS`. */
  recordAccepted(producedAtS: number): void {
    if (producedAtS >= this.warmupS) this.publishWait.record(this.kernel.nowS - producedAtS);
  }

  finish(endS: number): void {
    this.readySeries.finish(endS);
    this.inFlightSeries.finish(endS);
    this.dlqSeries.finish(endS);
    this.storedBytesSeries.finish(endS);
  }
}
