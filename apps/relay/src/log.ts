/** The relay's structured log: one JSON object per line on stderr, so an operator can grep and ship it. */
export type LogEvent = { readonly event: string } & Record<string, unknown>;
export type Log = (entry: LogEvent) => void;

export const jsonLog: Log = (entry) => {
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
};

export const silentLog: Log = () => {};
