/**
 * The scenario syntax of calls to downstream services: a consumer's `calls`, a downstream's
 * `calls` (the layer below it), and the `callers` list (closed-loop callers).
 *
 * ```yaml
 * calls: { service: payments, timeout: 1s, retry: aws-standard, retryAt: consumer }
 * callers: [{ name: users, count: 100, think: { exponential: 1s }, calls: { service: frontend, timeout: 2s } }]
 * ```
 */
import type { CallConfig, CallerConfig, ConsumerCallConfig } from "../models/config.ts";
import type { Context } from "./components.ts";
import { readDistribution } from "./distribution-syntax.ts";
import { Fields, readChoice, readDurationS, readName, readWholeNumber } from "./fields.ts";
import type { RawNode } from "./raw.ts";
import { RETRY_POLICY_DEFAULT, readRetryPolicy } from "./retry.ts";

const CALL_KEYS = ["service", "timeout", "retry"];
export const CALLER_KEYS = ["name", "count", "think", "start", "calls"];
export const CALLERS_MAX = 1_000_000;
const CALL_EXPECTED = "a call { service, timeout, retry }";

/** A downstream's (or a caller's) call to a service. */
export function readCall(node: RawNode, path: string, ctx: Context): CallConfig {
  return readCallFields(Fields.open(node, path, CALL_KEYS, CALL_EXPECTED), ctx);
}

/** A consumer's call: also where a failed call is retried. */
export function readConsumerCall(node: RawNode, path: string, ctx: Context): ConsumerCallConfig {
  const fields = Fields.open(
    node,
    path,
    [...CALL_KEYS, "retryAt"],
    "a call { service, timeout, retry, retryAt }",
  );
  const call = readCallFields(fields, ctx);
  const retryAt = fields.read(
    "retryAt",
    (n, p) => readChoice(n, p, ["consumer", "broker", "requeue"] as const),
    "consumer",
  );
  return { ...call, retryAt };
}

function readCallFields(fields: Fields, ctx: Context): CallConfig {
  const serviceNode = fields.required("service", "the name of a downstream");
  const target = readName(serviceNode, fields.pathOf("service"));
  ctx.names.expect(target, ["downstream"], serviceNode, fields.pathOf("service"));
  const timeoutS = fields.read<number | null>(
    "timeout",
    (n, p) =>
      n.kind === "scalar" && n.value === "none" ? null : readDurationS(n, p, { exclusive: true }),
    null,
  );
  const retry = fields.read("retry", readRetryPolicy, RETRY_POLICY_DEFAULT);
  return { target, timeoutS, retry };
}

export function readCaller(fields: Fields, name: string, ctx: Context): CallerConfig {
  const count = fields.read("count", (n, p) => readWholeNumber(n, p, 1, CALLERS_MAX), 1);
  const thinkTime = readDistribution(
    fields.required("think", "a distribution like { exponential: 1s }"),
    fields.pathOf("think"),
  );
  const startS = fields.read("start", readDurationS, 0);
  if (startS >= ctx.durationS) {
    fields.refuse(
      "start",
      "a start before the end of duration",
      `starts at ${startS}s, at or after the end of duration (${ctx.durationS}s): it would never call`,
    );
  }
  const calls = readCall(fields.required("calls", CALL_EXPECTED), fields.pathOf("calls"), ctx);
  return { name, count, thinkTime, startS, calls };
}
