/**
 * The device proof binds the relay's nonce to the host part, role and user the viewer means and to
 * the connection (docs/protocol.md "Handshake"): a relay in between that hands a real relay's
 * challenge to a victim viewer and replays its proof gets an unproven device (190100 in the history,
 * nothing registered), and a proof made for another user or role proves nothing. With the relay
 * terminating TLS itself (a self-signed certificate made here), the proof is bound to the TLS session.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createServer as createHttpsServer } from "node:https";
import { startViewer } from "@tsunagi/agent";
import { deviceProofTranscript } from "@tsunagi/core/proof";
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";
import {
  agentBase,
  failureOf,
  historyOf,
  identityPath,
  selfSigned,
  testConfig,
  userId,
  useStack,
} from "./helpers.js";

const stack = useStack();

const listen = { host: "127.0.0.1", port: 0 };

/**
 * A hostile relay in front of the real one: every viewer connecting to it is carried over a
 * connection of its own to `upstream`, messages passed on as they are, except that `rewriteHello`
 * may change the hello (the host part the victim named). Over TLS when given a certificate.
 */
async function relayInBetween(options: {
  upstream: string;
  upstreamCa?: Buffer;
  tls?: { cert: Buffer; key: Buffer };
  rewriteHello?: (hello: Record<string, unknown>) => Record<string, unknown>;
}): Promise<{ url: string; close(): Promise<void> }> {
  const https = options.tls ? createHttpsServer(options.tls) : undefined;
  const wss = https
    ? new WebSocketServer({ server: https, perMessageDeflate: false })
    : new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  if (https) await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
  else await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (victim) => {
    const real = new WebSocket(`${options.upstream}/v1/connect`, {
      perMessageDeflate: false,
      ...(options.upstreamCa ? { ca: options.upstreamCa } : {}),
    });
    const early: string[] = [];
    victim.on("message", (data) => {
      let text = data.toString();
      const message = JSON.parse(text);
      if (message.type === "hello" && options.rewriteHello)
        text = JSON.stringify(options.rewriteHello(message));
      if (real.readyState === WebSocket.OPEN) real.send(text);
      else early.push(text);
    });
    real.on("open", () => {
      for (const text of early.splice(0)) real.send(text);
    });
    real.on("message", (data) => victim.send(data.toString()));
    real.on("close", (code, reason) => victim.close(code, reason));
    victim.on("close", () => real.close());
    real.on("error", () => victim.terminate());
    victim.on("error", () => real.terminate());
  });
  const port = ((https ?? wss).address() as { port: number }).port;
  return {
    url: `${https ? "wss" : "ws"}://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        if (https) https.close(() => resolve());
        else resolve();
      }),
  };
}

const registrationsOf = async (user: string) =>
  stack.t.db
    .select()
    .from(schema.deviceRegistrations)
    .where(eq(schema.deviceRegistrations.userId, await userId(stack.t, user)));

/**
 * A viewer written by hand: says hello as `user` with a device, and signs the challenge's transcript
 * with `overrides` applied (another user or role). Resolves with the relay's last message and close.
 */
function handMadeProof(
  url: string,
  user: string,
  key: { privateKey: KeyObject; publicKey: string },
  overrides: { user?: string; role?: "viewer" | "client"; server?: string },
): Promise<{ last: { type: string }; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/v1/connect`);
    let last: { type: string } = { type: "none" };
    ws.on("open", () =>
      ws.send(
        JSON.stringify({
          type: "hello",
          role: "viewer",
          server: DEMO.serverHost,
          user,
          password: DEMO.userPassword,
          version: "t",
          product: "terminal-xdl-s",
          device: { machineId: "machine-proof-test", osUser: "someone", installPublicKey: key.publicKey },
        }),
      ),
    );
    ws.on("message", (data) => {
      const message = JSON.parse(data.toString());
      last = message;
      if (message.type === "challenge") {
        const transcript = deviceProofTranscript({
          binding: message.binding,
          nonce: Buffer.from(message.nonce, "base64"),
          connectionId: Buffer.from(message.connectionId, "base64"),
          server: overrides.server ?? DEMO.serverHost,
          role: overrides.role ?? "viewer",
          user: overrides.user ?? user,
        });
        ws.send(
          JSON.stringify({
            type: "proof",
            signature: sign(null, transcript, key.privateKey).toString("base64"),
          }),
        );
      }
      if (message.type === "result") ws.close(1000);
    });
    ws.on("close", (code) => resolve({ last, code }));
    ws.on("error", reject);
  });
}

