/**
 * The downstream service driven directly: a kernel, a Poisson source written here (its own
 * seeded stream), and a reply handler that keeps the test's own books. Long runs are checked
 * against closed forms (Erlang C for M/M/c, the M/M/1/K blocking probability, Erlang B, which
 * holds for any service distribution); faults and the knee against hand-worked timelines on a
 * constant service time.
 */
import { describe, expect, it } from "vitest";
import {
  Downstream,
  type DownstreamConfig,
  type OutageMode,
  Reply,
} from "../../models/downstream.ts";
import type { DistributionSpec } from "../../sim/distributions.ts";
import { Kernel } from "../../sim/kernel.ts";
import { TimeGrid } from "../../sim/metrics.ts";
import { RandomStreams } from "../../sim/random.ts";
import { erlangC, mmcMeanWaitS } from "../closedForms.ts";

const NOT_ANSWERED = -1;

/** A downstream on a fresh kernel, with the test's own record of every request and reply. */
class Harness {
  readonly kernel = new Kernel();
  readonly downstream: Downstream;
  readonly replyHandler: number;
  submittedAtS: number[] = [];
  repliedAtS: number[] = [];
  outcome: number[] = [];
  replyCount = 0;
  private readonly arrivalHandler: number;

  constructor(
    config: Partial<DownstreamConfig> & { serviceTime: DistributionSpec },
    seed = 1,
    grid = new TimeGrid(1, 100),
  ) {
    const full: DownstreamConfig = {
      name: "payments",
      servers: 1,
      queueCapacity: null,
      knee: null,
      ...config,
    };
    this.downstream = new Downstream(this.kernel, full, new RandomStreams(seed), grid);
    this.replyHandler = this.kernel.register("test/reply", (tag, outcome) => {
      if (this.outcome[tag] !== NOT_ANSWERED) throw new Error(`request ${tag} answered twice`);
      this.outcome[tag] = outcome;
      this.repliedAtS[tag] = this.kernel.nowS;
      this.replyCount++;
    });
    this.arrivalHandler = this.kernel.register("test/arrival", () => this.submit());
  }

  /** Submits a request now; its tag is its number. */
  submit(): number {
    const tag = this.submittedAtS.length;
    this.submittedAtS.push(this.kernel.nowS);
    this.repliedAtS.push(Number.NaN);
    this.outcome.push(NOT_ANSWERED);
    this.downstream.submit(tag, this.replyHandler);
    return tag;
  }

  /** Requests at the given times (scheduled now, in order). */
  arrivalsAt(...timesS: number[]): void {
    for (const t of timesS) this.kernel.scheduleAt(t, this.arrivalHandler);
  }

  /** A Poisson stream of `count` requests at `ratePerS`, from the test's own stream. */
  poisson(ratePerS: number, count: number, seed: number): void {
    const rng = new RandomStreams(seed).stream("test/arrivals");
    let t = 0;
    for (let i = 0; i < count; i++) {
      t += -Math.log(1 - rng.next()) / ratePerS;
      this.kernel.scheduleAt(t, this.arrivalHandler);
    }
  }

  count(outcome: number): number {
    return this.outcome.filter((o) => o === outcome).length;
  }

  /** Mean response time of the completed requests, from the test's own clock readings. */
  meanOkResponseS(): number {
    let sum = 0;
    let n = 0;
    for (let tag = 0; tag < this.outcome.length; tag++) {
      if (this.outcome[tag] !== Reply.ok) continue;
      sum += this.repliedAtS[tag] - this.submittedAtS[tag];
      n++;
    }
    return sum / n;
  }
}

const constant = (valueS: number): DistributionSpec => ({ kind: "constant", value: valueS });
const exponential = (meanS: number): DistributionSpec => ({ kind: "exponential", mean: meanS });

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

