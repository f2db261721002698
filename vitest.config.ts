import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Simulation tests run long virtual horizons; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run counts passed and failed tests from.
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
  },
});
