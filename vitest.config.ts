import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: "forks",
    poolOptions: { forks: { minForks: 1, maxForks: 3 } },
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
