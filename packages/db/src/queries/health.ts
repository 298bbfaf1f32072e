/** Whether the database answers: the readiness checks' one round trip. */
import { sql } from "drizzle-orm";
import type { Database } from "../client.js";

/** One `select 1`; throws when the database does not answer. */
export async function ping(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
