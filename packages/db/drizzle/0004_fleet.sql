CREATE TABLE "fleet_keys" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"key" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fleet_keys_one_row" CHECK ("fleet_keys"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "relay_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"lock_key" integer GENERATED ALWAYS AS IDENTITY (sequence name "relay_nodes_lock_key_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"internal_url" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"draining_since" timestamp with time zone,
	CONSTRAINT "relay_nodes_lock_key_unique" UNIQUE("lock_key")
);
--> statement-breakpoint
CREATE INDEX "active_sessions_relay" ON "active_sessions" USING btree ("relay_instance");