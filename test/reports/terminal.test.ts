import { describe, expect, it } from "vitest";
import { displayWidth, stripAnsi } from "../../reports/format.ts";
import { terminalTable } from "../../reports/terminal.ts";
import { singleSubscriptionRunResult, smallRunResult } from "./fixture.ts";

/** The table block: from the line after the heading's blank line to the next blank line. */
function tableBlock(text: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf("") + 1;
  const end = lines.indexOf("", start);
  return lines.slice(start, end === -1 ? undefined : end);
}

describe("terminalTable", () => {
  it("aligns: every line of the table has the same width", () => {
    const block = tableBlock(terminalTable(smallRunResult()));
    expect(block.length).toBeGreaterThan(40);
    const widths = new Set(block.map(displayWidth));
    expect(widths.size).toBe(1);
  });

  it("puts the variants side by side with their values", () => {
    const text = terminalTable(smallRunResult());
    const block = tableBlock(text);
    expect(block[0]).toMatch(/^\s+no-jitter\s+full-jitter$/);
    expect(block.find((line) => line.trimStart().startsWith("lost"))).toMatch(/lost\s+3\s+0$/);
    expect(block.find((line) => line.trimStart().startsWith("p99 "))).toMatch(
      /p99\s+14\.2 s\s+1\.50 s$/,
    );
    expect(block.find((line) => line.trimStart().startsWith("mean"))).toContain("812 ms");
  });

  it("lists the failed expectations and the replay command at the end", () => {
    const text = terminalTable(smallRunResult());
    const tail = text.slice(text.indexOf("Failed (2):"));
    expect(tail).toContain("✘ no-jitter: no message lost (observed 3)");
    expect(tail).toContain("✘ no-jitter: p99 under 2s (observed 14.2 s)");
    expect(tail).toContain("Replay: npx queuelab run scenarios/retry-storm.yaml --seed 1187");
  });

  it("says nothing of failures when all passed", () => {
    const result = smallRunResult();
    result.variants = [result.variants[1]];
    expect(terminalTable(result)).not.toContain("Failed");
  });

  it("colours verdicts only when asked, without breaking the alignment", () => {
    const plain = terminalTable(smallRunResult());
    const coloured = terminalTable(smallRunResult(), { color: true });
    expect(plain).not.toContain("\u001b[");
    expect(coloured).toContain("\u001b[31m✘ 3\u001b[0m");
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it("fits 100 columns with 4 variants, long names and long cause labels shortened", () => {
    const result = smallRunResult();
    const [a, b] = result.variants;
    result.variants = [
      a,
      b,
      { ...a, name: "decorrelated-jitter-with-budget" },
      { ...b, name: "budget-with-a-long-name" },
    ];
    const block = tableBlock(terminalTable(result));
    expect(new Set(block.map(displayWidth))).toEqual(new Set([100]));
    expect(block[0]).toContain("decorrelated-ji…");
    expect(block[0]).toContain("budget-with-a-l…");
    expect(line(block, "lost: deleted by")).toMatch(
      /^ {2}lost: deleted by retention before the…\s+2\s+—\s+2\s+—$/,
    );
    expect(line(block, "no-jitter: k12")).toContain("(events/audit)");
  });

  it("shows the causes in full when there is room, under each subscription", () => {
    const block = tableBlock(terminalTable(smallRunResult()));
    const audit = block.findIndex((l) => l.startsWith("Message fates: events/audit"));
    expect(audit).toBeGreaterThan(0);
    expect(block[audit + 7]).toMatch(
      /^ {2}lost: deleted by retention before the group read it\s+2\s+—$/,
    );
    expect(block[audit + 8]).toMatch(
      /^ {2}lost: offset committed before processing, then crashed\s+1\s+—$/,
    );
    expect(block[audit + 10]).toMatch(/^ {2}duplicates: reread-after-crash\s+5\s+—$/);
  });

  it("writes the first order violation on a line of its own under its label", () => {
    const block = tableBlock(terminalTable(smallRunResult()));
    const label = block.findIndex((l) => l.trimEnd() === "  first violation");
    expect(label).toBeGreaterThan(0);
    expect(block[label - 1]).toMatch(/^ {2}per-key order violations\s+2\s+0$/);
    // Only the variant that has one.
    expect(block[label + 1].trimEnd()).toBe(
      "    no-jitter: k12: #1041 after #1057 at 12.5 s (events/audit)",
    );
    expect(block[label + 2]).toBe("Counters".padEnd(displayWidth(block[0])));
  });

  it("widens a narrow table so that the violation fits, keeping every line the same width", () => {
    const result = singleSubscriptionRunResult();
    result.variants = [result.variants[0]];
    result.variants[0].summary.ordering.first!.subscription = "a-subscription-with-a-long-name";
    const block = tableBlock(terminalTable(result));
    expect(new Set(block.map(displayWidth)).size).toBe(1);
    expect(block.some((l) => l.includes("(a-subscription-with-a-long-name)"))).toBe(true);
    expect(block[0]).toMatch(/^\s+no-jitter$/);
  });

  it("puts the causes under the overall fates with one subscription per variant", () => {
    const block = tableBlock(terminalTable(singleSubscriptionRunResult()));
    expect(block.some((l) => l.startsWith("Message fates:"))).toBe(false);
    const lost = block.findIndex((l) => /^ {2}lost\s/.test(l));
    expect(block[lost + 1]).toMatch(
      /^ {2}lost: deleted by retention before the group read it\s+2\s+0$/,
    );
  });

  it("hides the counters that are zero in every variant", () => {
    const block = tableBlock(terminalTable(smallRunResult()));
    expect(line(block, "rebalances")).toMatch(/rebalances\s+3\s+0$/);
    expect(block.some((l) => /fenced|offset resets|link duplicates/.test(l))).toBe(false);
  });
});

/** The line of the block that starts, after its indent, with `start`. */
function line(block: string[], start: string): string {
  const found = block.find((l) => l.trimStart().startsWith(start));
  if (found === undefined) throw new Error(`no line starts with ${start}`);
  return found;
}
