/** The database's environment, parsed once: the only place @tsunagi/db and its commands read process.env. */
import { z } from "zod";

const blankAsUndefined = (v: unknown) => (v === "" ? undefined : v);

const DbEnv = z.object({
  /** An external PostgreSQL; absent: the embedded server. */
  DATABASE_URL: z.preprocess(
    blankAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
  ),
  /** Where the embedded server keeps its data (and `pnpm start` its logs). */
  TSUNAGI_DATA_DIR: z.preprocess(blankAsUndefined, z.string().optional()),
  XDG_DATA_HOME: z.preprocess(blankAsUndefined, z.string().optional()),
});
export type DbEnv = z.infer<typeof DbEnv>;

/** Parses `source` (process.env by default); a bad value throws naming the variable. */
export function readDbEnv(source: Record<string, string | undefined> = process.env): DbEnv {
  const parsed = DbEnv.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}
