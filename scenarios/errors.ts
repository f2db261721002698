/**
 * The one error type of the scenario language: it names the file, line, column and field, and
 * its message is a single line a user can paste into an editor's "go to" box.
 */

/** Where a piece of the scenario came from: a place in a file, or a `--set` argument. */
export interface SourceLocation {
  file: string;
  /** 1-based; null when the text did not come from the file (a `--set`). */
  line: number | null;
  column: number | null;
  /** `--set path=value` when the value came from the command line; null for the file. */
  origin: string | null;
}

export interface ScenarioErrorDetail {
  at: SourceLocation;
  /** Field path in override notation (`consumers.workers.count`); "" for the whole file. */
  path: string;
  /** What the field should have held, e.g. "a whole number >= 1". */
  expected: string;
  /** What it held, as written; omitted when `problem` says it all. */
  got?: string;
  /** A complete description that replaces "expected ..., got ...". */
  problem?: string;
  /** The variant being expanded when the error was found, when the file names variants. */
  variant?: string | null;
}

export class ScenarioError extends Error {
  readonly file: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly path: string;
  readonly expected: string;
  readonly origin: string | null;
  readonly variant: string | null;
  readonly detail: ScenarioErrorDetail;

  constructor(detail: ScenarioErrorDetail) {
    super(formatScenarioError(detail));
    this.detail = detail;
    this.name = "ScenarioError";
    this.file = detail.at.file;
    this.line = detail.at.line;
    this.column = detail.at.column;
    this.path = detail.path;
    this.expected = detail.expected;
    this.origin = detail.at.origin;
    this.variant = detail.variant ?? null;
  }

  /** The same error, saying which variant was being expanded. */
  inVariant(variant: string): ScenarioError {
    return new ScenarioError({ ...this.detail, variant });
  }
}

/** A `--set` argument is shown whole up to this length; its path is in the message anyway. */
const ORIGIN_SHOWN_MAX = 100;

function shortened(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function formatScenarioError(detail: ScenarioErrorDetail): string {
  const { at } = detail;
  let where = at.file;
  if (at.line !== null) where += `:${at.line}:${at.column ?? 1}`;
  if (at.origin !== null) where += `: ${shortened(at.origin, ORIGIN_SHOWN_MAX)}`;
  const what = detail.problem ?? `expected ${detail.expected}, got ${detail.got ?? "nothing"}`;
  const field = detail.path === "" ? "" : `${detail.path}: `;
  const variant = detail.variant ? ` (variant '${detail.variant}')` : "";
  return oneLine(`${where}: ${field}${what}${variant}`);
}

/**
 * One line, safe to print: line breaks (any kind) become a space, and other control characters
 * from the file (an escape sequence in a key; tabs stay) are shown as `\u001b` rather than sent
 * to the terminal.
 */
function oneLine(text: string): string {
  let out = "";
  for (const c of text.replace(/\s*[\n\r\u0085\u2028\u2029]\s*/g, " ")) {
    const code = c.charCodeAt(0);
    const control = (code < 0x20 && c !== "\t") || (code >= 0x7f && code <= 0x9f);
    out += control ? `\\u${code.toString(16).padStart(4, "0")}` : c;
  }
  return out;
}

/** A location for errors about the file as a whole. */
export function fileLocation(file: string): SourceLocation {
  return { file, line: null, column: null, origin: null };
}
