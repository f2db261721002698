/**
 * Every invariant asserted in the models, broken on purpose: each test drives a component into
 * the bad state (through `simulate` where a spy can put it there mid-run, directly otherwise) and
 * checks that the InvariantError names what broke, the virtual time, and the seed and variant.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkConservation } from "../../models/conservation.ts";
import { InvariantError } from "../../models/errors.ts";
import { FateLedger } from "../../models/ledger.ts";
import { PartitionLog } from "../../models/partitionLog.ts";
import { simulate } from "../../models/simulation.ts";
import { StreamGroup } from "../../models/streamGroup.ts";
import { TaskQueue } from "../../models/taskQueue.ts";
import { World } from "../../models/world.ts";
import { Kernel, KernelError } from "../../sim/kernel.ts";
import { consumer, producer, scenario, streamConsumer, topic } from "./configs.ts";

/** A component's private state, to put it where its public methods never do. */
function internals<T>(component: object): T {
  return component as unknown as T;
}

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an invariant to break");
}

/** Runs `config` through simulate with seed 21 and variant "broken"; returns its InvariantError. */
function brokenRun(config: ReturnType<typeof scenario>): InvariantError {
  const error = thrown(() => simulate(config, { seed: 21, variantName: "broken" }));
  expect(error).toBeInstanceOf(InvariantError);
  const invariant = error as InvariantError;
  expect([invariant.seed, invariant.variant]).toEqual([21, "broken"]);
  expect(invariant.message).toContain(`t=${invariant.timeS}s (seed 21, variant broken): `);
  return invariant;
}

const queueRun = scenario({
  durationS: 100,
  drainS: 20,
  producers: [producer(20)],
  consumers: [consumer(3, 0.05)],
});

const topicRun = scenario({
  durationS: 100,
  drainS: 20,
  queues: [],
  topics: [topic()],
  producers: [
    producer(20, { to: "events", keys: { count: 50, skew: "uniform", zipfExponent: 1 } }),
  ],
  consumers: [streamConsumer(2, 0.01, { maxPollRecords: 20 })],
});

afterEach(() => vi.restoreAllMocks());

describe("conservation of messages", () => {
  it("a copy the ledger still counts, but that is nowhere: found at the end of the run", () => {
    // The 500th copy to leave is not taken off the ledger.
    const removeCopy = FateLedger.prototype.removeCopy;
    let calls = 0;
    vi.spyOn(FateLedger.prototype, "removeCopy").mockImplementation(function (
      this: FateLedger,
      id,
      cause,
    ) {
      if (++calls !== 500) removeCopy.call(this, id, cause);
    });
    const error = brokenRun(queueRun);
    expect(error.timeS).toBe(120);
    expect(error.problem).toMatch(/^orders: the ledger holds (\d+) live copies, (\d+) were found$/);
    const [, held, found] = /holds (\d+) live copies, (\d+) were found/.exec(error.problem)!;
    expect(Number(held)).toBe(Number(found) + 1);
  });

  it("a fate counter that drifted from the messages' stored fates", () => {
    const world = new World(queueRun, 21, null);
    world.run();
    checkConservation(world);
    world.subscriptions[0].ledger.processed++;
    const error = thrown(() => checkConservation(world)) as InvariantError;
    expect(error).toBeInstanceOf(InvariantError);
    expect([error.seed, error.timeS]).toEqual([21, 120]);
    expect(error.problem).toMatch(
      /^orders: fate 'processed' counted (\d+) but (\d+) messages have it$/,
    );
  });
});

