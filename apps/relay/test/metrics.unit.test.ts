/**
 * The relay's metrics module on its own: TSUNAGI_METRICS_ALLOWED reaching the config, and the gauges
 * read from a relay's state as the fleet shapes it — a channel counted once whether both its ends are
 * here or one of them is a link to another relay, and links never counted as sessions.
 */
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.js";
import { readSettingsEnv } from "../src/env.js";
import { createRelayMetrics, type SessionView } from "../src/metrics.js";
import { relaySettings } from "../src/start.js";

type Role = SessionView["role"];
interface Connection {
  readonly role: Role;
  readonly channels: Map<number, { readonly peer: Connection }>;
}
const connection = (role: Role): Connection => ({ role, channels: new Map() });
/** A channel between two connections of this relay, numbered on each. */
function join(a: Connection, aId: number, b: Connection, bId: number): void {
  a.channels.set(aId, { peer: b });
  b.channels.set(bId, { peer: a });
}

async function gauges(all: Connection[]) {
  const metrics = createRelayMetrics({
    peers: { all: new Set(all) },
    hashes: { active: 2, queued: 5 },
    nodeAlive: () => true,
    draining: () => false,
  });
  const values = new Map<string, number>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    for (const value of metric.values) {
      const labels = Object.values(value.labels).join(",");
      values.set(labels ? `${metric.name}{${labels}}` : metric.name, value.value);
    }
  }
  return values;
}

describe("TSUNAGI_METRICS_ALLOWED", () => {
  it("replaces the default (this host) when set, and leaves it when not", async () => {
    expect(defaultConfig.metricsAllowed).toEqual(["127.0.0.0/8", "::1/128"]);
    expect((await relaySettings(readSettingsEnv({}))).config).not.toHaveProperty("metricsAllowed");
    const set = await relaySettings(readSettingsEnv({ TSUNAGI_METRICS_ALLOWED: "10.0.0.40/32, ::1/128" }));
    expect(set.config?.metricsAllowed).toEqual(["10.0.0.40/32", "::1/128"]);
  });
});

describe("the gauges, read from the relay's state", () => {
  it("count each channel once: both ends here, the viewer's end towards a link, a link towards the client", async () => {
    const viewer = connection("viewer");
    const client = connection("client");
    const remoteViewer = connection("viewer");
    const linkOut = connection("link");
    const linkIn = connection("link");
    const remoteClientPeer = connection("client");
    // viewer ⇄ client here: two channels.
    join(viewer, 1, client, 1);
    join(viewer, 2, client, 2);
    // viewer here, its client on another relay: over the link it dialled.
    join(viewer, 3, linkOut, 1);
    // a viewer on another relay reaching the client here: over the link it came in on.
    join(linkIn, 7, client, 3);
    // Not ours to count: the far ends live on other relays (left out of this relay's state).
    join(remoteViewer, 1, remoteClientPeer, 1);

    const values = await gauges([viewer, client, linkOut, linkIn]);
    expect(values.get("tsunagi_relay_channels")).toBe(4);
    expect(values.get("tsunagi_relay_sessions{viewer}")).toBe(1);
    expect(values.get("tsunagi_relay_sessions{client}")).toBe(1);
    expect(values.get("tsunagi_relay_hash_active")).toBe(2);
    expect(values.get("tsunagi_relay_hash_queue_depth")).toBe(5);
    expect(values.get("tsunagi_relay_node_alive")).toBe(1);
    expect(values.get("tsunagi_relay_draining")).toBe(0);
  });

  it("read the state anew at each scrape", async () => {
    const viewer = connection("viewer");
    const client = connection("client");
    const all = new Set<Connection>([viewer, client]);
    let alive = true;
    const metrics = createRelayMetrics({
      peers: { all },
      hashes: { active: 0, queued: 0 },
      nodeAlive: () => alive,
      draining: () => !alive,
    });
    join(viewer, 1, client, 1);
    expect(await metrics.registry.getSingleMetricAsString("tsunagi_relay_channels")).toMatch(/ 1$/);
    all.delete(viewer);
    client.channels.clear();
    alive = false;
    expect(await metrics.registry.getSingleMetricAsString("tsunagi_relay_channels")).toMatch(/ 0$/);
    expect(await metrics.registry.getSingleMetricAsString("tsunagi_relay_sessions")).toContain(
      'tsunagi_relay_sessions{role="viewer"} 0',
    );
    expect(await metrics.registry.getSingleMetricAsString("tsunagi_relay_node_alive")).toMatch(/ 0$/);
    expect(await metrics.registry.getSingleMetricAsString("tsunagi_relay_draining")).toMatch(/ 1$/);
  });
});
