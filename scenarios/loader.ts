/**
 * Loading a scenario: read, parse, apply `--set` overrides to the base, expand each variant
 * (base + its `set`) and validate every variant. Errors are ScenarioErrors (one line each).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioConfig } from "../models/config.ts";
import { fileLocation, ScenarioError } from "./errors.ts";
import { Fields, fail, failWith, joinPath, readName, readText } from "./fields.ts";
import { applyOverride, type Override, parseCommandLineOverride } from "./overrides.ts";
import {
  cloneRaw,
  entryOf,
  isAbsent,
  parseRawText,
  type RawMap,
  type RawNode,
  SCENARIO_TEXT_MAX,
} from "./raw.ts";
import { itemLabel, readScenarioConfig, SCENARIO_EXPECTED } from "./schema.ts";
import { suggestionSuffix } from "./suggest.ts";

export interface LoadedVariant {
  name: string;
  description: string;
  config: ScenarioConfig;
}

export interface LoadedScenario {
  file: string;
  name: string;
  description: string;
  seed: number;
  variants: LoadedVariant[];
}

export interface BundledScenario {
  /** What `resolveScenarioPath` accepts: the file name without `.yaml`. */
  name: string;
  file: string;
  description: string;
}

/** The name of the only variant of a file that lists none. */
export const BASE_VARIANT_NAME = "base";
const VARIANT_KEYS = ["name", "description", "set"];
const VARIANTS_MAX = 100;
/** Every variant runs with the same name and seed, so that comparisons are fair. */
const PATHS_VARIANTS_CANNOT_SET = ["name", "seed", "variants"];

interface VariantDefinition {
  name: string;
  description: string;
  overrides: Override[];
}

/** Reads, parses, applies `--set` overrides ("path=value") to the base and expands the variants. */
export function loadScenario(file: string, overrides: string[] = []): LoadedScenario {
  let text: string;
  try {
    // Measured before reading, so a huge file is refused without filling memory.
    const bytes = statSync(file).size;
    if (bytes > SCENARIO_TEXT_MAX) {
      throw new ScenarioError({
        at: fileLocation(file),
        path: "",
        expected: `a scenario file of at most ${SCENARIO_TEXT_MAX} bytes`,
        got: `${bytes} bytes`,
      });
    }
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof ScenarioError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ScenarioError({
      at: fileLocation(file),
      path: "",
      expected: "a readable scenario file",
      problem: `cannot read the scenario file (${reason})`,
    });
  }
  return loadScenarioText(text, file, overrides);
}

export function loadScenarioText(
  text: string,
  file: string,
  overrides: string[] = [],
): LoadedScenario {
  const root = parseRawText(text, file);
  if (root.kind !== "map") fail(root, "", SCENARIO_EXPECTED);
  const definitions = readVariantDefinitions(root);
  root.entries = root.entries.filter((e) => e.key !== "variants");
  for (const argument of overrides) {
    const override = parseCommandLineOverride(argument, file);
    if (override.path.split(".")[0] === "variants") {
      failWith(
        override.value,
        override.path,
        "a path outside variants",
        "--set cannot change variants; edit the file",
      );
    }
    applyOverride(root, override);
  }
  const named = definitions !== null;
  const variants = (
    definitions ?? [{ name: BASE_VARIANT_NAME, description: "", overrides: [] }]
  ).map((definition) => expandVariant(root, definition, named));
  const { name, description, seed } = variants[0].config;
  return { file, name, description, seed, variants };
}

/**
 * One variant of a scenario text as a plain document of its own: the base with the variant's
 * overrides applied, and no `variants` (what `queuelab shrink` starts from and writes back).
 */
export function variantDocument(text: string, file: string, variantName: string): unknown {
  const root = parseRawText(text, file);
  if (root.kind !== "map") fail(root, "", SCENARIO_EXPECTED);
  const definitions = readVariantDefinitions(root) ?? [];
  root.entries = root.entries.filter((e) => e.key !== "variants");
  const definition = definitions.find((d) => d.name === variantName);
  const doc = cloneRaw(root) as RawMap;
  for (const override of definition?.overrides ?? []) applyOverride(doc, override);
  return plainOf(doc);
}