/** M/M/1/K: probability that an arrival finds K in the system (PASTA), rho != 1. */
function mm1kBlocking(rho: number, k: number): number {
  return ((1 - rho) * rho ** k) / (1 - rho ** (k + 1));
}

/** Erlang B: blocking of M/G/c/c with offered load a (depends on the service time's mean only). */
function erlangB(c: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return b;
}

describe("Downstream against closed forms", () => {
  it("M/M/c (c 4, lambda 3/s, mu 1/s): mean wait within 6% and response time within 2.5% of Erlang C", () => {
    const h = new Harness({ servers: 4, serviceTime: exponential(1) }, 7);
    h.poisson(3, 300_000, 7);
    h.kernel.run();
    const d = h.downstream;
    const expectedWaitS = mmcMeanWaitS(4, 3, 1); // Erlang C(4, 3) / (4 - 3) = 0.5094 s
    expect(erlangC(4, 3)).toBeCloseTo(0.5094, 4);
    expect(d.completed).toBe(300_000);
    expect(d.rejected).toBe(0);
    // 300000 requests at rho 0.75: over 30 seeds the relative error of the mean wait had a
    // standard deviation of 2%, of the mean response time 0.7%; the bounds are about 3 of those.
    expect(relativeError(d.waitTime.meanS, expectedWaitS)).toBeLessThan(0.06);
    expect(relativeError(d.responseTime.meanS, expectedWaitS + 1)).toBeLessThan(0.025);
    // The histogram's mean is the test's own measurement of arrival to reply.
    expect(d.responseTime.meanS).toBeCloseTo(h.meanOkResponseS(), 9);
    // Utilisation: busy server-seconds / (c * T) is rho = lambda / (c mu) = 0.75.
    expect(relativeError(d.busyServerSeconds / (4 * h.kernel.nowS), 0.75)).toBeLessThan(0.02);
  });

  it.each([
    { lambda: 0.8, queue: 4, label: "rho 0.8, K 5" },
    { lambda: 1.5, queue: 3, label: "rho 1.5, K 4 (overloaded)" },
  ])(
    "M/M/1/K ($label): blocking probability within 3% of (1-rho)rho^K/(1-rho^(K+1))",
    ({ lambda, queue }) => {
      const h = new Harness({ servers: 1, queueCapacity: queue, serviceTime: exponential(1) }, 3);
      h.poisson(lambda, 200_000, 3);
      h.kernel.run();
      const d = h.downstream;
      const expected = mm1kBlocking(lambda, 1 + queue);
      // Over seeds the relative error spread (one standard deviation) was under 1%.
      expect(relativeError(d.rejected / d.requests, expected)).toBeLessThan(0.03);
      expect(d.rejectedQueueFull).toBe(d.rejected);
      expect(h.count(Reply.rejected)).toBe(d.rejected);
      expect(h.count(Reply.ok)).toBe(d.completed);
    },
  );

  it("M/G/c/c (c 3, a 2, no queue, constant service): blocking within 3% of Erlang B", () => {
    // Erlang B is insensitive to the service distribution: a constant 1 s gives the same loss.
    const h = new Harness({ servers: 3, queueCapacity: 0, serviceTime: constant(1) }, 5);
    h.poisson(2, 200_000, 5);
    h.kernel.run();
    const d = h.downstream;
    const expected = erlangB(3, 2); // (8/6) / (1 + 2 + 2 + 8/6) = 0.2105
    expect(expected).toBeCloseTo(0.2105, 4);
    expect(relativeError(d.rejected / d.requests, expected)).toBeLessThan(0.03);
    expect(d.waitTime.maxS).toBe(0); // no queue: nobody waits
  });
});

