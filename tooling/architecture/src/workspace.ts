/**
 * Reads the workspace as it is on disk: its members (from pnpm-workspace.yaml and each package.json)
 * and every import in their source files, for the dependency rules of docs/architecture.md.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import ts from "typescript";

export type Kind = "app" | "package" | "tooling";

export const DEPENDENCY_FIELDS = [
  "dependencies",
  "devDependencies",
  "peerDependencies",
  "optionalDependencies",
] as const;
export type DependencyField = (typeof DEPENDENCY_FIELDS)[number];

export type Manifest = {
  name?: string;
  exports?: string | Record<string, unknown>;
} & Partial<Record<DependencyField, Record<string, string>>>;

export type Member = {
  name: string;
  /** Directory relative to the workspace root, with `/` separators (`apps/relay`). */
  dir: string;
  kind: Kind;
  manifest: Manifest;
};

export type Import = {
  specifier: string;
  line: number;
  /** Erased at compile time: `import type`, `export type … from`, `typeof import("…")`. */
  typeOnly: boolean;
};

export type SourceFile = {
  /** Path relative to the workspace root, with `/` separators. */
  path: string;
  member: Member;
  imports: Import[];
};

export type Workspace = { members: Member[]; files: SourceFile[] };

/** The first directory of a member's path says what it is: apps run, packages are shared, tooling checks. */
const KINDS: Record<string, Kind> = { apps: "app", packages: "package", tooling: "tooling" };

const SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const SKIPPED_DIRS = new Set(["node_modules", "dist", "coverage", ".vitest", ".turbo", ".data", "drizzle"]);

/** The `packages:` globs of pnpm-workspace.yaml (`apps/*`, or a literal directory). */
export function workspaceGlobs(yaml: string): string[] {
  const globs: string[] = [];
  let inPackages = false;
  for (const line of yaml.split("\n")) {
    if (/^\S/.test(line)) inPackages = /^packages:\s*$/.test(line);
    else if (inPackages) {
      const item = /^\s+-\s+["']?([^"'#\s]+)["']?/.exec(line);
      if (item?.[1]) globs.push(item[1]);
    }
  }
  return globs;
}

function memberDirs(root: string, glob: string): string[] {
  if (!glob.endsWith("/*")) return [glob];
  const parent = glob.slice(0, -2);
  if (!existsSync(join(root, parent))) return [];
  return readdirSync(join(root, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${parent}/${entry.name}`);
}

function sourceFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !existsSync(join(root, path, "package.json"))) {
        found.push(...sourceFiles(root, path));
      }
    } else if (SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(path);
  }
  return found;
}

/** Every module specifier a file names: static imports and re-exports, `import x = require()`, `import()`. */
export function importsOf(path: string, text: string): Import[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, scriptKind(path));
  const found: Import[] = [];
  const add = (literal: ts.Node, typeOnly: boolean) => {
    if (!ts.isStringLiteralLike(literal)) return;
    const { line } = source.getLineAndCharacterOfPosition(literal.getStart(source));
    found.push({ specifier: literal.text, line: line + 1, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      // Under verbatimModuleSyntax `import { type A } from "x"` still loads "x": only a clause-level
      // `import type` is erased.
      add(node.moduleSpecifier, node.importClause?.isTypeOnly === true);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(argument.literal, true);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first) add(first, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function scriptKind(path: string): ts.ScriptKind {
  if (path.endsWith(".tsx")) return ts.ScriptKind.TSX;
  if (path.endsWith(".jsx")) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/** The workspace under `root` as it is now: whatever members and files exist when this runs. */
export function loadWorkspace(root: string): Workspace {
  const members: Member[] = [];
  for (const glob of workspaceGlobs(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8"))) {
    for (const dir of memberDirs(root, glob)) {
      const manifestPath = join(root, dir, "package.json");
      if (!existsSync(manifestPath) || !statSync(join(root, dir)).isDirectory()) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
      const kind = KINDS[dir.split("/")[0] ?? ""];
      if (!kind) throw new Error(`${dir}: a workspace member outside apps/, packages/ or tooling/`);
      members.push({ name: manifest.name ?? dir, dir, kind, manifest });
    }
  }
  const files = members.flatMap((member) =>
    sourceFiles(root, member.dir).map((path) => ({
      path,
      member,
      imports: importsOf(path, readFileSync(join(root, path), "utf8")),
    })),
  );
  return { members, files };
}

/** `from` relative to the workspace root, `/`-separated, for a relative specifier in `file`. */
export function resolveRelative(file: string, specifier: string): string {
  return posix.normalize(posix.join(posix.dirname(file), specifier));
}
