/** A scenario that validates but cannot be wired (for example a link feature not modeled there). */
export class ModelConfigError extends Error {}

/**
 * An invariant of the simulation failed: a bug in queuelab, reported with what is needed to
 * replay it. Thrown, never swallowed.
 */
export class InvariantError extends Error {
  /** The command that replays the run, when the caller knows it. */
  replay: string | null = null;

  constructor(
    /** What broke, without the time and seed. */
    readonly problem: string,
    readonly timeS: number,
    readonly seed: number | null = null,
    readonly variant: string | null = null,
  ) {
    const where = [
      seed === null ? "" : `seed ${seed}`,
      variant === null ? "" : `variant ${variant}`,
    ]
      .filter((part) => part !== "")
      .join(", ");
    super(`invariant broken at t=${timeS}s${where === "" ? "" : ` (${where})`}: ${problem}`);
  }
}

/**
 * Too many events in a row at one virtual time: a zero-delay event loop (a handler that keeps
 * scheduling work at delay 0). Either a queuelab model bug or a scenario that piles that many
 * events onto one instant; the message says so, and names the handlers that were firing.
 */
export class EventLoopError extends InvariantError {}

/** The budgets of a run, by their name in the scenario's `limits:`. */
export type BudgetName = "events" | "wallTime" | "virtualTime";

/** The command-line flag that overrides each budget. */
export const BUDGET_FLAGS: Record<BudgetName, string> = {
  events: "--max-events",
  wallTime: "--max-wall-time",
  virtualTime: "--max-virtual-time",
};

/**
 * A budget of the run (limits: in the scenario, --max-* on the command line) stopped it, or
 * refused it before it started. Not a bug: the run was longer than allowed (exit 4).
 */
export class BudgetExceededError extends Error {
  constructor(
    readonly budget: BudgetName,
    /** What was exceeded and where the run was, without the seed and variant. */
    readonly problem: string,
    readonly timeS: number,
    readonly eventsFired: number,
    readonly seed: number,
    readonly variant: string,
  ) {
    super(
      `budget exceeded: ${problem} (seed ${seed}, variant ${variant}); raise it with ${BUDGET_FLAGS[budget]} or limits.${budget}`,
    );
    this.name = "BudgetExceededError";
  }
}