/** A raw node as plain data (scalars as written, so `30s` stays `30s`). */
function plainOf(node: RawNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "list") return node.items.map(plainOf);
  return Object.fromEntries(node.entries.map((entry) => [entry.key, plainOf(entry.value)]));
}

function expandVariant(base: RawMap, definition: VariantDefinition, named: boolean): LoadedVariant {
  const doc = cloneRaw(base) as RawMap;
  try {
    for (const override of definition.overrides) applyOverride(doc, override);
    const config = readScenarioConfig(doc);
    return { name: definition.name, description: definition.description, config };
  } catch (error) {
    if (named && error instanceof ScenarioError) throw error.inVariant(definition.name);
    throw error;
  }
}

/** The file's `variants`, or null when it has none. */
function readVariantDefinitions(root: RawMap): VariantDefinition[] | null {
  const node = entryOf(root, "variants")?.value;
  if (node === undefined || isAbsent(node)) return null;
  const expected = "a list of variants { name, description, set }";
  if (node.kind !== "list") fail(node, "variants", expected);
  if (node.items.length === 0) return null;
  if (node.items.length > VARIANTS_MAX) fail(node, "variants", `at most ${VARIANTS_MAX} variants`);
  const seen = new Set<string>();
  return node.items.map((item, i) => {
    const path = joinPath("variants", itemLabel(item, i));
    const fields = Fields.open(item, path, VARIANT_KEYS, "a variant { name, description, set }");
    const nameNode = fields.required("name", "a variant name");
    const name = readName(nameNode, fields.pathOf("name"));
    if (seen.has(name)) {
      failWith(
        nameNode,
        fields.pathOf("name"),
        "a unique name",
        `there is already a variant named '${name}'`,
      );
    }
    seen.add(name);
    const description = fields.read("description", readText, "");
    const overrides = fields.read("set", readSet, []);
    return { name, description, overrides };
  });
}

/** `set: { consumers.workers.count: 12, ... }`: each entry an override pointing at its own line. */
function readSet(node: RawNode, path: string): Override[] {
  if (node.kind !== "map")
    fail(node, path, "a mapping of path: value, like { consumers.workers.count: 12 }");
  return node.entries.map((entry) => {
    const first = entry.key.split(".")[0];
    if (PATHS_VARIANTS_CANNOT_SET.includes(first)) {
      throw new ScenarioError({
        at: entry.keyAt,
        path: joinPath(path, entry.key),
        expected: "a path other than name, seed or variants",
        problem: `a variant cannot change '${first}': all variants share the scenario's name and seed`,
      });
    }
    return { path: entry.key, value: entry.value, at: entry.keyAt };
  });
}

/** The folder of this module, which holds the bundled scenario files. */
function bundledFolder(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** The .yaml files bundled in scenarios/, sorted by name. */
export function listBundledScenarios(): BundledScenario[] {
  const folder = bundledFolder();
  return readdirSync(folder)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const file = join(folder, f);
      return { name: basename(f, ".yaml"), file, description: descriptionOf(file) };
    });
}

/** The description without validating the whole file: a listing must not fail on one bad file. */
function descriptionOf(file: string): string {
  try {
    const root = parseRawText(readFileSync(file, "utf8"), file);
    const value = root.kind === "map" ? entryOf(root, "description")?.value : undefined;
    return value?.kind === "scalar" && typeof value.value === "string" ? value.value : "";
  } catch {
    return "";
  }
}

/** A path to a file, or the name of a bundled scenario ("mmc" is <package>/scenarios/mmc.yaml). */
export function resolveScenarioPath(nameOrPath: string): string {
  if (existsSync(nameOrPath) && statSync(nameOrPath).isFile()) return nameOrPath;
  const bundled = listBundledScenarios();
  const name = basename(nameOrPath).replace(/\.(yaml|yml|json)$/, "");
  const looksLikeName = !/[/\\]/.test(nameOrPath);
  const match = looksLikeName ? bundled.find((b) => b.name === name) : undefined;
  if (match !== undefined) return match.file;
  const names = bundled.map((b) => b.name);
  const hint = suggestionSuffix(name, names);
  throw new ScenarioError({
    at: fileLocation(nameOrPath),
    path: "",
    expected: "a scenario file or the name of a bundled scenario",
    problem: `no such file, and no bundled scenario named '${name}'${hint.startsWith(",") ? hint : ` (bundled: ${names.join(", ")})`}`,
  });
}
