/**
 * Scenario files are data: no YAML feature runs code or reads another file, aliases cannot blow
 * up memory, and whatever a file holds comes back as a one-line, printable ScenarioError.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ScenarioError } from "../../scenarios/errors.ts";
import { loadScenario } from "../../scenarios/loader.ts";
import { EXPANDED_NODES_MAX, SCENARIO_TEXT_MAX } from "../../scenarios/raw.ts";
import { errorProblems } from "../fuzz/properties.ts";
import { billionLaughs, manyAliases } from "../fuzz/scenarioArbitraries.ts";
import { errorOf, load, scenarioText } from "./helpers.ts";

/** Every file the code under test opens, reads, lists or checks, through node:fs. */
const touched = vi.hoisted(() => [] as string[]);

vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  const tracked = <A extends unknown[], R>(name: string, f: (...args: A) => R) => {
    return (...args: A): R => {
      touched.push(`${name} ${String(args[0])}`);
      return f(...args);
    };
  };
  const spied = {
    readFileSync: tracked("readFileSync", actual.readFileSync),
    openSync: tracked("openSync", actual.openSync),
    readdirSync: tracked("readdirSync", actual.readdirSync),
    statSync: tracked("statSync", actual.statSync),
    existsSync: tracked("existsSync", actual.existsSync),
    createReadStream: tracked("createReadStream", actual.createReadStream),
  };
  return { ...actual, ...spied, default: { ...actual, ...spied } };
});

beforeEach(() => {
  touched.length = 0;
});

/** The ScenarioError, checked as the fuzzer does: one printable line, file, line, field. */
function oneLineError(text: string, overrides: string[] = []): ScenarioError {
  const error = errorOf(text, overrides);
  expect(errorProblems(error, "x.yaml")).toEqual([]);
  return error;
}

const TAGS = [
  '!!js/function "function () { globalThis.pwned = true }"',
  '!!js/undefined ""',
  "!!js/regexp /x/",
  '!!python/object/apply:os.system ["touch /tmp/pwned"]',
  "!include /etc/passwd",
  "!!binary aGVsbG8=",
  "!!set { a, b }",
  "!!omap [a: 1]",
  "!!timestamp 2001-12-14",
  "!custom x",
  "!<tag:example.com,2000:file> /etc/passwd",
];

