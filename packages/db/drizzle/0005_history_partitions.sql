-- History at scale (docs/architecture.md, "History at scale"). Written by hand: drizzle-kit cannot
-- declare a partitioned table, a trigger or a function; the snapshot beside it is drizzle-kit's own,
-- so `drizzle-kit generate` after it finds nothing to do.
--
-- 1. contracts.history_retention_months (default 24).
-- 2. access_history_daily and access_history_monthly, the rollup: per contract, user, day (month) in
--    UTC and role, the connection time of the ended successful sessions; and access_history_open, the
--    rows of the sessions still open; kept by a trigger in the transaction of every history write.
-- 3. access_history becomes partitioned by month of started_at (UTC): a default partition catches a
--    row no month partition takes (so an insert never fails), the months from the oldest row to three
--    ahead are made now, and later ones by access_history_ensure_month (maintainHistory in
--    packages/db/src/queries/history-maintenance.ts). Every row is copied, under an exclusive lock
--    taken first, so a relay still running the old code waits rather than writes to the old table.
ALTER TABLE "contracts" ADD COLUMN "history_retention_months" integer DEFAULT 24 NOT NULL;--> statement-breakpoint
CREATE TABLE "access_history_daily" (
	"contract_id" uuid NOT NULL,
	"user_name" text NOT NULL,
	"day" date NOT NULL,
	"role" "role" NOT NULL,
	"connected_micros" bigint DEFAULT 0 NOT NULL,
	"sessions" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "access_history_daily_contract_id_user_name_day_role_pk" PRIMARY KEY("contract_id","user_name","day","role")
);
--> statement-breakpoint
CREATE TABLE "access_history_monthly" (
	"contract_id" uuid NOT NULL,
	"user_name" text NOT NULL,
	"month" date NOT NULL,
	"role" "role" NOT NULL,
	"connected_micros" bigint DEFAULT 0 NOT NULL,
	"sessions" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "access_history_monthly_contract_id_user_name_month_role_pk" PRIMARY KEY("contract_id","user_name","month","role")
);
--> statement-breakpoint
CREATE TABLE "access_history_open" (
	"history_id" bigint PRIMARY KEY NOT NULL,
	"contract_id" uuid NOT NULL,
	"user_name" text NOT NULL,
	"role" "role" NOT NULL,
	"started_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "access_history_daily" ADD CONSTRAINT "access_history_daily_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_history_monthly" ADD CONSTRAINT "access_history_monthly_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_history_open" ADD CONSTRAINT "access_history_open_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_history_open_user" ON "access_history_open" USING btree ("contract_id","user_name");--> statement-breakpoint
LOCK TABLE "access_history" IN ACCESS EXCLUSIVE MODE;--> statement-breakpoint
ALTER TABLE "access_history" RENAME TO "access_history_unpartitioned";--> statement-breakpoint
ALTER SEQUENCE "access_history_id_seq" RENAME TO "access_history_unpartitioned_id_seq";--> statement-breakpoint
ALTER TABLE "access_history_unpartitioned" RENAME CONSTRAINT "access_history_pkey" TO "access_history_unpartitioned_pkey";--> statement-breakpoint
DROP INDEX "access_history_keyset";--> statement-breakpoint
DROP INDEX "access_history_user_keyset";--> statement-breakpoint
DROP INDEX "access_history_role_result_keyset";--> statement-breakpoint
DROP INDEX "access_history_connected_time";--> statement-breakpoint
DROP INDEX "access_history_open_session";--> statement-breakpoint
CREATE TABLE "access_history" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "access_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"contract_id" uuid NOT NULL,
	"user_id" uuid,
	"user_name" text NOT NULL,
	"role" "role" NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"source_address" text,
	"mac" text,
	"result" "attempt_result" NOT NULL,
	"reason_key" text,
	"reason_code" integer,
	"product" "product",
	"edition" "edition",
	"peer_user_name" text,
	"session_id" uuid,
	CONSTRAINT "access_history_id_started_at_pk" PRIMARY KEY("id","started_at")
) PARTITION BY RANGE ("started_at");
--> statement-breakpoint
ALTER TABLE "access_history" ADD CONSTRAINT "access_history_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_history" ADD CONSTRAINT "access_history_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE TABLE "access_history_default" PARTITION OF "access_history" DEFAULT;--> statement-breakpoint
-- The exact connection time of a history row, as the rollup counts it (extract is exact numeric).
CREATE FUNCTION access_history_micros(started timestamptz, ended timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ select (extract(epoch from ended - started) * 1000000)::bigint $$;--> statement-breakpoint
-- The month partition holding `month` (any instant in it, read in UTC), made when missing: a table of
-- its own, CHECKed to its bounds, then attached. Attaching takes only a SHARE UPDATE EXCLUSIVE lock
-- on access_history, which neither reads nor writes wait for (creating it as a partition would take
-- ACCESS EXCLUSIVE); the default partition is locked and scanned for rows of the month. Rows the
-- default caught for that month move into it (their rollup is subtracted by the delete and added back
-- by the insert, so it stays exact). Callers set a lock_timeout and try again later.
CREATE FUNCTION access_history_ensure_month(month timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  first timestamp := date_trunc('month', month AT TIME ZONE 'UTC');
  part text := 'access_history_' || to_char(first, 'YYYY_MM');
  lo timestamptz := first AT TIME ZONE 'UTC';
  hi timestamptz := (first + interval '1 month') AT TIME ZONE 'UTC';
  caught boolean;
BEGIN
  IF to_regclass(quote_ident(part)) IS NOT NULL THEN
    RETURN part;
  END IF;
  SELECT EXISTS (SELECT 1 FROM access_history_default WHERE started_at >= lo AND started_at < hi) INTO caught;
  IF caught THEN
    CREATE TEMP TABLE access_history_moving (LIKE access_history) ON COMMIT DROP;
    WITH moved AS (
      DELETE FROM access_history_default WHERE started_at >= lo AND started_at < hi RETURNING *
    )
    INSERT INTO access_history_moving SELECT * FROM moved;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE access_history INCLUDING DEFAULTS)', part);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (started_at >= %L AND started_at < %L)',
    part, part || '_bounds', lo, hi);
  EXECUTE format('ALTER TABLE access_history ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_bounds');
  IF caught THEN
    INSERT INTO access_history OVERRIDING SYSTEM VALUE SELECT * FROM access_history_moving;
    DROP TABLE access_history_moving;
  END IF;
  RETURN part;
