/**
 * Claims of the bundled overload scenarios that their `expect:` cannot state (it names no
 * priority class and no downstream's response time): checked here on the scenario's own seed.
 * Each figure follows from the scenario's arithmetic, not from a previous run.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, resolveScenarioPath } from "../../scenarios/index.ts";
import { runScenario } from "../../scenarios/run.ts";

function variantsOf(name: string) {
  const result = runScenario(loadScenario(resolveScenarioPath(name)));
  return new Map(result.variants.map((v) => [v.name, v.summary]));
}

describe("sustained-overload", () => {
  const variants = variantsOf("sustained-overload");

  it("drop-low-first: the paying class loses nothing, the free class takes every drop", () => {
    const summary = variants.get("drop-low-first")!;
    const [low, high] = summary.byPriority;
    expect([low.priority, high.priority]).toEqual([0, 1]);
    expect(high.dropped).toBe(0);
    expect(low.dropped).toBe(summary.counters.overflowDropped);
    // 60/s offered to 40/s for 20 minutes: about 20/s x 1200 s = 24,000 too many, all free orders.
    expect(low.dropped / (20 * 1200)).toBeGreaterThan(0.8);
    // The paying class alone (30/s) is below capacity (40/s): it barely waits.
    expect(high.latency.p99S!).toBeLessThan(10);
    expect(low.latency.p50S!).toBeGreaterThan(30);
  });

  it("shed-load: drop-tail drops paying and free orders alike", () => {
    // One class: no byPriority; the two producers' shares of the drops are not split out, but the
    // total is the same excess as under drop-low-first.
    const shed = variants.get("shed-load")!;
    const low = variants.get("drop-low-first")!;
    expect(shed.byPriority).toEqual([]);
    expect(shed.fates.dropped).toBe(low.fates.dropped);
  });
});

describe("photo-resize", () => {
  const variants = variantsOf("photo-resize");

  it("without the queue the API's latency is the resize time; with it, the publish", () => {
    // The resize is lognormal with median 2 s and p99 8 s; 60 servers for ~19/s x 2.4 s = 46
    // busy on average, so a request rarely waits: the API answers in the resize's own time.
    const sync = variants.get("no-queue")!.downstreams[0].responseTime;
    expect(sync.p50S!).toBeGreaterThan(1.8);
    expect(sync.p99S!).toBeGreaterThan(7);
    // Through the queue the API waits only for the 5 ms link to the queue.
    for (const name of ["workers-60", "workers-50", "workers-40"]) {
      expect(variants.get(name)!.publishWait.p99S!).toBeCloseTo(0.005, 6);
    }
  });

  it("an undersized synchronous pool slows the API; an undersized worker pool does not", () => {
    // 40 servers do at most 40 / 2.39 = 16.7 resizes/s, below what 200 users ask for.
    const sync40 = variants.get("no-queue-40")!;
    expect(sync40.calls.goodputPerS).toBeLessThan(16.8);
    expect(sync40.downstreams[0].responseTime.p50S!).toBeGreaterThan(
      variants.get("no-queue")!.downstreams[0].responseTime.p50S!,
    );
  });
});
