CREATE TYPE "public"."attempt_result" AS ENUM('success', 'failure', 'info');--> statement-breakpoint
CREATE TYPE "public"."edition" AS ENUM('plus', 'standard');--> statement-breakpoint
CREATE TYPE "public"."model" AS ENUM('legacy', 'neo');--> statement-breakpoint
CREATE TYPE "public"."product" AS ENUM('usb-ndl', 'usb-xdl', 'usb-ex', 'fingerprint-ndl', 'fingerprint-xdl', 'fingerprint-ex', 'terminal-ndl-s', 'terminal-xdl-s', 'terminal-ex-s', 'mobile-windows', 'mobile-mac', 'mobile-ios', 'mobile-android');--> statement-breakpoint
CREATE TYPE "public"."product_type" AS ENUM('usb-ndl', 'usb-xdl', 'usb-ex', 'fingerprint-ndl', 'fingerprint-xdl', 'fingerprint-ex', 'terminal-ndl-s', 'terminal-xdl-s', 'terminal-ex-s', 'mobile');--> statement-breakpoint
CREATE TYPE "public"."role" AS ENUM('viewer', 'client');--> statement-breakpoint
CREATE TYPE "public"."slot_kind" AS ENUM('pc', 'mobile');--> statement-breakpoint
CREATE TYPE "public"."user_type" AS ENUM('standard', 'device-dedicated');--> statement-breakpoint
CREATE TABLE "admin_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"contract_id" uuid NOT NULL,
	"server_host" text NOT NULL,
	"login_name" text NOT NULL,
	"password_hash" text NOT NULL,
	"temporary_password" boolean DEFAULT true NOT NULL,
	"failed_count" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "admin_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"admin_id" uuid NOT NULL,
	"contract_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone DEFAULT now() + interval '12 hours' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "admin_audit" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "admin_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"contract_id" uuid NOT NULL,
	"admin_id" uuid,
	"admin_login_name" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "contracts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"contract_code" text NOT NULL,
	"name" text NOT NULL,
	"model" "model" NOT NULL,
	"server_host" text NOT NULL,
	"admin_allow_cidrs" text[],
	"lockout_threshold" integer DEFAULT 5 NOT NULL,
	"lockout_seconds" integer DEFAULT 900 NOT NULL,
	"admin_idle_timeout_seconds" integer DEFAULT 1800 NOT NULL,
	"neo_device_limit" integer DEFAULT 3 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contracts_contract_code_unique" UNIQUE("contract_code")
);
--> statement-breakpoint
CREATE TABLE "group_links" (
	"contract_id" uuid NOT NULL,
	"viewer_user_id" uuid NOT NULL,
	"client_user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_links_viewer_user_id_client_user_id_pk" PRIMARY KEY("viewer_user_id","client_user_id")
);
--> statement-breakpoint
CREATE TABLE "access_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "access_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
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
	"session_id" uuid
);
--> statement-breakpoint
CREATE TABLE "active_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"contract_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"user_name" text NOT NULL,
	"role" "role" NOT NULL,
	"source_address" text,
	"relay_instance" text NOT NULL,
	"history_id" bigint NOT NULL,
	"peer_user_name" text,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disconnect_requested_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "device_registrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"slot" "slot_kind" NOT NULL,
	"seq" integer DEFAULT 0 NOT NULL,
	"machine_id" text NOT NULL,
	"os_user" text NOT NULL,
	"install_public_key" text NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "device_registrations_seq_nonneg" CHECK ("device_registrations"."seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"contract_id" uuid NOT NULL,
	"server_host" text NOT NULL,
	"user_name" text NOT NULL,
	"password_hash" text NOT NULL,
	"user_type" "user_type" DEFAULT 'standard' NOT NULL,
	"memo" text DEFAULT '' NOT NULL,
	"viewer_product" "product_type",
	"viewer_usable" boolean DEFAULT true NOT NULL,
	"mobile_concurrent_use" boolean DEFAULT false NOT NULL,
	"client_usable" boolean DEFAULT true NOT NULL,
	"edition" "edition" DEFAULT 'standard' NOT NULL,
	"allow_non_plus_concurrent_use" boolean DEFAULT false NOT NULL,
	"usb_key_serial" text,
	"ip_allow_viewer" text[],
	"ip_allow_client" text[],
	"mac_allow_viewer" text[],
	"mac_allow_client" text[],
	"may_store_login_password" boolean DEFAULT false NOT NULL,
	"may_store_os_logon_password" boolean DEFAULT false NOT NULL,
	"neo_device_limit" integer,
	"neo_registration_open" boolean DEFAULT true NOT NULL,
	"pc_slot_initialised_at" timestamp with time zone,
	"mobile_slot_initialised_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"failed_count" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "admin_accounts" ADD CONSTRAINT "admin_accounts_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_sessions" ADD CONSTRAINT "admin_sessions_admin_id_admin_accounts_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admin_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_sessions" ADD CONSTRAINT "admin_sessions_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_audit" ADD CONSTRAINT "admin_audit_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_audit" ADD CONSTRAINT "admin_audit_admin_id_admin_accounts_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admin_accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_links" ADD CONSTRAINT "group_links_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_links" ADD CONSTRAINT "group_links_viewer_user_id_users_id_fk" FOREIGN KEY ("viewer_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_links" ADD CONSTRAINT "group_links_client_user_id_users_id_fk" FOREIGN KEY ("client_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_history" ADD CONSTRAINT "access_history_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_history" ADD CONSTRAINT "access_history_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "active_sessions" ADD CONSTRAINT "active_sessions_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "active_sessions" ADD CONSTRAINT "active_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_registrations" ADD CONSTRAINT "device_registrations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "admin_accounts_server_login" ON "admin_accounts" USING btree ("server_host","login_name");--> statement-breakpoint
CREATE INDEX "admin_sessions_admin" ON "admin_sessions" USING btree ("admin_id");--> statement-breakpoint
CREATE INDEX "admin_audit_contract_at" ON "admin_audit" USING btree ("contract_id","at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "group_links_client" ON "group_links" USING btree ("client_user_id");--> statement-breakpoint
CREATE INDEX "access_history_keyset" ON "access_history" USING btree ("contract_id","started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "access_history_user_keyset" ON "access_history" USING btree ("contract_id","user_name","started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "access_history_role_result_keyset" ON "access_history" USING btree ("contract_id","role","result","started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "access_history_open_session" ON "access_history" USING btree ("session_id") WHERE "access_history"."ended_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "active_sessions_user_role" ON "active_sessions" USING btree ("user_id","role");--> statement-breakpoint
CREATE INDEX "active_sessions_contract" ON "active_sessions" USING btree ("contract_id");--> statement-breakpoint
CREATE UNIQUE INDEX "device_registrations_slot_seq" ON "device_registrations" USING btree ("user_id","slot","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "users_server_user_name" ON "users" USING btree ("server_host","user_name");--> statement-breakpoint
CREATE INDEX "users_contract_user_name" ON "users" USING btree ("contract_id","user_name");