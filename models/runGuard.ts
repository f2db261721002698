/**
 * Guards against runaway runs: budgets of events, wall time and virtual time per variant, and a
 * zero-delay event loop (too many events in a row at one virtual time).
 *
 * The guard is a kernel watchdog (sim/kernel.ts `watch`) called every CHECK_INTERVAL_EVENTS
 * events, and at the events budget exactly; it reads the clock only then, and never changes the
 * run: a run that stays within its budgets fires the same events with or without it.
 *
 * A loop at one instant is found without a cost per event: virtual time never goes back, so when
 * two checks see the same time, every event between them fired at that time. Once a streak passes
 * SAME_INSTANT_EVENTS_MAX, the guard watches the next events one by one to name their handlers.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { RunLimits } from "./config.ts";
import { BudgetExceededError, EventLoopError } from "./errors.ts";

/** Events between two looks of the guard: the clock is read about every 15 ms at 4 M events/s. */
export const CHECK_INTERVAL_EVENTS = 65_536;

/**
 * Events in a row at one virtual time taken for a zero-delay loop. A scenario reaches it only by
 * piling millions of messages onto one instant (a backlog of more than about 3 million messages
 * processed in zero time, a few events each), which is itself a sign of a broken scenario; a
 * loop in a model reaches it in a few seconds of wall time.
 */
export const SAME_INSTANT_EVENTS_MAX = 10_000_000;

/** Events watched one by one to name the handlers of a loop. */
const LOOP_SAMPLE_EVENTS = 65_536;
/** Handlers named in a loop's message. */
const LOOP_HANDLERS_SHOWN = 3;

/** The budgets a scenario gets when its file and the command line say nothing. */
export const RUN_LIMITS_DEFAULT: RunLimits = {
  /** At about 4 M events/s, some 10 minutes of a full model. */
  eventsMax: 2e9,
  wallTimeSMax: null,
  /** A year; a longer scenario is more likely a typo (`duration: 1e9s` is 31 years). */
  virtualTimeSMax: 365 * 86400,
};

export interface GuardOptions {
  seed: number;
  variant: string;
  /** Milliseconds from any origin; performance.now unless a test gives a fake clock. */
  clockMs?: () => number;
  /** Events in a row at one instant taken for a loop (SAME_INSTANT_EVENTS_MAX). */
  sameInstantEventsMax?: number;
}

/**
 * Throws BudgetExceededError when the run of `durationS + drainS` would be longer than the
 * virtual-time budget: refused before it starts rather than stopped at the budget.
 */
export function checkVirtualTimeBudget(
  durationS: number,
  drainS: number,
  limits: RunLimits,
  where: { seed: number; variant: string },
): void {
  const budgetS = limits.virtualTimeSMax;
  const endS = durationS + drainS;
  if (budgetS === null || endS <= budgetS) return;
  // Close figures are shown in seconds, so that they do not read the same.
  const close = formatDuration(budgetS) === formatDuration(endS);
  const show = (seconds: number) => (close ? `${seconds} s` : formatDuration(seconds));
  throw new BudgetExceededError(
    "virtualTime",
    `virtual time ${show(budgetS)} is shorter than duration + drain (${show(endS)}): not started`,
    0,
    0,
    where.seed,
    where.variant,
  );
}

/** Installs the guard on `kernel` (before its run); a budget exceeded or a loop stops the run. */
export function guardRun(kernel: Kernel, limits: RunLimits, options: GuardOptions): void {
  const { seed, variant } = options;
  const clockMs = options.clockMs ?? (() => performance.now());
  const eventsMax = limits.eventsMax ?? Number.POSITIVE_INFINITY;
  const wallTimeMsMax = limits.wallTimeSMax === null ? null : limits.wallTimeSMax * 1000;
  const startedMs = wallTimeMsMax === null ? 0 : clockMs();
  const sameInstantEventsMax = options.sameInstantEventsMax ?? SAME_INSTANT_EVENTS_MAX;
  let streakTimeS = Number.NaN;
  let streakFromEvents = 0;
  /** Handlers of the events after a streak passed its limit, by handler index; null until then. */
  let loopSample: Map<number, number> | null = null;
  let loopSampleLeft = 0;

  const nextCheck = (fired: number) => Math.min(fired + CHECK_INTERVAL_EVENTS, eventsMax);

  kernel.watch((k, handler) => {
    const fired = k.eventsFired;
    if (fired >= eventsMax) {
      throw new BudgetExceededError(
        "events",
        `${formatCount(eventsMax)} events at virtual time ${formatDuration(k.nowS)}`,
        k.nowS,
        fired,
        seed,
        variant,
      );
    }
    if (loopSample !== null) {
      if (k.nowS === streakTimeS) loopSample.set(handler, (loopSample.get(handler) ?? 0) + 1);
      if (k.nowS !== streakTimeS || --loopSampleLeft === 0) {
        throw loopError(k, loopSample, streakTimeS, fired - streakFromEvents, seed, variant);
      }
      return fired + 1;
    }
    if (wallTimeMsMax !== null && clockMs() - startedMs > wallTimeMsMax) {
      throw new BudgetExceededError(
        "wallTime",
        `wall time ${formatDuration(wallTimeMsMax / 1000)} at virtual time ${formatDuration(k.nowS)} after ${formatCount(fired)} events`,
        k.nowS,
        fired,
        seed,
        variant,
      );
    }
    if (k.nowS !== streakTimeS) {
      streakTimeS = k.nowS;
      streakFromEvents = fired;
    } else if (fired - streakFromEvents >= sameInstantEventsMax) {
      loopSample = new Map([[handler, 1]]);
      loopSampleLeft = LOOP_SAMPLE_EVENTS - 1;
      return fired + 1;
    }
    return nextCheck(fired);
  }, nextCheck(0));
}

function loopError(
  kernel: Kernel,
  sample: Map<number, number>,
  timeS: number,
  streakEvents: number,
  seed: number,
  variant: string,
): EventLoopError {
  const sampled = [...sample.values()].reduce((sum, n) => sum + n, 0);
  const handlers = [...sample]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, LOOP_HANDLERS_SHOWN)
    .map(([handler, n]) => `${kernel.handlerName(handler)} ${Math.round((100 * n) / sampled)}%`)
    .join(", ");
  return new EventLoopError(
    `more than ${formatCount(streakEvents)} events in a row at virtual time ${formatDuration(timeS)} (most frequent: ${handlers}): a zero-delay event loop, either a queuelab model bug or a scenario that puts that many events on one instant`,
    timeS,
    seed,
    variant,
  );
}

/** 1234567 -> "1,234,567" (locale-free, as the reports). */
function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

const UNITS: readonly [string, number][] = [
  ["d", 86400],
  ["h", 3600],
  ["min", 60],
  ["s", 1],
  ["ms", 1e-3],
  ["µs", 1e-6],
];

/** A duration in its largest unit, to 3 significant digits: "1.5 h", "30 d", "250 ms". */
function formatDuration(seconds: number): string {
  if (seconds === 0) return "0 s";
  const [name, perUnit] = UNITS.find(([, s]) => seconds >= s) ?? UNITS[UNITS.length - 1];
  return `${Number((seconds / perUnit).toPrecision(3))} ${name}`;
}
