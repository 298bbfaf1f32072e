/**
 * What an agent reports about itself reaches the access history only in its format: a MAC that does not
 * parse is judged (no allow-list admits it) and recorded as invalid, never as sent; a machine id, OS
 * user, USB key serial or target that breaks its format fails the hello as malformed, recording nothing.
 */
import { AuthenticationError, connectUrl, startViewer } from "@tsunagi/agent";
import { INVALID_FIELD } from "@tsunagi/core/fields";
import { reasonEntry } from "@tsunagi/core/reasons";
import { DEMO } from "@tsunagi/fixtures";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { agentBase, historyOf, useStack } from "./helpers.js";

const stack = useStack();

const listen = { host: "127.0.0.1", port: 0 };
const FORMULA = '=HYPERLINK("//x.io")';

/** Rows of access_history whose any column, as text, contains `needle`. */
async function rowsContaining(needle: string): Promise<number> {
  const [row] = (await stack.t.db.execute(
    sql`select count(*)::int as count from access_history h where strpos(h::text, ${needle}) > 0`,
  )) as unknown as [{ count: number }];
  return row.count;
}

/** Sends one raw hello; resolves with the relay's first reply and the close code. */
function rawHello(hello: object): Promise<{ reply: { type: string; code?: string }; close: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(connectUrl(stack.url));
    let reply: { type: string; code?: string } = { type: "none" };
    ws.on("open", () => ws.send(JSON.stringify(hello)));
    ws.on("message", (data) => {
      reply = JSON.parse(String(data)) as typeof reply;
    });
    ws.on("close", (code) => resolve({ reply, close: code }));
    ws.on("error", reject);
  });
}

const viewerHello = {
  type: "hello",
  role: "viewer",
  server: DEMO.serverHost,
  user: "user1",
  password: DEMO.userPassword,
  version: "0.1.0",
  product: "terminal-ndl-s",
};
const device = { machineId: "PC-01", osUser: "taro", installPublicKey: "MCowBQYDK2VwAyEA" };

describe("agent-reported fields", () => {
  it("a formula sent as the MAC with a wrong password is recorded as invalid, nowhere as sent", async () => {
    await expect(
      startViewer({
        ...agentBase(stack.url, "usb.ndl", "not-the-password"),
        product: "usb-ndl",
        usbKeySerial: "NDL-0001-0001",
        mac: FORMULA,
        listen,
      }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    const rows = await historyOf(stack.t, "usb.ndl");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reasonCode).toBe(reasonEntry("password-mismatch-viewer").code);
    expect(rows[0]?.mac).toBe(INVALID_FIELD);
    expect(await rowsContaining("HYPERLINK")).toBe(0);
  });

  it("a MAC that does not parse is not on any allow-list: the right password is refused by it", async () => {
    await expect(
      startViewer({
        ...agentBase(stack.url, "mac.limited"),
        product: "terminal-ndl-s",
        mac: "00:1b:44:11:3a:b7=cmd",
        listen,
      }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    const rows = await historyOf(stack.t, "mac.limited");
    expect(rows.map((r) => [r.reasonCode, r.mac])).toEqual([
      [reasonEntry("mac-not-allowed").code, INVALID_FIELD],
    ]);
  });

  it("a MAC that parses is recorded in its canonical form", async () => {
    await expect(
      startViewer({
        ...agentBase(stack.url, "usb.xdl", "not-the-password"),
        product: "usb-xdl",
        usbKeySerial: "XDL-0002-0001",
        mac: "AA-BB-CC-DD-EE-0F",
        listen,
      }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    expect((await historyOf(stack.t, "usb.xdl")).map((r) => r.mac)).toEqual(["aa:bb:cc:dd:ee:0f"]);
  });

  it("an overlong or control-character machine id, OS user, serial or target fails the hello, recording nothing", async () => {
    const before = await historyOf(stack.t, "user1");
    for (const hello of [
      { ...viewerHello, device: { ...device, machineId: "x".repeat(257) } },
      { ...viewerHello, device: { ...device, machineId: "PC-01\u0000" } },
      { ...viewerHello, device: { ...device, machineId: "PC-01\r\n=1+1" } },
      { ...viewerHello, device: { ...device, osUser: "taro\u202egpj.exe" } },
      { ...viewerHello, product: "usb-ndl", usbKeySerial: "=1+1" },
      { ...viewerHello, target: "user1\u0007" },
    ]) {
      const { reply, close } = await rawHello(hello);
      expect(reply).toMatchObject({ type: "error", code: "malformed" });
      expect(close).toBe(1008);
    }
    expect(await historyOf(stack.t, "user1")).toHaveLength(before.length);
  });
});
