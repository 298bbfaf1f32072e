/** @tsunagi/tui: the account manager's terminal. `runTui` opens it; the pieces are exported for tests. */
export { type AdminApiPort, createHttpPort } from "./api/client.js";
export { App, type AppProps } from "./app/App.js";
export { UiProvider } from "./app/ui-context.js";
export { fileConfigStore, memoryConfigStore } from "./lib/config.js";
export { type RunTuiOptions, runTui } from "./run.js";
