/**
 * The fleet test's parts (fleet.e2e.test.ts): a contract of many users, a relay node as its own
 * process, byte streams through a viewer's local port checked against what was sent, and a watcher
 * that reads the database every ~100 ms for a user holding two live sessions of one role.
 */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { hashSecret } from "@tsunagi/core/password";
import { schema } from "@tsunagi/db";
import type { TestDatabase } from "@tsunagi/db/testing";
import { sql } from "drizzle-orm";
import { relayDir, type Spawned, spawnNode } from "./spawn.js";

export const FLEET = { serverHost: "fleet", contractCode: "F00011", password: "fleet-password-11" } as const;

/** The USB key serial of a fleet user: a USB viewer needs no device registration. */
export const serialOf = (userName: string) => `FLT-${userName.replace(/\W/g, "").toUpperCase()}`;

/**
 * One legacy contract on host part `fleet` with `count` users named fleet.00… (USB viewers, clients
 * allowed, no allow-list) and the users `extra` names with the IP allow-list of their viewers given.
 * One argon2 hash for all: they share a password.
 */
export async function provisionFleet(
  t: TestDatabase,
  count: number,
  extra: Readonly<Record<string, readonly string[]>> = {},
): Promise<string[]> {
  const passwordHash = await hashSecret(FLEET.password);
  const [contract] = await t.db
    .insert(schema.contracts)
    .values({
      contractCode: FLEET.contractCode,
      name: "Fleet",
      model: "legacy",
      serverHost: FLEET.serverHost,
    })
    .returning();
  if (!contract) throw new Error("no contract");
  const names = Array.from({ length: count }, (_, i) => `fleet.${String(i).padStart(2, "0")}`);
  const user = (userName: string, ipAllowViewer: string[] | null) => ({
    contractId: contract.id,
    serverHost: FLEET.serverHost,
    userName,
    passwordHash,
    viewerProduct: "usb-ndl" as const,
    usbKeySerial: serialOf(userName),
    ipAllowViewer,
  });
  await t.db
    .insert(schema.users)
    .values([
      ...names.map((name) => user(name, null)),
      ...Object.entries(extra).map(([name, list]) => user(name, [...list])),
    ]);
  return names;
}

/** A relay process of the fleet, ready: listening publicly and registered as a node. */
export interface RelayNode {
  readonly name: string;
  readonly process: Spawned;
  /** Its public port (HAProxy's backend). */
  readonly port: number;
  /** Its node id: `active_sessions.relay_instance` and `relay_nodes.id`. */
  readonly id: string;
  readonly internalUrl: string;
}

/**
 * Starts `src/main.ts` through tsx with `env` on a free public port and a free internal one, and
 * waits for its two lines: `relay listening on URL` and `relay node ID internal URL`.
 */
export async function startRelayNode(name: string, env: Record<string, string>): Promise<RelayNode> {
  const spawned = spawnNode(relayDir, ["--import", "tsx", "src/main.ts"], {
    HOST: "127.0.0.1",
    PORT: "0",
    TSUNAGI_INTERNAL_PORT: "0",
    ...env,
  });
  try {
    const [, url] = await spawned.waitFor(/relay listening on (ws:\/\/\S+)/, 60_000);
    const [, id, internalUrl] = await spawned.waitFor(/relay node (\S+) internal (\S+)/, 60_000);
    return {
      name,
      process: spawned,
      port: Number(new URL(url as string).port),
      id: id as string,
      internalUrl: internalUrl as string,
    };
  } catch (error) {
    spawned.child.kill("SIGKILL");
    throw error;
  }
}

/** Kills a relay process if it still runs (SIGKILL: a test's teardown) and waits for its exit. */
export async function killRelay(node: RelayNode): Promise<void> {
  const { child, exited } = node.process;
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await exited;
}

/** The end of a stream: every byte written, every byte echoed back, and why the socket closed early if it did. */
export interface StreamResult {
  readonly sent: Buffer;
  readonly received: Buffer;
  readonly error?: string;
}

