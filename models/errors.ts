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
