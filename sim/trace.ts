/**
 * An optional event log in JSON Lines, one object per event: {"t":timeS,"ev":event,...fields}.
 * Callers hold `Trace | null` and guard with `if (trace)`, so a disabled trace costs nothing.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export type TraceFields = Record<string, string | number | boolean | null>;

export interface TraceFilter {
  /** Keep events whose `msg` field equals this. */
  messageId?: number;
  /** Keep events whose `key` field equals this. */
  key?: string;
}

export class Trace {
  private lines = 0;
  private readonly messageId: number | undefined;
  private readonly key: string | undefined;

  /**
   * sink receives complete lines (with trailing "\n"). With a filter, only events whose `msg`
   * equals messageId or whose `key` equals key are kept (either suffices).
   */
  constructor(
    private readonly sink: (line: string) => void,
    filter?: TraceFilter,
  ) {
    this.messageId = filter?.messageId;
    this.key = filter?.key;
  }

  get linesWritten(): number {
    return this.lines;
  }

  /** Writes one line, keys in insertion order; `t` and `ev` come first and are reserved. */
  emit(timeS: number, event: string, fields: TraceFields): void {
    if (!this.keep(fields)) return;
    // Built by hand so `t` and `ev` lead and integer-like field names keep their order.
    let line = `{"t":${JSON.stringify(timeS)},"ev":${JSON.stringify(event)}`;
    for (const name in fields) {
      if (name === "t" || name === "ev") {
        throw new RangeError(`trace field name '${name}' is reserved (event '${event}')`);
      }
      line += `,${JSON.stringify(name)}:${JSON.stringify(fields[name])}`;
    }
    this.sink(`${line}}\n`);
    this.lines++;
  }

  private keep(fields: TraceFields): boolean {
    if (this.messageId === undefined && this.key === undefined) return true;
    return (
      (this.messageId !== undefined && fields["msg"] === this.messageId) ||
      (this.key !== undefined && fields["key"] === this.key)
    );
  }
}

const CHUNK_CHARS = 64 * 1024;

/** A sink that buffers lines and writes them to a file with fs.writeSync in chunks of ~64 KiB; close() flushes. */
export function fileTraceSink(path: string): { write: (line: string) => void; close: () => void } {
  let fd: number | null = openSync(path, "w");
  let parts: string[] = [];
  let bufferedChars = 0;
  const flush = () => {
    if (fd === null || parts.length === 0) return;
    writeSync(fd, parts.join(""));
    parts = [];
    bufferedChars = 0;
  };
  return {
    write(line: string): void {
      if (fd === null) throw new Error(`trace file ${path} written after close`);
      parts.push(line);
      bufferedChars += line.length;
      if (bufferedChars >= CHUNK_CHARS) flush();
    },
    close(): void {
      flush();
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
