/**
 * The names of a scenario's components. One namespace for queues, producers and consumers, so a
 * link end (`from: orders`) names exactly one thing.
 */
import { ScenarioError } from "./errors.ts";
import { failWith } from "./fields.ts";
import type { RawNode } from "./raw.ts";
import { suggestionSuffix } from "./suggest.ts";

export type ComponentKind = "queue" | "producer" | "consumer";

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
        expected: "a name not used by another queue, producer or consumer",
        problem: `'${name}' is already the name of a ${previous.kind}${line}; names must be unique across queues, producers and consumers`,
      });
    }
    this.byName.set(name, { kind, node });
  }

  namesOf(kind: ComponentKind): string[] {
    return [...this.byName].filter(([, n]) => n.kind === kind).map(([name]) => name);
  }

  all(): string[] {
    return [...this.byName.keys()];
  }

  /** Checks that `name` (read from `node`) names a component of one of `kinds`. */
  expect(name: string, kinds: readonly ComponentKind[], node: RawNode, path: string): void {
    const found = this.byName.get(name);
    const wanted = kinds.join(", ").replace(/, ([^,]*)$/, " or $1");
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