END $$;--> statement-breakpoint
SELECT access_history_ensure_month(m)
FROM generate_series(
  date_trunc('month', coalesce((SELECT min(started_at) FROM access_history_unpartitioned), now()) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
  now() + interval '3 months',
  interval '1 month'
) AS m;--> statement-breakpoint
INSERT INTO "access_history" OVERRIDING SYSTEM VALUE
SELECT "id", "contract_id", "user_id", "user_name", "role", "started_at", "ended_at", "source_address", "mac",
  "result", "reason_key", "reason_code", "product", "edition", "peer_user_name", "session_id"
FROM "access_history_unpartitioned";--> statement-breakpoint
SELECT setval('access_history_id_seq', last_value, is_called) FROM "access_history_unpartitioned_id_seq";--> statement-breakpoint
DROP TABLE "access_history_unpartitioned";--> statement-breakpoint
-- Built once per partition, after the copy.
CREATE INDEX "access_history_keyset" ON "access_history" USING btree ("contract_id","started_at","id");--> statement-breakpoint
CREATE INDEX "access_history_user_keyset" ON "access_history" USING btree ("contract_id","user_name","started_at","id");--> statement-breakpoint
CREATE INDEX "access_history_role_result_keyset" ON "access_history" USING btree ("contract_id","role","result","started_at","id");--> statement-breakpoint
CREATE INDEX "access_history_open_session" ON "access_history" USING btree ("session_id") WHERE "access_history"."ended_at" is null;--> statement-breakpoint
INSERT INTO "access_history_daily" ("contract_id", "user_name", "day", "role", "connected_micros", "sessions")
SELECT "contract_id", "user_name", ("started_at" AT TIME ZONE 'UTC')::date, "role",
  sum(access_history_micros("started_at", "ended_at")), count(*)
FROM "access_history"
WHERE "result" = 'success' AND "ended_at" IS NOT NULL
GROUP BY 1, 2, 3, 4;--> statement-breakpoint
INSERT INTO "access_history_monthly" ("contract_id", "user_name", "month", "role", "connected_micros", "sessions")
SELECT "contract_id", "user_name", date_trunc('month', "day")::date, "role", sum("connected_micros"), sum("sessions")
FROM "access_history_daily"
GROUP BY 1, 2, 3, 4;--> statement-breakpoint
INSERT INTO "access_history_open" ("history_id", "contract_id", "user_name", "role", "started_at")
SELECT "id", "contract_id", "user_name", "role", "started_at" FROM "access_history"
WHERE "result" = 'success' AND "ended_at" IS NULL;--> statement-breakpoint
-- The rollup's trigger: a row's old contribution out, its new one in: an ended success to the daily
-- and monthly sums, an open one (no end yet) to access_history_open. A failed attempt (ended where it
-- started, not a success) contributes nothing, and the WHEN clauses keep the function from being
-- called for it at all.
CREATE FUNCTION access_history_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_micros bigint;
  v_day date;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.result = 'success' AND OLD.ended_at IS NULL THEN
    DELETE FROM access_history_open WHERE history_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.result = 'success' AND NEW.ended_at IS NULL THEN
    INSERT INTO access_history_open (history_id, contract_id, user_name, role, started_at)
    VALUES (NEW.id, NEW.contract_id, NEW.user_name, NEW.role, NEW.started_at);
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.result = 'success' AND OLD.ended_at IS NOT NULL THEN
    v_micros := access_history_micros(OLD.started_at, OLD.ended_at);
    v_day := (OLD.started_at AT TIME ZONE 'UTC')::date;
    UPDATE access_history_daily AS d
    SET connected_micros = d.connected_micros - v_micros, sessions = d.sessions - 1
    WHERE d.contract_id = OLD.contract_id AND d.user_name = OLD.user_name AND d.day = v_day AND d.role = OLD.role;
    UPDATE access_history_monthly AS m
    SET connected_micros = m.connected_micros - v_micros, sessions = m.sessions - 1
    WHERE m.contract_id = OLD.contract_id AND m.user_name = OLD.user_name
      AND m.month = date_trunc('month', v_day)::date AND m.role = OLD.role;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.result = 'success' AND NEW.ended_at IS NOT NULL THEN
    v_micros := access_history_micros(NEW.started_at, NEW.ended_at);
    v_day := (NEW.started_at AT TIME ZONE 'UTC')::date;
    INSERT INTO access_history_daily AS d (contract_id, user_name, day, role, connected_micros, sessions)
    VALUES (NEW.contract_id, NEW.user_name, v_day, NEW.role, v_micros, 1)
    ON CONFLICT (contract_id, user_name, day, role) DO UPDATE
    SET connected_micros = d.connected_micros + excluded.connected_micros, sessions = d.sessions + 1;
    INSERT INTO access_history_monthly AS m (contract_id, user_name, month, role, connected_micros, sessions)
    VALUES (NEW.contract_id, NEW.user_name, date_trunc('month', v_day)::date, NEW.role, v_micros, 1)
    ON CONFLICT (contract_id, user_name, month, role) DO UPDATE
    SET connected_micros = m.connected_micros + excluded.connected_micros, sessions = m.sessions + 1;
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER access_history_rollup_insert AFTER INSERT ON access_history FOR EACH ROW
WHEN (NEW.result = 'success') EXECUTE FUNCTION access_history_rollup();--> statement-breakpoint
CREATE TRIGGER access_history_rollup_update
AFTER UPDATE OF contract_id, user_name, role, started_at, ended_at, result ON access_history FOR EACH ROW
WHEN (OLD.result = 'success' OR NEW.result = 'success')
EXECUTE FUNCTION access_history_rollup();--> statement-breakpoint
CREATE TRIGGER access_history_rollup_delete AFTER DELETE ON access_history FOR EACH ROW
WHEN (OLD.result = 'success') EXECUTE FUNCTION access_history_rollup();
