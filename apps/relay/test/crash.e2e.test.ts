/**
 * A relay killed mid-session (SIGKILL: no chance to close anything): once the stale window has passed,
 * a relay on the same database has ended every session and every history row has its end time; with
 * the fleet registry, another relay's reaper does it within seconds of the kill.
 */
import { connect } from "node:net";
import { startClient, startViewer } from "@tsunagi/agent";
import { schema } from "@tsunagi/db";
import { useTestDatabase } from "@tsunagi/db/testing";
import { seedDemo } from "@tsunagi/fixtures";
import { expect, it } from "vitest";
import { agentBase, echoServer, eventually, historyOf, openSessions, startRelay } from "./helpers.js";
import { relayDir, spawnNode } from "./spawn.js";

const t = useTestDatabase((fresh) => seedDemo(fresh.db));

it("ends the sessions of a killed relay after the stale window", async () => {
  const relay = spawnNode(relayDir, ["--import", "tsx", "src/main.ts"], {
    DATABASE_URL: t.url,
    PORT: "0",
    HOST: "127.0.0.1",
    TSUNAGI_STALE_AFTER_SECONDS: "2",
    TSUNAGI_HEARTBEAT_SECONDS: "0.3",
    LOG_LEVEL: "silent",
  });
  const [, url] = await relay.waitFor(/relay listening on (ws:\/\/\S+)/);
  const echo = await echoServer();
  const client = startClient({
    ...agentBase(url as string, "usb.ndl"),
    forward: { host: "127.0.0.1", port: echo.port },
    reconnect: false,
  });
  await client.ready;
  const viewer = await startViewer({
    ...agentBase(url as string, "usb.ndl"),
    product: "usb-ndl",
    usbKeySerial: "NDL-0001-0001",
    listen: { host: "127.0.0.1", port: 0 },
    reconnect: false,
  });
  // A channel in use when the relay dies.
  const socket = connect({ host: "127.0.0.1", port: viewer.listening.port });
  socket.on("error", () => {});
  await new Promise<void>((r) => socket.once("connect", () => r()));
  expect(await openSessions(t)).toHaveLength(2);

  relay.child.kill("SIGKILL");
  await relay.exited;
  const closed = await viewer.closed;
  expect(closed.code).not.toBe(1000);
  // The killed relay left its leases behind, as a crash would.
  expect(await openSessions(t)).toHaveLength(2);

  const successor = await startRelay(t, { staleAfterSeconds: 1, heartbeatIntervalMs: 300 });
  try {
    await eventually(async () => (await openSessions(t)).length === 0, 6_000);
    const rows = (await historyOf(t, "usb.ndl")).filter((r) => r.result === "success");
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.endedAt).not.toBeNull();
      expect(row.endedAt?.getTime()).toBeGreaterThanOrEqual(row.startedAt.getTime());
    }
  } finally {
    await client.stop();
    await successor.relay.close();
    await echo.close();
  }
});

it("ends a killed relay's sessions by the reaper in seconds, long before the stale window", async () => {
  // A ten-minute stale window: only the node's liveness lock can tell that it died.
  const relay = spawnNode(relayDir, ["--import", "tsx", "src/main.ts"], {
    DATABASE_URL: t.url,
    PORT: "0",
    HOST: "127.0.0.1",
    TSUNAGI_INTERNAL_PORT: "0",
    TSUNAGI_STALE_AFTER_SECONDS: "600",
    TSUNAGI_HEARTBEAT_SECONDS: "0.3",
    LOG_LEVEL: "silent",
  });
  const [, url] = await relay.waitFor(/relay listening on (ws:\/\/\S+)/);
  const [, nodeId] = await relay.waitFor(/relay node (\S+) internal/);
  const successor = await startRelay(t, {
    staleAfterSeconds: 600,
    heartbeatIntervalMs: 300,
    reapIntervalMs: 200,
  });
  const echo = await echoServer();
  const client = startClient({
    ...agentBase(url as string, "usb.xdl"),
    forward: { host: "127.0.0.1", port: echo.port },
    reconnect: false,
  });
  try {
    await client.ready;
    const leases = async () => (await openSessions(t)).filter((s) => s.relayInstance === nodeId);
    expect(await leases()).toHaveLength(1);

    relay.child.kill("SIGKILL");
    await relay.exited;
    await eventually(async () => (await leases()).length === 0, 10_000);
    const [row] = (await historyOf(t, "usb.xdl", "client")).filter((r) => r.result === "success");
    expect(row?.endedAt).not.toBeNull();
    const nodes = await t.db.select().from(schema.relayNodes);
    expect(nodes.map((n) => n.id)).toEqual([successor.relay.nodeId]);
  } finally {
    await client.stop();
    await successor.relay.close();
    await echo.close();
  }
});
