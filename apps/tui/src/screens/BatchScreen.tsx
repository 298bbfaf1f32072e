/**
 * Batch management (一括管理): one change applied to every selected user in one all-or-nothing
 * PATCH /users. Each setting starts at "leave as is", so only what the admin sets is sent. On a neo
 * contract the device limit (leave as is / contract default / a number) and registration are settings
 * too; on a legacy contract they are neither visible nor sent. The change in lib/batch-change.ts,
 * state and keys in hooks/use-batch.ts, drawing in BatchView.
 */
import { BatchView } from "../components/BatchView.js";
import { type BatchOptions, useBatch } from "../hooks/use-batch.js";

export type BatchScreenProps = BatchOptions;

export function BatchScreen(props: BatchScreenProps) {
  return <BatchView {...useBatch(props)} />;
}
