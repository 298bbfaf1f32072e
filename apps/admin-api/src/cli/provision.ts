/**
 * What the operator command does, as functions over a database: provision a contract with its admin
 * account (temporary password), add a user, and render the account sheet (ユーザアカウント一覧表).
 */
import { randomBytes } from "node:crypto";
import type { Model } from "@tsunagi/core/domain";
import { hashSecret } from "@tsunagi/core/password";
import {
  contractByCode,
  type Database,
  insertContractWithAdmin,
  insertUser,
  type NodeStatus,
  operatorLine,
} from "@tsunagi/db";
import type { NewUser } from "@tsunagi/db/schema";

/** A refusal the operator can act on (a taken contract ID, an unknown contract): its message is the whole story. */
export class OperatorError extends Error {
  override name = "OperatorError";
}

/** The unique constraint a statement ran into, when that is why the database refused it. */
function violatedConstraint(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const { code, constraint_name } = (cause ?? {}) as { code?: unknown; constraint_name?: unknown };
  return code === "23505" && typeof constraint_name === "string" ? constraint_name : undefined;
}

/** Any error as the one line an operator reads (db's `operatorLine`; ours name their own failures). */
export const operatorMessage = (error: unknown): string =>
  operatorLine(error, ["OperatorError", "UsageError"]);

/** A temporary password an operator can read out: no look-alike characters. */
export function temporaryPassword(length = 14): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

export interface ProvisionInput {
  serverHost: string;
  contractCode: string;
  name: string;
  model: Model;
  adminLogin?: string;
  /** IANA zone the contract reads times in; Asia/Tokyo when absent. */
  timeZone?: string;
}

/** Whether `zone` is an IANA time zone this runtime (and so the history's formatting) knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface AccountSheet {
  contractCode: string;
  name: string;
  model: Model;
  serverHost: string;
  serverFqdn: string;
  adminLogin: string;
  temporaryPassword: string;
}

export async function provisionContract(
  db: Database,
  input: ProvisionInput,
  domain: string,
): Promise<AccountSheet> {
  const password = temporaryPassword();
  const passwordHash = await hashSecret(password);
  const adminLogin = input.adminLogin ?? `${input.contractCode}.admin`;
  try {
    await insertContractWithAdmin(
      db,
      {
        contractCode: input.contractCode,
        name: input.name,
        model: input.model,
        serverHost: input.serverHost,
        ...(input.timeZone ? { timeZone: input.timeZone } : {}),
      },
      { serverHost: input.serverHost, loginName: adminLogin, passwordHash, temporaryPassword: true },
    );
  } catch (error) {
    const constraint = violatedConstraint(error);
    if (constraint === "contracts_contract_code_unique")
      throw new OperatorError(`contract ${input.contractCode} already exists`);
    if (constraint === "admin_accounts_server_login")
      throw new OperatorError(
        `server ${input.serverHost} already has an admin account ${adminLogin}: choose another with --admin`,
      );
    throw error;
  }
  return {
    contractCode: input.contractCode,
    name: input.name,
    model: input.model,
    serverHost: input.serverHost,
    serverFqdn: `${input.serverHost}.${domain}`,
    adminLogin,
    temporaryPassword: password,
  };
}

export async function addUser(
  db: Database,
  input: { contractCode: string; userName: string; password: string; viewerProduct?: string; memo?: string },
) {
  const contract = await contractByCode(db, input.contractCode);
  if (!contract)
    throw new OperatorError(
      `no contract ${input.contractCode}: provision it first with ops provision-contract`,
    );
  try {
    const user = await insertUser(db, {
      contractId: contract.id,
      serverHost: contract.serverHost,
      userName: input.userName,
      passwordHash: await hashSecret(input.password),
      viewerProduct: (input.viewerProduct ?? "terminal-ndl-s") as NewUser["viewerProduct"],
      memo: input.memo ?? "",
    });
    return { contract, user };
  } catch (error) {
    if (violatedConstraint(error) === "users_server_user_name")
      throw new OperatorError(`server ${contract.serverHost} already has a user ${input.userName}`);
    throw error;
  }
}

/** The account sheet as the operator hands it over (docs/domain.md, "Admin accounts and security settings"). */
export function renderAccountSheet(sheet: AccountSheet): string {
  return [
    `Tsunagi user account sheet (ユーザアカウント一覧表)        Contract ID: ${sheet.contractCode}`,
    `Customer: ${sheet.name}    Model: ${sheet.model}`,
    "",
    "■ Server information (サーバ情報)",
    `  For target PCs (対象装置用)            ${sheet.serverFqdn}    port: 443`,
    "      the server the client on each target PC connects to",
    `  For remote devices (手元端末用)  Windows / Mac   ${sheet.serverFqdn}:443`,
    `                                  iOS / Android   ${sheet.serverFqdn}`,
    "      the server set in the viewer on PCs, tablets and phones",
    "",
    "■ Admin account / temporary password (管理者用アカウント／仮パスワード)",
    `  Server (host part)   ${sheet.serverHost}`,
    `  Admin account        ${sheet.adminLogin}`,
    `  Temporary password   ${sheet.temporaryPassword}`,
    "  The temporary password must be changed at the first login.",
    "",
  ].join("\n");
}

/**
 * The fleet as `ops nodes` prints it: one line per relay node, oldest first — its state (alive,
 * draining, or dead: its sessions end at the next reaper pass), live sessions, start time (UTC) and
 * the internal URL the other relays link to.
 */
export function renderNodes(nodes: readonly NodeStatus[]): string {
  if (nodes.length === 0) return "no relay is registered";
  const rows = nodes.map((n) => [
    n.id,
    !n.alive ? "dead" : n.drainingSince ? "draining" : "alive",
    String(n.sessions),
    n.startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
    n.internalUrl,
  ]);
  const header = ["NODE", "STATE", "SESSIONS", "STARTED", "INTERNAL URL"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
