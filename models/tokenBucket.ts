/**
 * A token bucket (a producer's rate limit): `burst` tokens at the start, refilled at `ratePerS`
 * up to `burst`; each send takes one.
 */

/** Refills are sums of float products: a token short by less than this is a whole token. */
const TOKEN_EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private updatedS: number;

  constructor(
    readonly ratePerS: number,
    readonly burst: number,
    startS = 0,
  ) {
    if (!(ratePerS > 0 && Number.isFinite(ratePerS))) {
      throw new RangeError(`token bucket rate must be finite and > 0, got ${ratePerS}`);
    }
    if (!(Number.isInteger(burst) && burst >= 1)) {
      throw new RangeError(`token bucket burst must be a whole number >= 1, got ${burst}`);
    }
    this.tokens = burst;
    this.updatedS = startS;
  }

  /** Takes a token if there is one at `nowS`. */
  tryTake(nowS: number): boolean {
    this.refill(nowS);
    if (this.tokens < 1 - TOKEN_EPSILON) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long from `nowS` until there is a token (0 when there is one). */
  waitS(nowS: number): number {
    this.refill(nowS);
    return this.tokens >= 1 - TOKEN_EPSILON ? 0 : (1 - this.tokens) / this.ratePerS;
  }

  private refill(nowS: number): void {
    if (nowS > this.updatedS) {
      this.tokens = Math.min(this.burst, this.tokens + (nowS - this.updatedS) * this.ratePerS);
      this.updatedS = nowS;
    }
  }
}
