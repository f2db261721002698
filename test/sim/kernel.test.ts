import { describe, expect, it } from "vitest";
import { Kernel, KernelError, NO_EVENT } from "../../sim/kernel.ts";
import { RandomStreams } from "../../sim/random.ts";

/** A kernel with one handler that logs (nowS, argA) of every event it fires. */
function loggingKernel() {
  const kernel = new Kernel();
  const fired: [number, number][] = [];
  const log = kernel.register("log", (argA) => {
    fired.push([kernel.nowS, argA]);
  });
  return { kernel, fired, log };
}

describe("Kernel", () => {
  it("fires events in time order", () => {
    const { kernel, fired, log } = loggingKernel();
    for (const [delayS, id] of [
      [5, 1],
      [1, 2],
      [3, 3],
      [0, 4],
      [2.5, 5],
    ]) {
      kernel.schedule(delayS, log, id);
    }
    kernel.run();
    expect(fired).toEqual([
      [0, 4],
      [1, 2],
      [2.5, 5],
      [3, 3],
      [5, 1],
    ]);
    expect(kernel.eventsFired).toBe(5);
  });

  it("fires events at equal times in the order they were scheduled", () => {
    const { kernel, fired, log } = loggingKernel();
    // Interleave two times so the heap has to reorder, and enough events to go several levels deep.
    for (let id = 0; id < 200; id++) kernel.schedule(id % 2 === 0 ? 2 : 1, log, id);
    kernel.run();
    const odd = Array.from({ length: 100 }, (_, i) => [1, 2 * i + 1]);
    const even = Array.from({ length: 100 }, (_, i) => [2, 2 * i]);
    expect(fired).toEqual([...odd, ...even]);
  });

  it("passes both arguments to the handler", () => {
    const kernel = new Kernel();
    const seen: number[][] = [];
    const h = kernel.register("pair", (a, b) => seen.push([a, b]));
    kernel.schedule(1, h, 7, -3.5);
    kernel.schedule(2, h);
    kernel.run();
    expect(seen).toEqual([
      [7, -3.5],
      [0, 0],
    ]);
  });

  it("does not fire a cancelled event", () => {
    const { kernel, fired, log } = loggingKernel();
    kernel.schedule(1, log, 1);
    const handle = kernel.schedule(2, log, 2);
    kernel.schedule(3, log, 3);
    kernel.cancel(handle);
    kernel.cancel(NO_EVENT);
    kernel.run();
    expect(fired.map(([, id]) => id)).toEqual([1, 3]);
    expect(kernel.eventsFired).toBe(2);
  });

  it("lets a handler cancel a later event", () => {
    const kernel = new Kernel();
    const fired: string[] = [];
    let timeoutHandle = NO_EVENT;
    const timeout = kernel.register("timeout", () => fired.push("timeout"));
    const reply = kernel.register("reply", () => {
      fired.push("reply");
      kernel.cancel(timeoutHandle);
    });
    timeoutHandle = kernel.schedule(10, timeout);
    kernel.schedule(4, reply);
    kernel.run();
    expect(fired).toEqual(["reply"]);
    expect(kernel.nowS).toBe(4);
  });

  it("ignores a stale handle whose slot has been reused", () => {
    const { kernel, fired, log } = loggingKernel();
    const stale = kernel.schedule(1, log, 1);
    kernel.run();
    // The slot of the fired event is free; the next event reuses it.
    const fresh = kernel.schedule(1, log, 2);
    expect(fresh % 2 ** 26).toBe(stale % 2 ** 26);
    expect(fresh).not.toBe(stale);
    kernel.cancel(stale);
    kernel.run();
    expect(fired.map(([, id]) => id)).toEqual([1, 2]);
  });

  it("ignores a stale handle of a cancelled event after its slot is reused", () => {
    const { kernel, fired, log } = loggingKernel();
    const first = kernel.schedule(1, log, 1);
    kernel.cancel(first);
    kernel.run(); // the cancelled event surfaces and frees its slot
    kernel.schedule(1, log, 2);
    kernel.cancel(first);
    kernel.run();
    expect(fired.map(([, id]) => id)).toEqual([2]);
  });

  it("rejects scheduling in the past or at an infinite time", () => {
    const { kernel, log } = loggingKernel();
    kernel.schedule(5, log);
    kernel.run();
    expect(kernel.nowS).toBe(5);
    expect(() => kernel.scheduleAt(4.999, log)).toThrow(KernelError);
    expect(() => kernel.scheduleAt(Number.NaN, log)).toThrow(KernelError);
    expect(() => kernel.scheduleAt(Number.POSITIVE_INFINITY, log)).toThrow(KernelError);
    expect(() => kernel.scheduleAt(5, log)).not.toThrow();
  });

  it("rejects negative, NaN and infinite delays", () => {
    const { kernel, log } = loggingKernel();
    expect(() => kernel.schedule(-1e-9, log)).toThrow(KernelError);
    expect(() => kernel.schedule(Number.NaN, log)).toThrow(/delay NaN/);
    expect(() => kernel.schedule(Number.POSITIVE_INFINITY, log)).toThrow(KernelError);
    expect(kernel.pendingEvents).toBe(0);
  });

  it("keeps time monotonic and matches a sorted reference over a long randomized run", () => {
    const kernel = new Kernel();
    const rng = new RandomStreams(42).stream("test:kernel");
    const scheduled: { timeS: number; seq: number; cancelled: boolean }[] = [];
    const handles: number[] = [];
    const firedSeq: number[] = [];
    const hasFired = new Uint8Array(30_000);
    let lastNowS = 0;
    let backwards = 0;
    const handler = kernel.register("random", (seq) => {
      if (kernel.nowS < lastNowS) backwards++;
      if (kernel.nowS !== scheduled[seq].timeS) backwards++;
      lastNowS = kernel.nowS;
      firedSeq.push(seq);
      hasFired[seq] = 1;
      if (scheduled.length >= 20_000) return;
      // Zero delays make ties; the rest spread over several decades.
      const u0 = rng.next();
      const children = u0 < 0.25 ? 0 : u0 < 0.65 ? 1 : 2;
      for (let i = 0; i < children; i++) {
        const u = rng.next();
        const delayS = u < 0.2 ? 0 : Math.floor(u * 8) * 0.25;
        const seqNext = scheduled.length;
        scheduled.push({ timeS: kernel.nowS + delayS, seq: seqNext, cancelled: false });
        handles.push(kernel.schedule(delayS, handler, seqNext));
      }
      // Now and then cancel a random earlier event, whether pending, fired or already cancelled.
      if (rng.next() < 0.1) {
        const victim = Math.floor(rng.next() * handles.length);
        if (!hasFired[victim]) scheduled[victim].cancelled = true;
        kernel.cancel(handles[victim]);
      }
    });
    for (let i = 0; i < 50; i++) {
      scheduled.push({ timeS: i % 7, seq: i, cancelled: false });
      handles.push(kernel.schedule(i % 7, handler, i));
    }
    kernel.run();
    expect(backwards).toBe(0);
    expect(scheduled.length).toBeGreaterThan(10_000);
    expect(scheduled.filter((event) => event.cancelled).length).toBeGreaterThan(100);
    const expected = scheduled
      .filter((event) => !event.cancelled)
      .sort((a, b) => a.timeS - b.timeS || a.seq - b.seq)
      .map((event) => event.seq);
    expect(firedSeq).toEqual(expected);
  });

  it("run(untilS) stops the clock at untilS and keeps later events", () => {
    const { kernel, fired, log } = loggingKernel();
    kernel.schedule(1, log, 1);
    kernel.schedule(3, log, 3);
    kernel.schedule(7, log, 7);
    kernel.run(3);
    expect(fired.map(([, id]) => id)).toEqual([1, 3]);
    kernel.run(5);
    expect(kernel.nowS).toBe(5);
    expect(kernel.pendingEvents).toBe(1);
    // A relative delay now counts from untilS, not from the last event.
    kernel.schedule(1, log, 6);
    kernel.run();
    expect(fired).toEqual([
      [1, 1],
      [3, 3],
      [6, 6],
      [7, 7],
    ]);
    expect(() => kernel.run(Number.NaN)).toThrow(KernelError);
  });

  it("stop() returns after the current event and run() resumes", () => {
    const kernel = new Kernel();
    const fired: number[] = [];
    const h = kernel.register("tick", (id) => {
      fired.push(id);
      if (id === 2) kernel.stop();
    });
    for (let id = 1; id <= 4; id++) kernel.schedule(id, h, id);
    kernel.run(100);
    expect(fired).toEqual([1, 2]);
    expect(kernel.nowS).toBe(2);
    expect(kernel.pendingEvents).toBe(2);
    kernel.run();
    expect(fired).toEqual([1, 2, 3, 4]);
  });

  it("grows past its initial capacity", () => {
    const { kernel, fired, log } = loggingKernel();
    const count = 5000;
    for (let i = 0; i < count; i++) kernel.schedule((i * 7919) % count, log, i);
    kernel.run();
    expect(fired.length).toBe(count);
    const times = fired.map(([timeS]) => timeS);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe("handles", () => {
  it("no handle is 0, so cancelling from a zero-filled array of handles cancels nothing", () => {
    const kernel = new Kernel();
    const fired: number[] = [];
    const handler = kernel.register("h", (a) => fired.push(a));
    const handle = kernel.schedule(1, handler, 7);
    expect(handle).not.toBe(0);
    kernel.cancel(0);
    kernel.run();
    expect(fired).toEqual([7]);
  });
});
