import { describe, expect, it } from "vitest";
import { displayWidth, stripAnsi } from "../../reports/format.ts";
import { terminalTable } from "../../reports/terminal.ts";
import { smallRunResult } from "./fixture.ts";

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

  it("fits 100 columns with 4 variants, long names shortened", () => {
    const result = smallRunResult();
    const [a, b] = result.variants;
    result.variants = [
      a,
      b,
      { ...a, name: "decorrelated-jitter-with-budget" },
      { ...b, name: "budget" },
    ];
    const block = tableBlock(terminalTable(result));
    expect(displayWidth(block[0])).toBeLessThanOrEqual(100);
    expect(block[0]).toContain("decorrelated-ji…");
  });
});
