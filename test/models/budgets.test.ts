/**
 * Budgets of a run (events, wall time, virtual time) and the zero-delay loop guard: each stops a
 * run with the error that says which and where, and none changes a run that stays within it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunLimits } from "../../models/config.ts";
import { BudgetExceededError, EventLoopError } from "../../models/errors.ts";
import {
  CHECK_INTERVAL_EVENTS,
  guardRun,
  RUN_LIMITS_DEFAULT,
  SAME_INSTANT_EVENTS_MAX,
} from "../../models/runGuard.ts";
import { simulate } from "../../models/simulation.ts";
import { World } from "../../models/world.ts";
import { Kernel } from "../../sim/kernel.ts";
import { consumer, producer, scenario } from "./configs.ts";

const NO_LIMITS: RunLimits = { eventsMax: null, wallTimeSMax: null, virtualTimeSMax: null };

/** About 200,000 messages through a task queue: well over 3 x 65,536 events. */
const busy = scenario({
  durationS: 1000,
  drainS: 10,
  producers: [producer(200)],
  consumers: [consumer(5, 0.01)],
});

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the run to stop");
}

afterEach(() => vi.restoreAllMocks());

describe("the events budget", () => {
  const unguarded = simulate(busy, { seed: 7, variantName: "base", limits: NO_LIMITS });
  const events = unguarded.summary.counters.eventsFired;

  it("lets a run that needs exactly that many events finish, unchanged", () => {
    expect(events).toBeGreaterThan(4 * CHECK_INTERVAL_EVENTS);
    const exact = simulate(busy, {
      seed: 7,
      variantName: "base",
      limits: { ...NO_LIMITS, eventsMax: events },
    });
    expect(exact).toEqual(unguarded);
    // The default budgets do not change the run either.
    expect(simulate(busy, { seed: 7, variantName: "base" })).toEqual(unguarded);
  });

  it("stops a run that needs one more, before that event, saying where it was", () => {
    const error = thrown(() =>
      simulate(busy, {
        seed: 7,
        variantName: "base",
        limits: { ...NO_LIMITS, eventsMax: events - 1 },
      }),
    ) as BudgetExceededError;
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.budget).toBe("events");
    expect(error.eventsFired).toBe(events - 1);
    expect([error.seed, error.variant]).toEqual([7, "base"]);
    // The last event falls in the drain: after the 1000 s of arrivals, by the 1010 s end.
    expect(error.timeS).toBeGreaterThan(990);
    expect(error.timeS).toBeLessThanOrEqual(1010);
    const count = (events - 1).toLocaleString("en-US");
    expect(error.message).toMatch(
      new RegExp(
        `^budget exceeded: ${count} events at virtual time 16\\.[0-9]+ min \\(seed 7, variant base\\); raise it with --max-events or limits\\.events$`,
      ),
    );
  });

  it("a tiny budget stops a run early", () => {
    const error = thrown(() =>
      simulate(busy, { seed: 7, variantName: "v", limits: { ...NO_LIMITS, eventsMax: 10 } }),
    ) as BudgetExceededError;
    expect(error.message).toMatch(/^budget exceeded: 10 events at virtual time /);
    expect(error.eventsFired).toBe(10);
  });
});

describe("the wall-time budget", () => {
  const limits = { ...NO_LIMITS, wallTimeSMax: 2.5 };

  it("reads a fake clock every 65,536 events and stops at the first reading past the budget", () => {
    let nowMs = 0;
    const clockMs = () => {
      const reading = nowMs;
      nowMs += 1000;
      return reading;
    };
    const error = thrown(() =>
      simulate(busy, { seed: 7, variantName: "base", limits, clockMs }),
    ) as BudgetExceededError;
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.budget).toBe("wallTime");
    // Readings 0 (start), 1000, 2000, 3000 ms: the third check, before event 3 x 65,536 + 1.
    expect(error.eventsFired).toBe(3 * CHECK_INTERVAL_EVENTS);
    expect(error.message).toMatch(
      /^budget exceeded: wall time 2\.5 s at virtual time [0-9.]+ (s|min) after 196,608 events \(seed 7, variant base\); raise it with --max-wall-time or limits\.wallTime$/,
    );
  });

  it("does not change a run it does not stop, and reads the clock once per 65,536 events", () => {
    let readings = 0;
    const frozen = () => {
      readings++;
      return 0;
    };
    const unguarded = simulate(busy, { seed: 7, variantName: "base", limits: NO_LIMITS });
    const guarded = simulate(busy, { seed: 7, variantName: "base", limits, clockMs: frozen });
    expect(guarded).toEqual(unguarded);
    // At the start, then before events 65,537, 131,073, ... while any is left.
    expect(readings).toBe(
      Math.ceil(unguarded.summary.counters.eventsFired / CHECK_INTERVAL_EVENTS),
    );
  });
});

