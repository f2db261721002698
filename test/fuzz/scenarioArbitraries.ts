/**
 * fast-check generators of scenario documents, for fuzzing the loader (and, for valid ones, the
 * models). A case is built from a plan of small choices — which bundled scenario, which node to
 * mutate and how, which text edit, which `--set` overrides — so fast-check shrinks a failing case
 * to a short plan, and `describeCase` prints the text that failed.
 *
 * - `loaderCase`: a bundled scenario (or the format doc's example), or a generated one
 *   (`generatedDocument`: topics with partitions, retention and replication, FIFO queues,
 *   producers with acks, consumer groups with each commit mode, faults of each kind, `limits:`),
 *   mutated in structure and values (wrong types, huge and tiny numbers, NaN and infinities,
 *   negative durations, empty lists, unknown keys, deep nesting, duplicated items and names,
 *   references to nothing), written as block YAML, flow YAML or JSON, perhaps cut short or
 *   edited as text; or random YAML-ish text; or a hostile document (aliases that multiply,
 *   recursive aliases, tags); with random `--set`s.
 * - `runnableScenario`: a scenario built to be valid, with small rates and counts, for a run.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { listBundledScenarios } from "../../scenarios/loader.ts";

/** What `loadScenarioText(text, file, overrides)` is called with. */
export interface LoaderCase {
  /** Where the case came from, for the summary. */
  origin: "mutated" | "generated" | "text" | "hostile";
  file: string;
  text: string;
  overrides: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// The documents mutated: the bundled scenarios and the example of docs/scenario-format.md.

function seedDocuments(): { name: string; doc: Json }[] {
  const bundled = listBundledScenarios().map((b) => ({
    name: b.name,
    doc: parse(readFileSync(b.file, "utf8")) as Json,
  }));
  const format = readFileSync(
    fileURLToPath(new URL("../../docs/scenario-format.md", import.meta.url)),
    "utf8",
  );
  const example = /```yaml\n([\s\S]*?)```/.exec(format)?.[1];
  return example === undefined
    ? bundled
    : [...bundled, { name: "doc-example", doc: parse(example) }];
}

export const SEED_DOCUMENTS = seedDocuments();

// ---------------------------------------------------------------------------------------------
// Values to put where others were.

const SPECIAL_NUMBERS = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  1,
  -1,
  0.5,
  2,
  1e-300,
  Number.MIN_VALUE,
  1e308,
  -1e308,
  1e21,
  2 ** 53,
  2 ** 53 + 2,
  100,
  101,
  1000,
  1001,
  10_000,
  10_001,
  100_000,
  100_001,
  10_000_001,
  1e9,
  1e10,
];

const number = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -10, max: 2000 }) },
);

/** Numbers as a user might write them in front of a unit, valid or not. */
const NUMBER_TEXTS = [
  "1e400",
  "-1e400",
  "-0",
  ".5",
  "5.",
  "1e-400",
  "1e-320",
  "NaN",
  ".nan",
  ".inf",
  "-.inf",
  "Infinity",
  "0x10",
  "+3",
  "1_000",
  "9007199254740993",
  "",
  "-",
  "1e",
];

const UNITS = [
  "",
  "s",
  "ms",
  "us",
  "µs",
  "m",
  "min",
  "h",
  "d",
  "/s",
  "/m",
  "/h",
  "/d",
  "/ms",
  "/us",
  "%",
  " s",
  " / s",
  "M",
  "S",
  "x",
  "/",
  "%%",
];

/** `250ms`, `-5s`, `1e400/s`, `150%`, `5M`... */
const quantity = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: number.map(String) },
      { weight: 1, arbitrary: fc.constantFrom(...NUMBER_TEXTS) },
    ),
    fc.constantFrom(...UNITS),
  )
  .map(([n, unit]) => `${n}${unit}`);

const NAMES = [
  "orders",
  "workers",
  "api",
  "jobs",
  "arrivals",
  "server",
  "tasks",
  "q",
  "base",
  "c10",
  "missing",
  "a b",
  "",
  "../up",
  "a/b",
  "x.y",
  "Ünïcode",
  "__proto__",
  "constructor",
  "toString",
  "-",
  "_",
  "CON",
];

const name = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 90, max: 400 }).map((n) => "n".repeat(n)) },
);

/** Any characters: control characters, line breaks, quotes, non-BMP. */
const text = fc.string({ unit: "binary", maxLength: 40 });

const distribution: fc.Arbitrary<Json> = fc.oneof(
  quantity.map((q) => ({ exponential: q })),
  fc.record({ mean: quantity }).map((mean) => ({ exponential: mean })),
  fc.array(quantity, { maxLength: 3 }).map((range) => ({ uniform: range })),
  fc.record({ min: quantity, max: quantity }).map((range) => ({ uniform: range })),
  fc.record({ mean: quantity, stddev: quantity }).map((p) => ({ normal: p })),
  fc.record({ median: quantity, p99: quantity }).map((p) => ({ lognormal: p })),
  fc.record({ mu: number, sigma: number }).map((p) => ({ lognormal: p })),
  fc.record({ median: quantity, mu: number }).map((p) => ({ lognormal: p })),
  fc.record({ scale: quantity, shape: number }).map((p) => ({ pareto: p })),
  fc.array(quantity, { maxLength: 5 }).map((values) => ({ empirical: values })),
  quantity.map((q) => ({ constant: q })),
  fc.constant({ exponential: "1s", uniform: ["1s", "2s"] }),
  fc.constant({ poisson: "1s" }),
) as fc.Arbitrary<Json>;

const CONDITIONS = [
  "< 2s",
  ">= 400/s",
  "== 0",
  "0",
  "= 1",
  "=> 1",
  "!= 5%",
  "fates.lost == 0",
  "nope > 1",
  "p99S < 1",
  "lost < 1",
  "latency.p99S <",
  "< .nan",
  "< 1e400",
  "counters.endS >= 5m",
];

