/**
 * The Neo model end to end: real relay, real agents (in process), real database. A neo user registers
 * devices up to a limit on first login (no 200200 info row: the neo page lists none), closed
 * registration refuses unknown devices (200300), a full list refuses them (200400), a known machine
 * with a new install or another OS user fails 190500, and one code (320100) replaces the legacy
 * per-product and client codes. Each test checks both sides: the person sees only a reference code,
 * the history records the reason.
 */
import { rm } from "node:fs/promises";
import { startClient, startViewer, type ViewerOptions } from "@tsunagi/agent";
import { initialiseSlot, schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  agentBase,
  eventually,
  failureOf,
  historyOf,
  identityPath,
  useEchoServer,
  useStack,
} from "./helpers.js";

const stack = useStack();
const echo = useEchoServer();
/** The demo neo contract and the demo password's hash, for users a test creates. */
let neoContractId: string;
let passwordHash: string;

beforeAll(async () => {
  const [neoUser1] = await stack.t.db
    .select()
    .from(schema.users)
    .where(and(eq(schema.users.serverHost, DEMO.neo.serverHost), eq(schema.users.userName, "neo.user1")));
  if (!neoUser1) throw new Error("demo neo.user1 missing");
  neoContractId = neoUser1.contractId;
  passwordHash = neoUser1.passwordHash;
});

const listen = { host: "127.0.0.1", port: 0 };
const neo = (user: string) => ({ ...agentBase(stack.url, user), serverHost: DEMO.neo.serverHost });

/** A user of the demo neo contract, made for one test (password "demo-password"). */
async function neoUser(userName: string, extra: Partial<typeof schema.users.$inferInsert> = {}) {
  const [row] = await stack.t.db
    .insert(schema.users)
    .values({
      contractId: neoContractId,
      serverHost: DEMO.neo.serverHost,
      userName,
      passwordHash,
      viewerProduct: "terminal-ndl-s",
      ...extra,
    })
    .returning();
  if (!row) throw new Error(`user ${userName} not inserted`);
  return row;
}

async function idOf(userName: string): Promise<string> {
  const [row] = await stack.t.db
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(and(eq(schema.users.serverHost, DEMO.neo.serverHost), eq(schema.users.userName, userName)));
  if (!row) throw new Error(`no neo user ${userName}`);
  return row.id;
}

const devicesOf = (userId: string) =>
  stack.t.db
    .select()
    .from(schema.deviceRegistrations)
    .where(eq(schema.deviceRegistrations.userId, userId))
    .orderBy(asc(schema.deviceRegistrations.registeredAt));

const lastRow = async (user: string) => (await historyOf(stack.t, user)).at(-1);

/** One device of a user: its own identity file on its own (simulated) machine. */
async function device(user: string, machineId: string, extra: Partial<ViewerOptions> = {}) {
  return {
    ...neo(user),
    product: "terminal-ndl-s" as const,
    identityFile: await identityPath(),
    machineId,
    osUser: "alice",
    listen,
    ...extra,
  } satisfies ViewerOptions;
}

/** Logs in, checks the success row, logs out and waits until the lease is released. */
async function loginAndLeave(options: ViewerOptions): Promise<void> {
  const v = await startViewer(options);
  expect(await lastRow(options.user)).toMatchObject({ result: "success", sessionId: v.sessionId });
  await v.close();
  await eventually(
    async () =>
      (await stack.t.db.select().from(schema.activeSessions).where(eq(schema.activeSessions.id, v.sessionId)))
        .length === 0,
  );
}

/** The attempt fails as the person sees it: only the reference code. */
async function refused(promise: Promise<unknown>, referenceCode = 293): Promise<void> {
  const error = await failureOf(promise);
  expect(error.referenceCode).toBe(referenceCode);
  expect(error.message).toBe(`Authentication error (reference code ${referenceCode})`);
}

/** The user's last history row is a failure with this reason, starting and ending at once, no peer. */
async function lastFailureIs(user: string, reasonCode: number, reasonKey: string): Promise<void> {
  const row = await lastRow(user);
  expect(row).toMatchObject({ result: "failure", reasonCode, reasonKey, peerUserName: null });
  expect(row?.endedAt).toEqual(row?.startedAt);
}

