/** A scenario that validates but cannot be wired (for example a link feature not modeled there). */
export class ModelConfigError extends Error {}

/**
 * An invariant of the simulation failed: a bug in queuelab, reported with what is needed to
 * replay it. Thrown, never swallowed.
 */
export class InvariantError extends Error {
  constructor(
    message: string,
    readonly timeS: number,
    readonly seed: number | null = null,
  ) {
    super(`invariant broken at t=${timeS}s${seed === null ? "" : ` (seed ${seed})`}: ${message}`);
  }
}