describe("YAML tags", () => {
  it.each(TAGS)("refuses %s with a ScenarioError at the field", (tagged) => {
    const error = oneLineError(scenarioText({ top: `description: ${tagged}` }));
    expect(error.path).toBe("description");
    expect(error.line).toBe(3);
    expect(error.message).toMatch(
      /^x\.yaml:3:\d+: description: expected plain data without a YAML tag, got the tag !/,
    );
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it("refuses a tag declared with %TAG, on a key, and in a --set value", () => {
    const declared = `%TAG !e! tag:example.com,2000:\n---\n${scenarioText({ top: "description: !e!file /etc/passwd" })}`;
    expect(oneLineError(declared).message).toContain("got the tag !e!file");
    const onKey = oneLineError(scenarioText({ top: "!!js/function description: x" }));
    expect(onKey.message).toContain("got the tag !!js/function");
    const inSet = oneLineError(scenarioText(), ["description=!!js/function f"]);
    expect(inSet.message).toBe(
      "x.yaml: --set description=!!js/function f: expected plain data without a YAML tag, got the tag !!js/function",
    );
  });

  it("accepts the tags that only say what plain YAML infers (!!str, !!int, !)", () => {
    const loaded = load(
      scenarioText({ top: "description: !!str 123\nseed: !!int 7\ndrain: ! 5s" }),
    );
    expect(loaded.description).toBe("123");
    expect(loaded.seed).toBe(7);
    expect(loaded.variants[0].config.drainS).toBe(5);
  });
});

describe("aliases", () => {
  it("a billion laughs is a one-line ScenarioError, found before anything is expanded", () => {
    for (const field of ["description", "expect", "links"]) {
      const started = performance.now();
      const error = oneLineError(billionLaughs(9, 10, field));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error.message).toBe(
        `x.yaml:1:1: expected a document of at most ${EXPANDED_NODES_MAX} values once its aliases are expanded, got more than ${EXPANDED_NODES_MAX}`,
      );
    }
  });

  it("so is one in a --set value", () => {
    const laughs = `{ a: &a [x, x, x, x, x, x, x, x, x, x], b: &b [${Array(10).fill("*a")}], c: &c [${Array(10).fill("*b")}], d: &d [${Array(10).fill("*c")}], e: &e [${Array(10).fill("*d")}], f: [${Array(10).fill("*e")}] }`;
    const error = oneLineError(scenarioText(), [`description=${laughs}`]);
    expect(error.message).toContain("once its aliases are expanded");
  });

  it("many aliases are looked up in one pass over the document, not one pass each", () => {
    const started = performance.now();
    const error = oneLineError(manyAliases(20_000));
    // 20,000 aliases took two minutes when each alias walked the whole document.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.path).toBe("expect.0");
  });

  it("an alias inside the node it refers to is an error, not an endless expansion", () => {
    const error = oneLineError(scenarioText({ top: "description: &a [x, *a]" }));
    expect(error.message).toBe(
      "x.yaml:3:17: description.1: expected an alias of a node that does not contain it, got an alias inside the node it refers to",
    );
  });

  it("aliases within the limit are expanded as before", () => {
    const text = scenarioText({
      top: "links:\n  - { from: api, to: orders, latency: &slow { exponential: 5ms } }\n  - { from: orders, to: workers, latency: *slow }",
    });
    expect(load(text).variants[0].config.links.map((l) => l.latency)).toEqual([
      { kind: "exponential", mean: 0.005 },
      { kind: "exponential", mean: 0.005 },
    ]);
  });
});

describe("files", () => {
  it("loading a scenario's text touches no file at all, whatever the text says", () => {
    for (const tagged of TAGS) {
      expect(() => load(scenarioText({ top: `description: ${tagged}` }))).toThrow(ScenarioError);
    }
    load(scenarioText({ top: "description: /etc/passwd" }), ["description=../../etc/shadow"]);
    expect(touched).toEqual([]);
  });

  it("loading a scenario file reads that file and no other", () => {
    const file = join(mkdtempSync(join(tmpdir(), "queuelab-hostile-")), "s.yaml");
    writeFileSync(file, scenarioText({ top: "description: !include /etc/passwd" }));
    touched.length = 0;
    expect(() => loadScenario(file)).toThrow(ScenarioError);
    expect(touched.length).toBeGreaterThan(0);
    for (const call of touched) expect(call.endsWith(` ${file}`), call).toBe(true);
  });

  it("a file too large is refused from its size, without being read", () => {
    const file = join(mkdtempSync(join(tmpdir(), "queuelab-hostile-")), "big.yaml");
    writeFileSync(file, `description: "${"x".repeat(SCENARIO_TEXT_MAX)}"\n`);
    touched.length = 0;
    expect(() => loadScenario(file)).toThrow(
      `${file}: expected a scenario file of at most ${SCENARIO_TEXT_MAX} bytes, got ${SCENARIO_TEXT_MAX + 16} bytes`,
    );
    expect(touched.some((call) => call.startsWith("readFileSync"))).toBe(false);
  });
});

describe("what a file holds comes back printable", () => {
  it("control characters and line breaks in a key are escaped or joined, not printed", () => {
    const escaped = oneLineError(scenarioText({ top: '"\\e[31mred\\rx": 1' }));
    expect(escaped.message).toContain("unknown key '\\u001b[31mred x'");
    const separator = oneLineError(scenarioText({ top: '"a\\u2028b\\x00": 1' }));
    expect(separator.message).toContain("unknown key 'a b\\u0000'");
  });

  it("a long --set argument is shortened in the message", () => {
    const value = `[${Array(200).fill("1").join(", ")}]`;
    const error = oneLineError(scenarioText(), [`duration=${value}`]);
    expect(error.origin).toBe(`--set duration=${value}`);
    expect(error.message.length).toBeLessThan(300);
  });

  it("a very long unknown name gets no suggestion, and quickly", () => {
    const long = "w".repeat(20_000);
    const started = performance.now();
    const error = oneLineError(
      scenarioText({
        queues: `  - { name: ${long} }`,
        top: `links: [{ from: api, to: ${long}x }]`,
      }),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.path).toBe("queues.0.name");
  });
});

describe("limits that keep a run possible", () => {
  it("names are at most 100 characters: they become file names", () => {
    const error = oneLineError(scenarioText({ queues: `  - { name: ${"q".repeat(101)} }` }));
    expect(error.message).toMatch(/queues\.0\.name: expected a name of at most 100 characters/);
    expect(load(scenarioText({ queues: `  - { name: ${"q".repeat(100)} }` }))).toBeDefined();
  });

  it("durations are at most 1e9 s, so duration + drain stays finite and precise", () => {
    const error = oneLineError(scenarioText().replace("duration: 1m", "duration: 1e308"));
    expect(error.message).toBe(
      "x.yaml:2:11: duration: expected a duration <= 1e9s (about 31 years), got 1e308",
    );
    expect(oneLineError(scenarioText({ top: "drain: 11575d" })).path).toBe("drain");
    expect(load(scenarioText({ top: "drain: 11574d" })).variants[0].config.drainS).toBe(
      11574 * 86400,
    );
  });
});
