/**
 * The scenarios of docs/domain.md end to end: real relay, real agents (in process), real database. Each
 * checks both sides — what the person sees (only a reference code) and what the account manager's
 * history records (the reason's code).
 */
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { startClient, startViewer } from "@tsunagi/agent";
import { initialiseSlot, schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  agentBase,
  eventually,
  failureOf,
  historyOf,
  identityPath,
  startRelay,
  useEchoServer,
  userId,
  useStack,
} from "./helpers.js";

const stack = useStack();
const echo = useEchoServer();

const listen = { host: "127.0.0.1", port: 0 };

const lastRow = async (user: string, role?: "viewer" | "client") =>
  (await historyOf(stack.t, user, role)).at(-1);

describe("authentication failures show only a reference code", () => {
  it("wrong password: the person sees 293, the history shows 110200", async () => {
    const before = (await historyOf(stack.t, "user1")).length;
    const error = await failureOf(
      startViewer({
        ...agentBase(stack.url, "user1", "not-the-password"),
        product: "terminal-ndl-s",
        identityFile: await identityPath(),
        listen,
      }),
    );
    expect(error.message).toBe("Authentication error (reference code 293)");
    expect(error.referenceCode).toBe(293);
    const rows = await historyOf(stack.t, "user1");
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)).toMatchObject({
      result: "failure",
      reasonCode: 110200,
      reasonKey: "password-mismatch-viewer",
    });
    expect(rows.at(-1)?.endedAt).toEqual(rows.at(-1)?.startedAt);
  });

  it("a client on a device-dedicated account: 283, history 60100", async () => {
    const client = startClient({
      ...agentBase(stack.url, "dedicated"),
      forward: { host: "127.0.0.1", port: echo.port },
      reconnect: false,
    });
    const error = await failureOf(client.ready);
    expect(error.message).toBe("Authentication error (reference code 283)");
    expect(await client.stopped).toMatchObject({ reason: "authentication" });
    expect(await lastRow("dedicated", "client")).toMatchObject({
      result: "failure",
      reasonCode: 60100,
      reasonKey: "client-not-allowed",
    });
  });
});

describe("terminal authentication", () => {
  it("another device on a registered slot fails 170400; after initialising, the next login registers (200200) and succeeds; a reinstalled viewer then fails 190500", async () => {
    const file = await identityPath();
    const viewer = {
      ...agentBase(stack.url, "user1"),
      product: "terminal-ndl-s" as const,
      identityFile: file,
      listen,
    };

    // The demo's PC slot holds another machine's identity.
    const mismatch = await failureOf(startViewer(viewer));
    expect(mismatch.referenceCode).toBe(293);
    expect(await lastRow("user1")).toMatchObject({ reasonCode: 170400 });

    await initialiseSlot(stack.t.db, await userId(stack.t, "user1"), "pc");
    const v = await startViewer(viewer);
    const rows = await historyOf(stack.t, "user1");
    expect(rows.at(-2)).toMatchObject({ result: "info", reasonCode: 200200 });
    expect(rows.at(-1)).toMatchObject({
      result: "success",
      sessionId: v.sessionId,
      peerUserName: "user1",
      endedAt: null,
    });
    const registered = (
      await stack.t.db
        .select()
        .from(schema.deviceRegistrations)
        .where(eq(schema.deviceRegistrations.userId, await userId(stack.t, "user1")))
    ).find((r) => r.slot === "pc");
    expect(registered?.installPublicKey).toBe(v.identity?.identity.installPublicKey);
    await v.close();
    await eventually(async () => (await lastRow("user1"))?.endedAt != null);

    // Same machine, same OS user, the identity file deleted: a reinstall.
    await rm(file);
    const reinstalled = await failureOf(startViewer(viewer));
    expect(reinstalled.message).toBe("Authentication error (reference code 293)");
    expect(await lastRow("user1")).toMatchObject({
      result: "failure",
      reasonCode: 190500,
      reasonKey: "terminal-auth-mismatch-install",
    });
  });

  it("the same identity started by another OS user fails 180200", async () => {
    const file = await identityPath();
    const base = {
      ...agentBase(stack.url, "term.ex"),
      product: "terminal-ex-s" as const,
      identityFile: file,
      listen,
    };
    const first = await startViewer(base);
    await first.close();
    await failureOf(startViewer({ ...base, osUser: "someone-else" }));
    expect(await lastRow("term.ex")).toMatchObject({ reasonCode: 180200 });
  });
});

