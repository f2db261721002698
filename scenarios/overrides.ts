/**
 * Overrides: `path = value` applied to the raw document before validation, so an overridden
 * value goes through the same checks and units as one written in the file. A path is dotted;
 * list items are addressed by their `name` (`consumers.workers.count`) or by index
 * (`consumers.0.count`). Variants' `set` entries and the command line's `--set` share this.
 */
import { ScenarioError, type SourceLocation } from "./errors.ts";
import {
  cloneRaw,
  entryOf,
  isAbsent,
  itemName,
  parseRawText,
  type RawMap,
  type RawNode,
} from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";

export interface Override {
  /** Dotted path as written. */
  path: string;
  value: RawNode;
  /** Where the override was written: a `set` entry's key, or the `--set` argument. */
  at: SourceLocation;
}

const SEGMENT_PATTERN = /^[A-Za-z0-9_-]+$/;

/** `path=value`, the value parsed as YAML (`30m`, `12`, `{exponential: 20ms}`). */
export function parseCommandLineOverride(argument: string, file: string): Override {
  const origin = `--set ${argument}`;
  const at: SourceLocation = { file, line: null, column: null, origin };
  const equals = argument.indexOf("=");
  if (equals <= 0) {
    throw new ScenarioError({
      at,
      path: "",
      expected: "path=value",
      problem: "expected path=value, e.g. --set consumers.workers.count=12",
    });
  }
  const path = argument.slice(0, equals).trim();
  const value = parseRawText(argument.slice(equals + 1), file, origin);
  return { path, value, at };
}

/** Replaces (or adds) the value at `override.path` in `root`, a mapping. */
export function applyOverride(root: RawMap, override: Override): void {
  const segments = splitPath(override);
  let node: RawNode = root;
  for (let i = 0; i < segments.length; i++) {
    const here = segments.slice(0, i).join(".");
    if (node.kind === "map") {
      // Keys may hold dots (`expect: { fates.lost: 0 }`): the longest existing key wins.
      const end = longestKeyEnd(node, segments, i);
      const segment = segments.slice(i, end).join(".");
      i = end - 1;
      const isLast = end === segments.length;
      const entry = entryOf(node, segment);
      if (isLast) {
        if (entry) entry.value = cloneRaw(override.value);
        else
          node.entries.push({ key: segment, keyAt: override.at, value: cloneRaw(override.value) });
        return;
      }
      if (entry && !isAbsent(entry.value)) {
        node = entry.value;
        continue;
      }
      // A missing mapping is created: `producers.api.keys.count` works when `keys` was left
      // out. Validation then reports a misspelt key, with a suggestion, as for the file.
      const created: RawMap = { kind: "map", entries: [], at: override.at };
      if (entry) entry.value = created;
      else node.entries.push({ key: segment, keyAt: override.at, value: created });
      node = created;
      continue;
    }
    if (node.kind === "list") {
      const index = listIndex(node.items, segments[i], here, override);
      if (i === segments.length - 1) {
        node.items[index] = cloneRaw(override.value);
        return;
      }
      node = node.items[index];
      continue;
    }
    throw pathError(
      override,
      here,
      `cannot set '${segments.slice(i).join(".")}' inside '${here}': it holds a single value, not a mapping or list`,
    );
  }
}

function longestKeyEnd(map: RawMap, segments: string[], start: number): number {
  for (let end = segments.length; end > start + 1; end--) {
    if (entryOf(map, segments.slice(start, end).join(".")) !== undefined) return end;
  }
  return start + 1;
}

function splitPath(override: Override): string[] {
  const segments = override.path.split(".");
  for (const segment of segments) {
    if (!SEGMENT_PATTERN.test(segment)) {
      throw new ScenarioError({
        at: override.at,
        path: override.path,
        expected: "a dotted path like consumers.workers.count",
        got: `'${override.path}'`,
      });
    }
  }
  return segments;
}

/** An item by its `name` first, then by index. */
function listIndex(items: RawNode[], segment: string, here: string, override: Override): number {
  const names = items.map(itemName);
  const byName = names.indexOf(segment);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(segment)) {
    const index = Number(segment);
    if (index < items.length) return index;
    const problem = `no item ${index} in '${here}' (it has ${items.length})`;
    throw pathError(override, here, problem);
  }
  const known = names.filter((n): n is string => n !== null);
  const problem = `no item named '${segment}' in '${here}'${suggestionSuffix(segment, known)}`;
  throw pathError(override, here, problem);
}

function pathError(override: Override, here: string, problem: string): ScenarioError {
  return new ScenarioError({
    at: override.at,
    path: override.path,
    expected: `an existing item of '${here}'`,
    problem,
  });
}
