/**
 * Spliced data connections through Debian's HAProxy in TCP mode with `send-proxy-v2`, in front of a
 * relay that terminates TLS itself (docs/protocol.md "Data connections"): the data upgrade goes
 * through the same PROXY header handling and the same TLS as the control connection, and the
 * channels it carries are byte-exact, many at once, with half-close passed on by HAProxy; sealed
 * (docs/protocol.md "Sealed channels"), their plain data connections pass the same frontend.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";
import { freePort, type Haproxy, haproxyPresent, startHaproxy, tcpProxyConfig } from "./haproxy.js";
import {
  agentBase,
  echoThrough,
  eventually,
  selfSigned,
  sha,
  testConfig,
  usbNdlAgents,
  useEchoServer,
  useStack,
} from "./helpers.js";

const present = haproxyPresent("datapath.e2e");

describe.skipIf(!present)("spliced channels through HAProxy (TCP, send-proxy-v2) to a TLS relay", () => {
  const stack = useStack();
  const echo = useEchoServer();
  let haproxy: Haproxy | undefined;
  let relay: Relay;
  let url: string;
  let cert: { cert: Buffer; key: Buffer };

  beforeAll(async () => {
    cert = await selfSigned("relay");
    relay = createRelay({
      db: stack.t.db,
      config: { ...testConfig, trustedProxies: ["127.0.0.3"], proxyProtocol: true },
      log: silentLog,
      tls: cert,
    });
    const relayPort = (await relay.listen(0, "127.0.0.1")).port;
    const front = await freePort();
    haproxy = await startHaproxy(tcpProxyConfig(front, relayPort), [front]);
    url = `wss://127.0.0.1:${front}`;
  });
  afterAll(async () => {
    await haproxy?.stop();
    await relay?.close();
  });

  it("parks, splices and carries 1 MiB and 20 channels at once byte-exact", async () => {
    const { client, viewer } = await usbNdlAgents(
      { ...agentBase(url, "usb.ndl"), ca: cert.cert, dataPath: "spliced" },
      echo.port,
    );
    try {
      await eventually(() => relay.stats().data.parked >= 4);
      const payload = randomBytes(1024 * 1024);
      expect(sha(await echoThrough(viewer.listening.port, payload))).toBe(sha(payload));
      const payloads = Array.from({ length: 20 }, () => randomBytes(128 * 1024));
      const backs = await Promise.all(payloads.map((p) => echoThrough(viewer.listening.port, p)));
      for (const [i, back] of backs.entries()) expect(sha(back)).toBe(sha(payloads[i] as Buffer));
      expect(relay.stats().data.joined).toBe(21);
      // The relay terminates TLS, so it seals: the agents' data connections came as plain TCP through
      // HAProxy (after the PROXY header the relay reads their first byte) and carried the agents' TLS.
      expect(relay.stats().data.sealed).toBe(21);
      expect(viewer.stats().sealed).toBe(21);
      expect(client.stats().sealed).toBe(21);
    } finally {
      await viewer.close();
      await client.stop();
    }
  });
});