describe("sessions", () => {
  it("a second viewer with the same user name fails 30100 while the first is connected", async () => {
    const file = await identityPath();
    const base = {
      ...agentBase(stack.url, "term.xdl"),
      product: "terminal-xdl-s" as const,
      identityFile: file,
      listen,
    };
    const first = await startViewer(base);
    const second = await failureOf(startViewer(base));
    expect(second.message).toBe("Authentication error (reference code 293)");
    expect(await lastRow("term.xdl")).toMatchObject({
      result: "failure",
      reasonCode: 30100,
      reasonKey: "duplicate-viewer",
    });
    await first.close();
    // Once the first has gone, the name is free again.
    await eventually(
      async () =>
        (
          await stack.t.db
            .select()
            .from(schema.activeSessions)
            .where(eq(schema.activeSessions.userName, "term.xdl"))
        ).length === 0,
    );
    const third = await startViewer(base);
    await third.close();
  });

  it("an account manager's disconnect closes the viewer and ends its history row", async () => {
    const v = await startViewer({
      ...agentBase(stack.url, "usb.xdl"),
      product: "usb-xdl",
      usbKeySerial: "XDL-0002-0001",
      listen,
    });
    await stack.t.db
      .update(schema.activeSessions)
      .set({ disconnectRequestedAt: new Date() })
      .where(eq(schema.activeSessions.id, v.sessionId));
    const end = await v.closed;
    expect(end.code).toBe(4003);
    await eventually(async () => {
      const row = (await historyOf(stack.t, "usb.xdl")).find((r) => r.sessionId === v.sessionId);
      return row?.endedAt != null;
    });
    expect(
      await stack.t.db.select().from(schema.activeSessions).where(eq(schema.activeSessions.id, v.sessionId)),
    ).toHaveLength(0);
  });
});