const condition = fc.oneof(
  fc.constantFrom(...CONDITIONS),
  fc.tuple(fc.constantFrom(...CONDITIONS), name).map(([c, n]) => `${n} ${c}`),
);

/** Nested lists or mappings, up to 200 deep (the loader allows 64). */
const deep = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.boolean()).map(([depth, asList]) => {
  let value: Json = "x";
  for (let i = 0; i < depth; i++) value = asList ? [value] : { a: value };
  return value;
});

const structure: fc.Arbitrary<Json> = fc.oneof(
  fc.constant([]),
  fc.constant({}),
  fc.constant([[]]),
  deep,
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
) as fc.Arbitrary<Json>;

/** Values just off what a field takes: a misspelt word, one past a bound, a wrong case. */
const NEAR_MISSES: Json[] = [
  "forevr",
  "unlimted",
  "nevr",
  "none ",
  "nonee",
  "al",
  "leadr",
  "exactly-once",
  "after",
  "newest",
  "seen-table",
  "conditional_write",
  0,
  1.5,
  101,
  1001,
  10_001,
  100_001,
  1_000_001,
  10_000_001,
  "1kib",
  "2TiB",
  "0B",
  "-1s",
  "0s",
  "1e9x",
  { seenTable: { ttl: "0s" } },
  { seenTable: { capacity: 10 } },
];

/** Something to put anywhere: most of it wrong there, some of it right. */
export const anyValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...NEAR_MISSES) },
  { weight: 3, arbitrary: number },
  { weight: 4, arbitrary: quantity },
  { weight: 2, arbitrary: name },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: distribution },
  { weight: 1, arbitrary: condition },
  { weight: 2, arbitrary: structure },
);

/** Keys to add: known ones in the wrong place, near misses, and nonsense. */
const KEYS = [
  "name",
  "description",
  "seed",
  "duration",
  "drain",
  "warmup",
  "sampleInterval",
  "queues",
  "producers",
  "consumers",
  "links",
  "expect",
  "variants",
  "set",
  "to",
  "from",
  "between",
  "queue",
  "rate",
  "phases",
  "repeat",
  "for",
  "count",
  "concurrency",
  "processing",
  "failure",
  "onFailure",
  "nackDelay",
  "latency",
  "loss",
  "duplicate",
  "visibilityTimeout",
  "maxReceives",
  "keys",
  "skew",
  "exponent",
  "fifo",
  "deduplicationWindow",
  "topics",
  "partitions",
  "retention",
  "retentionBytes",
  "segment",
  "replicationFactor",
  "brokers",
  "minInsyncReplicas",
  "acks",
  "idempotent",
  "maxInFlight",
  "topic",
  "group",
  "commit",
  "autoCommitInterval",
  "idempotency",
  "maxPollRecords",
  "sessionTimeout",
  "autoOffsetReset",
  "faults",
  "crash",
  "crashBroker",
  "instance",
  "partition",
  "at",
  "limits",
  "events",
  "wallTime",
  "virtualTime",
  "visibiltyTimeout",
  "Duration",
  "",
  "__proto__",
  "constructor",
  "fates.lost",
  "latency.p99S",
  "<<",
  "a.b",
];

const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
);

// ---------------------------------------------------------------------------------------------
// Mutations of a document, by the index of a node in a walk of it.

type Mutation =
  | { kind: "replace"; at: number; value: Json }
  | { kind: "remove"; at: number }
  | { kind: "addKey"; at: number; key: string; value: Json }
  | { kind: "duplicate"; at: number }
  | { kind: "swap"; at: number; other: number }
  | { kind: "nest"; at: number; depth: number; asList: boolean };

const at = fc.nat({ max: 10_000 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("replace"), at, value: anyValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove"), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("addKey"), at, key, value: anyValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicate"), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("swap"), at, other: at }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("nest"),
      at,
      depth: fc.integer({ min: 1, max: 100 }),
      asList: fc.boolean(),
    }),
  },
) as fc.Arbitrary<Mutation>;

interface Place {
  parent: Container | null;
  key: string | number | null;
  value: Json;
  /** The `--set` path of the node: list items by name when they have one, else by index. */
  path: string[];
  indexPath: string[];
}

function isContainer(value: Json): value is Container {
  return typeof value === "object" && value !== null;
}

/** Every node of `root`, root first, depth first. */
function places(root: Json): Place[] {
  const out: Place[] = [];
  const walk = (
    value: Json,
    parent: Container | null,
    key: string | number | null,
    path: string[],
    indexPath: string[],
  ) => {
    out.push({ parent, key, value, path, indexPath });
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const itemName =
          isContainer(item) && !Array.isArray(item) && typeof item.name === "string"
            ? item.name
            : String(i);
        walk(item, value, i, [...path, itemName], [...indexPath, String(i)]);
      });
    } else if (isContainer(value)) {
      for (const k of Object.keys(value)) walk(value[k], value, k, [...path, k], [...indexPath, k]);
    }
  };
  walk(root, null, null, [], []);
  return out;
}