describe("neo terminal authentication", () => {
  it("registers new devices on first login without a 200200 row, up to the limit; the third fails 200400", async () => {
    const user = "neo.user1";
    const id = await idOf(user);
    expect(await devicesOf(id)).toHaveLength(0);
    const before = (await historyOf(stack.t, user)).length;

    const a = await device(user, "neo-machine-a");
    await loginAndLeave(a);
    const afterFirst = await historyOf(stack.t, user);
    // One row for the first login: the success. Neo records no "registered" info row.
    expect(afterFirst).toHaveLength(before + 1);
    expect(afterFirst.at(-1)).toMatchObject({
      result: "success",
      reasonCode: null,
      product: "terminal-ndl-s",
    });
    const [registeredA] = await devicesOf(id);
    expect(registeredA).toMatchObject({ slot: "pc", machineId: "neo-machine-a", osUser: "alice" });

    const b = await device(user, "neo-machine-b");
    await loginAndLeave(b);
    expect((await devicesOf(id)).map((d) => d.machineId)).toEqual(["neo-machine-a", "neo-machine-b"]);

    const c = await device(user, "neo-machine-c");
    await refused(startViewer(c));
    await lastFailureIs(user, 200400, "device-limit-reached");
    expect(await devicesOf(id)).toHaveLength(2);

    // The registered devices still get in; the failure changed nothing.
    await loginAndLeave(a);
    await loginAndLeave(b);

    const rows = await historyOf(stack.t, user);
    expect(rows.filter((r) => r.result === "info" || r.reasonCode === 200200)).toEqual([]);
    expect(rows.slice(before).map((r) => r.reasonCode ?? r.result)).toEqual([
      "success",
      "success",
      200400,
      "success",
      "success",
    ]);
  });

  it("with registration closed, an unknown device fails 200300 and a registered one still gets in", async () => {
    const user = "neo.mobile";
    const id = await idOf(user);
    const phone = await device(user, "neo-phone-1", { product: "mobile-android" });
    await loginAndLeave(phone);
    expect(await devicesOf(id)).toMatchObject([{ slot: "mobile", machineId: "neo-phone-1" }]);

    await stack.t.db.update(schema.users).set({ neoRegistrationOpen: false }).where(eq(schema.users.id, id));

    await refused(startViewer(await device(user, "neo-phone-2", { product: "mobile-ios" })));
    await lastFailureIs(user, 200300, "device-mismatch");
    expect(await devicesOf(id)).toHaveLength(1);

    // A viewer that presents no identity at all is refused the same way.
    await refused(startViewer({ ...neo(user), product: "mobile-android", listen }));
    await lastFailureIs(user, 200300, "device-mismatch");

    await loginAndLeave(phone);
  });

  it("a reinstalled viewer (identity file deleted) or another OS user on a registered machine fails 190500", async () => {
    const user = "neo.reinstall";
    const { id } = await neoUser(user);
    const original = await device(user, "neo-machine-r");
    await loginAndLeave(original);
    const [registered] = await devicesOf(id);

    await refused(startViewer({ ...original, osUser: "bob" }));
    await lastFailureIs(user, 190500, "neo-reinstalled");

    await rm(original.identityFile);
    await refused(startViewer(original));
    await lastFailureIs(user, 190500, "neo-reinstalled");

    // A place is still free, yet a known machine is not registered a second time.
    expect(await devicesOf(id)).toEqual([registered]);
  });

  it("a product the user may not use, and a client on a device-dedicated account, fail 320100", async () => {
    // USB viewer at a terminal-auth user: the person sees the USB viewer's 291.
    await refused(
      startViewer({ ...neo("neo.user1"), product: "usb-ndl", usbKeySerial: "NDL-0001-0001", listen }),
      291,
    );
    await lastFailureIs("neo.user1", 320100, "application-not-permitted");

    // A terminal-auth viewer at a mobile-only user: 293, the same single code.
    await refused(startViewer(await device("neo.mobile", "neo-machine-x")));
    await lastFailureIs("neo.mobile", 320100, "application-not-permitted");

    const kiosk = "neo.kiosk";
    await neoUser(kiosk, { userType: "device-dedicated" });
    const client = startClient({
      ...neo(kiosk),
      forward: { host: "127.0.0.1", port: echo.port },
      reconnect: false,
    });
    await refused(client.ready, 283);
    expect(await client.stopped).toMatchObject({ reason: "authentication" });
    const row = await lastRow(kiosk);
    expect(row).toMatchObject({ role: "client", result: "failure", reasonCode: 320100 });

    // What the relay itself sends: only the reference code and its fixed sentence, nothing of the reason.
    const wire = await rawClientHello(kiosk);
    expect(wire.code).toBe(4000);
    expect(wire.messages).toEqual([
      { type: "failure", referenceCode: 283, message: "Authentication error (reference code 283)" },
    ]);
    await lastFailureIs(kiosk, 320100, "application-not-permitted");
  });

  it("after the account manager initialises the slot, devices register again", async () => {
    const user = "neo.reset";
    // No user limit: the contract's (2) applies.
    const { id } = await neoUser(user, { neoDeviceLimit: null });
    const d1 = await device(user, "neo-reset-1");
    const d2 = await device(user, "neo-reset-2");
    const d3 = await device(user, "neo-reset-3");
    await loginAndLeave(d1);
    await loginAndLeave(d2);
    await refused(startViewer(d3));
    await lastFailureIs(user, 200400, "device-limit-reached");

    expect(await initialiseSlot(stack.t.db, id, "pc")).toBe(2);
    expect(await devicesOf(id)).toHaveLength(0);

    // The once-refused device and a formerly registered one (its identity file kept) both register.
    await loginAndLeave(d3);
    await loginAndLeave(d1);
    expect((await devicesOf(id)).map((d) => d.machineId)).toEqual(["neo-reset-3", "neo-reset-1"]);
    await refused(startViewer(d2));
    await lastFailureIs(user, 200400, "device-limit-reached");

    const rows = await historyOf(stack.t, user);
    expect(rows.filter((r) => r.result === "info")).toEqual([]);
  });

  it("six new devices at once with a limit of 2: exactly two register, one session opens", async () => {
    const user = "neo.race";
    const { id } = await neoUser(user, { neoDeviceLimit: 2 });
    const options = await Promise.all(Array.from({ length: 6 }, (_, i) => device(user, `neo-race-${i}`)));
    const results = await Promise.allSettled(options.map((o) => startViewer(o)));
    const opened = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(opened).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toMatchObject({ referenceCode: 293 });
    }
    const devices = (await devicesOf(id)).length;
    const codes = (await historyOf(stack.t, user)).map((r) => r.reasonCode ?? r.result);
    const count = (code: number | string) => codes.filter((c) => c === code).length;
    // The limit holds however the six interleave: at most two register, one session opens, and every
    // other attempt is a second viewer (30100) or finds no place (200400).
    expect(devices).toBeGreaterThanOrEqual(1);
    expect(devices).toBeLessThanOrEqual(2);
    expect(codes).toHaveLength(6);
    expect(count("success")).toBe(1);
    expect(count(30100) + count(200400)).toBe(5);
    // When all six read the account before the first session opened (the usual case): the two
    // registered devices give one session and one second viewer; the other four find no place. A
    // device that reads the account after the session opened, while a place is still free, is a second
    // viewer before it registers (the rules check devices before sessions, and a free place passes).
    if (count(200400) > 0) expect(devices).toBe(2);
    if (devices === 1) expect(count(30100)).toBe(5);
    await opened[0]?.close();
  });
});

/** A client hello on a raw control connection: what the relay sends back, and its close code. */
function rawClientHello(user: string): Promise<{ messages: unknown[]; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.url}/v1/connect`);
    const messages: unknown[] = [];
    ws.on("open", () =>
      ws.send(
        JSON.stringify({
          type: "hello",
          role: "client",
          server: DEMO.neo.serverHost,
          user,
          password: DEMO.userPassword,
          version: "test",
        }),
      ),
    );
    ws.on("message", (d) => messages.push(JSON.parse(d.toString())));
    ws.on("close", (code) => resolve({ messages, code }));
    ws.on("error", reject);
  });
}
