/**
 * Student's t distribution, for confidence intervals of a mean over a sweep's seeds: the CDF
 * through the regularized incomplete beta function (continued fraction, modified Lentz), its
 * quantile by bisection. Plain arithmetic in a fixed order, so every machine gets the same bits.
 */

/** Lanczos approximation (g = 7, 9 terms): |relative error| < 1e-15 for x > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

const FRACTION_STEPS_MAX = 500;
const FRACTION_EPSILON = 1e-16;
const TINY = 1e-300;

/** The continued fraction of I_x(a, b), converging fast for x < (a + 1) / (a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= FRACTION_STEPS_MAX; m++) {
    const m2 = 2 * m;
    // Even step.
    let term = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + term * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + term / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    term = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + term * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + term / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < FRACTION_EPSILON) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T > t) for t >= 0, T with `df` degrees of freedom. */
function upperTail(t: number, df: number): number {
  return 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** P(T <= t), T with `df` (> 0) degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${df}`);
  return t >= 0 ? 1 - upperTail(t, df) : upperTail(-t, df);
}

const BISECTION_STEPS = 200;

/** The p-quantile of Student's t with `df` degrees of freedom: t such that P(T <= t) = p. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  const tail = 1 - p;
  let low = 0;
  let high = 1;
  while (upperTail(high, df) > tail) high *= 2;
  for (let step = 0; step < BISECTION_STEPS && high - low > 1e-13 * high; step++) {
    const middle = (low + high) / 2;
    if (upperTail(middle, df) > tail) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** A metric over a sweep's runs: its mean with a confidence interval, and its range. */
export interface MeanInterval {
  /** Runs that had a value (a latency has none where nothing was processed). */
  runs: number;
  mean: number | null;
  /** Bounds of the confidence interval of the mean (Student t); null below two values. */
  ciLow: number | null;
  ciHigh: number | null;
  min: number | null;
  max: number | null;
}

/** The confidence of the intervals a sweep reports. */
export const CONFIDENCE = 0.95;

/**
 * Mean, Student-t confidence interval (`confidence`, two-sided: mean ± t_{(1+c)/2, n-1} s/√n,
 * with s the sample standard deviation) and range of `values`, summed in the order given.
 */
export function meanInterval(values: readonly number[], confidence = CONFIDENCE): MeanInterval {
  const n = values.length;
  if (n === 0) return { runs: 0, mean: null, ciLow: null, ciHigh: null, min: null, max: null };
  let sum = 0;
  let min = values[0];
  let max = values[0];
  for (const value of values) {
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const mean = sum / n;
  if (n === 1) return { runs: 1, mean, ciLow: null, ciHigh: null, min, max };
  // Two passes: the squared deviations from the mean, not E[x²] - mean², which cancels badly.
  let squares = 0;
  for (const value of values) squares += (value - mean) * (value - mean);
  const standardError = Math.sqrt(squares / (n - 1) / n);
  const halfWidth = studentTQuantile((1 + confidence) / 2, n - 1) * standardError;
  return { runs: n, mean, ciLow: mean - halfWidth, ciHigh: mean + halfWidth, min, max };
}