/** Sets an own property, even `__proto__`. */
function setOwn(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function put(place: Place, value: Json, root: { doc: Json }): void {
  if (place.parent === null) root.doc = value;
  else if (Array.isArray(place.parent)) place.parent[place.key as number] = value;
  else setOwn(place.parent, place.key as string, value);
}

/** A deep copy that keeps NaN, infinities, -0 and own `__proto__` keys (JSON would not). */
function copy(value: Json): Json {
  if (Array.isArray(value)) return value.map(copy);
  if (!isContainer(value)) return value;
  const out: { [key: string]: Json } = {};
  for (const k of Object.keys(value)) setOwn(out, k, copy(value[k]));
  return out;
}

function placeAt(doc: Json, indexPath: string[]): Place | undefined {
  const joined = indexPath.join("\u0000");
  return places(doc).find((p) => p.indexPath.join("\u0000") === joined);
}

function applyMutation(root: { doc: Json }, m: Mutation): void {
  const all = places(root.doc);
  const place = all[m.at % all.length];
  switch (m.kind) {
    case "replace":
      put(place, copy(m.value), root);
      return;
    case "remove":
      if (Array.isArray(place.parent)) place.parent.splice(place.key as number, 1);
      else if (place.parent !== null) delete place.parent[place.key as string];
      return;
    case "addKey":
      if (Array.isArray(place.value)) place.value.push(copy(m.value));
      else if (isContainer(place.value)) setOwn(place.value, m.key, copy(m.value));
      else put(place, { [m.key]: copy(m.value) }, root);
      return;
    case "duplicate":
      if (Array.isArray(place.parent))
        place.parent.splice(place.key as number, 0, copy(place.value));
      else put(place, [copy(place.value), copy(place.value)], root);
      return;
    case "swap": {
      const other = all[m.other % all.length];
      // Copies, so that a node swapped into its own subtree does not make a cycle.
      const [a, b] = [copy(place.value), copy(other.value)];
      put(place, b, root);
      const otherNow = placeAt(root.doc, other.indexPath);
      if (otherNow !== undefined) put(otherNow, a, root);
      return;
    }
    case "nest": {
      let value = copy(place.value);
      for (let i = 0; i < m.depth; i++) value = m.asList ? [value] : { a: value };
      put(place, value, root);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Writing the document, and editing the text.

type Format = "block" | "flow" | "json";

function write(doc: Json, format: Format): string {
  if (format === "json") return JSON.stringify(doc, null, 2) ?? "null";
  return stringify(doc, {
    collectionStyle: format === "flow" ? "flow" : "any",
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
}

/** YAML's special characters and some scenario words: the alphabet of random text. */
const TOKENS = [
  "\n",
  "\n  ",
  "  ",
  "- ",
  ": ",
  ":",
  ",",
  "[",
  "]",
  "{",
  "}",
  "? ",
  "&a ",
  "*a",
  "&b ",
  "*b",
  "!!js/function ",
  "!!binary ",
  "!!str ",
  "!custom ",
  "!<tag:yaml.org,2002:js/undefined> ",
  "|\n  ",
  ">\n  ",
  "'",
  '"',
  "# c",
  "---\n",
  "...\n",
  "%YAML 1.1\n",
  "%TAG ! tag:example.com,2000:\n",
  "<<: ",
  "\t",
  "\r\n",
  "\u001b[31m",
  "\u2028",
  "\ufeff",
  "\u0000",
  "name",
  "duration",
  "queues",
  "producers",
  "consumers",
  "processing",
  "rate",
  "1m",
  "5/s",
  "10ms",
  "1%",
  ".nan",
  "-.inf",
  "1e400",
  "x",
  "q",
];

const tokenText = fc
  .array(fc.constantFrom(...TOKENS), { maxLength: 60 })
  .map((tokens) => tokens.join(""));

type TextEdit =
  | { kind: "none" }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; token: string }
  | { kind: "cut"; at: number; length: number }
  | { kind: "tag"; nth: number; tag: string };

const fraction = fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000);

const TAGS = [
  "!!js/function",
  "!!js/undefined",
  "!!js/regexp",
  "!!python/object/apply:os.system",
  "!!binary",
  "!!set",
  "!!omap",
  "!!timestamp",
  "!custom",
  "!!str",
  "!!int",
  "!",
];

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fraction }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at: fraction,
      token: fc.oneof(fc.constantFrom(...TOKENS), tokenText),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("cut" as const),
      at: fraction,
      length: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("tag" as const),
      nth: fc.nat({ max: 200 }),
      tag: fc.constantFrom(...TAGS),
    }),
  },
);