/** Whether the echo came back exactly: every byte sent, in order, nothing else. */
export const exact = (r: StreamResult) => r.error === undefined && r.sent.equals(r.received);

/** Whether what came back is a prefix of what was sent: a cut path may lose the tail, never change a byte. */
export const prefixOnly = (r: StreamResult) =>
  r.received.length <= r.sent.length && r.sent.subarray(0, r.received.length).equals(r.received);

/** A running stream through a viewer's local port to the echo service behind its client. */
export interface Stream {
  /** Bytes echoed back so far. */
  received(): number;
  /** Whether the socket has closed. */
  ended(): boolean;
  /** Settles when the socket has closed (early, when the path broke). */
  readonly done: Promise<StreamResult>;
  /** Stops writing, half-closes, and waits for the echo of the rest and the close. */
  finish(): Promise<StreamResult>;
}

/**
 * Opens a TCP connection to 127.0.0.1:`port` and writes `chunkBytes` of random bytes every
 * `everyMs` (skipping a turn while the socket holds unwritten bytes) until `finish()`.
 */
export function stream(port: number, chunkBytes = 4096, everyMs = 50): Stream {
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  let receivedBytes = 0;
  let error: string | undefined;
  let ended = false;
  const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  const write = () => {
    if (socket.writableNeedDrain || socket.writableEnded || socket.destroyed) return;
    const chunk = randomBytes(chunkBytes);
    sent.push(chunk);
    socket.write(chunk);
  };
  const timer = setInterval(write, everyMs);
  socket.once("connect", write);
  socket.on("data", (chunk: Buffer) => {
    received.push(chunk);
    receivedBytes += chunk.length;
  });
  socket.on("error", (e) => (error = e.message));
  // The echo half-closes after the last byte; then the pair is done.
  socket.on("end", () => socket.end());
  const done = new Promise<StreamResult>((resolve) =>
    socket.once("close", () => {
      clearInterval(timer);
      ended = true;
      resolve({
        sent: Buffer.concat(sent),
        received: Buffer.concat(received),
        ...(error !== undefined ? { error } : {}),
      });
    }),
  );
  return {
    received: () => receivedBytes,
    ended: () => ended,
    done,
    finish() {
      clearInterval(timer);
      if (!socket.destroyed && !socket.writableEnded) socket.end();
      return done;
    },
  };
}

/** One exchange: `bytes` of random data through 127.0.0.1:`port` and back from the echo service. */
export function transfer(port: number, bytes = 64 * 1024): Promise<StreamResult> {
  const payload = randomBytes(bytes);
  const received: Buffer[] = [];
  let error: string | undefined;
  const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  socket.once("connect", () => socket.end(payload));
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  socket.on("error", (e) => (error = e.message));
  socket.on("end", () => socket.end());
  return new Promise((resolve) =>
    socket.once("close", () =>
      resolve({
        sent: payload,
        received: Buffer.concat(received),
        ...(error !== undefined ? { error } : {}),
      }),
    ),
  );
}

/** What the watcher saw: each poll that found a user with two live sessions of one role, and how often it looked. */
export interface SessionWatch {
  readonly violations: readonly string[];
  readonly errors: readonly string[];
  polls(): number;
  stop(): Promise<void>;
}

/**
 * Every ~100 ms, the users and roles holding two leases at once, whatever the unique index says: the
 * lease is what makes a session live, and this is the check that would notice it lapsing.
 * (fleet.e2e.test.ts checks the history separately: that no user's sessions of one role overlap.)
 */
export function watchSessions(t: TestDatabase): SessionWatch {
  const violations: string[] = [];
  const errors: string[] = [];
  let polls = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const rows = (await t.db.execute(sql`
          select user_name, role::text as role, count(*)::int as n
          from active_sessions group by user_id, user_name, role having count(*) > 1
        `)) as unknown as { user_name: string; role: string; n: number }[];
        polls++;
        for (const row of rows) {
          violations.push(`${new Date().toISOString()} ${row.user_name} ${row.role}: ${row.n} leases`);
        }
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    violations,
    errors,
    polls: () => polls,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