describe("time never goes backwards", () => {
  it("the kernel refuses an event in the past or with a negative delay", () => {
    const kernel = new Kernel();
    const back = kernel.register("back", () => {});
    kernel.scheduleAt(5, back);
    kernel.run();
    expect(() => kernel.scheduleAt(4, back)).toThrow(
      new KernelError(
        "event 'back' scheduled at t=4s with now t=5s: event times must be finite and not in the past",
      ),
    );
    expect(() => kernel.schedule(-1, back)).toThrow(/scheduled with delay -1s at t=5s/);
    expect(() => kernel.schedule(Number.NaN, back)).toThrow(KernelError);
  });

  it("an event scheduled in the past during a run: an InvariantError at that time", () => {
    const run = World.prototype.run;
    vi.spyOn(World.prototype, "run").mockImplementation(function (this: World) {
      const kernel = this.kernel;
      const back = kernel.register("test:back", () => {});
      const late = kernel.register("test:late", () => kernel.scheduleAt(kernel.nowS - 1, back));
      kernel.scheduleAt(37.5, late);
      run.call(this);
    });
    const error = brokenRun(queueRun);
    expect(error.timeS).toBe(37.5);
    expect(error.problem).toBe(
      "event 'test:back' scheduled at t=36.5s with now t=37.5s: event times must be finite and not in the past",
    );
  });

  it("a fault before the start of the run (a config the loader would refuse)", () => {
    const config = scenario({
      ...queueRun,
      faults: [{ kind: "crash", atS: -1, consumer: "workers", instance: null, downS: 1 }],
    });
    const error = brokenRun(config);
    expect(error.timeS).toBe(0);
    expect(error.problem).toMatch(
      /^event 'fault:crash:workers@-1' scheduled at t=-1s with now t=0s/,
    );
  });

  it("a partition log's appends go back in time", () => {
    const log = new PartitionLog({
      segmentBytes: 1024,
      segmentS: null,
      retentionS: null,
      retentionBytes: null,
    });
    log.append(1, 0, 9, 10, 100);
    const error = thrown(() => log.append(2, 0, 9, 9.5, 100)) as InvariantError;
    expect(error).toBeInstanceOf(InvariantError);
    expect(error.timeS).toBe(9.5);
    expect(error.problem).toBe("append at 9.5s after one at 10s: time went backwards");
  });
});

/** The private state of a consumer group that its commits go through. */
interface GroupInternals {
  kernel: Kernel;
  partitions: number;
  owner: Int32Array;
  committed: Float64Array;
  commitOffsets: Float64Array;
  partitionState: { highWatermark: Float64Array };
}

/**
 * Runs `topicRun` with a consumer group whose first commit that finds a partition with a
 * committed offset is followed by the same member's commit of `offsetFor(committed, hw)` there.
 * Returns the error and the virtual time of the bad commit.
 */
function badCommit(offsetFor: (committed: number, highWatermark: number) => number) {
  const fromMember = StreamGroup.prototype.fromMember;
  let atS: number | null = null;
  vi.spyOn(StreamGroup.prototype, "fromMember").mockImplementation(function (
    this: StreamGroup,
    m,
    generationAndKind,
  ) {
    fromMember.call(this, m, generationAndKind);
    if (atS !== null || generationAndKind % 2 === 1) return;
    const group = internals<GroupInternals>(this);
    for (let p = 0; p < group.partitions; p++) {
      if (group.owner[p] !== m || group.committed[p] <= 0) continue;
      atS = group.kernel.nowS;
      const highWatermark = group.partitionState.highWatermark[p];
      group.commitOffsets[m * group.partitions + p] = offsetFor(group.committed[p], highWatermark);
      fromMember.call(this, m, generationAndKind);
    }
  });
  const error = brokenRun(topicRun);
  return { error, atS };
}

