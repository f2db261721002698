/**
 * The discrete-event kernel: a virtual clock and one event queue.
 *
 * An event is (time, sequence number, handler, two numeric arguments). Handlers are registered
 * once and events refer to them by index, so scheduling allocates nothing: the heap lives in
 * typed arrays and grows by doubling. Events at the same time fire in the order they were
 * scheduled (the sequence number breaks ties), so a run is a pure function of its inputs.
 *
 * Cancellation is lazy: `cancel` marks the event's slot and the loop skips it when it surfaces.
 * A handle is `slot + generation * SLOT_LIMIT`, generations starting at 1 so that no handle is 0
 * (a zero-filled array of handles cancels nothing), and a stale handle (its slot since reused) is
 * recognised and ignored.
 *
 * A watchdog (`watch`) can look at the run every so many events, to stop a runaway one; it costs
 * the loop one comparison per event and cannot change what the run does.
 */

import { grown } from "./grow.ts";

export type EventHandler = (argA: number, argB: number) => void;

/** A handle that names no event; `cancel(NO_EVENT)` does nothing. */
export const NO_EVENT = -1;

const SLOT_LIMIT = 2 ** 26;
const INITIAL_CAPACITY = 1024;

export class KernelError extends Error {}

/**
 * Looks at a run before the event that makes `eventsFired` exceed a count it chose: `handler` is
 * the index of that event's handler, the clock already stands at its time. Returns the count at
 * which to be called next, or throws to end the run.
 */
export type Watchdog = (kernel: Kernel, handler: number) => number;

export class Kernel {
  /** Current virtual time in seconds. Never decreases. */
  nowS = 0;
  /** Events fired so far (skipped cancelled events not counted). */
  eventsFired = 0;

  private readonly handlers: EventHandler[] = [];
  private readonly handlerNames: string[] = [];

  // Heap of slot indices ordered by (time, sequence). Per-slot data lives in parallel arrays.
  private heap = new Int32Array(INITIAL_CAPACITY);
  private heapSize = 0;
  private slotTimeS = new Float64Array(INITIAL_CAPACITY);
  private slotSeq = new Float64Array(INITIAL_CAPACITY);
  private slotHandler = new Int32Array(INITIAL_CAPACITY);
  private slotArgA = new Float64Array(INITIAL_CAPACITY);
  private slotArgB = new Float64Array(INITIAL_CAPACITY);
  private slotGeneration = new Uint32Array(INITIAL_CAPACITY);
  private slotCancelled = new Uint8Array(INITIAL_CAPACITY);
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  private slotsUsed = 0;
  private nextSeq = 0;
  private stopRequested = false;
  private watchdog: Watchdog | null = null;
  /** The watchdog is called before the event that would make `eventsFired` exceed this. */
  private watchAtEvents = Number.POSITIVE_INFINITY;

  /** Registers a handler; the returned index is what `schedule` takes. Done once at wiring. */
  register(name: string, handler: EventHandler): number {
    this.handlers.push(handler);
    this.handlerNames.push(name);
    return this.handlers.length - 1;
  }

  /** The name a handler was registered with. */
  handlerName(handler: number): string {
    return this.handlerNames[handler];
  }

  /**
   * Calls `watchdog` before the first event fired once `eventsFired` is `firstAtEvents`, then at
   * the counts it returns. It reads the run and may throw (a budget, a loop at one instant); it
   * must not change the simulation, so that a run is the same with or without it.
   */
  watch(watchdog: Watchdog, firstAtEvents: number): void {
    this.watchdog = watchdog;
    this.watchAtEvents = firstAtEvents;
  }

  /** Number of events waiting, cancelled ones included until they surface. */
  get pendingEvents(): number {
    return this.heapSize;
  }

  /** Schedules `handler(argA, argB)` after `delayS` seconds; returns a handle for `cancel`. */
  schedule(delayS: number, handler: number, argA = 0, argB = 0): number {
    if (!(delayS >= 0) || delayS === Number.POSITIVE_INFINITY) {
      throw new KernelError(
        `event '${this.handlerNames[handler]}' scheduled with delay ${delayS}s at t=${this.nowS}s: delays must be finite and >= 0`,
      );
    }
    return this.scheduleAt(this.nowS + delayS, handler, argA, argB);
  }

