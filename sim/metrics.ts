/**
 * Time series on a fixed virtual-time grid. Memory is fixed by the bucket count, not by the run
 * length; times past the grid's end are counted in its last bucket.
 */
import { LatencyHistogram } from "./histogram.ts";

function checkTime(timeS: number): void {
  if (!(timeS >= 0) || timeS === Number.POSITIVE_INFINITY) {
    throw new RangeError(`metric time must be finite and >= 0, got ${timeS}`);
  }
}

export class TimeGrid {
  readonly bucketS: number;
  readonly bucketCount: number;

  constructor(bucketS: number, bucketCount: number) {
    if (!(bucketS > 0) || !Number.isFinite(bucketS)) {
      throw new RangeError(`bucketS must be finite and > 0, got ${bucketS}`);
    }
    if (!Number.isInteger(bucketCount) || bucketCount < 1) {
      throw new RangeError(`bucketCount must be an integer >= 1, got ${bucketCount}`);
    }
    this.bucketS = bucketS;
    this.bucketCount = bucketCount;
  }

  /** Bucket index for time t, clamped to [0, bucketCount - 1]. */
  index(timeS: number): number {
    const index = Math.floor(timeS / this.bucketS);
    if (index < 0) return 0;
    return index < this.bucketCount ? index : this.bucketCount - 1;
  }

  /** Start time of each bucket. */
  timesS(): number[] {
    return Array.from({ length: this.bucketCount }, (_, i) => i * this.bucketS);
  }
}

/**
 * A gauge (e.g. queue depth): set(t, v) whenever it changes; finish(endS) closes it. It reads 0
 * from time 0 until first set. Per bucket: the time-weighted mean, the max of every value it held
 * (even for an instant), and the value at the end of the bucket. Buckets it never reached
 * (after finish) read NaN.
 */
export class GaugeSeries {
  private readonly weightedSum: Float64Array;
  private readonly coveredS: Float64Array;
  private readonly maxValue: Float64Array;
  private readonly lastValue: Float64Array;
  private valueNow = 0;
  private lastTimeS = 0;
  private finished = false;
  // The bucket of lastTimeS and where it ends: a set within it (the common case, as a gauge
  // changes many times per bucket) skips the bucket arithmetic. The last bucket never ends.
  private currentBucket = 0;
  private currentBucketEndS: number;

  constructor(private readonly grid: TimeGrid) {
    this.weightedSum = new Float64Array(grid.bucketCount);
    this.coveredS = new Float64Array(grid.bucketCount);
    this.maxValue = new Float64Array(grid.bucketCount).fill(Number.NEGATIVE_INFINITY);
    this.lastValue = new Float64Array(grid.bucketCount).fill(Number.NaN);
    this.currentBucketEndS = this.bucketEndS(0);
  }

  set(timeS: number, value: number): void {
    if (
      timeS >= this.lastTimeS &&
      timeS < this.currentBucketEndS &&
      !this.finished &&
      !Number.isNaN(value)
    ) {
      const bucket = this.currentBucket;
      const heldS = timeS - this.lastTimeS;
      this.weightedSum[bucket] += this.valueNow * heldS;
      this.coveredS[bucket] += heldS;
      this.lastTimeS = timeS;
      this.valueNow = value;
      if (value > this.maxValue[bucket]) this.maxValue[bucket] = value;
      this.lastValue[bucket] = value;
      return;
    }
    if (this.finished) throw new RangeError(`gauge set at t=${timeS}s after finish`);
    if (Number.isNaN(value)) throw new RangeError(`gauge set to NaN at t=${timeS}s`);
    this.advance(timeS);
    this.valueNow = value;
    const bucket = this.grid.index(timeS);
    if (value > this.maxValue[bucket]) this.maxValue[bucket] = value;
    this.lastValue[bucket] = value;
  }

  /** Holds the current value until endS; no set is allowed afterwards. */
  finish(endS: number): void {
    if (this.finished) return;
    this.advance(endS);
    this.lastValue[this.grid.index(endS)] = this.valueNow;
    this.finished = true;
  }