function applyTextEdit(source: string, edit: TextEdit): string {
  const offset = (f: number) => Math.floor(f * source.length);
  switch (edit.kind) {
    case "none":
      return source;
    case "truncate":
      return source.slice(0, offset(edit.at));
    case "insert":
      return source.slice(0, offset(edit.at)) + edit.token + source.slice(offset(edit.at));
    case "cut":
      return source.slice(0, offset(edit.at)) + source.slice(offset(edit.at) + edit.length);
    case "tag": {
      // Before the value of the nth "key: value".
      const colons = [...source.matchAll(/: /g)].map((m) => (m.index ?? 0) + 2);
      if (colons.length === 0) return `${edit.tag} ${source}`;
      const i = colons[edit.nth % colons.length];
      return `${source.slice(0, i)}${edit.tag} ${source.slice(i)}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// `--set` overrides.

interface OverridePlan {
  at: number;
  byIndex: boolean;
  weirdPath: string | null;
  value: string;
}

const WEIRD_PATHS = [
  "",
  ".",
  "a..b",
  "variants",
  "variants.0.name",
  "name",
  "seed",
  "__proto__.polluted",
  "constructor.prototype",
  "consumers.99.count",
  "consumers.nope.count",
  "queues.0.name.x",
  "duration.x",
  "expect.fates.lost",
  "limits.events",
  "limits.wallTime",
  "limits",
  "topics.0.partitions",
  "faults.0.at",
  "producers.0.keys.count",
  "links.0.loss",
  "a b",
  "x=y",
];

/** Values as typed on a command line: YAML text, one line or not. */
const overrideValue = fc.oneof(
  { weight: 4, arbitrary: anyValue.map((v) => write(v, "flow").trimEnd()) },
  { weight: 2, arbitrary: fc.constantFrom("", "null", "[", "{a: 1", "&a [*a]", "!!js/function x") },
  { weight: 1, arbitrary: tokenText },
);

const overridePlan: fc.Arbitrary<OverridePlan> = fc.record({
  at,
  byIndex: fc.boolean(),
  weirdPath: fc.option(fc.constantFrom(...WEIRD_PATHS), { freq: 4 }),
  value: overrideValue,
});

function overrideArgument(doc: Json, plan: OverridePlan): string {
  if (plan.weirdPath !== null) return `${plan.weirdPath}=${plan.value}`;
  const all = places(doc).filter((p) => p.parent !== null);
  if (all.length === 0) return `name=${plan.value}`;
  const place = all[plan.at % all.length];
  return `${(plan.byIndex ? place.indexPath : place.path).join(".")}=${plan.value}`;
}

// ---------------------------------------------------------------------------------------------
// Hostile documents: aliases that multiply, aliases inside themselves, tags.

const SMALL_VALID = `name: t
duration: 1m
queues: [{ name: q }]
producers: [{ name: p, rate: 5/s }]
consumers: [{ name: c, processing: 10ms }]
`;

/** `levels` anchors, each a list of `width` aliases of the one before: width^levels nodes. */
export function billionLaughs(levels: number, width: number, field = "description"): string {
  const lines = [SMALL_VALID, `${field}:`];
  lines.push("  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]");
  for (let i = 1; i <= levels; i++) {
    lines.push(
      `  l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(", ")}]`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** One anchor and `count` aliases of it: cheap to expand, but each alias must be looked up. */
export function manyAliases(count: number): string {
  return `${SMALL_VALID}description: &d x\nexpect: [${Array(count).fill("*d").join(", ")}]\n`;
}

const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1000, max: 5000 }).map(manyAliases),
  fc
    .tuple(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 2, max: 10 }),
      fc.constantFrom("description", "expect", "links"),
    )
    .map(([levels, width, field]) => billionLaughs(levels, width, field)),
  fc.constantFrom(
    `${SMALL_VALID}description: &a [x, *a]\n`,
    `${SMALL_VALID}expect: &e { fates: *e }\n`,
    `${SMALL_VALID.replace("consumers: [", "consumers: &c [")}links: [{ from: p, to: q, latency: *c }]\n`,
    `${SMALL_VALID}description: *nowhere\n`,
    `${SMALL_VALID}<<: { seed: 3 }\n`,
    `${SMALL_VALID}description: !!js/function "function () { return process.exit(9) }"\n`,
    `${SMALL_VALID}description: !!js/undefined ""\n`,
    `${SMALL_VALID}description: !!python/object/apply:os.system ["touch /tmp/pwned"]\n`,
    `${SMALL_VALID}description: !include /etc/passwd\n`,
    `%TAG !e! tag:example.com,2000:\n---\n${SMALL_VALID}description: !e!file /etc/passwd\n`,
    `${SMALL_VALID}? [complex, key]\n: 1\n`,
    `${SMALL_VALID}---\n${SMALL_VALID}`,
  ),
);

// ---------------------------------------------------------------------------------------------
// Generated documents: every part of the format (topics with partitions, retention and
// replication, FIFO queues, producers with acks, consumer groups with each commit mode, faults of
// each kind, `limits:`), valid by construction, so that the mutations (NEAR_MISSES among them)
// start from inside those readers rather than failing before them.

/** A generated part before it is written out: Json values, some left undefined. */
type Plan = Record<string, unknown>;

/** An optional field: absent (undefined, dropped by `compact`) one time in six. */
function maybe<T extends Json>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arbitrary, { nil: undefined });
}

/** The mapping without its undefined fields. */
function compact(fields: Plan): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v as Json;
  return out;
}

const genQueue = fc.record({
  visibilityTimeout: maybe(fc.constantFrom("100ms", "30s", "12h")),
  maxReceives: maybe(fc.constantFrom<Json>(1, 3, 1000, null)),
  fifo: maybe(fc.boolean()),
  deduplicationWindow: maybe(fc.constantFrom("0s", "5m", "1h")),
});

const genTopic = fc.record({
  partitions: fc.constantFrom(1, 2, 4, 12, 10_000),
  retention: maybe(fc.constantFrom("10s", "1h", "7d", "forever")),
  retentionBytes: maybe(fc.constantFrom<Json>("1MiB", "1GB", "unlimited", 1024)),
  segmentBytes: maybe(fc.constantFrom("1KiB", "1MiB", "1GiB")),
  segment: maybe(fc.constantFrom("1s", "10m", "7d", "never")),
  retentionCheckInterval: maybe(fc.constantFrom("1s", "5m")),
  // [replicationFactor, brokers, minInsyncReplicas, replicationLag]: consistent sets.
  replication: fc.constantFrom<(Json | undefined)[]>(
    [undefined, undefined, undefined, undefined],
    [1, 3, 1, undefined],
    [3, undefined, 2, "10ms"],
    [3, 5, 3, "0ms"],
    [2, 100, undefined, "1s"],
  ),
});

const genProducer = fc.record({
  to: fc.nat(),
  load: fc.oneof(
    fc.constantFrom("0/s", "5/s", "100/s", "1000/h").map((rate): Json => ({ rate })),
    fc
      .array(
        fc.record({ for: fc.constantFrom("1s", "1m"), rate: fc.constantFrom("1/s", "50/s") }),
        {
          minLength: 1,
          maxLength: 3,
        },
      )
      .chain((phases) => fc.boolean().map((repeat): Json => ({ phases, repeat }))),
  ),
  arrivals: maybe(fc.constantFrom("poisson", "constant")),
  acks: fc.constantFrom("none", "leader", "all"),
  retries: maybe(fc.constantFrom(0, 3, 1_000_000)),
  requestTimeout: maybe(fc.constantFrom("10ms", "30s")),
  retryBackoff: maybe(fc.constantFrom("0s", "100ms")),
  idempotent: maybe(fc.boolean()),
  maxInFlight: maybe(fc.constantFrom(1, 5)),
  messageSize: maybe(fc.constantFrom("1B", "1KiB", "1MB")),
  keys: maybe(
    fc.oneof(
      fc.record({ count: fc.constantFrom(1, 100, 10_000_000) }),
      fc.record({
        count: fc.constantFrom(2, 1000),
        skew: fc.constant("zipf"),
        exponent: fc.constantFrom(0.5, 1.1),
      }),
    ),
  ),
});

const genConsumer = fc.record({
  source: fc.nat(),
  group: maybe(fc.constantFrom("g1", "g2", "analytics")),
  count: maybe(fc.constantFrom(1, 3, 100_000)),
  concurrency: maybe(fc.constantFrom(1, 4)),
  processing: fc.constantFrom<Json>(
    "5ms",
    { exponential: "20ms" },
    { lognormal: { median: "10ms", p99: "1s" } },
  ),
  failure: maybe(fc.constantFrom<Json>("0%", "1%", 0.5)),
  onFailure: maybe(fc.constantFrom("nack", "timeout")),
  nackDelay: maybe(fc.constantFrom("0s", "1s")),
  commit: maybe(fc.constantFrom("before-processing", "after-processing", "auto", "transactional")),
  autoCommitInterval: maybe(fc.constantFrom("1s", "5s")),
  idempotency: maybe(
    fc.constantFrom<Json>(
      "none",
      "conditional-write",
      { seenTable: { ttl: "1h", capacity: 1000 } },
      { seenTable: { ttl: "1m" } },
    ),
  ),
  start: maybe(fc.constantFrom("0s", "5s")),
  restart: maybe(fc.constantFrom("1s", "10s")),
  crashRate: maybe(fc.constantFrom("0/s", "1/h", "1/m")),
  maxPollRecords: maybe(fc.constantFrom(1, 500, 100_000)),
  // [sessionTimeout, heartbeatInterval], heartbeat shorter.
  session: fc.constantFrom<(Json | undefined)[]>(
    [undefined, undefined],
    ["10s", "1s"],
    ["45s", undefined],
    [undefined, "10s"],
  ),
  maxPollInterval: maybe(fc.constantFrom("30s", "5m")),
  autoOffsetReset: maybe(fc.constantFrom("earliest", "latest")),
});

const genFault = fc.record({
  kind: fc.constantFrom("crash", "partition", "crashBroker"),
  at: fc.constantFrom("5s", "30s"),
  pick: fc.nat(),
  instance: fc.boolean(),
  broker: fc.nat(),
  for: maybe(fc.constantFrom("1s", "30s")),
  withTopic: fc.boolean(),
});

const genLimits = fc
  .record({
    events: maybe(fc.constantFrom<Json>(1, 1000, 1e9, 2e9, "none")),
    wallTime: maybe(fc.constantFrom("10ms", "60s", "10m", "none")),
    virtualTime: maybe(fc.constantFrom("1m", "30d", "none")),
  })
  .map(compact);

function producerDoc(
  {
    to,
    load,
    acks,
    retries,
    requestTimeout,
    retryBackoff,
    idempotent,
    maxInFlight,
    ...rest
  }: Plan & { to: number },
  name: string,
  destinations: string[],
): Json {
  const acked = acks !== "none";
  return compact({
    name,
    // Left out where there is one destination, at times, as the format allows.
    to:
      destinations.length === 1 && to % 2 === 0
        ? undefined
        : destinations[to % destinations.length],
    ...(load as { [key: string]: Json }),
    ...rest,
    acks,
    ...(acked ? { retries, requestTimeout, retryBackoff, maxInFlight } : {}),
    idempotent: acks === "all" ? idempotent : undefined,
  });
}

function consumerDoc(
  plan: Plan & { source: number; session: (Json | undefined)[] },
  name: string,
  sources: string[],
  groups: Set<string>,
): Json {
  const {
    source,
    group,
    concurrency,
    onFailure,
    nackDelay,
    commit,
    autoCommitInterval,
    session,
    ...rest
  } = plan;
  const from = sources[source % sources.length];
  const onTopic = from.startsWith("t");
  const { maxPollRecords, maxPollInterval, autoOffsetReset, ...common } = rest;
  const failure = onTopic ? "nack" : onFailure;
  const commitPoint = !onTopic && commit === "auto" ? "transactional" : commit;
  // Two consumers of one topic cannot share a group: the second keeps its own name.
  const groupName = group === undefined || groups.has(`${from}/${group}`) ? undefined : group;
  groups.add(`${from}/${groupName ?? name}`);
  return compact({
    name,
    [onTopic ? "topic" : "queue"]: from,
    ...common,
    concurrency: onTopic ? undefined : concurrency,
    onFailure: failure,
    nackDelay: failure === "timeout" ? undefined : nackDelay,
    commit: commitPoint,
    autoCommitInterval: commitPoint === "auto" ? autoCommitInterval : undefined,
    ...(onTopic
      ? {
          group: groupName,
          maxPollRecords,
          sessionTimeout: session[0],
          heartbeatInterval: session[1],
          maxPollInterval,
          autoOffsetReset,
        }
      : {}),
  });
}

/** A whole valid scenario built from the parts above: names q0, t0, p0, c0, ... */
export const generatedDocument: fc.Arbitrary<Json> = fc
  .record({
    queues: fc.array(genQueue, { maxLength: 2 }),
    topics: fc.array(genTopic, { maxLength: 2 }),
    producers: fc.array(genProducer, { minLength: 1, maxLength: 3 }),
    consumers: fc.array(genConsumer, { minLength: 1, maxLength: 3 }),
    faults: fc.array(genFault, { maxLength: 4 }),
    limits: maybe(genLimits),
    duration: fc.constantFrom("1m", "10m"),
    drain: maybe(fc.constantFrom("0s", "1m")),
    expect: maybe(fc.constantFrom<Json>({ "fates.lost": 0 }, ["counters.rebalances >= 0"])),
  })
  .map((plan) => {
    const queuePlans = plan.queues.length + plan.topics.length === 0 ? [{}] : plan.queues;
    const queues = queuePlans.map((q: Plan, i) =>
      compact({
        name: `q${i}`,
        ...q,
        deduplicationWindow: q.fifo === true ? q.deduplicationWindow : undefined,
      }),
    );
    const topics = plan.topics.map(({ replication, ...t }, i) => {
      const [replicationFactor, brokers, minInsyncReplicas, replicationLag] = replication;
      return compact({
        name: `t${i}`,
        ...t,
        replicationFactor,
        brokers,
        minInsyncReplicas,
        replicationLag,
      });
    });
    const sources = [...queues, ...topics].map((x) => x.name as string);
    const producers = plan.producers.map((p, i) => producerDoc(p, `p${i}`, sources));
    const groups = new Set<string>();
    const consumers = plan.consumers.map((c, i) => consumerDoc(c, `c${i}`, sources, groups));
    const pairs: [string, string][] = [
      ...producers.map((p): [string, string] => [
        (p as Plan).name as string,
        ((p as Plan).to as string) ?? sources[0],
      ]),
      ...consumers.map((c): [string, string] => {
        const fields = c as Plan;
        return [fields.name as string, (fields.queue ?? fields.topic) as string];
      }),
    ];
    const faults = plan.faults.flatMap((f): Json[] => {
      if (f.kind === "crash") {
        const c = consumers[f.pick % consumers.length] as Plan;
        // A crash comes at or after the consumer starts (5s at the latest).
        return [
          compact({ at: "30s", crash: c.name, instance: f.instance ? 0 : undefined, for: f.for }),
        ];
      }
      if (f.kind === "partition") {
        const pair = pairs[f.pick % pairs.length];
        return [{ at: f.at, partition: pair, for: f.for ?? "10s" }];
      }
      if (topics.length === 0) return [];
      const topic = topics[f.pick % topics.length];
      const brokers = (topic.brokers ??
        (Number(topic.replicationFactor ?? 1) > 1 ? 3 : 1)) as number;
      const named = f.withTopic || topics.length > 1;
      return [
        compact({
          at: f.at,
          crashBroker: f.broker % brokers,
          topic: named ? topic.name : undefined,
          for: f.for ?? "5s",
        }),
      ];
    });
    return compact({
      name: "generated",
      duration: plan.duration,
      drain: plan.drain,
      queues: queues.length > 0 ? queues : undefined,
      topics: topics.length > 0 ? topics : undefined,
      producers,
      consumers,
      faults: faults.length > 0 ? faults : undefined,
      expect: plan.expect,
      limits: plan.limits,
    });
  });

// ---------------------------------------------------------------------------------------------
// The loader's cases.

const FILES = ["fuzz.yaml", "some dir/fuzz case.yml", "x.json", "./a:b.yaml"];

/** What mutations start from: a bundled scenario (or the doc's example), or a generated one. */
const startingDocument: fc.Arbitrary<{ generated: boolean; doc: Json }> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .nat({ max: SEED_DOCUMENTS.length - 1 })
      .map((i) => ({ generated: false, doc: SEED_DOCUMENTS[i].doc })),
  },
  { weight: 2, arbitrary: generatedDocument.map((doc) => ({ generated: true, doc })) },
);

const mutated: fc.Arbitrary<Omit<LoaderCase, "file" | "overrides"> & { doc: Json }> = fc
  .record({
    start: startingDocument,
    // No mutation at times, so that valid documents (and --set on them) are checked too.
    mutations: fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 4 })),
    format: fc.constantFrom<Format>("block", "block", "flow", "json"),
    edit: textEdit,
  })
  .map(({ start, mutations, format, edit }) => {
    const root = { doc: copy(start.doc) };
    for (const m of mutations) applyMutation(root, m);
    return {
      origin: start.generated ? ("generated" as const) : ("mutated" as const),
      doc: root.doc,
      text: applyTextEdit(write(root.doc, format), edit),
    };
  });

const raw = fc.oneof(
  tokenText.map((t) => ({ origin: "text" as const, doc: null as Json, text: t })),
  hostile.map((t) => ({ origin: "hostile" as const, doc: parse(SMALL_VALID) as Json, text: t })),
);

export const loaderCase: fc.Arbitrary<LoaderCase> = fc
  .record({
    source: fc.oneof({ weight: 8, arbitrary: mutated }, { weight: 2, arbitrary: raw }),
    file: fc.constantFrom(...FILES),
    overrides: fc.oneof(
      { weight: 2, arbitrary: fc.constant<OverridePlan[]>([]) },
      { weight: 1, arbitrary: fc.array(overridePlan, { minLength: 1, maxLength: 3 }) },
    ),
  })
  .map(({ source, file, overrides }) => ({
    origin: source.origin,
    file,
    text: source.text,
    overrides: overrides.map((plan) => overrideArgument(source.doc, plan)),
  }));

// ---------------------------------------------------------------------------------------------
// Valid scenarios with small rates and counts, to be run.

const smallDuration = fc.constantFrom("0s", "1us", "1ms", "100ms", "1s", "3s");
const positiveDuration = fc.constantFrom("1us", "1ms", "50ms", "1s", "3s");

/**
 * Valid distributions whose samples can overflow to Infinity (lognormal mu 700, pareto shape
 * 0.05): the loader accepts them, and the kernel refuses an infinite delay with a plain Error.
 * Only `npm run fuzz --extreme` draws them, until that is settled in the models.
 */
const overflowingDistribution = fc.constantFrom<Json>(
  { lognormal: { mu: 700, sigma: 5 } },
  { pareto: { scale: "1ms", shape: 0.05 } },
);

function runnableDistribution(extreme: boolean): fc.Arbitrary<Json> {
  const ordinary = fc.oneof(
    smallDuration,
    positiveDuration.map((mean) => ({ exponential: mean })),
    fc.constant({ uniform: ["0s", "100ms"] }),
    fc.constant({ normal: { mean: "10ms", stddev: "50ms" } }),
    fc.constant({ lognormal: { median: "10ms", p99: "1s" } }),
    fc.constant({ lognormal: { mu: -4, sigma: 0.5 } }),
    fc.constantFrom(0.5, 2.5).map((shape) => ({ pareto: { scale: "1ms", shape } })),
    fc.constant({ empirical: ["0s", "1ms", "2s"] }),
  ) as fc.Arbitrary<Json>;
  return extreme
    ? fc.oneof(
        { weight: 8, arbitrary: ordinary },
        { weight: 1, arbitrary: overflowingDistribution },
      )
    : ordinary;
}

const probability = fc.constantFrom(0, "0.1%", "10%", "50%", 1);
const smallRate = fc.constantFrom("0/s", "0.5/s", "5/s", "20/s");
/** Routing keys and topic binding patterns, some matching each other, some nothing. */
const ROUTING_KEYS = ["a.b", "a", "c.d.e", "b"] as const;
const TOPIC_PATTERNS = ["a.*", "#", "*.d.#", "b"] as const;

export interface RunnableScenario {
  text: string;
}

/** `extreme`: draw distributions whose samples can overflow too (see overflowingDistribution). */
export function runnableScenario(extreme = false): fc.Arbitrary<RunnableScenario> {
  const distribution = runnableDistribution(extreme);
  return fc
    .record({
      queues: fc.array(
        fc.record({
          visibilityTimeout: fc.constantFrom("1ms", "100ms", "1s", "30s"),
          maxReceives: fc.option(fc.integer({ min: 1, max: 5 })),
          maxInFlight: fc.option(fc.integer({ min: 1, max: 5 })),
          dispatchLimit: fc.option(
            fc.record({
              rate: fc.constantFrom("1/s", "50/s"),
              burst: fc.integer({ min: 1, max: 3 }),
            }),
          ),
          orderingKeys: fc.boolean(),
          redeliveryBackoff: fc.option(
            fc.constantFrom<Json>(
              "cloud-tasks",
              { fixed: "1s" },
              { exponential: { base: "10ms" } },
            ),
          ),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      producers: fc.array(
        fc.record({
          to: fc.nat(),
          load: fc.oneof(
            smallRate.map((rate) => ({ rate })),
            fc
              .record({
                phases: fc.array(fc.record({ for: positiveDuration, rate: smallRate }), {
                  minLength: 1,
                  maxLength: 3,
                }),
                repeat: fc.boolean(),
              })
              .map((p) => p as Json),
          ),
          arrivals: fc.constantFrom("poisson", "constant"),
          start: fc.constantFrom("0s", "1s", "9s"),
          keys: fc.option(
            fc.oneof(
              fc.record({ count: fc.integer({ min: 1, max: 100 }) }),
              fc.record({
                count: fc.integer({ min: 1, max: 100 }),
                skew: fc.constant("zipf"),
                exponent: fc.constantFrom(0.1, 1, 3),
              }),
            ),
          ),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      consumers: fc.array(
        fc.record({
          queue: fc.nat(),
          count: fc.integer({ min: 1, max: 5 }),
          concurrency: fc.integer({ min: 1, max: 3 }),
          extraPrefetch: fc.integer({ min: 0, max: 2 }),
          forward: fc.boolean(),
          processing: distribution,
          failure: probability,
          onFailure: fc.constantFrom("nack", "timeout"),
          nackDelay: smallDuration,
          leaseExtension: fc.option(fc.constantFrom("1s", "1m")),
          autoscale: fc.option(
            fc.record({
              metric: fc.constantFrom("depth", "oldestAge"),
              target: fc.constantFrom(1, 3),
              interval: fc.constantFrom("500ms", "2s"),
              coldStart: fc.constantFrom("0s", "500ms", "3s"),
              scaleDownStabilization: fc.constantFrom("0s", "2s"),
              cooldown: fc.constantFrom("0s", "1s"),
            }),
          ),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      alerts: fc.array(
        fc.record({
          on: fc.constantFrom("depth", "inFlight", "dlqDepth", "oldestAge"),
          above: fc.constantFrom(0, 2),
          for: fc.constantFrom("0s", "1s"),
          keepFiringFor: fc.constantFrom("0s", "2s"),
          interval: fc.constantFrom("300ms", "1s"),
        }),
        { maxLength: 2 },
      ),
      links: fc.array(
        fc.record({
          from: fc.nat(),
          to: fc.nat(),
          between: fc.boolean(),
          latency: fc.option(distribution),
          loss: probability,
          duplicate: probability,
        }),
        { maxLength: 3 },
      ),
      // A RabbitMQ exchange over the queues, which producers may publish to.
      exchange: fc.option(
        fc.record({
          type: fc.constantFrom("direct", "fanout", "topic"),
          bindings: fc.array(fc.record({ queue: fc.nat(), key: fc.nat() }), { maxLength: 4 }),
          alternate: fc.option(fc.nat()),
          routingKeys: fc.uniqueArray(fc.constantFrom(...ROUTING_KEYS), {
            minLength: 1,
            maxLength: 3,
          }),
          weights: fc.array(fc.constantFrom(1, 2, 0.5), { minLength: 3, maxLength: 3 }),
        }),
      ),
      drain: fc.constantFrom("0s", "2s", "5s"),
      warmup: fc.constantFrom("0s", "1s", "9s"),
      sampleInterval: fc.constantFrom("auto", "1ms", "100ms", "1s", "10s"),
      seed: fc.nat({ max: 1000 }),
      variants: fc.array(fc.record({ count: fc.integer({ min: 1, max: 5 }), loss: probability }), {
        maxLength: 2,
      }),
    })
    .map((plan) => {
      const queues = plan.queues.map((q, i) => ({
        name: `q${i}`,
        visibilityTimeout: q.visibilityTimeout,
        ...(q.maxReceives === null ? {} : { maxReceives: q.maxReceives }),
        ...(q.maxInFlight === null ? {} : { maxInFlight: q.maxInFlight }),
        ...(q.dispatchLimit === null ? {} : { dispatchLimit: q.dispatchLimit }),
        ...(q.redeliveryBackoff === null ? {} : { redeliveryBackoff: q.redeliveryBackoff }),
        ...(q.orderingKeys ? { orderingKeys: true } : {}),
      }));
      const x = plan.exchange;
      const exchanges =
        x === null
          ? []
          : [
              {
                name: "x0",
                type: x.type,
                bindings: x.bindings.map((b) => ({
                  queue: `q${b.queue % queues.length}`,
                  ...(x.type === "fanout"
                    ? {}
                    : { key: (x.type === "topic" ? TOPIC_PATTERNS : ROUTING_KEYS)[b.key % 4] }),
                })),
                ...(x.alternate === null ? {} : { alternate: `q${x.alternate % queues.length}` }),
              },
            ];
      // Producers publish to a queue, or (one in every queue count + 1) to the exchange.
      const targetOf = (to: number) =>
        x !== null && to % (queues.length + 1) === queues.length ? "x0" : `q${to % queues.length}`;
      const routingKeys =
        x === null || x.type === "fanout"
          ? {}
          : {
              routingKeys: Object.fromEntries(x.routingKeys.map((key, i) => [key, x.weights[i]])),
            };
      const producers = plan.producers.map((p, i) => ({
        name: `p${i}`,
        to: targetOf(p.to),
        ...(targetOf(p.to) === "x0" ? routingKeys : {}),
        arrivals: p.arrivals,
        start: p.start,
        ...(p.load as { [key: string]: Json }),
        ...(p.keys === null ? {} : { keys: p.keys }),
      }));
      const consumers = plan.consumers.map((c, i) => ({
        name: `c${i}`,
        queue: `q${c.queue % queues.length}`,
        count: c.count,
        concurrency: c.concurrency,
        prefetch: c.concurrency + c.extraPrefetch,
        // Forwarding only to a later queue: a pipeline, never a ring (which the loader refuses).
        ...(c.forward && c.queue % queues.length < queues.length - 1
          ? { forwardTo: `q${(c.queue % queues.length) + 1}` }
          : {}),
        processing: c.processing,
        failure: c.failure,
        onFailure: c.onFailure,
        ...(c.onFailure === "nack" ? { nackDelay: c.nackDelay } : {}),
        ...(c.leaseExtension === null ? {} : { leaseExtension: c.leaseExtension }),
        // max 8: variants set counts up to 5.
        ...(c.autoscale === null
          ? {}
          : {
              autoscale: {
                ...c.autoscale,
                target:
                  c.autoscale.metric === "oldestAge"
                    ? `${c.autoscale.target}s`
                    : c.autoscale.target,
                max: 8,
              },
            }),
      }));
      const alerts = plan.alerts.map((a, i) => ({
        name: `a${i}`,
        queue: "q0",
        ...a,
        above: a.on === "oldestAge" ? `${a.above}s` : a.above,
      }));
      const names = [...queues, ...exchanges, ...producers, ...consumers].map((c) => c.name);
      const seen = new Set<string>();
      const links = plan.links.flatMap((l) => {
        const from = names[l.from % names.length];
        const to = names[l.to % names.length];
        const ids = l.between ? [`${from}>${to}`, `${to}>${from}`] : [`${from}>${to}`];
        if (from === to || ids.some((id) => seen.has(id))) return [];
        for (const id of ids) seen.add(id);
        const ends = l.between ? { between: [from, to] } : { from, to };
        return [
          {
            ...ends,
            ...(l.latency === null ? {} : { latency: l.latency }),
            loss: l.loss,
            duplicate: l.duplicate,
          },
        ];
      });
      const doc = {
        name: "fuzz-run",
        seed: plan.seed,
        duration: "10s",
        drain: plan.drain,
        warmup: plan.warmup,
        sampleInterval: plan.sampleInterval,
        queues,
        ...(exchanges.length === 0 ? {} : { exchanges }),
        producers,
        consumers,
        links,
        ...(alerts.length === 0 ? {} : { alerts }),
        expect: { "fates.lost": 0 },
        ...(plan.variants.length === 0
          ? {}
          : {
              variants: plan.variants.map((v, i) => ({
                name: `v${i}`,
                set: {
                  "consumers.c0.count": v.count,
                  ...(links.length > 0 ? { "links.0.loss": v.loss } : {}),
                },
              })),
            }),
      };
      return { text: write(doc as unknown as Json, "block") };
    });
}

/** A case as text a person can paste into a file and a command line. */
export function describeCase(c: LoaderCase): string {
  const sets = c.overrides.map((o) => ` --set ${JSON.stringify(o)}`).join("");
  return `file ${JSON.stringify(c.file)} (${c.origin})${sets}\n--- text ---\n${c.text}\n--- end ---`;
}