  /** Schedules at an absolute virtual time, which must be finite and not in the past. */
  scheduleAt(timeS: number, handler: number, argA = 0, argB = 0): number {
    if (!(timeS >= this.nowS) || timeS === Number.POSITIVE_INFINITY) {
      throw new KernelError(
        `event '${this.handlerNames[handler]}' scheduled at t=${timeS}s with now t=${this.nowS}s: event times must be finite and not in the past`,
      );
    }
    const slot = this.allocateSlot();
    this.slotTimeS[slot] = timeS;
    this.slotSeq[slot] = this.nextSeq++;
    this.slotHandler[slot] = handler;
    this.slotArgA[slot] = argA;
    this.slotArgB[slot] = argB;
    this.slotCancelled[slot] = 0;
    this.siftUp(this.heapSize++, slot);
    return slot + this.slotGeneration[slot] * SLOT_LIMIT;
  }

  /** Cancels a scheduled event; a handle already fired, cancelled or stale is ignored. */
  cancel(handle: number): void {
    if (handle < 0) return;
    const slot = handle % SLOT_LIMIT;
    const generation = (handle - slot) / SLOT_LIMIT;
    if (slot < this.slotsUsed && this.slotGeneration[slot] === generation) {
      this.slotCancelled[slot] = 1;
    }
  }

  /** Makes `run` return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Fires events in (time, sequence) order until none is left, the next is after `untilS`
   * (the clock then stands at `untilS`), or `stop` is called.
   */
  run(untilS = Number.POSITIVE_INFINITY): void {
    // NaN would compare false against every event time and run the queue dry.
    if (Number.isNaN(untilS)) throw new KernelError(`run until NaN at t=${this.nowS}s`);
    this.stopRequested = false;
    const handlers = this.handlers;
    while (this.heapSize > 0 && !this.stopRequested) {
      const slot = this.heap[0];
      const timeS = this.slotTimeS[slot];
      if (timeS > untilS) break;
      this.popRoot();
      const handler = this.slotHandler[slot];
      const argA = this.slotArgA[slot];
      const argB = this.slotArgB[slot];
      const cancelled = this.slotCancelled[slot];
      this.releaseSlot(slot);
      if (cancelled) continue;
      this.nowS = timeS;
      if (this.eventsFired === this.watchAtEvents) {
        this.watchAtEvents = this.watchdog!(this, handler);
      }
      this.eventsFired++;
      handlers[handler](argA, argB);
    }
    if (!this.stopRequested && untilS !== Number.POSITIVE_INFINITY && untilS > this.nowS) {
      this.nowS = untilS;
    }
  }

  private allocateSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    if (this.slotsUsed === this.slotTimeS.length) this.grow();
    this.slotGeneration[this.slotsUsed] = 1;
    return this.slotsUsed++;
  }

  private releaseSlot(slot: number): void {
    // Wrap the generation well before it would overflow the handle's float precision.
    this.slotGeneration[slot] = (this.slotGeneration[slot] % (2 ** 26 - 1)) + 1;
    this.freeSlots[this.freeCount++] = slot;
  }

  private grow(): void {
    const capacity = this.slotTimeS.length * 2;
    if (capacity > SLOT_LIMIT) {
      throw new KernelError(`more than ${SLOT_LIMIT} events pending at t=${this.nowS}s`);
    }
    this.heap = grown(this.heap, capacity);
    this.slotTimeS = grown(this.slotTimeS, capacity);
    this.slotSeq = grown(this.slotSeq, capacity);
    this.slotHandler = grown(this.slotHandler, capacity);
    this.slotArgA = grown(this.slotArgA, capacity);
    this.slotArgB = grown(this.slotArgB, capacity);
    this.slotGeneration = grown(this.slotGeneration, capacity);
    this.slotCancelled = grown(this.slotCancelled, capacity);
    this.freeSlots = grown(this.freeSlots, capacity);
  }

  /** True when slot a fires before slot b. */
  private before(a: number, b: number): boolean {
    const ta = this.slotTimeS[a];
    const tb = this.slotTimeS[b];
    return ta < tb || (ta === tb && this.slotSeq[a] < this.slotSeq[b]);
  }

  private siftUp(index: number, slot: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentSlot = heap[parent];
      if (!this.before(slot, parentSlot)) break;
      heap[index] = parentSlot;
      index = parent;
    }
    heap[index] = slot;
  }

  private popRoot(): void {
    const heap = this.heap;
    const size = --this.heapSize;
    if (size === 0) return;
    const slot = heap[size];
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.before(heap[right], heap[left]) ? right : left;
      if (!this.before(heap[child], slot)) break;
      heap[index] = heap[child];
      index = child;
    }
    heap[index] = slot;
  }
}
