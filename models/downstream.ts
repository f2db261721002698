/**
 * A downstream service (a payments API, a database) that consumers and callers call: `servers`
 * requests are served at once, at most `queueCapacity` more wait in line (FIFO), and a request
 * beyond that is rejected at once. Above a knee of requests in the system every service started
 * takes `slowdownFactor` times longer (thrashing: lock contention, cache misses, swapping), the
 * shape that lets retries hold a service in overload after the trigger has gone.
 *
 * The service answers every request exactly once, through the kernel handler the caller passed:
 * `(tag, Reply.ok)` when served, `(tag, Reply.rejected)` when refused (queue full, or an
 * outage). Answers are always events (delay 0 at the moment of the answer), never nested calls,
 * so a caller may submit again from its reply handler. The service knows nothing of caller
 * timeouts: it finishes work its caller has given up on (the caller counts that as wasted).
 *
 * Faults, each a window [atS, atS + durationS):
 * - outage: the service is down. Mode "reject": every request is refused at once (connection
 *   refused, a 503 from the load balancer). Mode "hang": requests get no answer until the
 *   outage ends, then a rejection (a black hole; the caller's timeout fires first). Requests
 *   waiting or in service when an outage starts are treated like requests arriving then
 *   (rejected at once, or hung until the end): a service that is down completes nothing, and
 *   the work in hand is lost (a crashed process loses its connections). The service comes back
 *   empty.
 * - slowdown: services started in the window take `factor` times longer (a GC storm, a noisy
 *   neighbour); services already running keep their time.
 * - capacity drop: only `servers` servers take new work; the others finish what they hold.
 * Overlapping windows combine: slowdown factors multiply, the smallest server count holds, and
 * the service is down while any outage lasts (refusing at once if any of them rejects).
 *
 * Memory: one slot per request waiting, in service or hanging (typed arrays, reused), not one
 * per request ever made.
 */
import type { Distribution, DistributionSpec } from "../sim/distributions.ts";
import { makeDistribution } from "../sim/distributions.ts";
import { grown } from "../sim/grow.ts";
import { LatencyHistogram } from "../sim/histogram.ts";
import type { Kernel } from "../sim/kernel.ts";
import { CounterSeries, GaugeSeries, type TimeGrid } from "../sim/metrics.ts";
import type { RandomStreams } from "../sim/random.ts";
import { InvariantError } from "./errors.ts";
import { IntRing } from "./ring.ts";

export interface DownstreamConfig {
  name: string;
  /** Requests served at once. */
  servers: number;
  /** Requests that may wait for a server; beyond it a request is rejected at once; null = unbounded. */
  queueCapacity: number | null;
  /** Service time of one request at normal load. */
  serviceTime: DistributionSpec;
  /**
   * Above this many requests in the system (waiting + in service, counting the one starting),
   * each service started takes `slowdownFactor` times longer (thrashing: the "order of magnitude
   * slower above capacity" shape); null = no knee.
   */
  knee: KneeConfig | null;
}

/**
 * Where the service slows down: above `inSystem` requests waiting or in service (thrashing), or
 * above `ratePerS` arrivals per second over the last KNEE_RATE_WINDOW_S (a cache that stops
 * fitting, as in the metastable-failure papers). Exactly one of the two is set.
 */
export interface KneeConfig {
  inSystem: number | null;
  ratePerS: number | null;
  slowdownFactor: number;
}

/** The arrival rate a rate knee compares is counted over this last second, in tenths. */
export const KNEE_RATE_WINDOW_S = 1;
const KNEE_RATE_BUCKETS = 10;

/** What a downstream answers, as the second argument of the caller's reply handler. */
export const Reply = { ok: 0, rejected: 1 } as const;
export type ReplyCode = (typeof Reply)[keyof typeof Reply];

export type OutageMode = "reject" | "hang";

/** A scheduled fault of a downstream, as read from a scenario's `faults`. */
export type DownstreamFaultConfig =
  /** Down during [atS, atS + durationS): requests rejected at once, or hung until the end. */
  | { kind: "outage"; atS: number; durationS: number; downstream: string; mode: OutageMode }
  /** Services started during [atS, atS + durationS) take `factor` times longer. */
  | { kind: "slowdown"; atS: number; durationS: number; downstream: string; factor: number }
  /** During [atS, atS + durationS) only `servers` servers take new work. */
  | { kind: "capacity-drop"; atS: number; durationS: number; downstream: string; servers: number };

/** Whether a scenario fault is one of a downstream's (the run's trigger, for recovery time). */
export function isDownstreamFault(fault: { kind: string }): fault is DownstreamFaultConfig {
  return fault.kind === "outage" || fault.kind === "slowdown" || fault.kind === "capacity-drop";
}

