/**
 * Broker throughput limits in a scenario file (models/throughputLimits.ts):
 * - a topic's `writeLimit: { records: 1000/s, bytes: 1MiB/s }` and
 *   `readLimit: { calls: 5/s, records: 10000, bytes: 2MiB/s }`, per partition;
 * - a queue's `apiLimit: 300/s`, per action (publishes, receives).
 */
import type { ReadLimitConfig, WriteLimitConfig } from "../models/throughputLimits.ts";
import { Fields, fail, readWholeNumber, withUnits } from "./fields.ts";
import type { RawNode } from "./raw.ts";
import { parseBytes, parseRatePerS, UnitError } from "./units.ts";

export const WRITE_LIMIT_KEYS = ["records", "bytes"];
export const READ_LIMIT_KEYS = ["calls", "records", "bytes"];

/** Far above any real system's per-partition limit; keeps counts exact in a double. */
const LIMIT_MAX = 1e12;
const BYTE_RATE_EXPECTED = "a byte rate like 1MiB/s, 512KiB/s or 1000000/s (bytes per second)";

/** A rate of at least 1 per second (a limit below that would refuse everything). */
function readLimitPerS(node: RawNode, path: string): number {
  const perS = withUnits(node, path, parseRatePerS);
  if (!(perS >= 1 && perS <= LIMIT_MAX)) fail(node, path, "a rate from 1/s to 1e12/s, like 300/s");
  return perS;
}

/** Bytes per second: `<size>/s`, or a bare number of bytes per second. */
export function parseBytesPerS(value: unknown): number {
  if (typeof value === "number") return parseBytes(value);
  const text = typeof value === "string" ? value.trim() : "";
  const match = /^(.*\S)\s*\/\s*s$/.exec(text);
  if (match === null) throw new UnitError(BYTE_RATE_EXPECTED, String(value));
  try {
    return parseBytes(match[1]);
  } catch (error) {
    if (error instanceof UnitError) throw new UnitError(BYTE_RATE_EXPECTED, String(value));
    throw error;
  }
}

function readBytesPerS(node: RawNode, path: string): number {
  const bytesPerS = withUnits(node, path, parseBytesPerS);
  if (!(bytesPerS >= 1 && bytesPerS <= LIMIT_MAX)) fail(node, path, `${BYTE_RATE_EXPECTED}, >= 1`);
  return bytesPerS;
}

/** A mapping with at least one of its limits: refused when empty. */
function atLeastOne(fields: Fields, keys: readonly string[], node: RawNode, path: string): void {
  if (!keys.some((key) => fields.has(key))) fail(node, path, `at least one of ${keys.join(", ")}`);
}

export function readWriteLimit(node: RawNode, path: string): WriteLimitConfig {
  const fields = Fields.open(
    node,
    path,
    WRITE_LIMIT_KEYS,
    "a per-partition write limit like { records: 1000/s, bytes: 1MiB/s }",
  );
  atLeastOne(fields, WRITE_LIMIT_KEYS, node, path);
  return {
    recordsPerS: fields.read<number | null>("records", readLimitPerS, null),
    bytesPerS: fields.read<number | null>("bytes", readBytesPerS, null),
  };
}

export function readReadLimit(node: RawNode, path: string): ReadLimitConfig {
  const fields = Fields.open(
    node,
    path,
    READ_LIMIT_KEYS,
    "a per-partition read limit like { calls: 5/s, records: 10000, bytes: 2MiB/s }",
  );
  atLeastOne(fields, READ_LIMIT_KEYS, node, path);
  return {
    callsPerS: fields.read<number | null>("calls", readLimitPerS, null),
    recordsPerCall: fields.read<number | null>(
      "records",
      (n, p) => readWholeNumber(n, p, 1, LIMIT_MAX),
      null,
    ),
    bytesPerS: fields.read<number | null>("bytes", readBytesPerS, null),
  };
}

/** A queue's `apiLimit: 300/s`. */
export function readApiLimit(node: RawNode, path: string): number {
  return readLimitPerS(node, path);
}
