/**
 * The deepest backlog of a run and how long it took to drain: the most messages waiting at once
 * (ready in queues plus consumer groups' lag), when that was first reached, and the first instant
 * after it at which nothing waited.
 */
import type { Backlog } from "./results.ts";

export class BacklogTracker {
  private depthMax = 0;
  private depthMaxAtS: number | null = null;
  private drainedAtS: number | null = null;

  /** The backlog is `depth` from `nowS` on. */
  observe(nowS: number, depth: number): void {
    if (depth > this.depthMax) {
      this.depthMax = depth;
      this.depthMaxAtS = nowS;
      this.drainedAtS = null;
    } else if (depth === 0 && this.drainedAtS === null && this.depthMaxAtS !== null) {
      this.drainedAtS = nowS;
    }
  }

  summary(): Backlog {
    const { depthMax, depthMaxAtS, drainedAtS } = this;
    let timeToDrainS: number | null = null;
    if (depthMaxAtS === null) timeToDrainS = 0;
    else if (drainedAtS !== null) timeToDrainS = drainedAtS - depthMaxAtS;
    return { depthMax, depthMaxAtS, drainedAtS, timeToDrainS };
  }
}