const SlotState = { free: 0, waiting: 1, inService: 2, hanging: 3 } as const;
const INITIAL_SLOTS = 16;
/** Window event argument: the window starts (1) or ends (0). */
const START = 1;
const END = 0;

export class Downstream {
  /** Requests submitted. */
  requests = 0;
  /** Requests served and answered ok. */
  completed = 0;
  /** Requests answered rejected: rejectedQueueFull + rejectedOutage. */
  rejected = 0;
  /** Rejected because every server was busy and the queue was full. */
  rejectedQueueFull = 0;
  /** Rejected because of an outage (at once, or at its end for a hung request). */
  rejectedOutage = 0;
  /** Services cut short by the start of an outage (work done for nothing). */
  abortedServices = 0;

  /** Requests in the system (waiting, in service or hanging) over time. */
  readonly inSystemSeries: GaugeSeries;
  /** Requests submitted per bucket (the offered load, retries included). */
  readonly requestSeries: CounterSeries;
  /** Requests served per bucket (goodput, as far as the service knows). */
  readonly completionSeries: CounterSeries;
  /** Requests rejected per bucket. */
  readonly rejectionSeries: CounterSeries;
  /** Response time (arrival to reply) of completed requests. */
  readonly responseTime = new LatencyHistogram();
  /** Wait in line (arrival to service start) of every request that started service. */
  readonly waitTime = new LatencyHistogram();

  private readonly service: Distribution;
  private readonly waiting = new IntRing(INITIAL_SLOTS);
  private readonly hangingRing = new IntRing(INITIAL_SLOTS);
  /** Requests in service: servers busy. */
  private busyServers = 0;
  /** Servers taking new work now (fewer during a capacity drop). */
  private workingServers: number;
  /** Product of the active slowdown windows' factors. */
  private slowdownNow = 1;
  private activeOutages = 0;
  private activeRejectOutages = 0;

  private busyServerSecondsBefore = 0;
  private busyChangedAtS = 0;

  // Per request slot (waiting, in service or hanging).
  private slotTag = new Float64Array(INITIAL_SLOTS);
  private slotReplyHandler = new Int32Array(INITIAL_SLOTS);
  private slotArrivedAtS = new Float64Array(INITIAL_SLOTS);
  private slotDoneEvent = new Float64Array(INITIAL_SLOTS);
  private slotState = new Uint8Array(INITIAL_SLOTS);
  private freeSlots = new Int32Array(INITIAL_SLOTS);
  private freeCount = 0;
  private slotsUsed = 0;

  // Fault windows, by index (few: one per fault in the scenario).
  private readonly outageModes: OutageMode[] = [];
  private readonly slowdownFactors: number[] = [];
  private readonly slowdownActive: boolean[] = [];
  private readonly dropServers: number[] = [];
  private readonly dropActive: boolean[] = [];

  private readonly doneHandler: number;
  private readonly outageHandler: number;
  private readonly slowdownHandler: number;
  private readonly capacityDropHandler: number;

  constructor(
    private readonly kernel: Kernel,
    readonly config: DownstreamConfig,
    streams: RandomStreams,
    grid: TimeGrid,
  ) {
    checkConfig(config);
    this.workingServers = config.servers;
    this.service = makeDistribution(
      config.serviceTime,
      streams.stream(`downstream:${config.name}/service`),
    );
    this.inSystemSeries = new GaugeSeries(grid);
    this.requestSeries = new CounterSeries(grid);
    this.completionSeries = new CounterSeries(grid);
    this.rejectionSeries = new CounterSeries(grid);
    const name = config.name;
    this.doneHandler = kernel.register(`downstream:${name}/done`, (slot) => this.done(slot));
    this.outageHandler = kernel.register(`downstream:${name}/outage`, (window, edge) =>
      edge === START ? this.outageStarts(window) : this.outageEnds(window),
    );
    this.slowdownHandler = kernel.register(`downstream:${name}/slowdown`, (window, edge) => {
      this.slowdownActive[window] = edge === START;
      this.slowdownNow = 1;
      for (let i = 0; i < this.slowdownFactors.length; i++) {
        if (this.slowdownActive[i]) this.slowdownNow *= this.slowdownFactors[i];
      }
    });
    this.capacityDropHandler = kernel.register(
      `downstream:${name}/capacity-drop`,
      (window, edge) => {
        this.dropActive[window] = edge === START;
        this.workingServers = this.config.servers;
        for (let i = 0; i < this.dropServers.length; i++) {
          if (this.dropActive[i])
            this.workingServers = Math.min(this.workingServers, this.dropServers[i]);
        }
        this.startWaiting();
      },
    );
  }

