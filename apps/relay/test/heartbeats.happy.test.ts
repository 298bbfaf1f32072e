/**
 * The relay's heartbeat costs one statement per interval however many agents are connected
 * (docs/protocol.md "Sessions"), counted on the relay's own connection (postgres.js's debug hook).
 */
import { connectAndAuthenticate } from "@tsunagi/agent";
import { type Connection, schema } from "@tsunagi/db";
import { connectCountingStatements, useTestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";
import { agentBase, eventually, testConfig } from "./helpers.js";

const t = useTestDatabase((fresh) => seedDemo(fresh.db));
let relay: Relay;
let url: string;
let relayDb: Connection;
/** Every statement the relay sends, as its text. */
const statements: string[] = [];
const intervalMs = 300;

beforeAll(async () => {
  relayDb = connectCountingStatements(t.url, (text) => statements.push(text));
  relay = createRelay({
    db: relayDb.db,
    config: { ...testConfig, heartbeatIntervalMs: intervalMs },
    log: silentLog,
  });
  ({ url } = await relay.listen(0, "127.0.0.1"));
});
afterAll(async () => {
  await relay.close();
  await relayDb.close();
});

/** The demo users of asp1 that may connect a client from 127.0.0.1. */
const clientUsers = [
  "user1",
  "usb.ndl",
  "usb.xdl",
  "usb.ex",
  "finger.ndl",
  "finger.xdl",
  "finger.ex",
  "term.xdl",
  "term.ex",
  "mobile.win",
  "mobile.mac",
  "mobile.ios",
  "mobile.android",
  "plus.only",
  "plus.mixed",
  "office.pc",
];

const isHeartbeat = (text: string) => /set "?last_heartbeat_at"? = now\(\)/.test(text);

describe("the relay's heartbeat", () => {
  it("renews every connected agent's lease in one statement per interval", async () => {
    const agents: WebSocket[] = [];
    for (const user of clientUsers) {
      const { ws } = await connectAndAuthenticate(agentBase(url, user), { role: "client" });
      agents.push(ws);
    }
    const leases = () =>
      t.db
        .select({ beats: sql<number>`count(distinct ${schema.activeSessions.lastHeartbeatAt})::int` })
        .from(schema.activeSessions)
        .innerJoin(schema.contracts, eq(schema.contracts.id, schema.activeSessions.contractId))
        .where(
          and(eq(schema.contracts.serverHost, DEMO.serverHost), eq(schema.activeSessions.role, "client")),
        );
    // Each lease was opened by its own statement; one statement renewing them all gives them one time.
    await eventually(async () => (await leases())[0]?.beats === 1);
    const open = await t.db
      .select({ id: schema.activeSessions.id })
      .from(schema.activeSessions)
      .where(eq(schema.activeSessions.role, "client"));
    expect(open).toHaveLength(clientUsers.length);

    // Over a few intervals: a timer never fires early, so a window of w ms holds at most w / interval + 1 ticks.
    const from = statements.length;
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5 * intervalMs));
    const windowMs = Date.now() - startedAt;
    const beats = statements.slice(from).filter(isHeartbeat).length;
    expect(beats).toBeGreaterThanOrEqual(1);
    expect(beats).toBeLessThanOrEqual(Math.floor(windowMs / intervalMs) + 1);

    for (const ws of agents) ws.close();
  });
});