describe("the proof's transcript", () => {
  it("refuses a proof made for another user or role; the proof made for this one registers the device", async () => {
    const pair = generateKeyPairSync("ed25519");
    const key = {
      privateKey: pair.privateKey,
      publicKey: pair.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    };
    for (const overrides of [{ user: "user1" }, { role: "client" as const }, { server: "fuji" }]) {
      const before = (await historyOf(stack.t, "term.xdl")).length;
      const { last, code } = await handMadeProof(stack.url, "term.xdl", key, overrides);
      expect(code).toBe(4000);
      expect(last).toMatchObject({ type: "failure", referenceCode: 293 });
      const rows = await historyOf(stack.t, "term.xdl");
      expect(rows).toHaveLength(before + 1);
      expect(rows.at(-1)).toMatchObject({
        reasonCode: 190100,
        reasonKey: "terminal-auth-unsupported-viewer",
      });
      expect(await registrationsOf("term.xdl")).toHaveLength(0);
    }
    const { last } = await handMadeProof(stack.url, "term.xdl", key, {});
    expect(last).toMatchObject({ type: "result", ok: true });
    const registered = await registrationsOf("term.xdl");
    expect(registered).toHaveLength(1);
    expect(registered[0]).toMatchObject({ slot: "pc", installPublicKey: key.publicKey });
  });
});

describe("a relay in between", () => {
  it("over plain WebSocket, naming itself by another host part: the replayed proof fails (190100), nothing is registered", async () => {
    const proxy = await relayInBetween({
      upstream: stack.url,
      rewriteHello: (hello) => ({ ...hello, server: DEMO.serverHost }),
    });
    try {
      const before = (await historyOf(stack.t, "term.ex")).length;
      // The victim believes it talks to relay "asp9": that is what its proof names.
      const error = await failureOf(
        startViewer({
          ...agentBase(proxy.url, "term.ex"),
          serverHost: "asp9",
          product: "terminal-ex-s",
          identityFile: await identityPath(),
          listen,
        }),
      );
      expect(error.referenceCode).toBe(293);
      const rows = await historyOf(stack.t, "term.ex");
      expect(rows).toHaveLength(before + 1);
      expect(rows.at(-1)).toMatchObject({
        reasonCode: 190100,
        reasonKey: "terminal-auth-unsupported-viewer",
      });
      expect(await registrationsOf("term.ex")).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });

  describe("with the relay terminating TLS itself", () => {
    let relay: Relay;
    let url: string;
    let relayCert: { cert: Buffer; key: Buffer };
    beforeAll(async () => {
      relayCert = await selfSigned("relay");
      relay = createRelay({ db: stack.t.db, config: testConfig, log: silentLog, tls: relayCert });
      url = (await relay.listen(0, "127.0.0.1")).url;
    });
    afterAll(() => relay.close());

    it("a viewer reaching it directly proves its device over the TLS binding and registers", async () => {
      const viewer = await startViewer({
        ...agentBase(url, "mobile.mac"),
        product: "mobile-mac",
        identityFile: await identityPath(),
        ca: relayCert.cert,
        listen,
      });
      try {
        expect(url.startsWith("wss://")).toBe(true);
        const registered = await registrationsOf("mobile.mac");
        expect(registered).toHaveLength(1);
        expect(registered[0]).toMatchObject({
          slot: "mobile",
          installPublicKey: viewer.identity?.identity.installPublicKey,
        });
      } finally {
        await viewer.close();
      }
    });

    it("over another TLS connection with the same host part: the replayed proof fails (190100), nothing is registered", async () => {
      const proxyCert = await selfSigned("in-between");
      const proxy = await relayInBetween({ upstream: url, upstreamCa: relayCert.cert, tls: proxyCert });
      try {
        const before = (await historyOf(stack.t, "mobile.win")).length;
        const error = await failureOf(
          startViewer({
            ...agentBase(proxy.url, "mobile.win"),
            product: "mobile-windows",
            identityFile: await identityPath(),
            // The victim trusts the relay in between (a planted CA, a careless --ca).
            ca: proxyCert.cert,
            listen,
          }),
        );
        expect(error.referenceCode).toBe(293);
        const rows = await historyOf(stack.t, "mobile.win");
        expect(rows).toHaveLength(before + 1);
        expect(rows.at(-1)).toMatchObject({ reasonCode: 190100 });
        expect(await registrationsOf("mobile.win")).toHaveLength(0);
      } finally {
        await proxy.close();
      }
    });
  });
});