describe("the virtual-time budget", () => {
  it("refuses a scenario whose duration + drain is longer, before it runs", () => {
    const config = scenario({ durationS: 1000, drainS: 10 });
    const world = vi.spyOn(World.prototype, "run");
    const error = thrown(() =>
      simulate(config, {
        seed: 3,
        variantName: "long",
        limits: { ...NO_LIMITS, virtualTimeSMax: 1009 },
      }),
    ) as BudgetExceededError;
    expect(world).not.toHaveBeenCalled();
    expect(error.budget).toBe("virtualTime");
    expect(error.message).toBe(
      "budget exceeded: virtual time 1009 s is shorter than duration + drain (1010 s): not started (seed 3, variant long); raise it with --max-virtual-time or limits.virtualTime",
    );
    const limits = { ...NO_LIMITS, virtualTimeSMax: 1010 };
    expect(simulate(config, { seed: 3, variantName: "long", limits }).summary.counters.endS).toBe(
      1010,
    );
  });

  it("by default is a year", () => {
    expect(RUN_LIMITS_DEFAULT).toEqual({
      eventsMax: 2e9,
      wallTimeSMax: null,
      virtualTimeSMax: 365 * 86400,
    });
    const error = thrown(() =>
      simulate(scenario({ durationS: 365 * 86400, drainS: 86400 }), { seed: 1, variantName: "y" }),
    );
    expect(error.message).toMatch(
      /^budget exceeded: virtual time 365 d is shorter than duration \+ drain \(366 d\)/,
    );
  });
});

describe("a zero-delay event loop", () => {
  const where = { seed: 11, variant: "loop" };

  /** A kernel where `ping` and `pong` schedule each other at delay 0 from t = 5 s on. */
  function pingPong(): Kernel {
    const kernel = new Kernel();
    const ids = { ping: -1, pong: -1 };
    ids.ping = kernel.register("ping", () => kernel.schedule(0, ids.pong));
    ids.pong = kernel.register("pong", () => kernel.schedule(0, ids.ping));
    const tick = kernel.register("tick", () => {});
    for (let t = 0; t < 5; t += 0.5) kernel.scheduleAt(t, tick);
    kernel.scheduleAt(5, ids.ping);
    kernel.scheduleAt(6, tick);
    return kernel;
  }

  it("is stopped, naming the virtual time and the handlers of the loop", () => {
    const kernel = pingPong();
    guardRun(kernel, NO_LIMITS, { ...where, sameInstantEventsMax: 300_000 });
    const error = thrown(() => kernel.run()) as EventLoopError;
    expect(error).toBeInstanceOf(EventLoopError);
    expect(error.timeS).toBe(5);
    expect([error.seed, error.variant]).toEqual([11, "loop"]);
    expect(error.message).toMatch(
      /^invariant broken at t=5s \(seed 11, variant loop\): more than [0-9,]+ events in a row at virtual time 5 s \(most frequent: ping 50%, pong 50%\): a zero-delay event loop, either a queuelab model bug or a scenario that puts that many events on one instant$/,
    );
    expect(kernel.eventsFired).toBeGreaterThan(300_000);
    // Found within two intervals of the limit, and named from a sample of 65,536 events.
    expect(kernel.eventsFired).toBeLessThan(300_000 + 3 * CHECK_INTERVAL_EVENTS + 65_536);
  });

  it("in a model run, with the default limit: exit 3's error, with the seed and variant", () => {
    // A model bug put on purpose: a handler that reschedules itself at delay 0 from t = 3 s.
    const run = World.prototype.run;
    vi.spyOn(World.prototype, "run").mockImplementation(function (this: World) {
      const spin = this.kernel.register("test:spin", () => this.kernel.schedule(0, spin));
      this.kernel.scheduleAt(3, spin);
      run.call(this);
    });
    const config = scenario({ durationS: 10, producers: [producer(5)] });
    const error = thrown(() =>
      simulate(config, { seed: 4, variantName: "spin" }),
    ) as EventLoopError;
    expect(error).toBeInstanceOf(EventLoopError);
    expect([error.seed, error.variant, error.timeS]).toEqual([4, "spin", 3]);
    expect(error.message).toContain("(most frequent: test:spin 100%)");
    const streak = Number(/more than ([0-9,]+) events/.exec(error.message)![1].replace(/,/g, ""));
    expect(streak).toBeGreaterThanOrEqual(SAME_INSTANT_EVENTS_MAX);
  });

  it("many events at one instant, below the limit, are not a loop", () => {
    const kernel = new Kernel();
    const noop = kernel.register("noop", () => {});
    for (let i = 0; i < 200_000; i++) kernel.scheduleAt(1, noop);
    kernel.scheduleAt(2, noop);
    guardRun(kernel, NO_LIMITS, { ...where, sameInstantEventsMax: 250_000 });
    kernel.run();
    expect(kernel.eventsFired).toBe(200_001);
  });
});
