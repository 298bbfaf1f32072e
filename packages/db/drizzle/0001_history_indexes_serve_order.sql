DROP INDEX "admin_audit_contract_at";--> statement-breakpoint
DROP INDEX "access_history_keyset";--> statement-breakpoint
DROP INDEX "access_history_user_keyset";--> statement-breakpoint
DROP INDEX "access_history_role_result_keyset";--> statement-breakpoint
CREATE INDEX "admin_audit_contract_id" ON "admin_audit" USING btree ("contract_id","id");--> statement-breakpoint
CREATE INDEX "access_history_connected_time" ON "access_history" USING btree ("contract_id","user_name","role","started_at","ended_at") WHERE "access_history"."result" = 'success';--> statement-breakpoint
CREATE INDEX "access_history_keyset" ON "access_history" USING btree ("contract_id","started_at","id");--> statement-breakpoint
CREATE INDEX "access_history_user_keyset" ON "access_history" USING btree ("contract_id","user_name","started_at","id");--> statement-breakpoint
CREATE INDEX "access_history_role_result_keyset" ON "access_history" USING btree ("contract_id","role","result","started_at","id");