describe("Downstream bookkeeping", () => {
  it("conservation mid-run: requests = completed + rejected + unanswered, each answered once", () => {
    const h = new Harness({ servers: 3, queueCapacity: 20, serviceTime: exponential(1) }, 11);
    h.poisson(4, 20_000, 11);
    const d = h.downstream;
    d.scheduleOutage(500, 60, "reject");
    d.scheduleOutage(1500, 60, "hang");
    d.scheduleSlowdown(2500, 100, 5);
    d.scheduleCapacityDrop(3500, 100, 1);
    for (const untilS of [510, 1530, 2550, 3550, 4000, 1e6]) {
      h.kernel.run(untilS);
      d.checkConservation();
      // Every reply decided by now has fired (they are events at the time of the decision).
      expect(h.replyCount).toBe(d.completed + d.rejected);
      expect(h.count(Reply.ok)).toBe(d.completed);
      expect(h.count(Reply.rejected)).toBe(d.rejected);
      expect(h.count(NOT_ANSWERED)).toBe(d.unanswered);
      expect(d.requests).toBe(h.submittedAtS.length);
    }
    expect(d.unanswered).toBe(0);
    expect(d.rejectedOutage).toBeGreaterThan(0);
    expect(d.rejectedQueueFull).toBeGreaterThan(0);
    expect(d.rejected).toBe(d.rejectedOutage + d.rejectedQueueFull);
  });

  it("a rejection is an event, not a nested call; a reply handler may submit again", () => {
    const h = new Harness({ servers: 1, queueCapacity: 0, serviceTime: constant(1) });
    h.submit();
    const second = h.submit(); // server busy, no queue: rejected
    expect(h.downstream.rejected).toBe(1);
    expect(h.outcome[second]).toBe(NOT_ANSWERED); // not answered inside submit()
    h.kernel.run();
    expect(h.outcome[second]).toBe(Reply.rejected);
    expect(h.repliedAtS[second]).toBe(0);
  });

  it("a closed loop of 3 callers on 1 server (constant 1 s): each waits for the other two", () => {
    // Hand-worked: with N callers always in the system, each request's response time is N * 1 s
    // once the loop is in its steady rotation, and the server completes 1 per second.
    const kernel = new Kernel();
    const config: DownstreamConfig = {
      name: "db",
      servers: 1,
      queueCapacity: null,
      serviceTime: constant(1),
      knee: null,
    };
    const d = new Downstream(kernel, config, new RandomStreams(1), new TimeGrid(1, 100));
    const replies: number[] = [];
    const reply = kernel.register("caller/reply", (tag) => {
      replies.push(kernel.nowS);
      if (kernel.nowS < 30) d.submit(tag, reply);
    });
    for (let caller = 0; caller < 3; caller++) d.submit(caller, reply);
    kernel.run();
    expect(replies.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(d.completed).toBe(replies.length);
    // After the first round every request waited 2 s and was served in 1 s.
    expect(d.responseTime.maxS).toBe(3);
  });

  it("same seed, same results; another seed, other results", () => {
    const run = (seed: number) => {
      const h = new Harness(
        {
          servers: 2,
          queueCapacity: 10,
          serviceTime: { kind: "lognormal-quantiles", median: 0.3, p99: 2 },
          knee: { inSystem: 6, ratePerS: null, slowdownFactor: 4 },
        },
        seed,
        new TimeGrid(50, 40),
      );
      h.poisson(5, 10_000, seed);
      h.downstream.scheduleOutage(300, 50, "hang");
      h.kernel.run();
      h.downstream.finish(h.kernel.nowS);
      const d = h.downstream;
      return {
        counts: [d.requests, d.completed, d.rejected, d.abortedServices],
        busy: d.busyServerSeconds,
        response: [d.responseTime.meanS, d.responseTime.quantile(0.99)],
        inSystem: d.inSystemSeries.mean(),
        completions: d.completionSeries.perBucket(),
        replies: h.repliedAtS,
      };
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4).busy).not.toBe(run(5).busy);
  });

  it("memory follows the requests held, not the requests ever made", () => {
    const h = new Harness({ servers: 4, serviceTime: exponential(1) }, 2, new TimeGrid(100, 1000));
    h.poisson(3.6, 200_000, 2); // rho 0.9: long lines at times
    h.kernel.run();
    const d = h.downstream;
    d.finish(h.kernel.nowS);
    const peak = Math.max(...d.inSystemSeries.max().filter((v) => !Number.isNaN(v)));
    expect(peak).toBeGreaterThan(20);
    // Slots double as needed: at most twice the peak held at once, far below 200000.
    expect(d.slotCapacity).toBeLessThanOrEqual(Math.max(16, 2 * peak));
    expect(d.slotCapacity).toBeLessThan(1024);
  });
});

