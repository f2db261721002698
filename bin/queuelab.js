#!/usr/bin/env node
// Entry point of the `queuelab` command: loads the TypeScript sources through tsx, so that
// `npm ci` is the whole set-up (no build step to forget).
import { register } from "tsx/esm/api";

register();
await import("../cli.ts");