describe("offsets never go backwards within a partition", () => {
  it("the run without a bad commit conserves its messages", () => {
    const { fates } = simulate(topicRun, { seed: 21, variantName: "ok" }).summary;
    expect(fates.processed).toBeGreaterThan(1500);
    expect(fates.conserved).toBe(true);
  });

  it("a group's committed offset moving back", () => {
    const { error, atS } = badCommit((committed) => committed - 1);
    expect(error.timeS).toBe(atS);
    expect(error.problem).toMatch(
      /^group workers partition \d+: committed offset would go back from (\d+) to (\d+)$/,
    );
    const [, from, to] = /from (\d+) to (\d+)/.exec(error.problem)!;
    expect(Number(to)).toBe(Number(from) - 1);
  });

  it("a commit past the high watermark (records no member could have read)", () => {
    const { error, atS } = badCommit((_, highWatermark) => highWatermark + 1);
    expect(error.timeS).toBe(atS);
    expect(error.problem).toMatch(
      /^group workers partition \d+: offset (\d+) committed past the high watermark (\d+)$/,
    );
  });

  it("a log cut back below what the group has read", () => {
    const world = new World(topicRun, 21, null);
    world.run();
    const group = world.streamGroups[0];
    const committed = internals<GroupInternals>(group).committed;
    const p = committed.findIndex((offset) => offset > 0);
    expect(p).toBeGreaterThanOrEqual(0);
    const error = thrown(() => group.beforeTruncate(p, 0, [])) as InvariantError;
    expect(error).toBeInstanceOf(InvariantError);
    expect(error.timeS).toBe(120);
    expect(error.problem).toMatch(
      new RegExp(`^group workers partition ${p}: truncation to 0 below what the group reached`),
    );
  });
});

/** The private state of a task queue's ready side. */
interface QueueInternals {
  kernel: Kernel;
  rings: { push(priorityClass: number, slot: number): void; size: number };
}

describe("no message both acked and pending", () => {
  it("an acked copy left in the ready queue: found when it would be delivered again", () => {
    const ack = TaskQueue.prototype.ack;
    let ackedAtS: number | null = null;
    vi.spyOn(TaskQueue.prototype, "ack").mockImplementation(function (this: TaskQueue, slot, r) {
      const current = this.holds(slot, r);
      ack.call(this, slot, r);
      const queue = internals<QueueInternals>(this);
      if (current && ackedAtS === null && queue.kernel.nowS > 30) {
        ackedAtS = queue.kernel.nowS;
        // Pushed back on the ready rings as if the ack had not deleted it (lowest class).
        queue.rings.push(0, slot);
      }
    });
    const error = brokenRun(queueRun);
    expect(ackedAtS).not.toBeNull();
    // Delivered at the next free token: the same instant or a little later.
    expect(error.timeS).toBeGreaterThanOrEqual(ackedAtS!);
    expect(error.timeS).toBeLessThan(ackedAtS! + 1);
    expect(error.problem).toMatch(
      /^queue orders: slot \d+ taken from the ready queue is not ready \(place \d\): a message both acked and pending$/,
    );
  });

  it("directly: a queued copy released (acked elsewhere), then a consumer asks for work", () => {
    const world = new World(queueRun, 21, null);
    world.kernel.run(12.5);
    const queue = world.queues.get("orders")!;
    const slot = world.store.allocate(0, 0, 12.5, 100);
    queue.subscription.ledger.admit(0);
    queue.publish(slot);
    world.store.release(slot);
    const error = thrown(() => queue.offer(0, 0)) as InvariantError;
    expect(error).toBeInstanceOf(InvariantError);
    expect(error.timeS).toBe(12.5);
    expect(error.problem).toBe(
      `queue orders: slot ${slot} taken from the ready queue is not ready (place 0): a message both acked and pending`,
    );
  });

  it("the ledger: a lost message processed, a copy removed twice", () => {
    const clock = { nowS: 8 };
    const ledger = new FateLedger(clock);
    ledger.admit(3);
    ledger.removeCopy(3, "lost on link api->orders");
    expect(() => ledger.recordProcessed(3)).toThrow(
      new InvariantError("lost message 3 was processed", 8),
    );
    clock.nowS = 9;
    expect(() => ledger.removeCopy(3, "again")).toThrow(
      new InvariantError("message 3 has no live copy to remove", 9),
    );
  });
});
