/**
 * Imported first by the TUI's entry points. Ink renders nothing until exit when it thinks it runs
 * in CI (any CI variable set), which leaves a person at a real terminal looking at a blank screen:
 * a shell inside a CI job, a dev container, a test driving the TUI in a pseudo-terminal. A terminal
 * on stdout means a person is there, so the TUI is interactive whatever CI says.
 */
if (process.stdout.isTTY) {
  process.env.CI = "0";
  process.env.CONTINUOUS_INTEGRATION = "0";
}