  /** Requests waiting for a server. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Requests being served. */
  get inServiceCount(): number {
    return this.busyServers;
  }

  /** Requests held unanswered by a "hang" outage. */
  get hangingCount(): number {
    return this.hangingRing.size;
  }

  /** Requests accepted and not yet answered: waiting, in service or hanging. */
  get unanswered(): number {
    return this.waiting.size + this.busyServers + this.hangingRing.size;
  }

  /** Server-seconds spent serving up to now (aborted services count up to the outage). */
  get busyServerSeconds(): number {
    return (
      this.busyServerSecondsBefore + this.busyServers * (this.kernel.nowS - this.busyChangedAtS)
    );
  }

  /** Request slots allocated: the most requests ever held at once, rounded up to a power of 2. */
  get slotCapacity(): number {
    return this.slotState.length;
  }

  /**
   * A request arrives; the kernel handler `replyHandler` (registered by the caller) fires later
   * with (tag, Reply.ok) or (tag, Reply.rejected).
   */
  submit(tag: number, replyHandler: number): void {
    const nowS = this.kernel.nowS;
    this.requests++;
    if (this.config.knee?.ratePerS != null) this.countArrival(nowS);
    this.requestSeries.add(nowS);
    if (this.activeOutages > 0) {
      if (this.activeRejectOutages > 0) {
        this.reject(tag, replyHandler, true);
      } else {
        this.hangingRing.push(this.takeSlot(tag, replyHandler, SlotState.hanging));
        this.recordInSystem();
      }
      return;
    }
    if (this.busyServers < this.workingServers) {
      this.startService(this.takeSlot(tag, replyHandler, SlotState.inService));
    } else if (
      this.config.queueCapacity === null ||
      this.waiting.size < this.config.queueCapacity
    ) {
      this.waiting.push(this.takeSlot(tag, replyHandler, SlotState.waiting));
    } else {
      this.reject(tag, replyHandler, false);
      return;
    }
    this.recordInSystem();
  }

  /** An outage during [atS, atS + durationS); see the module comment for what happens to work in hand. */
  scheduleOutage(atS: number, durationS: number, mode: OutageMode): void {
    if (mode !== "reject" && mode !== "hang") {
      throw new RangeError(`outage mode must be 'reject' or 'hang', got ${String(mode)}`);
    }
    this.outageModes.push(mode);
    this.scheduleWindow(atS, durationS, this.outageHandler, this.outageModes.length - 1);
  }

  /** During [atS, atS + durationS) services started take `factor` times longer. */
  scheduleSlowdown(atS: number, durationS: number, factor: number): void {
    if (!(factor > 0) || !Number.isFinite(factor)) {
      throw new RangeError(`slowdown factor must be finite and > 0, got ${factor}`);
    }
    this.slowdownFactors.push(factor);
    this.slowdownActive.push(false);
    this.scheduleWindow(atS, durationS, this.slowdownHandler, this.slowdownFactors.length - 1);
  }

  /** During [atS, atS + durationS) only `servers` servers take new work. */
  scheduleCapacityDrop(atS: number, durationS: number, servers: number): void {
    if (!Number.isInteger(servers) || servers < 0) {
      throw new RangeError(
        `servers during a capacity drop must be a whole number >= 0, got ${servers}`,
      );
    }
    this.dropServers.push(servers);
    this.dropActive.push(false);
    this.scheduleWindow(atS, durationS, this.capacityDropHandler, this.dropServers.length - 1);
  }

  /** Schedules a fault read from a scenario (its `downstream` must be this one). */
  scheduleFault(fault: DownstreamFaultConfig): void {
    if (fault.downstream !== this.config.name) {
      throw new RangeError(`fault for '${fault.downstream}' given to '${this.config.name}'`);
    }
    if (fault.kind === "outage") this.scheduleOutage(fault.atS, fault.durationS, fault.mode);
    else if (fault.kind === "slowdown")
      this.scheduleSlowdown(fault.atS, fault.durationS, fault.factor);
    else this.scheduleCapacityDrop(fault.atS, fault.durationS, fault.servers);
  }

  /** Closes the time series at the end of the run. */
  finish(endS: number): void {
    this.inSystemSeries.finish(endS);
  }

