/** The exit codes of every queuelab command, and the error for a mistake on the command line. */
export const EXIT_OK = 0;
export const EXIT_EXPECTATION_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;
export const EXIT_BUDGET_EXCEEDED = 4;

/** A user mistake on the command line itself (exit 2, one line, no stack trace). */
export class UsageError extends Error {}
