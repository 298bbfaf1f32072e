import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "components",
          include: ["src/**/*.test.{ts,tsx}"],
          setupFiles: ["./src/test-utils/setup.ts"],
          // Colour escapes on, so the NO_COLOR test has something to take away; frames are compared stripped.
          env: { FORCE_COLOR: "1", TZ: "Asia/Tokyo" },
          testTimeout: 15_000,
        },
      },
    ],
  },
});
