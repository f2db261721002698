/**
 * `npm run check:node`: the same bytes on Node 20 and Node 22. Runs every bundled scenario with a
 * fixed seed through the real command line on the installed Node and on the other major (20 or
 * 22), and compares each report's summary.json and series.json byte for byte.
 *
 * The other Node comes from the npm registry (`npx -p node@22`, the `node` package ships the
 * binary as npm packages), or from QUEUELAB_OTHER_NODE=/path/to/node. When neither works the
 * check is skipped with a message saying why (exit 0). Exit 1 when any file differs.
 *
 *   npm run check:node                    every bundled scenario, seed 7
 *   npm run check:node -- --other 20      compare with Node 20 instead
 *   npm run check:node -- --only mmc,cdc  some scenarios
 *
 * Not part of `npm test` or CI: it needs a second Node, and takes a few minutes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { listBundledScenarios } from "../scenarios/loader.ts";

const SEED = 7;
const COMPARED = ["summary.json", "series.json"];
const BIN = fileURLToPath(new URL("../bin/queuelab.js", import.meta.url));
/** Fetching a Node through npx can take a while the first time. */
const FETCH_TIMEOUT_MS = 5 * 60 * 1000;

const { values } = parseArgs({
  options: { other: { type: "string" }, only: { type: "string" } },
});

const thisMajor = Number(process.versions.node.split(".")[0]);
const otherMajor = Number(values.other ?? (thisMajor === 22 ? 20 : 22));

/** The path of a Node binary of `major`, or why there is none. */
function otherNode(major: number): { path: string } | { why: string } {
  const given = process.env.QUEUELAB_OTHER_NODE;
  if (given !== undefined && given !== "") {
    return existsSync(given)
      ? { path: given }
      : { why: `QUEUELAB_OTHER_NODE=${given}: no such file` };
  }
  const npx = spawnSync(
    "npx",
    ["--yes", "--package", `node@${major}`, "node", "--print", "process.execPath"],
    { encoding: "utf8", timeout: FETCH_TIMEOUT_MS },
  );
  if (npx.error !== undefined) return { why: `npx failed: ${npx.error.message}` };
  if (npx.status !== 0) {
    const last = npx.stderr.trim().split("\n").pop() ?? "";
    return { why: `npx --package node@${major} exited with ${npx.status}: ${last}` };
  }
  const path = npx.stdout.trim();
  return existsSync(path) ? { path } : { why: `npx printed no Node binary (${path})` };
}

function versionOf(node: string): string {
  return spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
}

/** Runs `queuelab run <scenario> --seed SEED` with `node`; the report folder, or an error. */
function report(node: string, scenario: string, root: string): string {
  const out = join(root, scenario);
  const args = [BIN, "run", scenario, "--seed", String(SEED), "--out", out, "--quiet"];
  const run = spawnSync(node, args, { encoding: "utf8" });
  // Exit 1 (an expectation failed) still writes the report; its bytes are compared all the same.
  if ((run.status !== 0 && run.status !== 1) || !existsSync(join(out, "summary.json"))) {
    const why =
      run.stderr
        .trim()
        .split("\n")
        .find((line) => /Error/.test(line)) ?? run.stderr;
    throw new Error(`on ${versionOf(node)}, exit ${run.status}: ${why.trim()}`);
  }
  return out;
}

function main(): number {
  const other = otherNode(otherMajor);
  if ("why" in other) {
    process.stdout.write(
      `check:node skipped: cannot get Node ${otherMajor} to compare with Node ${process.versions.node} (${other.why})\n`,
    );
    return 0;
  }
  const nodes = [process.execPath, other.path];
  process.stdout.write(
    `comparing ${COMPARED.join(" and ")} of every bundled scenario (seed ${SEED}) on Node ${versionOf(nodes[0])} and ${versionOf(nodes[1])}\n\n`,
  );
  const wanted = values.only?.split(",");
  const scenarios = listBundledScenarios()
    .map((s) => s.name)
    .filter((name) => wanted === undefined || wanted.includes(name));
  const roots = nodes.map(() => mkdtempSync(join(tmpdir(), "queuelab-node-")));
  let differing = 0;
  try {
    const width = Math.max(...scenarios.map((name) => name.length));
    for (const scenario of scenarios) {
      const started = performance.now();
      let folders: string[];
      try {
        folders = nodes.map((node, i) => report(node, scenario, roots[i]));
      } catch (error) {
        differing++;
        process.stdout.write(`${scenario.padEnd(width)}  FAILED: ${(error as Error).message}\n`);
        continue;
      }
      const verdicts = COMPARED.map((file) => {
        const [a, b] = folders.map((folder) => readFileSync(join(folder, file)));
        if (a.equals(b)) return `${file} same (${a.length} bytes)`;
        differing++;
        return `${file} DIFFERENT (${a.length} and ${b.length} bytes)`;
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${scenario.padEnd(width)}  ${verdicts.join(", ")}  [${seconds} s]\n`);
    }
  } finally {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(
    differing === 0
      ? `\nok: the same bytes on both\n`
      : `\n${differing} file(s) differ or failed between Node ${thisMajor} and Node ${otherMajor}\n`,
  );
  return differing === 0 ? 0 : 1;
}

process.exitCode = main();
