#!/usr/bin/env node
// Runs the TypeScript entry through tsx, so the CLI works from the source checkout without a build.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/client.ts");
