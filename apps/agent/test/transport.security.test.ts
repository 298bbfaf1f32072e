/**
 * The password never leaves over plain ws:// except to this machine: the agents refuse any other
 * ws:// relay before connecting, with one line naming the URL and saying to use wss://.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startClient } from "../src/client.js";
import {
  ConnectionError,
  connectAndAuthenticate,
  InsecureTransportError,
  isLoopbackHost,
} from "../src/connection.js";

const agentDir = fileURLToPath(new URL("..", import.meta.url));
const common = { serverHost: "asp1", user: "user1", password: "secret" };

/** Runs a CLI to its end (or kills it after 15 s: a refusal must come at once, not after retries). */
function run(bin: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`bin/${bin}.js`, ...args],
      { cwd: agentDir, env: { ...process.env, TSUNAGI_PASSWORD: "secret" }, timeout: 15_000 },
      (error, _stdout, stderr) => resolve({ code: error ? (error.code as number | null) : 0, stderr }),
    );
  });
}

describe("plain ws:// beyond loopback", () => {
  it("is refused by the connect function before any connection, naming the URL and wss://", async () => {
    const error = await connectAndAuthenticate(
      { ...common, server: "ws://relay.invalid:8443" },
      { role: "client" },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsecureTransportError);
    expect((error as Error).message).toBe(
      "Refusing ws://relay.invalid:8443: plain ws:// would send the password unencrypted; use wss:// (ws:// is for loopback only)",
    );
  });

  it("stops the client at once instead of retrying", async () => {
    const client = startClient({
      ...common,
      server: "ws://10.20.30.40:8443",
      forward: { host: "127.0.0.1", port: 1 },
    });
    await expect(client.ready).rejects.toBeInstanceOf(InsecureTransportError);
    expect(await client.stopped).toMatchObject({ reason: "insecure" });
  });

  it("is refused by both programs with that one line on stderr", async () => {
    const viewer = await run("tsunagi-viewer", [
      "--server",
      "ws://relay.invalid:8443",
      "--server-host",
      "asp1",
      "--user",
      "user1",
      "--product",
      "usb-ndl",
      "--listen",
      "127.0.0.1:0",
    ]);
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toBe(
      "Refusing ws://relay.invalid:8443: plain ws:// would send the password unencrypted; use wss:// (ws:// is for loopback only)\n",
    );
    const client = await run("tsunagi-client", [
      "--server",
      "ws://192.0.2.7:8443",
      "--server-host",
      "asp1",
      "--user",
      "user1",
      "--forward",
      "127.0.0.1:3389",
    ]);
    expect(client.code).toBe(1);
    expect(client.stderr).toMatch(/^Refusing ws:\/\/192\.0\.2\.7:8443: .*use wss:\/\/.*\n$/);
    expect(client.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("loopback", () => {
  it("covers 127.0.0.0/8, ::1 and localhost, and nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "[::1]", "::1", "localhost", "LOCALHOST"])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of [
      "128.0.0.1",
      "10.0.0.1",
      "[::2]",
      "[::ffff:7f00:1]",
      "localhost.example.net",
      "relay",
    ])
      expect(isLoopbackHost(host)).toBe(false);
  });

  it("may use plain ws:// (the connection is tried, not refused)", async () => {
    // A port that answers nothing useful: the attempt fails as a connection, not as a refusal.
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      for (const url of [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]) {
        const error = await connectAndAuthenticate({ ...common, server: url }, { role: "client" }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConnectionError);
      }
    } finally {
      server.close();
    }
  });
});
