/**
 * Revocation end to end: a real relay (heartbeat every 500 ms) and real agents on the admin API's test
 * database. A change through the admin API that takes away what a live session was admitted with
 * (password, IP or MAC list, slot, grouping link) ends that session at the relay's next heartbeat
 * (close 4003, its history row ended); a session the change does not concern stays connected.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, startClient, startViewer, type Viewer } from "@tsunagi/agent";
import type { Product } from "@tsunagi/core";
import { beforeAndAfterAll } from "@tsunagi/core/testing";
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { createRelay, silentLog } from "@tsunagi/relay";
import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { call, expectStatus, harness, readyAdmin } from "./helpers.js";

const HEARTBEAT_MS = 500;

/** The admin API's harness, a relay on its database, an echo server behind the clients, a folder of identities. */
const h = beforeAndAfterAll(
  async () => {
    const h = await harness();
    const relay = createRelay({
      db: h.t.db,
      log: silentLog,
      config: {
        heartbeatIntervalMs: HEARTBEAT_MS,
        staleAfterSeconds: 5,
        rateLimitPerAddress: { burst: 10_000, perSecond: 1_000 },
        rateLimitPerUser: { burst: 10_000, perSecond: 1_000 },
      },
    });
    const relayUrl = (await relay.listen(0, "127.0.0.1")).url;
    const echo = createServer((socket) => {
      socket.on("error", () => {});
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const address = echo.address();
    const echoPort = typeof address === "object" && address ? address.port : 0;
    const dir = await mkdtemp(join(tmpdir(), "tsunagi-revocation-"));
    return { ...h, token: await readyAdmin(h.app), relay, relayUrl, echo, echoPort, dir };
  },
  async ({ relay, echo, dir, close }) => {
    await relay.close();
    await new Promise((resolve) => echo.close(resolve));
    await rm(dir, { recursive: true, force: true });
    await close();
  },
);

/** Every agent a test starts, stopped after it whatever happened. */
const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((stop) => stop()));
});

/** A live session as the test watches it: its id, and how it ended (null while it is open). */
interface Watched {
  sessionId: string;
  ended(): { code: number } | null;
  end: Promise<{ code: number }>;
}

function watch(sessionId: string, end: Promise<{ code: number }>): Watched {
  let result: { code: number } | null = null;
  const settled = end.then((e) => {
    result = e;
    return e;
  });
  return { sessionId, ended: () => result, end: settled };
}

async function viewer(
  user: string,
  product: Product,
  extra: { usbKeySerial?: string; target?: string; mac?: string } = {},
): Promise<Watched> {
  const v: Viewer = await startViewer({
    server: h.relayUrl,
    serverHost: DEMO.serverHost,
    user,
    password: DEMO.userPassword,
    product,
    listen: { host: "127.0.0.1", port: 0 },
    identityFile: join(h.dir, `${user}-${randomUUID()}.json`),
    ...extra,
  });
  running.push(() => v.close());
  return watch(v.sessionId, v.closed);
}

async function client(user: string, mac?: string): Promise<Watched> {
  const c: Client = startClient({
    server: h.relayUrl,
    serverHost: DEMO.serverHost,
    user,
    password: DEMO.userPassword,
    forward: { host: "127.0.0.1", port: h.echoPort },
    reconnect: false,
    ...(mac ? { mac } : {}),
  });
  running.push(() => c.stop());
  const { sessionId } = await c.ready;
  let closedWith: (code: { code: number }) => void = () => {};
  const end = new Promise<{ code: number }>((resolve) => {
    closedWith = resolve;
  });
  // The client reports why it stopped; the relay's 4003 is "disconnected-by-admin".
  void c.stopped.then((s) => closedWith({ code: s.reason === "disconnected-by-admin" ? 4003 : 0 }));
  return watch(sessionId, end);
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not met in time");
}

async function dbNow(): Promise<Date> {
  const [row] = await h.t.db.execute<{ now: Date | string }>(sql`select now() as now`);
  return new Date(row?.now ?? 0);
}

async function historyEnd(sessionId: string): Promise<Date | null | undefined> {
  const [row] = await h.t.db
    .select({ endedAt: schema.accessHistory.endedAt })
    .from(schema.accessHistory)
    .where(eq(schema.accessHistory.sessionId, sessionId));
  return row?.endedAt;
}

async function lease(sessionId: string) {
  const [row] = await h.t.db
    .select()
    .from(schema.activeSessions)
    .where(eq(schema.activeSessions.id, sessionId));
  return row;
}

/** The relay closed the session as an admin's disconnect, and its history row has its end time. */
async function expectEnded(session: Watched): Promise<void> {
  const bound = new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000));
  const end = await Promise.race([session.end, bound]);
  expect(end?.code, `session ${session.sessionId} still open`).toBe(4003);
  await eventually(async () => (await historyEnd(session.sessionId)) instanceof Date);
  expect(await lease(session.sessionId)).toBeUndefined();
}

