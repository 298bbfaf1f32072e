/** Vitest setup: React's act() environment, so renders and key presses settle before assertions. */
declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

export {};
