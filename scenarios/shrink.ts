/**
 * `queuelab shrink`: from a run that breaks an expectation, a smaller scenario that still breaks
 * the same one. Greedy reduction over the variant's own document: fewer faults (delta debugging:
 * halves of the fault list first, then one at a time), fewer links, producers and consumers,
 * lower rates, fewer instances, a shorter duration and drain. A candidate is kept when it still
 * loads and the same expectation (by its text) still fails at the same seed. Deterministic: the
 * same failing run always shrinks to the same file.
 */
import { stringify } from "yaml";
import { simulate } from "../models/simulation.ts";
import { ScenarioError } from "./errors.ts";
import { loadScenarioText, variantDocument } from "./loader.ts";

type Doc = Record<string, unknown>;

export interface ShrinkOptions {
  text: string;
  file: string;
  variant: string;
  seed: number;
  /** Runs of candidates at most (each a simulation). */
  maxRuns?: number;
  onRun?: (runs: number, kept: string) => void;
}

export interface ShrinkResult {
  /** The expectation that fails, as written. */
  expectation: string;
  /** The shrunk scenario, as YAML text (with a header comment). */
  text: string;
  /** What was removed or reduced, in order. */
  steps: string[];
  runs: number;
}

/** Null when the variant breaks no expectation at this seed (nothing to shrink). */
export function shrink(options: ShrinkOptions): ShrinkResult | null {
  const maxRuns = options.maxRuns ?? 500;
  let doc = variantDocument(options.text, options.file, options.variant) as Doc;
  const failing = failedExpectation(doc, options);
  if (failing === null) return null;
  let runs = 1;
  const steps: string[] = [];
  let progress = true;
  while (progress && runs < maxRuns) {
    progress = false;
    for (const candidate of candidates(doc)) {
      if (runs >= maxRuns) break;
      runs++;
      if (failedExpectation(candidate.doc, options) === failing) {
        doc = candidate.doc;
        steps.push(candidate.step);
        options.onRun?.(runs, candidate.step);
        progress = true;
        break; // start again from the smaller document
      }
    }
  }
  const header = [
    `Shrunk by queuelab from ${options.file} (variant ${options.variant}, seed ${options.seed}).`,
    `It still fails: ${failing}`,
    ...(steps.length === 0
      ? ["Nothing could be removed."]
      : ["Removed or reduced:", ...steps.map((s) => `- ${s}`)]),
  ]
    .map((line) => `# ${line}`)
    .join("\n");
  const body = stringify({ ...doc, name: `${String(doc.name)}-shrunk`, seed: options.seed });
  return { expectation: failing, text: `${header}\n${body}`, steps, runs };
}

/** The text of the first expectation the document's run breaks, or null (or if it does not load). */
function failedExpectation(doc: Doc, options: ShrinkOptions): string | null {
  let loaded: ReturnType<typeof loadScenarioText>;
  try {
    loaded = loadScenarioText(stringify(doc), options.file);
  } catch (error) {
    if (error instanceof ScenarioError) return null;
    throw error;
  }
  const variant = loaded.variants[0];
  const summary = simulate(variant.config, {
    seed: options.seed,
    variantName: variant.name,
  }).summary;
  return summary.expectations.find((e) => !e.passed)?.text ?? null;
}

interface Candidate {
  doc: Doc;
  step: string;
}

/** Smaller documents, most reducing first. */
function* candidates(doc: Doc): Generator<Candidate> {
  yield* listReductions(doc, "faults", "fault");
  yield* listReductions(doc, "links", "link");
  for (const key of ["producers", "consumers", "callers"]) {
    const items = doc[key];
    if (Array.isArray(items) && items.length > 1) yield* listReductions(doc, key, key.slice(0, -1));
  }
  for (const key of ["producers", "callers"]) {
    const items = doc[key];
    if (!Array.isArray(items)) continue;
    for (const [i, item] of items.entries()) {
      for (const field of ["rate", "count"]) {
        const halved = halve((item as Doc)[field]);
        if (halved === null) continue;
        const copy = structuredClone(doc);
        ((copy[key] as Doc[])[i] as Doc)[field] = halved;
        yield { doc: copy, step: `${key}.${nameOf(item, i)}.${field}: ${halved}` };
      }
    }
  }
  const consumers = doc.consumers;
  if (Array.isArray(consumers)) {
    for (const [i, item] of consumers.entries()) {
      const halved = halve((item as Doc).count ?? 1);
      if (halved === null || Number(halved) < 1) continue;
      const copy = structuredClone(doc);
      ((copy.consumers as Doc[])[i] as Doc).count = halved;
      yield { doc: copy, step: `consumers.${nameOf(item, i)}.count: ${halved}` };
    }
  }
  for (const key of ["duration", "drain"]) {
    const halved = halve(doc[key]);
    if (halved === null) continue;
    yield { doc: { ...structuredClone(doc), [key]: halved }, step: `${key}: ${halved}` };
  }
}

/** Without halves of the list, then without each item (delta debugging's first rounds). */
function* listReductions(doc: Doc, key: string, what: string): Generator<Candidate> {
  const items = doc[key];
  if (!Array.isArray(items) || items.length === 0) return;
  if (items.length > 1) {
    const half = Math.ceil(items.length / 2);
    yield {
      doc: { ...structuredClone(doc), [key]: items.slice(half) },
      step: `the first ${half} ${key}`,
    };
    yield {
      doc: { ...structuredClone(doc), [key]: items.slice(0, half) },
      step: `the last ${items.length - half} ${key}`,
    };
  }
  for (let i = 0; i < items.length; i++) {
    const rest = items.filter((_, j) => j !== i);
    yield { doc: { ...structuredClone(doc), [key]: rest }, step: `${what} ${nameOf(items[i], i)}` };
  }
}

function nameOf(item: unknown, index: number): string {
  const name = (item as Doc | null)?.name;
  return typeof name === "string" ? name : String(index);
}

/**
 * Half of a quantity as written: `100/s` is `50/s`, `10m` is `5m`, 8 is 4 (whole numbers stay
 * whole); null when it cannot be halved (not a number, or under 2 of its unit: halving `1m`
 * again and again would only make the file harder to read).
 */
export function halve(value: unknown): string | number | null {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value > 1 ? Math.floor(value / 2) : null;
    return value >= 2 ? value / 2 : null;
  }
  if (typeof value !== "string") return null;
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z/%]*)$/.exec(value.trim());
  if (match === null) return null;
  const number = Number(match[1]);
  if (!(number >= 2)) return null;
  return `${number / 2}${match[2]}`;
}
