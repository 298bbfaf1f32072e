/**
 * The platform headless, as `pnpm start --headless` starts it, against a test database on free
 * ports: the demo is loaded on first run, the relay answers /healthz and the admin API /health, and
 * `close()` stops both.
 */
import { PassThrough } from "node:stream";
import { schema } from "@tsunagi/db";
import { useTestDatabase } from "@tsunagi/db/testing";
import { DEMO } from "@tsunagi/fixtures";
import { describe, expect, it } from "vitest";
import { startPlatform } from "../src/platform.js";

const t = useTestDatabase();

/** The error a fetch to a closed port fails with, or "answered" if something still listens. */
async function refusal(url: string): Promise<string> {
  try {
    await fetch(url);
    return "answered";
  } catch (error) {
    return String((error as { cause?: { code?: string } }).cause?.code);
  }
}

describe("startPlatform", () => {
  it("loads the demo on first run, serves the relay and the admin API, and close() stops both", async () => {
    const said: string[] = [];
    const logs = new PassThrough();
    const platform = await startPlatform({
      databaseUrl: t.url,
      host: "127.0.0.1",
      relayPort: 0,
      apiPort: 0,
      logStream: logs,
      logLevel: "silent",
      say: (line) => said.push(line),
    });
    const relayHttp = platform.relay.url.replace(/^ws/, "http");
    try {
      expect(said).toEqual(["tsunagi: using DATABASE_URL", "tsunagi: first run, loading the demo"]);
      expect(platform.relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(platform.adminApi.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const healthz = await fetch(`${relayHttp}/healthz`);
      expect(healthz.status).toBe(200);
      expect(await healthz.json()).toEqual({ status: "ok", peers: 0 });
      const health = await fetch(`${platform.adminApi.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok" });
      // Readiness is a database round trip: the admin API reaches the platform database.
      expect((await fetch(`${platform.adminApi.url}/ready`)).status).toBe(200);

      const contracts = await t.db.select({ serverHost: schema.contracts.serverHost }).from(schema.contracts);
      expect(contracts.map((c) => c.serverHost)).toContain(DEMO.serverHost);
    } finally {
      await platform.close();
    }
    expect(await refusal(`${relayHttp}/healthz`)).toBe("ECONNREFUSED");
    expect(await refusal(`${platform.adminApi.url}/health`)).toBe("ECONNREFUSED");
  });

  it("loads the demo only once: a second start finds it and says nothing of it", async () => {
    const said: string[] = [];
    const platform = await startPlatform({
      databaseUrl: t.url,
      relayPort: 0,
      apiPort: 0,
      logStream: new PassThrough(),
      logLevel: "silent",
      say: (line) => said.push(line),
    });
    await platform.close();
    expect(said).toEqual(["tsunagi: using DATABASE_URL"]);
  });

  it("names a taken port before starting anything", async () => {
    const first = await startPlatform({
      databaseUrl: t.url,
      relayPort: 0,
      apiPort: 0,
      logStream: new PassThrough(),
      logLevel: "silent",
    });
    try {
      const said: string[] = [];
      await expect(
        startPlatform({
          databaseUrl: t.url,
          relayPort: first.relay.port,
          apiPort: 0,
          logStream: new PassThrough(),
          say: (line) => said.push(line),
        }),
      ).rejects.toThrow(
        `port ${first.relay.port} on 127.0.0.1 is taken (is Tsunagi already running?): choose another with --relay-port`,
      );
      expect(said).toEqual([]);
    } finally {
      await first.close();
    }
  });
});
