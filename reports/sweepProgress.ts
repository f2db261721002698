/**
 * A sweep's progress on stderr: on a terminal, one line redrawn in place (bar, runs done of all,
 * failing so far, seeds per second, time left); elsewhere (CI logs, pipes) plain lines, one at
 * every tenth of the runs and at least every few seconds, with no carriage returns. Wall-clock
 * time is read here, for people; never inside a run.
 */

export interface SweepProgressState {
  /** Runs finished, those of a resumed sweep included. */
  done: number;
  total: number;
  /** Runs that broke an expectation so far. */
  failing: number;
  /** Runs stopped by an internal error so far. */
  errors: number;
}

export interface SweepProgressOptions {
  write: (text: string) => void;
  /** Redraw one line in place (a terminal) rather than print lines. */
  tty: boolean;
  /** Variants per seed: seeds per second is runs per second over this. */
  variantCount: number;
  /** Runs already finished when this process started (a resumed sweep): not in the rate. */
  doneAtStart: number;
  /** Milliseconds, from any origin; Date.now by default. */
  nowMs?: () => number;
  /** Terminal width: the redrawn line is cut to fit. */
  columns?: number;
}

/** A terminal line is redrawn at most this often. */
const REDRAW_MS = 100;
/** Without a terminal, a line at least this often... */
const LINE_EVERY_MS = 5000;
/** ...and at every tenth of the runs. */
const LINE_STEPS = 10;
const BAR_WIDTH = 20;

/** "45s", "3m05s", "2h07m". */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

export class SweepProgress {
  private readonly nowMs: () => number;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private lastStep: number;
  private lastLineDone = -1;
  private drawn = false;
  /** When the first run of this process finished: the rate is measured from there, not from
   * the start, which includes the workers' start-up. */
  private firstRunMs: number | null = null;

  constructor(private readonly options: SweepProgressOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.lastStep = -1;
    // On a terminal the bar shows at once; a log gets its first line after a tenth or a while.
    if (!options.tty) this.lastDrawMs = this.nowMs();
  }

  /** After each finished run. */
  update(state: SweepProgressState): void {
    const now = this.nowMs();
    if (this.firstRunMs === null && state.done > this.options.doneAtStart) this.firstRunMs = now;
    if (this.options.tty) {
      if (now - this.lastDrawMs < REDRAW_MS && state.done < state.total) return;
      this.redraw(state, now);
      return;
    }
    const step = this.stepOf(state.done, state.total);
    // Counted from where a resumed sweep starts, so its first line comes a tenth later.
    if (this.lastStep < 0) this.lastStep = this.stepOf(this.options.doneAtStart, state.total);
    if (step > this.lastStep || now - this.lastDrawMs >= LINE_EVERY_MS) {
      this.lastStep = step;
      this.printLine(state, now);
    }
  }

  /** Once at the end (or when stopped): the last state, and the terminal line ended. */
  finish(state: SweepProgressState): void {
    const now = this.nowMs();
    if (this.options.tty) {
      this.redraw(state, now);
      if (this.drawn) this.options.write("\n");
      this.drawn = false;
      return;
    }
    if (state.done !== this.lastLineDone) this.printLine(state, now);
  }

  private stepOf(done: number, total: number): number {
    return total === 0 ? LINE_STEPS : Math.floor((done * LINE_STEPS) / total);
  }

  /** The figures after the count: "3 failing, 12.3 seeds/s, ETA 23s". */
  private figures(state: SweepProgressState, now: number): string[] {
    const parts = [`${state.failing} failing`];
    if (state.errors > 0)
      parts.push(`${state.errors} internal error${state.errors === 1 ? "" : "s"}`);
    // Runs after the first, over the time since the first finished.
    const elapsedS = this.firstRunMs === null ? 0 : (now - this.firstRunMs) / 1000;
    const doneHere = state.done - this.options.doneAtStart - 1;
    if (elapsedS > 0 && doneHere > 0) {
      const runsPerS = doneHere / elapsedS;
      const seedsPerS = runsPerS / Math.max(1, this.options.variantCount);
      parts.push(`${seedsPerS >= 100 ? Math.round(seedsPerS) : seedsPerS.toFixed(1)} seeds/s`);
      if (state.done < state.total)
        parts.push(`ETA ${formatEta((state.total - state.done) / runsPerS)}`);
    }
    return parts;
  }

  private printLine(state: SweepProgressState, now: number): void {
    const percent = state.total === 0 ? 100 : Math.floor((state.done * 100) / state.total);
    const figures = this.figures(state, now).join(", ");
    this.options.write(`sweep: ${state.done}/${state.total} runs (${percent}%), ${figures}\n`);
    this.lastDrawMs = now;
    this.lastLineDone = state.done;
  }

  private redraw(state: SweepProgressState, now: number): void {
    const filled =
      state.total === 0 ? BAR_WIDTH : Math.floor((state.done * BAR_WIDTH) / state.total);
    const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
    let line = `${bar} ${state.done}/${state.total} runs  ${this.figures(state, now).join("  ")}`;
    const columns = this.options.columns;
    if (columns !== undefined && columns > 1 && [...line].length > columns - 1) {
      line = [...line].slice(0, columns - 1).join("");
    }
    // Carriage return, the line, then erase what a longer previous line left.
    this.options.write(`\r${line}\u001b[K`);
    this.lastDrawMs = now;
    this.drawn = true;
  }
}