/**
 * The session saw a heartbeat after `since` (the change's commit) and is still open: nothing asked for
 * its end, and the relay kept it.
 */
async function expectKept(session: Watched, since: Date): Promise<void> {
  await eventually(async () => {
    const row = await lease(session.sessionId);
    return row !== undefined && row.lastHeartbeatAt > since;
  });
  const row = await lease(session.sessionId);
  expect(row?.disconnectRequestedAt).toBeNull();
  expect(session.ended()).toBeNull();
  expect(await historyEnd(session.sessionId)).toBeNull();
}

async function versionOf(userName: string): Promise<number> {
  const res = await call(h.app, "GET", `/users/${userName}`, { token: h.token });
  expectStatus(res, 200);
  return res.json.version;
}

async function lastAudit(action: string) {
  const rows = await h.t.db
    .select()
    .from(schema.adminAudit)
    .where(eq(schema.adminAudit.action, action))
    .orderBy(sql`${schema.adminAudit.id} desc`)
    .limit(1);
  return rows[0];
}

describe("a password change ends the user's viewer and client sessions", () => {
  it("per user (PUT /users/{userName}/password)", async () => {
    const v = await viewer("term.xdl", "terminal-xdl-s");
    const c = await client("term.xdl");
    const other = await viewer("usb.ex", "usb-ex", { usbKeySerial: "EX-0003-0001" });
    const res = await call(h.app, "PUT", "/users/term.xdl/password", {
      token: h.token,
      body: { password: "a-new-user-password-1" },
    });
    expectStatus(res, 200);
    const since = await dbNow();
    await expectEnded(v);
    await expectEnded(c);
    await expectKept(other, since);
    expect((await lastAudit("user.update"))?.after).toMatchObject({ password: "changed", sessionsEnded: 2 });
  });

  it("in batch management (PATCH /users)", async () => {
    const v = await viewer("usb.xdl", "usb-xdl", { usbKeySerial: "XDL-0002-0001" });
    const c = await client("usb.xdl");
    const other = await client("usb.ex");
    const res = await call(h.app, "PATCH", "/users", {
      token: h.token,
      body: {
        users: [
          { userName: "usb.xdl", version: await versionOf("usb.xdl"), password: "a-new-user-password-2" },
          { userName: "usb.ex", version: await versionOf("usb.ex"), memo: "unchanged access" },
        ],
      },
    });
    expectStatus(res, 200);
    const since = await dbNow();
    await expectEnded(v);
    await expectEnded(c);
    await expectKept(other, since);
  });
});

describe("an IP or MAC allow-list change ends the sessions of that role the new list refuses", () => {
  it("IP list of viewers (per user): a list that still admits the viewer keeps it; one that refuses it ends it", async () => {
    const v = await viewer("finger.ndl", "fingerprint-ndl", { usbKeySerial: "FNDL-0004-0001" });
    const c = await client("finger.ndl");
    const admits = await call(h.app, "PATCH", "/users/finger.ndl", {
      token: h.token,
      body: {
        version: await versionOf("finger.ndl"),
        restrictions: { ipAllow: { viewer: ["127.0.0.0/8"] } },
      },
    });
    expectStatus(admits, 200);
    await expectKept(v, await dbNow());
    const refuses = await call(h.app, "PATCH", "/users/finger.ndl", {
      token: h.token,
      body: {
        version: await versionOf("finger.ndl"),
        restrictions: { ipAllow: { viewer: ["198.51.100.0/24"] } },
      },
    });
    expectStatus(refuses, 200);
    const since = await dbNow();
    await expectEnded(v);
    await expectKept(c, since);
    expect((await lastAudit("user.update"))?.after).toMatchObject({ sessionsEnded: 1 });
  });

  it("IP list of clients (batch): the client ends, the viewer stays", async () => {
    const v = await viewer("usb.ex", "usb-ex", { usbKeySerial: "EX-0003-0001" });
    const c = await client("usb.ex");
    const res = await call(h.app, "PATCH", "/users", {
      token: h.token,
      body: {
        users: [
          {
            userName: "usb.ex",
            version: await versionOf("usb.ex"),
            restrictions: { ipAllow: { client: ["2001:db8::/32"] } },
          },
        ],
      },
    });
    expectStatus(res, 200);
    const since = await dbNow();
    await expectEnded(c);
    await expectKept(v, since);
  });

  it("MAC list of clients (batch): a list with the client's MAC keeps it; without it ends it, not the viewer", async () => {
    const mac = "00:1b:44:11:3a:c1";
    const v = await viewer("finger.xdl", "fingerprint-xdl", { usbKeySerial: "FXDL-0005-0001", mac });
    const c = await client("finger.xdl", mac);
    const patch = async (list: string[]) =>
      call(h.app, "PATCH", "/users", {
        token: h.token,
        body: {
          users: [
            {
              userName: "finger.xdl",
              version: await versionOf("finger.xdl"),
              restrictions: { macAllow: { client: list } },
            },
          ],
        },
      });
    expect((await patch(["00-1B-44-11-3A-C1"])).status).toBe(200);
    await expectKept(c, await dbNow());
    expect((await patch(["00:1b:44:11:3a:c2"])).status).toBe(200);
    const since = await dbNow();
    await expectEnded(c);
    await expectKept(v, since);
  });

  it("MAC list of viewers (per user): the viewer ends, the client stays", async () => {
    const v = await viewer("finger.ex", "fingerprint-ex", {
      usbKeySerial: "FEX-0006-0001",
      mac: "00:1b:44:11:3a:d1",
    });
    const c = await client("finger.ex", "00:1b:44:11:3a:d1");
    const res = await call(h.app, "PATCH", "/users/finger.ex", {
      token: h.token,
      body: { version: await versionOf("finger.ex"), restrictions: { macAllow: { viewer: [] } } },
    });
    expectStatus(res, 200);
    const since = await dbNow();
    await expectEnded(v);
    await expectKept(c, since);
  });
});

