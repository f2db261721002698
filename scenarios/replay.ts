/**
 * `queuelab replay`: runs one variant of a scenario again with the same seed and tells the life
 * story of one message (or of every message of one key) in virtual time, from the run's trace:
 * produced, sent, dropped by a link, delivered to a consumer, the consumer crashed, the
 * visibility timeout expired, redelivered, processed twice, dead-lettered.
 */
import type { VariantSummary } from "../models/results.ts";
import { simulate } from "../models/simulation.ts";
import { Trace, type TraceFilter } from "../sim/trace.ts";
import type { LoadedScenario } from "./loader.ts";

export interface ReplayOptions {
  seed: number;
  variant: string;
  /** Whose story: one message id, or every message of one key (`k12`). */
  filter: TraceFilter;
  /** Also write every event of the run here (the full trace), one JSON object a line. */
  fullTrace?: (line: string) => void;
}

export interface StoryEvent {
  timeS: number;
  event: string;
  fields: Record<string, string | number | boolean | null>;
}

export interface Replay {
  /** Null when the run stopped on an error (`error`): the story then ends where it stopped. */
  summary: VariantSummary | null;
  events: StoryEvent[];
  error: Error | null;
}

export function replay(loaded: LoadedScenario, options: ReplayOptions): Replay {
  const variant = loaded.variants.find((v) => v.name === options.variant);
  if (variant === undefined) {
    throw new RangeError(`no variant named '${options.variant}'`);
  }
  const events: StoryEvent[] = [];
  const { messageId, key } = options.filter;
  // Consumer instances holding one of the story's messages: their crashes belong to the story.
  const holders = new Set<string>();
  const trace = new Trace((line) => {
    options.fullTrace?.(line);
    const { t, ev, ...fields } = JSON.parse(line) as {
      t: number;
      ev: string;
    } & StoryEvent["fields"];
    const mine =
      (messageId !== undefined && fields.msg === messageId) ||
      (key !== undefined && fields.key === key);
    if (mine && typeof fields.consumer === "string") {
      if (ev === "process-start" || ev === "prefetched") holders.add(fields.consumer);
      else if (ev === "processed" || ev === "process-fail") holders.delete(fields.consumer);
    }
    const crashOfHolder = ev === "consumer-crash" && holders.has(String(fields.consumer));
    if (crashOfHolder) holders.delete(String(fields.consumer));
    if (mine || crashOfHolder) events.push({ timeS: t, event: ev, fields });
  });
  try {
    const result = simulate(variant.config, {
      seed: options.seed,
      variantName: variant.name,
      trace,
    });
    return { summary: result.summary, events, error: null };
  } catch (error) {
    // A broken invariant is when a story is most wanted: keep what was traced until then.
    return { summary: null, events, error: error as Error };
  }
}

/**
 * The first seed from `fromSeed` on (at most `maxSeeds` of them) at which the variant breaks an
 * expectation, or null: what `replay --until-failure` tells the story of.
 */
export function firstFailingSeed(
  loaded: LoadedScenario,
  variantName: string,
  fromSeed: number,
  maxSeeds: number,
  onSeed?: (seed: number) => void,
): number | null {
  const variant = loaded.variants.find((v) => v.name === variantName);
  if (variant === undefined) throw new RangeError(`no variant named '${variantName}'`);
  for (let seed = fromSeed; seed < fromSeed + maxSeeds; seed++) {
    onSeed?.(seed);
    const { summary } = simulate(variant.config, { seed, variantName });
    if (summary.expectations.some((e) => !e.passed)) return seed;
  }
  return null;
}

/** What each trace event means, as a phrase; fields fill the blanks. */
const PHRASES: Record<string, (f: StoryEvent["fields"]) => string> = {
  produce: (f) =>
    `produced by ${f.producer} (key ${f.key}${f.routingKey === undefined ? "" : `, routing key '${f.routingKey}'`})`,
  "exchange-route": (f) => `exchange ${f.exchange} routes '${f.routingKey}' to ${f.queues}`,
  unroutable: (f) =>
    `exchange ${f.exchange}: no binding matches '${f.routingKey}', dropped (unroutable)`,
  "link-loss": (f) => `lost on link ${f.link}`,
  enqueue: (f) => `queued in ${f.queue}`,
  deliver: (f) => `delivered from ${f.queue} (receive ${f.receive})`,
  prefetched: (f) => `${f.consumer} holds it in its prefetch buffer`,
  "process-start": (f) => `${f.consumer} starts processing it`,
  "process-fail": (f) => `processing failed at ${f.consumer}`,
  processed: (f) => `processed by ${f.consumer ?? f.group}`,
  "consumer-crash": (f) => `${f.consumer} crashed while holding it`,
  "call-failed": (f) => `${f.consumer}'s call to its downstream failed for good`,
  ack: (f) => `acked: deleted from ${f.queue}`,
  nack: (f) => `nacked back to ${f.queue}`,
  requeue: (f) => `requeued to ${f.queue} (to come back after its backoff)`,
  "visibility-timeout": (f) => `visibility timeout expired in ${f.queue}: visible again`,
  "dead-letter": (f) => `moved to ${f.queue}'s dead-letter queue after ${f.receives} receives`,
  redrive: (f) => `redriven from the dead-letter queue back to ${f.queue}`,
  deduplicate: (f) => `dropped by ${f.queue}'s deduplication (a copy within the window)`,
  append: (f) => `appended to ${f.topic} partition ${f.partition} at offset ${f.offset}`,
  truncated: (f) =>
    `cut from ${f.topic} partition ${f.partition} (offset ${f.offset}) on leader failover`,
};

/** One line per event: the virtual time, then what happened. */
export function formatStory(events: StoryEvent[], formatTime: (s: number) => string): string[] {
  const processedBefore = new Set<string>();
  return events.map((e) => {
    const phrase = PHRASES[e.event]?.(e.fields) ?? genericPhrase(e);
    let line = `${formatTime(e.timeS).padStart(10)}  #${e.fields.msg ?? "?"}  ${phrase}`;
    if (e.event === "processed") {
      const id = String(e.fields.msg);
      if (processedBefore.has(id)) line += "  (again: a duplicate effect)";
      processedBefore.add(id);
    }
    return line;
  });
}

function genericPhrase(e: StoryEvent): string {
  const details = Object.entries(e.fields)
    .filter(([name]) => name !== "msg")
    .map(([name, value]) => `${name} ${value}`)
    .join(", ");
  return details === "" ? e.event : `${e.event} (${details})`;
}
