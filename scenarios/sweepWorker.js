// Entry point of a sweep's worker thread. A worker starts with a fresh module loader, without
// the tsx hooks of the thread that made it, so it registers them (as bin/queuelab.js does)
// before importing the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./sweepWorker.ts");
