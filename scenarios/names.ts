/**
 * The names of a scenario's components. One namespace for queues, topics, exchanges, producers
 * and consumers, so a link end (`from: orders`) or a fault (`partition: [orders, workers]`) names
 * exactly one thing.
 */
import { ScenarioError } from "./errors.ts";
import { failWith } from "./fields.ts";
import type { RawNode } from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";

export type ComponentKind =
  | "queue"
  | "topic"
  | "exchange"
  | "producer"
  | "consumer"
  | "downstream"
  | "caller";

/** What producers publish to and consumers read from. */
export const DESTINATION_KINDS: readonly ComponentKind[] = ["queue", "topic"];

interface Named {
  kind: ComponentKind;
  node: RawNode;
}

export class ComponentNames {
  private readonly byName = new Map<string, Named>();

  add(kind: ComponentKind, name: string, node: RawNode, path: string): void {
    const previous = this.byName.get(name);
    if (previous !== undefined) {
      const line = previous.node.at.line === null ? "" : ` (line ${previous.node.at.line})`;
      throw new ScenarioError({
        at: node.at,
        path,
        expected: "a name not used by another component",
        problem: `'${name}' is already the name of a ${previous.kind}${line}; names must be unique across queues, topics, exchanges, producers, consumers, downstreams and callers`,
      });
    }
    this.byName.set(name, { kind, node });
  }

  /** The names of the components of these kinds, in the order they were added. */
  namesOf(...kinds: ComponentKind[]): string[] {
    return [...this.byName].filter(([, n]) => kinds.includes(n.kind)).map(([name]) => name);
  }

  kindOf(name: string): ComponentKind | undefined {
    return this.byName.get(name)?.kind;
  }

  all(): string[] {
    return [...this.byName.keys()];
  }

  /** Checks that `name` (read from `node`) names a component of one of `kinds`. */
  expect(name: string, kinds: readonly ComponentKind[], node: RawNode, path: string): void {
    const found = this.byName.get(name);
    const wanted = describeKinds(kinds);
    const expected = `the name of a ${wanted}`;
    if (found === undefined) {
      const candidates = this.all().filter((n) => kinds.includes(this.byName.get(n)!.kind));
      const hint = suggestionSuffix(name, candidates);
      const known = hint.startsWith(",") ? hint : ` (known: ${candidates.join(", ") || "none"})`;
      failWith(node, path, expected, `no ${wanted} named '${name}'${known}`);
    }
    if (!kinds.includes(found.kind)) {
      failWith(node, path, expected, `'${name}' is a ${found.kind}, expected a ${wanted}`);
    }
  }
}

/** "queue", "queue or topic", "producer, queue, topic or consumer". */
export function describeKinds(kinds: readonly ComponentKind[]): string {
  return kinds.join(", ").replace(/, ([^,]*)$/, " or $1");
}