  mean(): number[] {
    return Array.from(this.weightedSum, (sum, i) =>
      this.coveredS[i] > 0 ? sum / this.coveredS[i] : this.lastValue[i],
    );
  }

  max(): number[] {
    return Array.from(this.maxValue, (value) =>
      value === Number.NEGATIVE_INFINITY ? Number.NaN : value,
    );
  }

  last(): number[] {
    return Array.from(this.lastValue);
  }

  /** Accounts the current value over [lastTimeS, timeS], bucket by bucket. */
  private advance(timeS: number): void {
    checkTime(timeS);
    if (timeS < this.lastTimeS) {
      throw new RangeError(`gauge time went backwards: ${timeS}s after ${this.lastTimeS}s`);
    }
    const value = this.valueNow;
    const bucketS = this.grid.bucketS;
    let fromS = this.lastTimeS;
    let bucket = this.grid.index(fromS);
    const endBucket = this.grid.index(timeS);
    while (bucket < endBucket) {
      const boundaryS = (bucket + 1) * bucketS;
      this.hold(bucket, value, Math.max(0, boundaryS - fromS));
      this.lastValue[bucket] = value;
      fromS = boundaryS;
      bucket++;
    }
    if (timeS > fromS) this.hold(bucket, value, timeS - fromS);
    this.lastTimeS = timeS;
    this.currentBucket = endBucket;
    this.currentBucketEndS = this.bucketEndS(endBucket);
  }

  /** Where bucket `b` ends; the last bucket, which holds every later time, ends at no finite time (MAX_VALUE keeps Infinity out of the fast path). */
  private bucketEndS(bucket: number): number {
    return bucket === this.grid.bucketCount - 1
      ? Number.MAX_VALUE
      : (bucket + 1) * this.grid.bucketS;
  }

  private hold(bucket: number, value: number, durationS: number): void {
    this.weightedSum[bucket] += value * durationS;
    this.coveredS[bucket] += durationS;
    if (value > this.maxValue[bucket]) this.maxValue[bucket] = value;
  }
}

/** Counts per bucket, e.g. messages processed. Times may come in any order. */
export class CounterSeries {
  /** Sum of all amounts added. */
  total = 0;
  private readonly counts: Float64Array;

  constructor(private readonly grid: TimeGrid) {
    this.counts = new Float64Array(grid.bucketCount);
  }

  add(timeS: number, amount = 1): void {
    // Hot: a time inside the grid (NaN and Infinity are not) skips the checks and the clamp.
    const index = Math.floor(timeS / this.grid.bucketS);
    if (index >= 0 && index < this.counts.length) {
      this.counts[index] += amount;
    } else {
      checkTime(timeS);
      this.counts[this.grid.index(timeS)] += amount;
    }
    this.total += amount;
  }

  perBucket(): number[] {
    return Array.from(this.counts);
  }

  /** Count per second of each bucket. */
  ratePerS(): number[] {
    return Array.from(this.counts, (count) => count / this.grid.bucketS);
  }
}

/**
 * Per bucket a coarse LatencyHistogram, made when the bucket gets its first record, so a series
 * costs memory only for buckets that saw latencies. Times may come in any order.
 */
export class HistogramSeries {
  private readonly histograms: (LatencyHistogram | null)[];

  constructor(
    private readonly grid: TimeGrid,
    private readonly relativeError = 0.02,
  ) {
    this.histograms = new Array(grid.bucketCount).fill(null);
  }

  record(timeS: number, valueS: number): void {
    let bucket = Math.floor(timeS / this.grid.bucketS);
    if (!(bucket >= 0 && bucket < this.histograms.length)) {
      checkTime(timeS);
      bucket = this.grid.index(timeS);
    }
    let histogram = this.histograms[bucket];
    if (histogram === null) {
      histogram = new LatencyHistogram(this.relativeError);
      this.histograms[bucket] = histogram;
    }
    histogram.record(valueS);
  }

  /** One value per bucket; null where the bucket is empty. */
  quantile(q: number): (number | null)[] {
    return this.histograms.map((histogram) => (histogram === null ? null : histogram.quantile(q)));
  }
}
