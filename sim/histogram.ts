/**
 * A latency histogram with fixed memory and bounded relative error, after DDSketch: bucket i
 * holds values in (minS * gamma^(i-1), minS * gamma^i] with gamma = (1 + e) / (1 - e), and
 * reports 2 * minS * gamma^i / (gamma + 1), which is within relative error e of every value in
 * the bucket. Memory is one count per bucket, fixed by (e, minS, maxS), not by the record count.
 */
export class LatencyHistogram {
  readonly relativeError: number;
  /** Smallest value bucketed; smaller ones go to the underflow count. */
  readonly rangeMinS: number;
  /** Largest value bucketed; larger ones are counted in the last bucket. */
  readonly rangeMaxS: number;

  private readonly gamma: number;
  private readonly invLogGamma: number;
  private readonly counts: Float64Array;
  private underflowCount = 0;
  private recordCount = 0;
  private sumS = 0;
  private observedMinS = Number.POSITIVE_INFINITY;
  private observedMaxS = Number.NEGATIVE_INFINITY;

  constructor(relativeError = 0.01, minS = 1e-6, maxS = 1e7) {
    if (!(relativeError > 0 && relativeError < 1)) {
      throw new RangeError(`relativeError must be in (0, 1), got ${relativeError}`);
    }
    if (!(minS > 0 && maxS > minS && Number.isFinite(maxS))) {
      throw new RangeError(`need 0 < minS < maxS < Infinity, got minS ${minS}, maxS ${maxS}`);
    }
    this.relativeError = relativeError;
    this.rangeMinS = minS;
    this.rangeMaxS = maxS;
    this.gamma = (1 + relativeError) / (1 - relativeError);
    this.invLogGamma = 1 / Math.log(this.gamma);
    this.counts = new Float64Array(Math.ceil(Math.log(maxS / minS) * this.invLogGamma) + 1);
  }

  /** Number of buckets (not counting underflow); fixed at construction. */
  get bucketCount(): number {
    return this.counts.length;
  }

  get count(): number {
    return this.recordCount;
  }

  /** Exact mean of the recorded values; NaN when empty. */
  get meanS(): number {
    return this.recordCount === 0 ? Number.NaN : this.sumS / this.recordCount;
  }

  /** Exact largest recorded value; NaN when empty. */
  get maxS(): number {
    return this.recordCount === 0 ? Number.NaN : this.observedMaxS;
  }

  /** Exact smallest recorded value; NaN when empty. */
  get minS(): number {
    return this.recordCount === 0 ? Number.NaN : this.observedMinS;
  }

  record(valueS: number): void {
    if (!(valueS >= 0) || valueS === Number.POSITIVE_INFINITY) {
      throw new RangeError(`latency must be finite and >= 0, got ${valueS}`);
    }
    this.recordCount++;
    this.sumS += valueS;
    if (valueS < this.observedMinS) this.observedMinS = valueS;
    if (valueS > this.observedMaxS) this.observedMaxS = valueS;
    if (valueS < this.rangeMinS) {
      this.underflowCount++;
      return;
    }
    const index = Math.ceil(Math.log(valueS / this.rangeMinS) * this.invLogGamma);
    this.counts[index < this.counts.length ? index : this.counts.length - 1]++;
  }

  /**
   * Value at quantile q in [0, 1] by nearest rank: the smallest value with at least
   * ceil(q * count) values at or below it. Within relativeError of the exact order statistic,
   * exact at the ends, clamped to [minS, maxS] observed; NaN when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    if (this.recordCount === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.recordCount));
    if (rank === 1) return this.observedMinS;
    if (rank === this.recordCount) return this.observedMaxS;
    // Values below rangeMinS are not kept; the smallest of them stands for them all.
    let seen = this.underflowCount;
    if (seen >= rank) return this.observedMinS;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        const valueS = (2 * this.rangeMinS * this.gamma ** i) / (this.gamma + 1);
        return Math.min(this.observedMaxS, Math.max(this.observedMinS, valueS));
      }
    }
    return this.observedMaxS;
  }

  /** Adds another histogram's records; both must have the same buckets. */
  merge(other: LatencyHistogram): void {
    if (
      other.relativeError !== this.relativeError ||
      other.rangeMinS !== this.rangeMinS ||
      other.rangeMaxS !== this.rangeMaxS
    ) {
      throw new RangeError("cannot merge histograms with different relative error or range");
    }
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.underflowCount += other.underflowCount;
    this.recordCount += other.recordCount;
    this.sumS += other.sumS;
    this.observedMinS = Math.min(this.observedMinS, other.observedMinS);
    this.observedMaxS = Math.max(this.observedMaxS, other.observedMaxS);
  }

  reset(): void {
    this.counts.fill(0);
    this.underflowCount = 0;
    this.recordCount = 0;
    this.sumS = 0;
    this.observedMinS = Number.POSITIVE_INFINITY;
    this.observedMaxS = Number.NEGATIVE_INFINITY;
  }
}
