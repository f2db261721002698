export * from "./distributions.ts";
export * from "./histogram.ts";
export * from "./kernel.ts";
export * from "./metrics.ts";
export * from "./random.ts";
export * from "./trace.ts";