  /** Every request is answered, or still held: requests = completed + rejected + unanswered. */
  checkConservation(): void {
    const held = this.unanswered;
    if (this.requests !== this.completed + this.rejected + held) {
      throw new InvariantError(
        `downstream '${this.config.name}': ${this.requests} requests but ${this.completed} completed + ${this.rejected} rejected + ${held} unanswered`,
        this.kernel.nowS,
      );
    }
    const slotsHeld = this.slotsUsed - this.freeCount;
    if (slotsHeld !== held) {
      throw new InvariantError(
        `downstream '${this.config.name}': ${slotsHeld} request slots held for ${held} unanswered requests`,
        this.kernel.nowS,
      );
    }
  }

  private scheduleWindow(atS: number, durationS: number, handler: number, window: number): void {
    if (!(atS >= this.kernel.nowS) || !Number.isFinite(atS)) {
      throw new RangeError(
        `fault at ${atS}s: must be finite and not before now (${this.kernel.nowS}s)`,
      );
    }
    if (!(durationS > 0) || !Number.isFinite(atS + durationS)) {
      throw new RangeError(`fault duration must be finite and > 0, got ${durationS}`);
    }
    this.kernel.scheduleAt(atS, handler, window, START);
    this.kernel.scheduleAt(atS + durationS, handler, window, END);
  }

  /** Arrivals in tenths of a second, in a ring, for a rate knee. */
  private readonly arrivalBuckets = new Float64Array(KNEE_RATE_BUCKETS);
  private arrivalBucketIndex = 0;

  private countArrival(nowS: number): void {
    this.advanceArrivalBuckets(nowS);
    this.arrivalBuckets[this.arrivalBucketIndex % KNEE_RATE_BUCKETS]++;
  }

  /** Arrivals over the last KNEE_RATE_WINDOW_S (in whole tenths, the current one included). */
  private arrivalsInWindow(nowS: number): number {
    this.advanceArrivalBuckets(nowS);
    let sum = 0;
    for (let i = 0; i < KNEE_RATE_BUCKETS; i++) sum += this.arrivalBuckets[i];
    return sum;
  }

  private advanceArrivalBuckets(nowS: number): void {
    const index = Math.floor((nowS * KNEE_RATE_BUCKETS) / KNEE_RATE_WINDOW_S);
    const stale = Math.min(KNEE_RATE_BUCKETS, index - this.arrivalBucketIndex);
    for (let i = 1; i <= stale; i++) {
      this.arrivalBuckets[(this.arrivalBucketIndex + i) % KNEE_RATE_BUCKETS] = 0;
    }
    if (index > this.arrivalBucketIndex) this.arrivalBucketIndex = index;
  }

  private startService(slot: number): void {
    const nowS = this.kernel.nowS;
    // Counting the request starting: it is in the system.
    const inSystem = this.waiting.size + this.busyServers + 1;
    const knee = this.config.knee;
    let factor = this.slowdownNow;
    if (knee !== null) {
      const above =
        knee.inSystem !== null
          ? inSystem > knee.inSystem
          : this.arrivalsInWindow(nowS) > knee.ratePerS! * KNEE_RATE_WINDOW_S;
      if (above) factor *= knee.slowdownFactor;
    }
    const serviceS = this.service.sample() * factor;
    this.changeBusy(1);
    this.slotState[slot] = SlotState.inService;
    this.waitTime.record(nowS - this.slotArrivedAtS[slot]);
    this.slotDoneEvent[slot] = this.kernel.schedule(serviceS, this.doneHandler, slot);
  }

  private done(slot: number): void {
    if (this.slotState[slot] !== SlotState.inService) {
      throw new InvariantError(
        `downstream '${this.config.name}': service of slot ${slot} ended, but the slot is not in service`,
        this.kernel.nowS,
      );
    }
    const nowS = this.kernel.nowS;
    this.changeBusy(-1);
    this.completed++;
    this.completionSeries.add(nowS);
    this.responseTime.record(nowS - this.slotArrivedAtS[slot]);
    this.kernel.schedule(0, this.slotReplyHandler[slot], this.slotTag[slot], Reply.ok);
    this.releaseSlot(slot);
    this.startWaiting();
    this.recordInSystem();
  }

  /** Free servers take waiting requests, oldest first (the count in the system is unchanged). */
  private startWaiting(): void {
    while (this.waiting.size > 0 && this.busyServers < this.workingServers) {
      this.startService(this.waiting.shift());
    }
  }

  private outageStarts(window: number): void {
    const reject = this.outageModes[window] === "reject";
    this.activeOutages++;
    if (reject) this.activeRejectOutages++;
    if (this.activeOutages > 1) return; // already down; nothing is in service or waiting
    // Work in service is lost; then the line, oldest first. Slot order is deterministic.
    for (let slot = 0; slot < this.slotsUsed; slot++) {
      if (this.slotState[slot] !== SlotState.inService) continue;
      this.kernel.cancel(this.slotDoneEvent[slot]);
      this.changeBusy(-1);
      this.abortedServices++;
      this.dropHeld(slot, reject);
    }
    while (this.waiting.size > 0) this.dropHeld(this.waiting.shift(), reject);
    this.recordInSystem();
  }

