/** "Did you mean ...?" by edit distance, for unknown keys, names and paths. */

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

const SUGGEST_LENGTH_MAX = 100;

/** The closest candidate, when it is close enough to be a likely typo; else null. */
export function closestMatch(word: string, candidates: readonly string[]): string | null {
  const lower = word.toLowerCase();
  const sameIgnoringCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameIgnoringCase !== undefined) return sameIgnoringCase;
  // Nobody mistypes a word this long; and the distance costs length x length.
  if (word.length > SUGGEST_LENGTH_MAX) return null;
  // Short words get fewer edits, or every two-letter key would "match" every other one.
  const editsMax = word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3;
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: skip what cannot be close enough.
    if (Math.abs(candidate.length - word.length) > editsMax) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= editsMax ? best : null;
}

/** ", did you mean 'x'?" or, with no close match, " (expected one of: a, b, c)". */
export function suggestionSuffix(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  if (match !== null) return `, did you mean '${match}'?`;
  if (candidates.length === 0) return "";
  return ` (expected one of: ${candidates.join(", ")})`;
}
