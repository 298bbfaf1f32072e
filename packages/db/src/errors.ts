/**
 * What may be logged of an error that came from the database: its kind, the server's message and
 * SQLSTATE, never the statement's text or its parameters. Drizzle's `DrizzleQueryError` puts both in
 * its message ("Failed query: … params: …") and on the error, and the parameters of this project's
 * statements include password hashes (a login's verified hash, a new password's hash) and token hashes.
 * The server's own message is kept except for data exceptions (SQLSTATE class 22), whose messages
 * quote the offending value ("invalid input syntax for type integer: …"); details are never kept.
 */
export interface LoggableError {
  name: string;
  message: string;
  /** PostgreSQL's SQLSTATE, when the server refused the statement. */
  code?: string;
}

export function loggableError(error: unknown): LoggableError {
  if (!(error instanceof Error)) return { name: "Error", message: "a non-error value was thrown" };
  const cause = (error as { cause?: unknown }).cause;
  const fromQuery = error.message.startsWith("Failed query") || "params" in error || "parameters" in error;
  if (fromQuery) {
    const inner = cause instanceof Error ? cause : undefined;
    const code = (inner as { code?: unknown } | undefined)?.code;
    const quotesValue = typeof code === "string" && code.startsWith("22");
    return {
      name: error.name,
      message:
        inner && !quotesValue
          ? inner.message
          : `the database refused a statement${quotesValue ? " (data exception)" : ""}`,
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) };
}

/**
 * An error as the one line an operator reads: its own message when it was written for people (a
 * database that would not start, or an error named in `forPeople`), else `loggableError`'s, which
 * never carries a statement or its parameters.
 */
export function operatorLine(error: unknown, forPeople: readonly string[] = []): string {
  const message =
    error instanceof Error && (error.name === "DatabaseStartError" || forPeople.includes(error.name))
      ? error.message
      : loggableError(error).message;
  return message.replace(/\s*\n\s*/g, " ");
}
