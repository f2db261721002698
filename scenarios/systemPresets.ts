/**
 * `system: kafka` on a queue or topic: fills the fields the scenario leaves out with the
 * system's defaults (models/systemPresets.ts), on the queue or topic itself and on the producers
 * and consumers attached to it, before the document is read. The values are written into the
 * document as if the user had written them at the `system:` line, so a bad combination is
 * reported there. A producer to an exchange takes the producer defaults of the system its bound
 * queues share (publisher confirms for `rabbitmq`), when they share one.
 */
import {
  type PresetDefault,
  type PresetValue,
  SYSTEM_PRESET_NAMES,
  SYSTEM_PRESETS,
} from "../models/systemPresets.ts";
import { failWith, joinPath } from "./fields.ts";
import { entryOf, itemName, type RawMap, type RawNode } from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";

export function applySystemPresets(root: RawMap): void {
  const destinations = new Map<string, { defaults: PresetDefault[][]; at: RawNode }>();
  let destinationCount = 0;
  for (const [key, kind] of [
    ["queues", "queue"],
    ["topics", "topic"],
  ] as const) {
    for (const [i, item] of itemsOf(root, key)) {
      destinationCount++;
      const systemNode = entryOf(item, "system")?.value;
      if (systemNode === undefined) continue;
      const path = joinPath(joinPath(key, itemName(item) ?? i), "system");
      const preset = presetNamed(systemNode, path, kind);
      fill(item, preset.broker, systemNode);
      const name = itemName(item);
      if (name !== null) {
        destinations.set(name, { defaults: [preset.producer, preset.consumer], at: systemNode });
      }
    }
  }
  for (const [, item] of itemsOf(root, "exchanges")) {
    const name = itemName(item);
    if (name === null) continue;
    const queueNames = [entryOf(item, "alternate")?.value, ...bindingQueues(item)].map(scalarText);
    const systems = queueNames.flatMap((q) => {
      const found = q === null ? undefined : destinations.get(q);
      return found === undefined ? [] : [found];
    });
    const producerDefaults = new Set(systems.map((d) => d.defaults[0]));
    if (systems.length > 0 && producerDefaults.size === 1) destinations.set(name, systems[0]);
  }
  const only = destinationCount === 1 ? [...destinations.values()][0] : undefined;
  for (const [role, key, fields] of [
    [0, "producers", ["to"]],
    [1, "consumers", ["queue", "topic"]],
  ] as const) {
    for (const [, item] of itemsOf(root, key)) {
      const named = fields.map((f) => scalarText(entryOf(item, f)?.value)).find((n) => n !== null);
      const destination = named ? destinations.get(named) : only;
      if (destination !== undefined) fill(item, destination.defaults[role], destination.at);
    }
  }
}

function presetNamed(node: RawNode, path: string, kind: "queue" | "topic") {
  const name = scalarText(node);
  const expected = `the name of a system (${SYSTEM_PRESET_NAMES.join(", ")})`;
  if (name === null) failWith(node, path, expected, "expected a system name");
  const preset = Object.hasOwn(SYSTEM_PRESETS, name) ? SYSTEM_PRESETS[name] : undefined;
  if (preset === undefined) {
    failWith(
      node,
      path,
      expected,
      `no system named '${name}'${suggestionSuffix(name, SYSTEM_PRESET_NAMES)}`,
    );
  }
  if (preset.kind !== kind) {
    failWith(node, path, `a ${kind} system`, `'${name}' is a ${preset.kind}, not a ${kind}`);
  }
  return preset;
}

/** Adds each default whose field the item lacks (and whose condition holds), located at `at`. */
function fill(item: RawMap, defaults: readonly PresetDefault[], at: RawNode): void {
  for (const preset of defaults) {
    if (entryOf(item, preset.field) !== undefined) continue;
    if (preset.unlessField !== undefined && entryOf(item, preset.unlessField) !== undefined)
      continue;
    if (preset.onlyIf !== undefined) {
      const current = entryOf(item, preset.onlyIf.field)?.value;
      const value = current?.kind === "scalar" ? current.value : undefined;
      if (value === undefined || !preset.onlyIf.values.includes(value as string)) continue;
    }
    item.entries.push({ key: preset.field, keyAt: at.at, value: presetNode(preset.value, at) });
  }
}

/** A default's value as the node the scenario would have written, located at `at`. */
function presetNode(value: PresetValue, at: RawNode): RawNode {
  if (typeof value !== "object") return { kind: "scalar", value, text: String(value), at: at.at };
  return {
    kind: "map",
    at: at.at,
    entries: Object.entries(value).map(([key, v]) => ({
      key,
      keyAt: at.at,
      value: { kind: "scalar", value: v, text: String(v), at: at.at },
    })),
  };
}

function* itemsOf(root: RawMap, key: string): Generator<[number, RawMap]> {
  const list = entryOf(root, key)?.value;
  if (list?.kind !== "list") return;
  for (const [i, item] of list.items.entries()) if (item.kind === "map") yield [i, item];
}

/** The `queue` nodes of an exchange's bindings. */
function bindingQueues(exchange: RawMap): (RawNode | undefined)[] {
  const list = entryOf(exchange, "bindings")?.value;
  if (list?.kind !== "list") return [];
  return list.items.map((b) => (b.kind === "map" ? entryOf(b, "queue")?.value : undefined));
}

function scalarText(node: RawNode | undefined): string | null {
  return node?.kind === "scalar" && typeof node.value === "string" ? node.value : null;
}