  /** A request in hand when an outage starts: rejected now, or hung until the service is up. */
  private dropHeld(slot: number, reject: boolean): void {
    if (reject) {
      this.reject(this.slotTag[slot], this.slotReplyHandler[slot], true);
      this.releaseSlot(slot);
    } else {
      this.slotState[slot] = SlotState.hanging;
      this.hangingRing.push(slot);
    }
  }

  private outageEnds(window: number): void {
    this.activeOutages--;
    if (this.outageModes[window] === "reject") this.activeRejectOutages--;
    if (this.activeOutages > 0) return;
    // Up again: the hung connections are answered (the caller has most likely timed out).
    while (this.hangingRing.size > 0) {
      const slot = this.hangingRing.shift();
      this.reject(this.slotTag[slot], this.slotReplyHandler[slot], true);
      this.releaseSlot(slot);
    }
    this.recordInSystem();
  }

  private reject(tag: number, replyHandler: number, outage: boolean): void {
    this.rejected++;
    if (outage) this.rejectedOutage++;
    else this.rejectedQueueFull++;
    this.rejectionSeries.add(this.kernel.nowS);
    this.kernel.schedule(0, replyHandler, tag, Reply.rejected);
  }

  private changeBusy(delta: number): void {
    const nowS = this.kernel.nowS;
    this.busyServerSecondsBefore += this.busyServers * (nowS - this.busyChangedAtS);
    this.busyChangedAtS = nowS;
    this.busyServers += delta;
  }

  private recordInSystem(): void {
    this.inSystemSeries.set(this.kernel.nowS, this.unanswered);
  }

  private takeSlot(tag: number, replyHandler: number, state: number): number {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.freeSlots[--this.freeCount];
    } else {
      if (this.slotsUsed === this.slotState.length) this.growSlots();
      slot = this.slotsUsed++;
    }
    this.slotTag[slot] = tag;
    this.slotReplyHandler[slot] = replyHandler;
    this.slotArrivedAtS[slot] = this.kernel.nowS;
    this.slotDoneEvent[slot] = -1;
    this.slotState[slot] = state;
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.slotState[slot] = SlotState.free;
    this.slotDoneEvent[slot] = -1;
    this.freeSlots[this.freeCount++] = slot;
  }

  private growSlots(): void {
    const capacity = this.slotState.length * 2;
    this.slotTag = grown(this.slotTag, capacity);
    this.slotReplyHandler = grown(this.slotReplyHandler, capacity);
    this.slotArrivedAtS = grown(this.slotArrivedAtS, capacity);
    this.slotDoneEvent = grown(this.slotDoneEvent, capacity);
    this.slotState = grown(this.slotState, capacity);
    this.freeSlots = grown(this.freeSlots, capacity);
  }
}

function checkConfig(config: DownstreamConfig): void {
  const where = `downstream '${config.name}'`;
  if (!Number.isInteger(config.servers) || config.servers < 1) {
    throw new RangeError(`${where}: servers must be a whole number >= 1, got ${config.servers}`);
  }
  const capacity = config.queueCapacity;
  if (capacity !== null && (!Number.isInteger(capacity) || capacity < 0)) {
    throw new RangeError(
      `${where}: queueCapacity must be a whole number >= 0 or null, got ${capacity}`,
    );
  }
  const knee = config.knee;
  if (knee !== null) {
    if ((knee.inSystem === null) === (knee.ratePerS === null)) {
      throw new RangeError(`${where}: a knee has inSystem or ratePerS, exactly one of them`);
    }
    if (knee.inSystem !== null && (!Number.isInteger(knee.inSystem) || knee.inSystem < 0)) {
      throw new RangeError(
        `${where}: knee inSystem must be a whole number >= 0, got ${knee.inSystem}`,
      );
    }
    if (knee.ratePerS !== null && !(knee.ratePerS > 0 && Number.isFinite(knee.ratePerS))) {
      throw new RangeError(`${where}: knee ratePerS must be finite and > 0, got ${knee.ratePerS}`);
    }
    if (!(knee.slowdownFactor > 0) || !Number.isFinite(knee.slowdownFactor)) {
      throw new RangeError(
        `${where}: knee slowdownFactor must be finite and > 0, got ${knee.slowdownFactor}`,
      );
    }
  }
}
