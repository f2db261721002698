/**
 * The scenario document as a small tree of maps, lists and scalars in which every node keeps
 * where it came from. Overrides replace subtrees with nodes from elsewhere (a variant's `set`,
 * a `--set` argument) that carry their own location, so an error found later still points at
 * the text the user wrote.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { fileLocation, ScenarioError, type SourceLocation } from "./errors.ts";

export type Scalar = string | number | boolean | null;

export interface RawScalar {
  kind: "scalar";
  value: Scalar;
  /** The value as written, for messages ("got 5x"). */
  text: string;
  at: SourceLocation;
}

export interface RawList {
  kind: "list";
  items: RawNode[];
  at: SourceLocation;
}

export interface RawEntry {
  key: string;
  keyAt: SourceLocation;
  value: RawNode;
}

export interface RawMap {
  kind: "map";
  entries: RawEntry[];
  at: SourceLocation;
}

export type RawNode = RawScalar | RawList | RawMap;

/** Aliases can refer to their own ancestors; a real scenario is nowhere near this deep. */
const DEPTH_MAX = 64;

/** Parses YAML (or JSON, a subset of it); a syntax error becomes a ScenarioError with its line. */
export function parseRawText(text: string, file: string, origin: string | null = null): RawNode {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const locate = (offset: number): SourceLocation => {
    if (origin !== null) return { file, line: null, column: null, origin };
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, origin: null };
  };
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    throw new ScenarioError({
      at: locate(syntaxError.pos[0]),
      path: "",
      expected: "valid YAML",
      problem: `YAML syntax error: ${firstSentence(syntaxError.message)}`,
    });
  }
  if (doc.contents === null) {
    const at = origin === null ? fileLocation(file) : locate(0);
    return { kind: "scalar", value: null, text: "nothing", at };
  }
  return convert(doc.contents, doc, text, locate, 0);
}

function convert(
  node: Node,
  doc: Document,
  text: string,
  locate: (offset: number) => SourceLocation,
  depth: number,
): RawNode {
  const at = locate(node.range?.[0] ?? 0);
  if (depth > DEPTH_MAX) {
    throw new ScenarioError({
      at,
      path: "",
      expected: "a document nested less deeply",
      problem: `nested more than ${DEPTH_MAX} levels deep (a recursive alias?)`,
    });
  }
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) {
      throw new ScenarioError({
        at,
        path: "",
        expected: "a defined anchor",
        problem: "unknown alias",
      });
    }
    return { ...convert(target, doc, text, locate, depth + 1), at };
  }
  if (isScalar(node)) {
    const range = node.range;
    const written = range ? text.slice(range[0], range[1]).trim() : String(node.value);
    return { kind: "scalar", value: scalarValue(node.value), text: written || "nothing", at };
  }
  if (isSeq(node)) {
    const items = node.items.map((item) => convert(item as Node, doc, text, locate, depth + 1));
    return { kind: "list", items, at };
  }
  if (isMap(node)) {
    const entries: RawEntry[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyAt = keyNode?.range ? locate(keyNode.range[0]) : at;
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object") {
        throw new ScenarioError({
          at: keyAt,
          path: "",
          expected: "a plain key",
          got: "a complex key",
        });
      }
      const valueNode = pair.value as Node | null;
      const value: RawNode =
        valueNode === null
          ? { kind: "scalar", value: null, text: "nothing", at: keyAt }
          : convert(valueNode, doc, text, locate, depth + 1);
      entries.push({ key: String(keyNode.value), keyAt, value });
    }
    return { kind: "map", entries, at };
  }
  throw new ScenarioError({
    at,
    path: "",
    expected: "a map, list or scalar",
    got: "something else",
  });
}

function scalarValue(value: unknown): Scalar {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value;
  }
  if (typeof value === "bigint") return Number(value);
  return String(value);
}

/** yaml's messages end with " at line 3, column 5:" and a code excerpt; keep the first part. */
function firstSentence(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?\s*$/, "");
}

export function cloneRaw(node: RawNode): RawNode {
  if (node.kind === "scalar") return { ...node };
  if (node.kind === "list") return { ...node, items: node.items.map(cloneRaw) };
  return {
    ...node,
    entries: node.entries.map((e) => ({ ...e, value: cloneRaw(e.value) })),
  };
}

export function entryOf(map: RawMap, key: string): RawEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** A null scalar counts as absent, so `key: null` (or `--set key=`) falls back to the default. */
export function isAbsent(node: RawNode | undefined): boolean {
  return node === undefined || (node.kind === "scalar" && node.value === null);
}

/** How a node reads in "got ..." */
export function describeRaw(node: RawNode): string {
  if (node.kind === "list") {
    const n = node.items.length;
    return n === 0 ? "an empty list" : `a list of ${n} item${n === 1 ? "" : "s"}`;
  }
  if (node.kind === "map") return "a mapping";
  if (node.value === null) return "nothing";
  return node.text.length > 60 ? `${node.text.slice(0, 57)}...` : node.text;
}

/** The `name` of a list item, when it has one. */
export function itemName(node: RawNode): string | null {
  if (node.kind !== "map") return null;
  const name = entryOf(node, "name")?.value;
  if (name?.kind !== "scalar" || name.value === null || typeof name.value === "boolean") {
    return null;
  }
  return String(name.value);
}
