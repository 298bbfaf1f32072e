#!/usr/bin/env node
// Runs the TypeScript entry through tsx, so the CLI works from the source checkout without a build
// (development and the tests). The shipped program is built: `pnpm build` writes
// dist/tsunagi-client.js, which runs with plain node.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/client.ts");
