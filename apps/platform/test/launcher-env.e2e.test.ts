/**
 * `pnpm start --headless` as a process: the relay's and the admin API's own variables reach them as
 * when each runs alone: TLS (the relay serves wss://) and trusted proxies (the admin API believes
 * X-Forwarded-For from them, so its allow-list sees the forwarded address).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema } from "@tsunagi/db";
import { useTestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type InTerminal, inTerminal, launcherCommand } from "./terminal.js";

const t = useTestDatabase((fresh) => seedDemo(fresh.db));
let dir: string;
let platform: InTerminal | undefined;

beforeAll(async () => {
  // Account managers may log in only from 203.0.113.0/24, an address no test socket has.
  await t.db
    .update(schema.contracts)
    .set({ adminAllowCidrs: ["203.0.113.0/24"] })
    .where(eq(schema.contracts.serverHost, DEMO.serverHost));
  dir = await mkdtemp(join(tmpdir(), "tsunagi-platform-test-"));
});

afterAll(async () => {
  platform?.pty.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A self-signed certificate for 127.0.0.1, made with openssl for this run: its file paths. */
function selfSigned(): { cert: string; key: string } {
  const cert = join(dir, "relay.crt");
  const key = join(dir, "relay.key");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "1", "-subj", "/CN=relay", "-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", key, "-out", cert],
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      let body = "";
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

const login = (api: string, forwardedFor: string) =>
  fetch(`${api}/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
    body: JSON.stringify({
      server: DEMO.serverHost,
      login: DEMO.adminLogin,
      password: DEMO.adminTemporaryPassword,
    }),
  });

it("passes the relay's TLS and both servers' trusted proxies through", async () => {
  const tls = selfSigned();
  platform = inTerminal(launcherCommand(["--headless", "--relay-port", "0", "--api-port", "0"]), {
    DATABASE_URL: t.url,
    TSUNAGI_DATA_DIR: dir,
    TSUNAGI_TLS_CERT: tls.cert,
    TSUNAGI_TLS_KEY: tls.key,
    TSUNAGI_TRUSTED_PROXIES: "127.0.0.1",
    LOG_LEVEL: "silent",
  });
  const screen = await platform.waitFor("running; Ctrl-C stops", 60_000);
  const relayUrl = screen.match(/tsunagi: relay +(\S+)/)?.[1] ?? "";
  const apiUrl = screen.match(/tsunagi: admin API +(\S+)/)?.[1] ?? "";

  expect(relayUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
  const healthz = await httpsGet(`${relayUrl.replace(/^wss/, "https")}/healthz`, await readFile(tls.cert));
  expect(healthz).toEqual({ status: 200, body: JSON.stringify({ status: "ok", peers: 0 }) });

  // From 127.0.0.1, a trusted proxy: the forwarded address is the one the allow-list judges.
  expect((await login(apiUrl, "198.51.100.7")).status).toBe(401);
  expect((await login(apiUrl, "203.0.113.9")).status).toBe(200);

  platform.type("\x03");
  expect(await platform.exited).toBe(0);
});