describe("Downstream faults, worked by hand (constant service 1 s, 1 server)", () => {
  /** Requests at 0, 0.5, 0.6, 2.0 and 2.5; an outage during [1.5, 2.5). */
  function outageRun(mode: OutageMode): Harness {
    const h = new Harness({ servers: 1, serviceTime: constant(1) });
    // Scheduled before the arrivals: at 2.5 the outage ends before request 4 arrives.
    h.downstream.scheduleOutage(1.5, 1, mode);
    h.arrivalsAt(0, 0.5, 0.6, 2.0, 2.5);
    return h;
  }

  it("reject: work in hand and new requests are refused at once; the service comes back empty", () => {
    const h = outageRun("reject");
    h.kernel.run();
    const d = h.downstream;
    // 0: served 0-1. 1: started at 1, cut at 1.5. 2: waiting, refused at 1.5. 3: refused at 2.
    // 4: arrives at 2.5, the service is up: served 2.5-3.5.
    expect(h.outcome).toEqual([Reply.ok, Reply.rejected, Reply.rejected, Reply.rejected, Reply.ok]);
    expect(h.repliedAtS).toEqual([1, 1.5, 1.5, 2, 3.5]);
    expect(d.abortedServices).toBe(1);
    expect(d.rejectedOutage).toBe(3);
    expect(d.busyServerSeconds).toBe(1 + 0.5 + 1);
    expect(d.responseTime.count).toBe(2);
    expect(d.responseTime.maxS).toBe(1);
  });

  it("hang: requests get no answer until the outage ends, then a rejection", () => {
    const h = outageRun("hang");
    h.kernel.run(2.2);
    const d = h.downstream;
    expect(d.hangingCount).toBe(3); // requests 1 and 2 from before, 3 at 2.0
    expect(d.unanswered).toBe(3);
    expect(h.outcome.slice(1)).toEqual([NOT_ANSWERED, NOT_ANSWERED, NOT_ANSWERED]);
    h.kernel.run();
    expect(h.outcome).toEqual([Reply.ok, Reply.rejected, Reply.rejected, Reply.rejected, Reply.ok]);
    expect(h.repliedAtS).toEqual([1, 2.5, 2.5, 2.5, 3.5]);
    expect(d.abortedServices).toBe(1);
    expect(d.busyServerSeconds).toBe(2.5);
    d.checkConservation();
  });

  it("slowdown: only services started inside the window take factor times longer", () => {
    const h = new Harness({ servers: 1, serviceTime: constant(1) });
    h.downstream.scheduleSlowdown(1.5, 2, 3); // [1.5, 3.5)
    h.arrivalsAt(0, 1, 1.2, 3);
    h.kernel.run();
    // 0: 0-1. 1: starts at 1, before the window: 1-2. 2: starts at 2, inside: 3 s, 2-5.
    // 3: starts at 5, after the window: 5-6.
    expect(h.repliedAtS).toEqual([1, 2, 5, 6]);
    expect(h.downstream.busyServerSeconds).toBe(6);
  });

  it("overlapping slowdowns multiply", () => {
    const h = new Harness({ servers: 1, serviceTime: constant(1) });
    h.downstream.scheduleSlowdown(0.5, 10, 2);
    h.downstream.scheduleSlowdown(0.5, 2, 3);
    h.arrivalsAt(1, 3);
    h.kernel.run();
    // 0: starts at 1, both windows: 6 s. 1: starts at 7, only the first: 2 s.
    expect(h.repliedAtS).toEqual([7, 9]);
  });

  it("capacity drop: the other servers finish what they hold and take nothing new", () => {
    const h = new Harness({ servers: 3, serviceTime: constant(1) });
    h.downstream.scheduleCapacityDrop(0.5, 2, 1); // [0.5, 2.5) with 1 server
    h.arrivalsAt(0, 0, 0, 0.6, 0.6, 0.6);
    h.kernel.run();
    // 0-2: started at 0 on 3 servers, finish at 1 despite the drop. 3: 1-2 on the one server.
    // 4: 2-3. 5: starts when the drop ends at 2.5, 2.5-3.5.
    expect(h.repliedAtS).toEqual([1, 1, 1, 2, 3, 3.5]);
    expect(h.downstream.waitTime.maxS).toBeCloseTo(1.9, 12);
  });

  it("knee: a service started above inSystem requests takes slowdownFactor times longer", () => {
    const h = new Harness({
      servers: 1,
      serviceTime: constant(1),
      knee: { inSystem: 2, ratePerS: null, slowdownFactor: 10 },
    });
    h.arrivalsAt(0, 0.1, 0.2, 0.3);
    h.kernel.run();
    // 0 starts alone (1 in the system): 0-1. At 1, 1 starts with 2 and 3 waiting: 3 in the
    // system > 2, so 10 s: 1-11. At 11, 2 starts with 3 waiting: 2, not above: 11-12. 3: 12-13.
    expect(h.repliedAtS).toEqual([1, 11, 12, 13]);
  });

  it("knee: a request that finds a free server counts those in service", () => {
    const h = new Harness({
      servers: 2,
      serviceTime: constant(1),
      knee: { inSystem: 1, ratePerS: null, slowdownFactor: 5 },
    });
    h.arrivalsAt(0, 0.5);
    h.kernel.run();
    // 0: alone, 0-1. 1: starts at once with 0 in service: 2 in the system > 1: 0.5-5.5.
    expect(h.repliedAtS).toEqual([1, 5.5]);
  });

  it("rate knee: a service started when more than ratePerS arrived in the last second is slower", () => {
    const h = new Harness({
      servers: 10,
      serviceTime: constant(0.01),
      knee: { inSystem: null, ratePerS: 3, slowdownFactor: 10 },
    });
    // Arrivals at 0, 0.1, 0.2 (3 in the window: not above 3), 0.3 (4: above), then 1.5 (the
    // window [1.0, 1.5] holds one arrival: fast again).
    h.arrivalsAt(0, 0.1, 0.2, 0.3, 1.5);
    h.kernel.run();
    const serviceS = h.repliedAtS.map((t, i) => t - h.submittedAtS[i]);
    expect(serviceS.map((x) => Math.round(x * 1000) / 1000)).toEqual([0.01, 0.01, 0.01, 0.1, 0.01]);
  });

  it("refuses faults in the past and nonsense arguments", () => {
    const h = new Harness({ servers: 2, serviceTime: constant(1) });
    h.kernel.run(10);
    const d = h.downstream;
    expect(() => d.scheduleOutage(5, 1, "reject")).toThrow(RangeError);
    expect(() => d.scheduleOutage(20, 0, "reject")).toThrow(RangeError);
    expect(() => d.scheduleSlowdown(20, 1, 0)).toThrow(RangeError);
    expect(() => d.scheduleCapacityDrop(20, 1, 1.5)).toThrow(RangeError);
    expect(() => d.scheduleOutage(20, 1, "down" as OutageMode)).toThrow(RangeError);
    expect(() => new Harness({ servers: 0, serviceTime: constant(1) })).toThrow(RangeError);
    expect(() => new Harness({ queueCapacity: -1, serviceTime: constant(1) })).toThrow(RangeError);
  });
});
