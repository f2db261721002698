/**
 * The `contention:` block: clients contending on one optimistic-concurrency row
 * (models/contention.ts), after the AWS "Exponential Backoff And Jitter" study.
 *
 * ```yaml
 * contention:
 *   clients: [10, 20, 30]        # or one number
 *   hop: { normal: { mean: 10ms, stddev: 2ms } }
 *   retry: { backoff: { exponential: { base: 10ms, cap: 2s } }, jitter: full }
 *   repetitions: 10
 * ```
 */
import type { ContentionConfig } from "../models/contention.ts";
import { readDistribution } from "./distribution-syntax.ts";
import { Fields, fail, failWith, joinPath, readWholeNumber } from "./fields.ts";
import { isAbsent, type RawNode } from "./raw.ts";
import { MAX_ATTEMPTS_MAX, readRetryPolicy } from "./retry.ts";

export const CONTENTION_KEYS = ["clients", "hop", "retry", "repetitions"];
const EXPECTED = "a contention block { clients, hop, retry, repetitions }";
/** With no backoff a contest of n clients sends up to n^2 writes: keep a run finite. */
export const CONTENTION_CLIENTS_MAX = 10_000;
export const CONTENTION_COUNTS_MAX = 100;
export const CONTENTION_REPETITIONS_MAX = 10_000;
export const CONTENTION_REPETITIONS_DEFAULT = 10;
/** The study's network: |normal(10 ms, 2 ms)| each way. */
export const CONTENTION_HOP_DEFAULT = { kind: "normal", mean: 0.01, stddev: 0.002 } as const;

export function readContention(node: RawNode, path: string): ContentionConfig {
  const fields = Fields.open(node, path, CONTENTION_KEYS, EXPECTED);
  const clientCounts = readClientCounts(
    fields.required("clients", "a number of clients or a list of them"),
    fields.pathOf("clients"),
  );
  const hop = fields.read("hop", readDistribution, { ...CONTENTION_HOP_DEFAULT });
  const retryNode = fields.required("retry", "a retry policy");
  const retry = readRetryPolicy(retryNode, fields.pathOf("retry"));
  if (retry.circuitBreaker !== null) {
    failWith(
      retryNode,
      fields.pathOf("retry"),
      "a retry policy without a circuit breaker",
      "each contending client makes one request: a circuit breaker has no stream of calls to judge",
    );
  }
  // The study's clients retry until they succeed: attempts are unlimited unless the file (or a
  // preset it names) says otherwise.
  const attemptsGiven =
    retryNode.kind !== "map" ||
    retryNode.entries.some(
      (e) => (e.key === "preset" || e.key === "maxAttempts") && !isAbsent(e.value),
    );
  if (!attemptsGiven) retry.maxAttempts = MAX_ATTEMPTS_MAX;
  const repetitions = fields.read(
    "repetitions",
    (n, p) => readWholeNumber(n, p, 1, CONTENTION_REPETITIONS_MAX),
    CONTENTION_REPETITIONS_DEFAULT,
  );
  return { clientCounts, hop, retry, repetitions };
}

/** One count, or a list of counts in increasing order. */
function readClientCounts(node: RawNode, path: string): number[] {
  const readCount = (n: RawNode, p: string) => readWholeNumber(n, p, 1, CONTENTION_CLIENTS_MAX);
  if (node.kind !== "list") return [readCount(node, path)];
  const expected = `a list of 1 to ${CONTENTION_COUNTS_MAX} client counts in increasing order`;
  if (node.items.length === 0 || node.items.length > CONTENTION_COUNTS_MAX) {
    fail(node, path, expected);
  }
  const counts = node.items.map((item, i) => readCount(item, joinPath(path, i)));
  counts.forEach((count, i) => {
    if (i > 0 && count <= counts[i - 1]) {
      failWith(
        node.items[i],
        joinPath(path, i),
        expected,
        `${count} comes after ${counts[i - 1]}: list the client counts in increasing order`,
      );
    }
  });
  return counts;
}