describe("a slot initialise ends the viewer session registered through that slot", () => {
  it("per user: the mobile slot leaves a terminal-auth viewer alone, the PC slot ends it; the client stays", async () => {
    const v = await viewer("term.ex", "terminal-ex-s");
    const c = await client("term.ex");
    const mobile = await call(h.app, "POST", "/users/term.ex/slots/mobile/initialise", { token: h.token });
    expectStatus(mobile, 200);
    await expectKept(v, await dbNow());
    const pc = await call(h.app, "POST", "/users/term.ex/slots/pc/initialise", { token: h.token });
    expectStatus(pc, 200);
    const since = await dbNow();
    await expectEnded(v);
    await expectKept(c, since);
    expect((await lastAudit("user.update"))?.after).toMatchObject({ sessionsEnded: 1 });
  });

  it("in batch management: the mobile slot ends the mobile viewer; another user's stays", async () => {
    const v = await viewer("mobile.win", "mobile-windows");
    const other = await viewer("mobile.mac", "mobile-mac");
    const res = await call(h.app, "PATCH", "/users", {
      token: h.token,
      body: {
        users: [
          { userName: "mobile.win", version: await versionOf("mobile.win"), initialise: { mobile: true } },
        ],
      },
    });
    expectStatus(res, 200);
    const since = await dbNow();
    await expectEnded(v);
    await expectKept(other, since);
  });
});

describe("changed permissions end the sessions they no longer allow", () => {
  it("clients no longer usable ends the client, not the viewer; viewers no longer usable ends the viewer", async () => {
    const v = await viewer("mobile.ios", "mobile-ios");
    const c = await client("mobile.ios");
    const noClient = await call(h.app, "PATCH", "/users/mobile.ios", {
      token: h.token,
      body: { version: await versionOf("mobile.ios"), permissions: { clientUsable: false } },
    });
    expectStatus(noClient, 200);
    const since = await dbNow();
    await expectEnded(c);
    await expectKept(v, since);
    const noViewer = await call(h.app, "PATCH", "/users", {
      token: h.token,
      body: {
        users: [
          {
            userName: "mobile.ios",
            version: await versionOf("mobile.ios"),
            permissions: { viewerUsable: false },
          },
        ],
      },
    });
    expectStatus(noViewer, 200);
    await expectEnded(v);
  });
});

describe("removing a grouping link ends the linked viewer's session", () => {
  it("POST /groups/links/remove: the viewer ends; the client and an unlinked viewer stay", async () => {
    const v = await viewer("usb.ndl", "usb-ndl", { usbKeySerial: "NDL-0001-0001", target: "office.pc" });
    const c = await client("office.pc");
    const other = await viewer("usb.ex", "usb-ex", { usbKeySerial: "EX-0003-0001" });
    const res = await call(h.app, "POST", "/groups/links/remove", {
      token: h.token,
      body: { links: [{ viewer: "usb.ndl", client: "office.pc" }] },
    });
    expect(res.json).toEqual({ added: 0, removed: 1 });
    const since = await dbNow();
    await expectEnded(v);
    await expectKept(c, since);
    await expectKept(other, since);
    expect((await lastAudit("group.delete"))?.after).toMatchObject({ sessionsEnded: 1 });
  });

  it("POST /groups/csv?mode=delete", async () => {
    const added = await call(h.app, "POST", "/groups/links", {
      token: h.token,
      body: { links: [{ viewer: "usb.ex", client: "office.pc" }] },
    });
    expect(added.json).toEqual({ added: 1, removed: 0 });
    const v = await viewer("usb.ex", "usb-ex", { usbKeySerial: "EX-0003-0001", target: "office.pc" });
    const c = await client("office.pc");
    const res = await call(h.app, "POST", "/groups/csv?mode=delete", {
      token: h.token,
      raw: "viewer,client\r\nusb.ex,office.pc\r\n",
      headers: { "content-type": "text/csv" },
    });
    expect(res.json).toEqual({ added: 0, removed: 1 });
    const since = await dbNow();
    await expectEnded(v);
    await expectKept(c, since);
  });
});
