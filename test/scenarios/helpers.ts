/** Small scenario texts for tests, with known line numbers. */
import { expect } from "vitest";
import { ScenarioError } from "../../scenarios/errors.ts";
import { type LoadedScenario, loadScenarioText } from "../../scenarios/loader.ts";

export interface Parts {
  /** Lines inserted after `duration` (line 3 onwards). */
  top?: string;
  queues?: string;
  producers?: string;
  consumers?: string;
  /** Lines appended after the consumers. */
  bottom?: string;
}

/**
 * A valid scenario; without `top`, the lines are:
 * 1 name, 2 duration, 3 queues:, 4 queue, 5 producers:, 6 producer, 7 consumers:, 8 consumer.
 */
export function scenarioText(parts: Parts = {}): string {
  return [
    "name: t",
    "duration: 1m",
    ...(parts.top ? [parts.top] : []),
    "queues:",
    parts.queues ?? "  - { name: orders }",
    "producers:",
    parts.producers ?? "  - { name: api, rate: 10/s }",
    "consumers:",
    parts.consumers ?? "  - { name: workers, processing: 10ms }",
    ...(parts.bottom ? [parts.bottom] : []),
    "",
  ].join("\n");
}

export interface TopicParts {
  /** Lines inserted after `duration` (line 3 onwards). */
  top?: string;
  topics?: string;
  producers?: string;
  consumers?: string;
  /** Lines appended after the consumers. */
  bottom?: string;
}

/**
 * A valid scenario with a topic and no queue; without `top`, the lines are:
 * 1 name, 2 duration, 3 topics:, 4 topic, 5 producers:, 6 producer, 7 consumers:, 8 consumer.
 */
export function topicScenarioText(parts: TopicParts = {}): string {
  return [
    "name: t",
    "duration: 1m",
    ...(parts.top ? [parts.top] : []),
    "topics:",
    parts.topics ?? "  - { name: signups, partitions: 4 }",
    "producers:",
    parts.producers ?? "  - { name: api, rate: 10/s }",
    "consumers:",
    parts.consumers ?? "  - { name: email, processing: 10ms }",
    ...(parts.bottom ? [parts.bottom] : []),
    "",
  ].join("\n");
}

export function load(text: string, overrides: string[] = []): LoadedScenario {
  return loadScenarioText(text, "x.yaml", overrides);
}

/** The ScenarioError that loading `text` throws. */
export function errorOf(text: string, overrides: string[] = []): ScenarioError {
  try {
    load(text, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return error as ScenarioError;
  }
  throw new Error("expected a ScenarioError, but the scenario loaded");
}