describe("restrictions and editions", () => {
  it("IP restriction: 40200 from a disallowed address; X-Forwarded-For counts only through a trusted proxy", async () => {
    const base = { ...agentBase(stack.url, "ip.limited"), product: "terminal-ndl-s" as const, listen };
    await failureOf(startViewer({ ...base, identityFile: await identityPath() }));
    expect(await lastRow("ip.limited")).toMatchObject({ reasonCode: 40200, sourceAddress: "127.0.0.1" });

    // A spoofed header on a relay that trusts no proxy changes nothing.
    await failureOf(
      startViewer({
        ...base,
        identityFile: await identityPath(),
        headers: { "x-forwarded-for": "203.0.113.7" },
      }),
    );
    expect(await lastRow("ip.limited")).toMatchObject({ reasonCode: 40200, sourceAddress: "127.0.0.1" });

    const proxied = await startRelay(stack.t, { trustedProxies: ["127.0.0.1/32"] });
    try {
      const v = await startViewer({
        ...base,
        server: proxied.url,
        identityFile: await identityPath(),
        headers: { "x-forwarded-for": "198.51.100.99, 203.0.113.7" },
      });
      expect(await lastRow("ip.limited")).toMatchObject({ result: "success", sourceAddress: "203.0.113.7" });
      await v.close();
    } finally {
      await proxied.relay.close();
    }
  });

  it("MAC restriction: 40100 for another device, success for the listed one in any spelling", async () => {
    const base = {
      ...agentBase(stack.url, "mac.limited"),
      product: "terminal-ndl-s" as const,
      listen,
      identityFile: await identityPath(),
    };
    await failureOf(startViewer({ ...base, mac: "00:1b:44:11:3a:ff" }));
    expect(await lastRow("mac.limited")).toMatchObject({ reasonCode: 40100, mac: "00:1b:44:11:3a:ff" });
    const v = await startViewer({ ...base, mac: "00-1B-44-11-3A-B7" });
    expect(await lastRow("mac.limited")).toMatchObject({ result: "success", mac: "00:1b:44:11:3a:b7" });
    await v.close();
  });

  it("Plus vs standard: a standard viewer at a Plus-only user and a Plus viewer at a standard user both fail 140200", async () => {
    const plusOnly = {
      ...agentBase(stack.url, "plus.only"),
      product: "terminal-ndl-s" as const,
      listen,
      identityFile: await identityPath(),
    };
    await failureOf(startViewer({ ...plusOnly, edition: "standard" }));
    expect(await lastRow("plus.only")).toMatchObject({
      reasonCode: 140200,
      reasonKey: "non-plus-not-allowed",
    });
    const v = await startViewer({ ...plusOnly, edition: "plus" });
    expect(await lastRow("plus.only")).toMatchObject({ result: "success", edition: "plus" });
    await v.close();

    await failureOf(
      startViewer({
        ...agentBase(stack.url, "usb.ex"),
        product: "usb-ex",
        usbKeySerial: "EX-0003-0001",
        edition: "plus",
        listen,
      }),
    );
    expect(await lastRow("usb.ex")).toMatchObject({ reasonCode: 140200, reasonKey: "plus-not-allowed" });
  });

  it("a USB viewer shows 291 and the wrong key records 120300", async () => {
    const error = await failureOf(
      startViewer({
        ...agentBase(stack.url, "usb.ndl"),
        product: "usb-ndl",
        usbKeySerial: "NDL-9999-9999",
        listen,
      }),
    );
    expect(error.message).toBe("Authentication error (reference code 291)");
    expect(await lastRow("usb.ndl")).toMatchObject({ reasonCode: 120300 });
  });
});

describe("pairing", () => {
  it("a grouped viewer reaches another user's client; both history rows name their peer", async () => {
    const client = startClient({
      ...agentBase(stack.url, "office.pc"),
      forward: { host: "127.0.0.1", port: echo.port },
    });
    await client.ready;
    const file = await identityPath();
    await initialiseSlot(stack.t.db, await userId(stack.t, "user1"), "pc");
    const v = await startViewer({
      ...agentBase(stack.url, "user1"),
      product: "terminal-ndl-s",
      identityFile: file,
      target: "office.pc",
      listen,
    });
    expect(v.reachableClients).toEqual(["office.pc", "user1"]);
    const reply = await roundTrip(v.listening.port, "hello through the relay");
    expect(reply).toBe("hello through the relay");
    expect(await lastRow("user1", "viewer")).toMatchObject({ result: "success", peerUserName: "office.pc" });
    await eventually(async () => (await lastRow("office.pc", "client"))?.peerUserName === "user1");
    await v.close();
    await client.stop();
    await eventually(async () => (await lastRow("office.pc", "client"))?.endedAt != null);
  });

  it("a viewer whose target is not linked gets its connection closed, not a tunnel", async () => {
    const client = startClient({
      ...agentBase(stack.url, "office.pc"),
      forward: { host: "127.0.0.1", port: echo.port },
    });
    await client.ready;
    const notices: string[] = [];
    const v = await startViewer({
      ...agentBase(stack.url, "usb.xdl"),
      product: "usb-xdl",
      usbKeySerial: "XDL-0002-0001",
      target: "office.pc",
      listen,
      onNotice: (text) => notices.push(text),
    });
    const reply = await roundTrip(v.listening.port, "should not arrive");
    expect(reply).toBe("");
    expect(notices.some((n) => n.includes("not reachable"))).toBe(true);
    await v.close();
    await client.stop();
  });
});

/** Sends `text`, half-closes, and collects what comes back until the far end closes. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString()));
    socket.end(text);
  });
}
