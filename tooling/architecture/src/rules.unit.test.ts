// The dependency rules against small workspaces written to a temporary directory: each forbidden
// import or dependency is named with its file and line, and the allowed forms pass.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkWorkspace, formatViolation, isDevFile, type Violation } from "./rules.js";
import { loadWorkspace, workspaceGlobs } from "./workspace.js";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const manifest = (name: string, extra: object = {}) => JSON.stringify({ name, type: "module", ...extra });

/** The members of a small Tsunagi-shaped workspace, each with nothing but its package.json. */
const BASE: Record<string, string> = {
  "pnpm-workspace.yaml": 'packages:\n  - apps/*\n  - "packages/*"\n  - tooling/*\n\ncatalog:\n  zod: ^4\n',
  "apps/relay/package.json": manifest("@tsunagi/relay", { exports: { ".": "./src/index.ts" } }),
  "apps/tui/package.json": manifest("@tsunagi/tui", { devDependencies: { "@tsunagi/relay": "workspace:*" } }),
  "apps/agent/package.json": manifest("@tsunagi/agent", { dependencies: { "@tsunagi/core": "workspace:*" } }),
  "apps/platform/package.json": manifest("@tsunagi/platform", {
    dependencies: { "@tsunagi/relay": "workspace:*", "@tsunagi/fixtures": "workspace:*" },
  }),
  "packages/core/package.json": manifest("@tsunagi/core", {
    exports: { ".": "./src/index.ts", "./wire": "./src/wire.ts" },
    dependencies: { zod: "catalog:" },
  }),
  "packages/db/package.json": manifest("@tsunagi/db", {
    exports: {
      ".": "./src/index.ts",
      "./schema": "./src/schema/index.ts",
      "./testing/*": "./src/testing/*.ts",
    },
  }),
  "packages/fixtures/package.json": manifest("@tsunagi/fixtures", {
    exports: { ".": "./src/index.ts", "./msw": "./src/msw/index.ts" },
  }),
  "tooling/architecture/package.json": manifest("@tsunagi/architecture"),
};

