/**
 * The scenario document as a small tree of maps, lists and scalars in which every node keeps
 * where it came from. Overrides replace subtrees with nodes from elsewhere (a variant's `set`,
 * a `--set` argument) that carry their own location, so an error found later still points at
 * the text the user wrote.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isNode,
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

/** A real scenario is nowhere near this deep. */
const DEPTH_MAX = 64;
/**
 * Nodes in the document once every alias is expanded. Aliases of aliases multiply ("billion
 * laughs": a few lines that expand to 10^9 nodes), so the expanded size is measured on the parsed
 * document, where each anchor is counted once, before anything is expanded. (yaml's own guard,
 * `maxAliasCount`, applies to `toJS()`, which the loader does not use: it walks the parsed
 * document itself to keep every node's line.) An empirical distribution of the largest allowed
 * size (100,000 values) fits twice; the yaml parser itself takes about a second for that many.
 */
export const EXPANDED_NODES_MAX = 200_000;
/** Scenario text, from a file or a `--set`, in characters; a real one is a few kilobytes. */
export const SCENARIO_TEXT_MAX = 4 * 1024 * 1024;
/**
 * Tags that only say what plain YAML would infer anyway (`!!str 123`). Any other tag, standard
 * (`!!binary`, `!!timestamp`, `!!set`) or not (`!!js/function`, `!custom`), is refused: a
 * scenario is plain data.
 */
const PLAIN_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** Parses YAML (or JSON, a subset of it); a syntax error becomes a ScenarioError with its line. */
export function parseRawText(text: string, file: string, origin: string | null = null): RawNode {
  if (text.length > SCENARIO_TEXT_MAX) {
    throw new ScenarioError({
      at: origin === null ? fileLocation(file) : { file, line: null, column: null, origin },
      path: "",
      expected: `a scenario of at most ${SCENARIO_TEXT_MAX} characters`,
      got: `${text.length}`,
    });
  }
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
  const contents = doc.contents;
  const source: Source = { doc, text, locate, targets: aliasTargets(contents) };
  const expanded = expandedSize(contents, source, new Map(), "");
  if (expanded > EXPANDED_NODES_MAX) {
    throw new ScenarioError({
      at: locate(contents.range?.[0] ?? 0),
      path: "",
      expected: `a document of at most ${EXPANDED_NODES_MAX} values once its aliases are expanded`,
      got: `more than ${EXPANDED_NODES_MAX}`,
    });
  }
  return convert(contents, source, 0, "");
}

/** A parsed document being converted: its text, positions, and where each alias points. */
interface Source {
  doc: Document;
  text: string;
  locate: (offset: number) => SourceLocation;
  targets: Map<Alias, Node | undefined>;
}

/**
 * Each alias's node: the latest node before it, in document order, with that anchor. Found in
 * one pass; yaml's `alias.resolve(doc)` walks the whole document on every call, which made a
 * file of 20,000 aliases take minutes.
 */
function aliasTargets(root: Node): Map<Alias, Node | undefined> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  const visit = (node: unknown): void => {
    if (!isNode(node)) return;
    if (isAlias(node)) {
      targets.set(node, anchors.get(node.source));
      return;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isSeq(node)) {
      for (const item of node.items) visit(item);
    } else if (isMap(node)) {
      for (const pair of node.items) {
        visit(pair.key);
        visit(pair.value);
      }
    }
  };
  visit(root);
  return targets;
}

/**
 * The number of nodes `node` stands for once its aliases are expanded. Each node is measured
 * once (memo), so a billion laughs costs no more than its text; the count stops soon after the
 * maximum. An alias inside the node it refers to would expand forever: an error.
 */
function expandedSize(node: Node, source: Source, memo: Map<Node, number>, path: string): number {
  const known = memo.get(node);
  if (known !== undefined && !Number.isNaN(known)) return known;
  if (known !== undefined) {
    throw new ScenarioError({
      at: source.locate(node.range?.[0] ?? 0),
      path,
      expected: "an alias of a node that does not contain it",
      got: "an alias inside the node it refers to",
    });
  }
  memo.set(node, Number.NaN); // being measured
  let size = 1;
  if (isAlias(node)) {
    const target = source.targets.get(node);
    if (target !== undefined) size = expandedSize(target, source, memo, path);
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length && size <= EXPANDED_NODES_MAX; i++) {
      size += expandedSize(node.items[i] as Node, source, memo, joinRawPath(path, i));
    }
  } else if (isMap(node)) {
    for (let i = 0; i < node.items.length && size <= EXPANDED_NODES_MAX; i++) {
      const { key, value } = node.items[i];
      size += 1;
      if (value !== null) {
        const label = isScalar(key) ? String(key.value) : i;
        size += expandedSize(value as Node, source, memo, joinRawPath(path, label));
      }
    }
  }
  memo.set(node, size);
  return size;
}

function joinRawPath(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

/** Scenario files are data: a tag that could make the parser build anything else is refused. */
function refuseTag(node: Node, doc: Document, at: SourceLocation, path: string): void {
  const tag = (node as { tag?: string }).tag;
  if (tag === undefined || tag === "!" || PLAIN_TAGS.has(tag)) return;
  throw new ScenarioError({
    at,
    path,
    expected: "plain data without a YAML tag",
    got: `the tag ${doc.directives?.tagString(tag) ?? tag}`,
  });
}

function convert(node: Node, source: Source, depth: number, path: string): RawNode {
  const { doc, text, locate } = source;
  const at = locate(node.range?.[0] ?? 0);
  if (depth > DEPTH_MAX) {
    throw new ScenarioError({
      at,
      path,
      expected: "a document nested less deeply",
      problem: `nested more than ${DEPTH_MAX} levels deep (expected at most ${DEPTH_MAX})`,
    });
  }
  refuseTag(node, doc, at, path);
  if (isAlias(node)) {
    const target = source.targets.get(node);
    if (target === undefined) {
      throw new ScenarioError({
        at,
        path,
        expected: "a defined anchor",
        got: `the unknown alias *${node.source}`,
      });
    }
    return { ...convert(target, source, depth + 1, path), at };
  }
  if (isScalar(node)) {
    const range = node.range;
    const written = range ? text.slice(range[0], range[1]).trim() : String(node.value);
    return { kind: "scalar", value: scalarValue(node.value), text: written || "nothing", at };
  }
  if (isSeq(node)) {
    const items = node.items.map((item, i) =>
      convert(item as Node, source, depth + 1, joinRawPath(path, i)),
    );
    return { kind: "list", items, at };
  }
  if (isMap(node)) {
    const entries: RawEntry[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyAt = keyNode?.range ? locate(keyNode.range[0]) : at;
      if (keyNode !== null) refuseTag(keyNode, doc, keyAt, path);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object") {
        throw new ScenarioError({
          at: keyAt,
          path,
          expected: "a plain key",
          got: "a complex key",
        });
      }
      const valueNode = pair.value as Node | null;
      const keyPath = joinRawPath(path, String(keyNode.value));
      const value: RawNode =
        valueNode === null
          ? { kind: "scalar", value: null, text: "nothing", at: keyAt }
          : convert(valueNode, source, depth + 1, keyPath);
      entries.push({ key: String(keyNode.value), keyAt, value });
    }
    return { kind: "map", entries, at };
  }
  throw new ScenarioError({
    at,
    path,
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
