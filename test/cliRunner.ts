/** Runs the real `queuelab` command in a child process, as a user would. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/queuelab.js", import.meta.url));

export interface CliOutcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function queuelab(args: string[], cwd?: string): CliOutcome {
  const child = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}
