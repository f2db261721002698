/**
 * When a system recovered after a trigger (an outage, a slowdown) ended: the first time from
 * which goodput is back near its level before the trigger and the backlog is back near its
 * level before the trigger. A retry storm that sustains itself never gets there: "did not
 * recover". Pure arithmetic over the run's time series, so it can be checked by hand.
 */

export interface RecoveryInput {
  bucketS: number;
  /** Successful requests per second, per bucket. */
  goodputPerS: number[];
  /** Work waiting (queued messages, requests in downstream services), per bucket. */
  backlog: number[];
  /** When the trigger began and ended. */
  triggerStartS: number;
  triggerEndS: number;
  /** Recovery must happen before this (the end of the producing window). */
  untilS: number;
}

/** Goodput counts as back when its average over this many buckets reaches the fraction below. */
export const RECOVERY_WINDOW_BUCKETS = 10;
export const RECOVERY_GOODPUT_FRACTION = 0.9;
/** The backlog counts as back when it is at most this multiple of its mean before the trigger (plus one bucket's goodput, for a backlog that was near zero). */
export const RECOVERY_BACKLOG_FACTOR = 2;

/** The time of recovery, or null when it did not recover before `untilS` (or nothing was measured before the trigger). */
export function recoveredAtS(input: RecoveryInput): number | null {
  const { bucketS, goodputPerS, backlog, triggerStartS, triggerEndS, untilS } = input;
  const before = Math.floor(triggerStartS / bucketS);
  if (before < 1) return null;
  const baselineGoodput = mean(goodputPerS, 0, before);
  const baselineBacklog = mean(backlog, 0, before);
  const backlogLimit = RECOVERY_BACKLOG_FACTOR * baselineBacklog + baselineGoodput * bucketS;
  const last = Math.min(goodputPerS.length, Math.ceil(untilS / bucketS));
  for (let b = Math.ceil(triggerEndS / bucketS - 1e-9); b < last; b++) {
    if (backlog[b] > backlogLimit) continue;
    const end = Math.min(last, b + RECOVERY_WINDOW_BUCKETS);
    if (mean(goodputPerS, b, end) >= RECOVERY_GOODPUT_FRACTION * baselineGoodput) {
      return b * bucketS;
    }
  }
  return null;
}

function mean(values: number[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i];
  return to > from ? sum / (to - from) : 0;
}
