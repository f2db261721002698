/**
 * Deterministic JSON text for report files: floats rounded to 9 significant digits (enough to
 * compare runs, short enough to read), objects indented, arrays of plain values on one line so
 * that a series of 600 buckets is one line rather than 600.
 */

export const JSON_SIGNIFICANT_DIGITS = 9;

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

function scalarText(value: null | boolean | number | string): string {
  if (typeof value === "number") {
    // JSON has no NaN or Infinity; null is what JSON.stringify would write too.
    if (!Number.isFinite(value)) return "null";
    return JSON.stringify(value === 0 ? 0 : roundForJson(value));
  }
  return JSON.stringify(value);
}

function roundForJson(x: number): number {
  return Number.isInteger(x) ? x : Number(x.toPrecision(JSON_SIGNIFICANT_DIGITS));
}

function isScalar(value: JsonValue): value is null | boolean | number | string {
  return value === null || typeof value !== "object";
}

function write(value: JsonValue, indent: string): string {
  if (isScalar(value)) return scalarText(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every(isScalar)) return `[${value.map(scalarText).join(", ")}]`;
    return `[\n${value.map((item) => inner + write(item, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const lines = entries.map(
    ([key, item]) => `${inner}${JSON.stringify(key)}: ${write(item, inner)}`,
  );
  return `{\n${lines.join(",\n")}\n${indent}}`;
}

/** The text of a report JSON file, with a trailing newline. Key order is the objects' own. */
export function reportJson(value: JsonValue): string {
  return `${write(value, "")}\n`;
}

/**
 * The same value on one line (a JSON Lines record), floats rounded as in the report files, so
 * that a record read back holds exactly the numbers a report computed from it would.
 */
export function reportJsonLine(value: JsonValue): string {
  return JSON.stringify(value, (_key, item: JsonValue) =>
    typeof item === "number" ? (Number.isFinite(item) ? roundForJson(item) + 0 : null) : item,
  );
}
