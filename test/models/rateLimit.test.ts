/** A producer's token bucket: its exact admissions, dropping or holding what is beyond it. */
import { describe, expect, it } from "vitest";
import type { RateLimitConfig, ScenarioConfig } from "../../models/config.ts";
import { simulate } from "../../models/simulation.ts";
import { TokenBucket } from "../../models/tokenBucket.ts";
import { Trace } from "../../sim/trace.ts";
import { consumer, producer, queue, scenario } from "./configs.ts";

describe("token bucket", () => {
  it("starts with `burst` tokens and refills at `rate`, never beyond `burst`", () => {
    const bucket = new TokenBucket(2, 3);
    expect([1, 2, 3, 4].map(() => bucket.tryTake(0))).toEqual([true, true, true, false]);
    expect(bucket.waitS(0)).toBeCloseTo(0.5, 12);
    expect(bucket.tryTake(0.25)).toBe(false);
    expect(bucket.tryTake(0.5)).toBe(true);
    // 100 s idle: back to 3, not 200.
    expect([1, 2, 3, 4].map(() => bucket.tryTake(100.5))).toEqual([true, true, true, false]);
  });
});

/** 200 messages a second (at t = k / 200, k = 1, 2, ...) into a 100/s bucket of burst 10. */
function limited(rateLimit: RateLimitConfig, durationS: number): ScenarioConfig {
  return scenario({
    durationS,
    drainS: 10,
    producers: [producer(200, { arrivals: "constant", rateLimit })],
    queues: [queue()],
    consumers: [consumer(1, 0.001, { concurrency: 100 })],
  });
}

function enqueueTimes(config: ScenarioConfig) {
  const times: number[] = [];
  const trace = new Trace((line) => {
    const event = JSON.parse(line);
    if (event.ev === "enqueue") times.push(event.t);
  });
  const summary = simulate(config, { seed: 1, variantName: "v", trace }).summary;
  return { summary, times };
}

describe("producer rate limit", () => {
  // Hand-worked: the bucket is full (10) at 0. Arrival k finds 10 + (k - 1) / 2 - (k - 1) tokens
  // before taking one (the half token refilled before the first arrival is lost: the bucket was
  // full), so arrivals 1..19 pass (the 19th finds exactly 1), the 20th finds 0.5, and from then
  // on every other arrival (21, 23, ...) finds a whole token: 100 a second.
  it("onLimit drop: 109 admitted in the first second, then exactly 100 a second", () => {
    const { summary, times } = enqueueTimes(
      limited({ ratePerS: 100, burst: 10, onLimit: "drop" }, 10),
    );
    const perSecond = Array.from(
      { length: 10 },
      (_, s) => times.filter((t) => t >= s && t < s + 1).length,
    );
    expect(perSecond).toEqual([109, 100, 100, 100, 100, 100, 100, 100, 100, 100]);
    expect(summary.counters.rateLimitDropped).toBe(summary.fates.produced - times.length);
    expect(summary.fates.dropped).toBe(summary.counters.rateLimitDropped);
    expect(summary.subscriptions[0].droppedByReason).toEqual({
      "producer rate limit": summary.counters.rateLimitDropped,
    });
  });

  it("onLimit wait: message n leaves at max(its arrival, (n - 9.5) / 100 s), none lost", () => {
    // 200 messages in the first second; tokens by time t: 9.5 + 100 t (as above).
    const { summary, times } = enqueueTimes(
      limited({ ratePerS: 100, burst: 10, onLimit: "wait" }, 1.0025),
    );
    expect(times).toHaveLength(200);
    times.forEach((t, i) => {
      const n = i + 1;
      expect(t).toBeCloseTo(Math.max(n / 200, (n - 9.5) / 100), 9);
    });
    expect(summary.counters.rateLimitDelayed).toBe(200 - 19);
    expect(summary.fates).toMatchObject({ produced: 200, processed: 200, dropped: 0, lost: 0 });
    // The last waits 1.905 - 1.0 s in its producer: the publish wait (1% histogram error).
    expect(summary.publishWait.maxS!).toBeCloseTo(0.905, 2);
  });
});
