/**
 * `limits:`, the budgets of a run (models/runGuard.ts), and the command-line flags that override
 * them (`--max-events`, `--max-wall-time`, `--max-virtual-time`). `none` lifts a budget.
 */
import type { RunLimits } from "../models/config.ts";
import { RUN_LIMITS_DEFAULT } from "../models/runGuard.ts";
import { orWord } from "./components.ts";
import { Fields, readDurationS, readWholeNumber } from "./fields.ts";
import type { RawNode } from "./raw.ts";
import { DURATION_EXPECTED, parseDurationS, UnitError } from "./units.ts";

export const LIMITS_KEYS = ["events", "wallTime", "virtualTime"];
const LIMITS_EXPECTED = "a mapping like { events: 1e9, wallTime: 10m, virtualTime: 30d }";
/** The word that lifts a budget. */
const NO_LIMIT = "none";
/** Event counts stay exact in a double up to here. */
const EVENTS_MAX = Number.MAX_SAFE_INTEGER;

function positiveDuration(node: RawNode, path: string): number {
  return readDurationS(node, path, { exclusive: true });
}

function eventCount(node: RawNode, path: string): number {
  return readWholeNumber(node, path, 1, EVENTS_MAX);
}

/** The `limits:` mapping; defaults (RUN_LIMITS_DEFAULT) for what it leaves out. */
export function readLimits(node: RawNode, path: string): RunLimits {
  const fields = Fields.open(node, path, LIMITS_KEYS, LIMITS_EXPECTED);
  return {
    eventsMax: fields.read("events", orWord(NO_LIMIT, eventCount), RUN_LIMITS_DEFAULT.eventsMax),
    wallTimeSMax: fields.read(
      "wallTime",
      orWord(NO_LIMIT, positiveDuration),
      RUN_LIMITS_DEFAULT.wallTimeSMax,
    ),
    virtualTimeSMax: fields.read(
      "virtualTime",
      orWord(NO_LIMIT, positiveDuration),
      RUN_LIMITS_DEFAULT.virtualTimeSMax,
    ),
  };
}

/** `--max-events`: a whole number >= 1 (`2e9` is fine), or `none`; UnitError otherwise. */
export function parseEventsBudget(text: string): number | null {
  const value = text.trim();
  if (value === NO_LIMIT) return null;
  const n = value === "" ? Number.NaN : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > EVENTS_MAX) {
    throw new UnitError(`a whole number of events >= 1, or '${NO_LIMIT}'`, text);
  }
  return n;
}

/** `--max-wall-time`, `--max-virtual-time`: a duration > 0 in seconds, or `none`; UnitError otherwise. */
export function parseDurationBudgetS(text: string): number | null {
  const value = text.trim();
  if (value === NO_LIMIT) return null;
  const expected = `${DURATION_EXPECTED.replace("a duration", "a duration > 0")}, or '${NO_LIMIT}'`;
  let seconds: number;
  try {
    seconds = parseDurationS(value);
  } catch (error) {
    if (error instanceof UnitError) throw new UnitError(expected, text === "" ? "nothing" : text);
    throw error;
  }
  if (!(seconds > 0)) throw new UnitError(expected, text);
  return seconds;
}
