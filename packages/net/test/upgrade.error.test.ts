// dialUpgrade(): a 101 with our protocol gives the socket (bytes after the answer read first); every
// other answer, a reset, a close or an oversized head is a refusal; silence is a timeout.
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { dialUpgrade, UpgradeRefusedError } from "../src/upgrade.js";
import { selfSignedCertificate } from "./helpers.js";

const PROTOCOL = "tsunagi-data/1";
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server that reads one request head and answers with `answer` (or not, when it returns undefined). */
async function answering(answer: (head: string, socket: Socket) => void): Promise<URL> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (head.includes("\r\n\r\n")) answer(head, socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(
    () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r(undefined));
      }),
  );
  return new URL(`ws://127.0.0.1:${(server.address() as { port: number }).port}/v1/data?route=abc`);
}

const dial = (url: URL, headers: Record<string, string> = {}, timeoutMs = 5_000) =>
  dialUpgrade({ url, protocol: PROTOCOL, headers, timeoutMs });

describe("dialUpgrade", () => {
  it("sends the path, query and headers, and gives the socket with what followed the 101 first", async () => {
    let request = "";
    const url = await answering((head, socket) => {
      request = head;
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${PROTOCOL}\r\nConnection: Upgrade\r\n\r\nfirst`,
      );
      setTimeout(() => socket.end("-then"), 20);
    });
    const socket = await dial(url, { "tsunagi-session": "s1", host: "elsewhere", Upgrade: "websocket" });
    expect(request).toMatch(/^GET \/v1\/data\?route=abc HTTP\/1\.1\r\n/);
    // The caller's headers never replace the request's own.
    expect(request.match(/^upgrade:/gim)).toHaveLength(1);
    expect(request).toContain(`Upgrade: ${PROTOCOL}\r\n`);
    expect(request.match(/^host:/gim)).toEqual(["Host:"]);
    expect(request).toContain(`Host: ${url.host}\r\n`);
    expect(request).toContain("tsunagi-session: s1\r\n");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.resume();
    await once(socket, "end");
    expect(Buffer.concat(chunks).toString()).toBe("first-then");
    socket.destroy();
  });

  it("over TLS, computes headers once connected (with the TLS socket)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsunagi-net-upgrade-"));
    const { cert, key } = selfSignedCertificate(dir);
    const ca = readFileSync(cert);
    let request = "";
    const server = createTlsServer({ cert: ca, key: readFileSync(key) }, (socket) => {
      socket.on("data", (chunk: Buffer) => {
        request += chunk.toString("latin1");
        if (request.includes("\r\n\r\n"))
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${PROTOCOL}\r\n\r\n`);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => server.close(() => r(undefined))));
    rmSync(dir, { recursive: true, force: true });
    const socket = await dialUpgrade({
      url: new URL(`wss://127.0.0.1:${(server.address() as { port: number }).port}/v1/link-data`),
      protocol: PROTOCOL,
      headers: (s) => ({ "x-encrypted": String((s as { encrypted?: boolean }).encrypted === true) }),
      tls: { ca },
      timeoutMs: 5_000,
    });
    expect(request).toContain("x-encrypted: true\r\n");
    socket.destroy();
  });

  it.each([
    ["a 403", (_h: string, s: Socket) => s.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), /403/],
    [
      "a 101 to another protocol",
      (_h: string, s: Socket) => s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
      /101/,
    ],
    ["a close before any answer", (_h: string, s: Socket) => s.end(), /closed before the upgrade/],
    ["a reset", (_h: string, s: Socket) => s.resetAndDestroy(), /connection failed/],
    [
      "an answer whose head never ends",
      (_h: string, s: Socket) => s.write(`HTTP/1.1 101 Switching Protocols\r\nX: ${"a".repeat(9000)}`),
      /oversized/,
    ],
  ])("refuses %s", async (_label, answer, message) => {
    const url = await answering(answer);
    const error = await dial(url).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(UpgradeRefusedError);
    expect(error?.message).toMatch(message);
  });

  it("times out, not refused, when nothing answers", async () => {
    const url = await answering(() => {});
    const error = await dial(url, {}, 200).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UpgradeRefusedError);
    expect(error?.message).toMatch(/in time/);
  });
});
