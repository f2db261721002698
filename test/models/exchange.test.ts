/** Exchange routing (models/exchange.ts) against RabbitMQ's documented examples and hand cases. */
import { describe, expect, it } from "vitest";
import {
  bindingKeyProblem,
  dropsSomeKey,
  ExchangeRouter,
  routingKeyProblem,
  topicMatches,
} from "../../models/exchange.ts";

describe("topic exchange matching", () => {
  // RabbitMQ tutorial 5 ("Topics"): Q1 is bound with "*.orange.*", Q2 with "*.*.rabbit" and
  // "lazy.#". The tutorial states where each of these keys goes.
  const Q1 = 1;
  const Q2 = 2;
  const tutorial = new ExchangeRouter("topic", [
    { queue: Q1, key: "*.orange.*" },
    { queue: Q2, key: "*.*.rabbit" },
    { queue: Q2, key: "lazy.#" },
  ]);
  const cases: [string, number[]][] = [
    ["quick.orange.rabbit", [Q1, Q2]],
    ["lazy.orange.elephant", [Q1, Q2]],
    ["quick.orange.fox", [Q1]],
    ["lazy.brown.fox", [Q2]],
    // Matches both of Q2's bindings: "delivered only once".
    ["lazy.pink.rabbit", [Q2]],
    ["quick.brown.fox", []],
    // "orange" and "quick.orange.new.rabbit" match no binding: lost (dropped).
    ["orange", []],
    ["quick.orange.new.rabbit", []],
    // "will match the last binding and will be delivered to the second queue".
    ["lazy.orange.new.rabbit", [Q2]],
  ];
  for (const [key, queues] of cases) {
    it(`${key} -> ${queues.length === 0 ? "no queue" : queues.map((q) => `Q${q}`).join(" and ")}`, () => {
      expect(tutorial.routeQueues(key)).toEqual(queues);
    });
  }

  it("'#' alone matches every key, the empty key and keys of empty words included", () => {
    for (const key of ["", "a", "a.b.c", "..", "orders.eu.created", "*"]) {
      expect(topicMatches("#", key)).toBe(true);
    }
  });

  it("'*' is exactly one word: not zero, not two", () => {
    expect(topicMatches("*", "")).toBe(false);
    expect(topicMatches("*", "a")).toBe(true);
    expect(topicMatches("*", "a.b")).toBe(false);
    expect(topicMatches("a.*", "a")).toBe(false);
    // An empty word is a word: "a." has the words "a" and "".
    expect(topicMatches("a.*", "a.")).toBe(true);
  });

  it("'#' is zero or more words anywhere in a pattern", () => {
    expect(topicMatches("lazy.#", "lazy")).toBe(true);
    expect(topicMatches("#.rabbit", "rabbit")).toBe(true);
    expect(topicMatches("a.#.z", "a.z")).toBe(true);
    expect(topicMatches("a.#.z", "a.b.c.z")).toBe(true);
    expect(topicMatches("a.#.z", "a.b.c")).toBe(false);
    expect(topicMatches("#.#", "")).toBe(true);
    expect(topicMatches("#.*.#", "")).toBe(false);
    expect(topicMatches("#.*.#", "x")).toBe(true);
  });

  it("words without wildcards match only themselves, whole", () => {
    expect(topicMatches("orders.eu", "orders.eu")).toBe(true);
    expect(topicMatches("orders.eu", "orders.eur")).toBe(false);
    expect(topicMatches("orders", "orders.eu")).toBe(false);
    expect(topicMatches("", "")).toBe(true);
    expect(topicMatches("", "a")).toBe(false);
  });
});

describe("direct and fanout exchanges", () => {
  it("direct: the queues whose binding key equals the routing key, each once, ascending", () => {
    // RabbitMQ tutorial 4 ("Routing"): Q1 bound with "orange", Q2 with "black" and "green".
    const router = new ExchangeRouter("direct", [
      { queue: 5, key: "black" },
      { queue: 1, key: "orange" },
      { queue: 5, key: "green" },
      { queue: 3, key: "black" },
      { queue: 3, key: "black" },
    ]);
    expect(router.routeQueues("orange")).toEqual([1]);
    expect(router.routeQueues("black")).toEqual([3, 5]);
    expect(router.routeQueues("green")).toEqual([5]);
    expect(router.routeQueues("blue")).toEqual([]);
    // No wildcards in a direct exchange.
    expect(new ExchangeRouter("direct", [{ queue: 0, key: "#" }]).routeQueues("a")).toEqual([]);
  });

  it("fanout: every bound queue, whatever the key", () => {
    const router = new ExchangeRouter("fanout", [
      { queue: 2, key: "" },
      { queue: 0, key: "" },
      { queue: 2, key: "" },
    ]);
    for (const key of ["", "x", "a.b"]) expect(router.routeQueues(key)).toEqual([0, 2]);
    expect(new ExchangeRouter("fanout", []).routeQueues("x")).toEqual([]);
  });

  it("the alternate queue takes what no binding matches, and only that", () => {
    const router = new ExchangeRouter("direct", [{ queue: 0, key: "eu" }], 7);
    expect(router.targetQueues("eu")).toEqual([0]);
    expect(router.targetQueues("us")).toEqual([7]);
    expect(router.isUnroutable("us")).toBe(true);
    expect(router.isUnroutable("eu")).toBe(false);
  });

  it("answers are cached: the same key gives the same array", () => {
    const router = new ExchangeRouter("topic", [{ queue: 0, key: "a.*" }]);
    expect(router.routeQueues("a.b")).toBe(router.routeQueues("a.b"));
    expect(router.targetQueues("c")).toBe(router.targetQueues("c"));
  });

  it("dropsSomeKey: only without an alternate, only for a key that matches nothing", () => {
    expect(dropsSomeKey("direct", ["eu"], false, ["eu"])).toBe(false);
    expect(dropsSomeKey("direct", ["eu"], false, ["eu", "us"])).toBe(true);
    expect(dropsSomeKey("direct", ["eu"], true, ["us"])).toBe(false);
    expect(dropsSomeKey("fanout", [], false, [""])).toBe(true);
  });
});

describe("key validation", () => {
  it("a wildcard must be a whole word of a topic pattern", () => {
    expect(bindingKeyProblem("topic", "orders.*.created")).toBeNull();
    expect(bindingKeyProblem("topic", "#")).toBeNull();
    expect(bindingKeyProblem("topic", "orders*")).toMatch(/mixes a wildcard/);
    expect(bindingKeyProblem("topic", "orders.#eu")).toMatch(/mixes a wildcard/);
    // A direct exchange's key is a literal: '*' in it is just a character.
    expect(bindingKeyProblem("direct", "orders*")).toBeNull();
  });

  it("keys are AMQP short strings: at most 255 bytes", () => {
    expect(bindingKeyProblem("direct", "a".repeat(255))).toBeNull();
    expect(bindingKeyProblem("direct", "a".repeat(256))).toMatch(/255 bytes/);
    // 128 two-byte characters are 256 bytes.
    expect(routingKeyProblem("direct", "é".repeat(128))).toMatch(/255 bytes/);
  });

  it("a routing key to a topic exchange is a literal, never a pattern", () => {
    expect(routingKeyProblem("topic", "orders.eu.created")).toBeNull();
    expect(routingKeyProblem("topic", "orders.*")).toMatch(/literal/);
    expect(routingKeyProblem("topic", "#")).toMatch(/literal/);
    expect(routingKeyProblem("direct", "#")).toBeNull();
  });
});
