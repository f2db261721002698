import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileTraceSink, Trace } from "../../sim/trace.ts";

function collect(filter?: { messageId?: number; key?: string }) {
  const lines: string[] = [];
  const trace = new Trace((line) => lines.push(line), filter);
  return { trace, lines };
}

describe("Trace", () => {
  it("writes one valid JSON object per line, keys in insertion order", () => {
    const { trace, lines } = collect();
    trace.emit(0.25, "deliver", { msg: 7, key: "k3", consumer: "workers/1", redelivery: false });
    trace.emit(1.5, "ack", { msg: 7, note: 'quote " and \n newline', z: null, "1": 1 });
    expect(trace.linesWritten).toBe(2);
    for (const line of lines) expect(line.endsWith("\n")).toBe(true);
    expect(lines.join("").split("\n")).toHaveLength(3);
    const first = JSON.parse(lines[0]);
    expect(first).toEqual({
      t: 0.25,
      ev: "deliver",
      msg: 7,
      key: "k3",
      consumer: "workers/1",
      redelivery: false,
    });
    expect(Object.keys(first)).toEqual(["t", "ev", "msg", "key", "consumer", "redelivery"]);
    expect(JSON.parse(lines[1]).note).toBe('quote " and \n newline');
    expect(lines[0]).toBe(
      '{"t":0.25,"ev":"deliver","msg":7,"key":"k3","consumer":"workers/1","redelivery":false}\n',
    );
  });

  it("keeps only events of the filtered message id or key", () => {
    const { trace, lines } = collect({ messageId: 2, key: "hot" });
    trace.emit(1, "produce", { msg: 1, key: "cold" });
    trace.emit(2, "produce", { msg: 2, key: "cold" });
    trace.emit(3, "produce", { msg: 3, key: "hot" });
    trace.emit(4, "crash", { consumer: "workers/0" });
    trace.emit(5, "produce", { msg: "2", key: null });
    expect(lines.map((line) => JSON.parse(line).t)).toEqual([2, 3]);
    expect(trace.linesWritten).toBe(2);
  });

  it("rejects field names that would shadow t or ev", () => {
    const { trace } = collect();
    expect(() => trace.emit(0, "x", { t: 1 })).toThrow(/reserved/);
  });

  it("fileTraceSink writes every line to the file by close", () => {
    const dir = mkdtempSync(join(tmpdir(), "queuelab-trace-"));
    try {
      const path = join(dir, "trace.jsonl");
      const sink = fileTraceSink(path);
      const trace = new Trace(sink.write);
      // Enough lines to cross several 64 KiB chunks.
      for (let i = 0; i < 5000; i++) trace.emit(i / 10, "tick", { msg: i, pad: "x".repeat(40) });
      sink.close();
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(5000);
      expect(lines.map((line) => JSON.parse(line).msg)).toEqual(
        Array.from({ length: 5000 }, (_, i) => i),
      );
      expect(() => sink.write("late\n")).toThrow(/after close/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
