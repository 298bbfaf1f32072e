import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The launcher, the TUI in a pseudo-terminal, the servers: all against the real database.
    globalSetup: ["@tsunagi/db/testing/global-setup"],
    include: ["test/**/*.test.ts"],
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