function violationsOf(files: Record<string, string>): Violation[] {
  const root = mkdtempSync(join(tmpdir(), "tsunagi-architecture-"));
  roots.push(root);
  for (const [path, text] of Object.entries({ ...BASE, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return checkWorkspace(loadWorkspace(root));
}

const brief = (v: Violation) =>
  `${v.rule} ${v.file}${v.line === undefined ? "" : `:${v.line}`} ${v.specifier}`;

describe("the dependency rules", () => {
  it("pass the allowed forms: types across apps, tests and benchmarks, the launcher, exported subpaths", () => {
    const violations = violationsOf({
      "apps/tui/src/api/types.ts": [
        'import type { Relay } from "@tsunagi/relay";',
        'export type { Log } from "@tsunagi/relay";',
        'export type Started = typeof import("@tsunagi/relay");',
        'import { wire } from "@tsunagi/core/wire";',
        'import { render } from "./render.js";',
      ].join("\n"),
      "apps/tui/src/test-utils/render.tsx": 'import { handlers } from "@tsunagi/fixtures/msw";\n',
      "apps/tui/src/screens/History.test.tsx": 'import { createRelay } from "@tsunagi/relay";\n',
      "apps/relay/test/scenarios.test.ts": 'import { startViewer } from "@tsunagi/agent";\n',
      "apps/relay/test/helpers.ts": 'import { DEMO } from "@tsunagi/fixtures";\n',
      "apps/relay/bench/run.ts": 'import { startViewer } from "@tsunagi/agent";\n',
      "apps/platform/src/start.ts":
        'import { createRelay } from "@tsunagi/relay";\nimport { seedDemo } from "@tsunagi/fixtures";\n',
      "apps/agent/bin/tsunagi-viewer.js":
        'import { register } from "tsx/esm/api";\nawait import("../src/cli/viewer.ts");\n',
      "packages/core/src/password.ts":
        'import { randomBytes } from "node:crypto";\nimport { z } from "zod";\n',
      "packages/core/src/reasons.test.ts": 'import { readFileSync } from "node:fs";\n',
      "packages/core/scripts/gen-docs.ts": 'import { writeFileSync } from "node:fs";\n',
      "packages/db/src/index.ts":
        'import postgres from "postgres";\nimport { decide } from "@tsunagi/core";\n',
      "packages/db/src/testing/setup.ts": 'import { x } from "@tsunagi/db/testing/global-setup";\n',
      "packages/fixtures/src/demo.ts":
        'import { users } from "@tsunagi/db/schema";\nimport { x } from "@tsunagi/db/testing/a";\n',
    });
    expect(violations.map(formatViolation)).toEqual([]);
  });

  it("refuse an app importing another app at run time, in every import form", () => {
    const violations = violationsOf({
      "apps/tui/src/screens/History.tsx": [
        'import { createRelay } from "@tsunagi/relay";',
        'import { type Relay } from "@tsunagi/relay";',
        "const relay = await import('@tsunagi/relay');",
        'export { createRelay as start } from "@tsunagi/relay";',
        'import "@tsunagi/relay";',
      ].join("\n"),
      "apps/relay/src/main.ts":
        'import type { Platform } from "@tsunagi/tui";\nimport { start } from "@tsunagi/tui";\n',
    });
    expect(violations.map(brief)).toEqual([
      "app-depends-on-app apps/relay/src/main.ts:2 @tsunagi/tui",
      "app-depends-on-app apps/tui/src/screens/History.tsx:1 @tsunagi/relay",
      "app-depends-on-app apps/tui/src/screens/History.tsx:2 @tsunagi/relay",
      "app-depends-on-app apps/tui/src/screens/History.tsx:3 @tsunagi/relay",
      "app-depends-on-app apps/tui/src/screens/History.tsx:4 @tsunagi/relay",
      "app-depends-on-app apps/tui/src/screens/History.tsx:5 @tsunagi/relay",
    ]);
    expect(formatViolation(violations[1] as Violation)).toMatch(
      /^apps\/tui\/src\/screens\/History\.tsx:1 imports "@tsunagi\/relay": .*import type/,
    );
  });

  it("refuse an app listing another app in its run-time dependencies", () => {
    const violations = violationsOf({
      "apps/tui/package.json": manifest("@tsunagi/tui", {
        dependencies: { "@tsunagi/relay": "workspace:*" },
      }),
    });
    expect(violations.map(brief)).toEqual(["app-depends-on-app apps/tui/package.json @tsunagi/relay"]);
  });

  it("refuse a package depending on an app, in its manifest or its imports, even for types", () => {
    const violations = violationsOf({
      "packages/fixtures/package.json": manifest("@tsunagi/fixtures", {
        exports: { ".": "./src/index.ts" },
        devDependencies: { "@tsunagi/relay": "workspace:*" },
      }),
      "packages/fixtures/src/msw/types.ts": 'import type { Log } from "@tsunagi/relay";\n',
      "packages/db/src/queries/history.test.ts": 'import { createRelay } from "@tsunagi/relay";\n',
      "tooling/architecture/src/x.ts": 'import { createRelay } from "@tsunagi/relay";\n',
    });
    expect(violations.map(brief)).toEqual([
      "package-depends-on-app packages/fixtures/package.json @tsunagi/relay",
      "package-depends-on-app packages/db/src/queries/history.test.ts:1 @tsunagi/relay",
      "package-depends-on-app packages/fixtures/src/msw/types.ts:1 @tsunagi/relay",
      "package-depends-on-app tooling/architecture/src/x.ts:1 @tsunagi/relay",
    ]);
  });

  it("refuse I/O and the database in core, by import and by dependency", () => {
    const io = [
      "node:fs",
      "fs/promises",
      "node:net",
      "node:http",
      "https",
      "node:child_process",
      "node:dgram",
      "postgres",
      "drizzle-orm/pg-core",
      "@tsunagi/db",
    ];
    const violations = violationsOf({
      "packages/core/package.json": manifest("@tsunagi/core", {
        exports: { ".": "./src/index.ts" },
        dependencies: { postgres: "^3", zod: "^4" },
      }),
      "packages/core/src/rules.ts": io.map((m, i) => `import * as m${i} from "${m}";`).join("\n"),
    });
    expect(violations.map(brief)).toEqual([
      "core-is-pure packages/core/package.json postgres",
      ...io.slice(0, -1).map((m, i) => `core-is-pure packages/core/src/rules.ts:${i + 1} ${m}`),
      // The database package is both I/O and another workspace package.
      "core-is-pure packages/core/src/rules.ts:10 @tsunagi/db",
      "core-is-pure packages/core/src/rules.ts:10 @tsunagi/db",
    ]);
  });

  it("refuse a deep import into another package's files", () => {
    const violations = violationsOf({
      "apps/relay/src/auth.ts": [
        'import { decide } from "@tsunagi/core/src/rules.js";',
        'import { users } from "@tsunagi/db/src/schema/users.ts";',
        'import { decide as d } from "../../../packages/core/src/rules.js";',
        'import { users as u } from "@tsunagi/db/schema/users";',
      ].join("\n"),
    });
    expect(violations.map(brief)).toEqual([
      "deep-import apps/relay/src/auth.ts:1 @tsunagi/core/src/rules.js",
      "deep-import apps/relay/src/auth.ts:2 @tsunagi/db/src/schema/users.ts",
      "deep-import apps/relay/src/auth.ts:3 ../../../packages/core/src/rules.js",
      "deep-import apps/relay/src/auth.ts:4 @tsunagi/db/schema/users",
    ]);
  });

  it("refuse shipped code the dev-only entries, and the agent password hashing", () => {
    const violations = violationsOf({
      "apps/agent/src/connection.ts": [
        'import { hashSecret } from "@tsunagi/core/password";',
        'import type { Hello } from "@tsunagi/core/wire";',
      ].join("\n"),
      "apps/agent/test/helpers.ts": 'import { hashSecret } from "@tsunagi/core/password";\n',
      "apps/relay/src/auth.ts": 'import { verifySecret } from "@tsunagi/core/password";\n',
      "apps/relay/src/docs.ts": 'import { renderReasonsMarkdown } from "@tsunagi/core/docs";\n',
      "apps/relay/src/start.ts": 'import { countingArgon2 } from "@tsunagi/core/testing";\n',
      "packages/fixtures/src/synthetic.ts": 'import { createTestDatabase } from "@tsunagi/db/testing";\n',
      "packages/core/scripts/gen-docs.ts": 'import { renderReasonsMarkdown } from "@tsunagi/core/docs";\n',
      "apps/relay/test/helpers.ts": 'import { createTestDatabase } from "@tsunagi/db/testing";\n',
      "packages/core/package.json": manifest("@tsunagi/core", {
        exports: {
          ".": "./src/index.ts",
          "./docs": "./src/docs.ts",
          "./password": "./src/password.ts",
          "./testing": "./src/testing/index.ts",
          "./wire": "./src/wire.ts",
        },
      }),
      "packages/db/package.json": manifest("@tsunagi/db", {
        exports: { ".": "./src/index.ts", "./testing": "./src/testing/index.ts" },
      }),
    });
    expect(violations.map(brief)).toEqual([
      "agent-depends-on-core-only apps/agent/src/connection.ts:1 @tsunagi/core/password",
      "dev-only-entry apps/relay/src/docs.ts:1 @tsunagi/core/docs",
      "dev-only-entry apps/relay/src/start.ts:1 @tsunagi/core/testing",
    ]);
  });

  it("refuse the agent anything but core, and a running app the fixtures", () => {
    const violations = violationsOf({
      "apps/agent/package.json": manifest("@tsunagi/agent", {
        dependencies: { "@tsunagi/core": "workspace:*", "@tsunagi/db": "workspace:*" },
      }),
      "apps/agent/src/identity.ts": 'import { db } from "@tsunagi/db";\n',
      "apps/relay/src/main.ts": 'import { DEMO } from "@tsunagi/fixtures";\n',
      "apps/relay/package.json": manifest("@tsunagi/relay", {
        exports: { ".": "./src/index.ts" },
        dependencies: { "@tsunagi/fixtures": "workspace:*" },
      }),
    });
    expect(violations.map(brief)).toEqual([
      "agent-depends-on-core-only apps/agent/package.json @tsunagi/db",
      "fixtures-dev-only apps/relay/package.json @tsunagi/fixtures",
      "agent-depends-on-core-only apps/agent/src/identity.ts:1 @tsunagi/db",
      "fixtures-dev-only apps/relay/src/main.ts:1 @tsunagi/fixtures",
    ]);
  });
});

describe("the workspace reader", () => {
  it("takes the members' globs from pnpm-workspace.yaml's packages list only", () => {
    expect(workspaceGlobs(BASE["pnpm-workspace.yaml"] as string)).toEqual([
      "apps/*",
      "packages/*",
      "tooling/*",
    ]);
  });

  it("counts tests, their helpers, benchmarks and scripts as dev code, and src as run-time code", () => {
    expect(
      [
        "test/a.ts",
        "src/a.test.tsx",
        "bench/run.ts",
        "src/test-utils/render.tsx",
        "src/testing/index.ts",
        "scripts/gen.ts",
        "vitest.config.ts",
      ].every(isDevFile),
    ).toBe(true);
    expect(
      ["src/relay.ts", "src/cli/viewer.ts", "bin/tsunagi-viewer.js", "src/latest.ts"].some(isDevFile),
    ).toBe(false);
  });
});
