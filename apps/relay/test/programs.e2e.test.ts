/**
 * The programs people actually reach through Tsunagi, run for real through the relay (serving
 * wss:// with a certificate of its own) and the `tsunagi-client` and `tsunagi-viewer` command-line
 * programs, each its own process: OpenSSH's `ssh` logging in to an `sshd` of the test's own and running
 * commands whose output proves every byte went through both ways, and an HTTP server fetched and
 * posted to by curl (node's fetch where curl is absent) with bodies of a few MiB compared exactly.
 *
 * Every data path the agents can take runs the same tests (`DATA_PATHS`); the OpenSSH tests are
 * skipped, saying so, where sshd or ssh is not installed (CI installs them).
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { beforeAndAfterAll } from "@tsunagi/core/testing";
import { createTestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";
import { selfSigned, tempDir, testConfig } from "./helpers.js";
import { opensshPresent, SSH, type Sshd, startSshd } from "./openssh.js";
import { agentDir, type Spawned, spawnNode } from "./spawn.js";

/**
 * The agents' data paths, each with the flags that force it. Today the agents have the multiplexed
 * path only; the spliced one (issue 12) joins this list with `--data-path spliced` (and this entry
 * gains `--data-path mux`) when the agents take the flag.
 */
const DATA_PATHS: readonly {
  readonly name: string;
  readonly flags: readonly string[];
  readonly spliced: boolean;
}[] = [
  { name: "spliced", flags: ["--data-path", "spliced"], spliced: true },
  { name: "multiplexed", flags: ["--data-path", "mux"], spliced: false },
];

const CURL = "/usr/bin/curl";
const sshPresent = opensshPresent("programs.e2e");

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** The relay over a fresh seeded database, serving wss:// with a self-signed certificate; its CA file. */
const stack = beforeAndAfterAll(
  async () => {
    const t = await createTestDatabase();
    await seedDemo(t.db);
    const cert = await selfSigned("relay");
    const caFile = join(await tempDir(), "relay-ca.pem");
    await writeFile(caFile, cert.cert);
    const relay = createRelay({ db: t.db, config: testConfig, log: silentLog, tls: cert });
    const { url } = await relay.listen(0, "127.0.0.1");
    return { t, relay, url, caFile };
  },
  async ({ t, relay }) => {
    await relay.close();
    await t.close();
  },
);

/**
 * A client forwarding to `forwardPort` and a viewer of the same user in two processes, both connected;
 * the viewer's local port. `stop()` ends both with SIGTERM and expects them to exit 0.
 */
async function pair(
  user: { readonly userName: string; readonly product: string; readonly usbKeySerial: string },
  forwardPort: number,
  flags: readonly string[],
): Promise<{ port: number; stop(): Promise<void> }> {
  const env = { TSUNAGI_PASSWORD: DEMO.userPassword, TSUNAGI_CONFIG_DIR: await tempDir() };
  const common = [
    "--server",
    stack.url,
    "--server-host",
    DEMO.serverHost,
    "--user",
    user.userName,
    "--ca",
    stack.caFile,
    ...flags,
  ];
  const started: Spawned[] = [];
  const stop = async () => {
    for (const program of started) program.child.kill("SIGTERM");
    for (const program of started) expect(await program.exited, program.output()).toBe(0);
  };
  try {
    const client = spawnNode(
      agentDir,
      ["bin/tsunagi-client.js", ...common, "--forward", `127.0.0.1:${forwardPort}`],
      env,
    );
    started.push(client);
    const viewer = spawnNode(
      agentDir,
      [
        "bin/tsunagi-viewer.js",
        ...common,
        "--product",
        user.product,
        "--usb-key-serial",
        user.usbKeySerial,
        "--listen",
        "127.0.0.1:0",
      ],
      env,
    );
    started.push(viewer);
    await client.waitFor(/connected as client/);
    const [, port] = await viewer.waitFor(/connected as viewer \S+; connections to 127\.0\.0\.1:(\d+)/);
    return { port: Number(port), stop };
  } catch (error) {
    for (const program of started) program.child.kill("SIGKILL");
    throw error;
  }
}

/** Runs a program to its end with `input` on its stdin; its exit code, stdout and stderr. */
function run(
  program: string,
  args: readonly string[],
  input: Buffer = Buffer.alloc(0),
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

describe.each(DATA_PATHS)("the real programs through the $name path, TLS on", ({ flags, spliced }) => {
  // The path the bytes took: channels joined as spliced data connections, or none.
  let joinedBefore = 0;
  beforeAll(() => {
    joinedBefore = stack.relay.stats().data.joined;
  });

  describe.skipIf(!sshPresent)("OpenSSH", () => {
    const sshd = beforeAndAfterAll<Sshd>(startSshd, (s) => s.stop());

    it("ssh logs in to sshd through viewer, relay and client and runs commands; 1 MiB goes through each way exactly", async () => {
      const tunnel = await pair(
        { userName: "usb.ndl", product: "usb-ndl", usbKeySerial: "NDL-0001-0001" },
        sshd.port,
        flags,
      );
      try {
        const ssh = (command: string, input?: Buffer) =>
          run(SSH, [...sshd.sshArgs(tunnel.port), `${sshd.user}@127.0.0.1`, command], input);
        const upload = randomBytes(1024 * 1024);
        const echoed = randomBytes(1024 * 1024);
        // Three sessions at once, three channels: a hash of what went up, all of it back, an exit code.
        const [hashed, back, exit] = await Promise.all([
          ssh("echo through-tsunagi; sha256sum", upload),
          ssh("cat", echoed),
          ssh("exit 7"),
        ]);
        expect(hashed.stderr).toBe("");
        expect(hashed.code).toBe(0);
        expect(hashed.stdout.toString()).toBe(`through-tsunagi\n${sha256(upload)}  -\n`);
        expect(back.code).toBe(0);
        expect(back.stdout.length).toBe(echoed.length);
        expect(back.stdout.equals(echoed)).toBe(true);
        expect(exit.code).toBe(7);
        // sshd saw the logins, by key, from the client's side of the tunnel.
        expect(sshd.log()).toMatch(/Accepted publickey for \S+ from 127\.0\.0\.1/);
      } finally {
        await tunnel.stop();
      }
    });
  });

  describe("HTTP", () => {
    const body = randomBytes(4 * 1024 * 1024 + 123);
    const web = beforeAndAfterAll(
      async () => {
        const server: Server = createServer((request: IncomingMessage, response) => {
          if (request.method === "GET" && request.url === "/blob") {
            response.writeHead(200, {
              "content-type": "application/octet-stream",
              "content-length": body.length,
            });
            response.end(body);
            return;
          }
          // POST: what arrived, hashed, and its length.
          const hash = createHash("sha256");
          let length = 0;
          request.on("data", (d: Buffer) => {
            hash.update(d);
            length += d.length;
          });
          request.on("end", () => {
            response.writeHead(200, { "content-type": "text/plain" });
            response.end(`${length} ${hash.digest("hex")}`);
          });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return { server, port: (server.address() as { port: number }).port };
      },
      ({ server }) => new Promise<void>((resolve) => server.close(() => resolve())),
    );

    it(`an HTTP server through the tunnel: ${existsSync(CURL) ? "curl" : "node's fetch (curl is absent)"} gets 4 MiB and posts 3 MiB, byte for byte`, async () => {
      const tunnel = await pair(
        { userName: "usb.xdl", product: "usb-xdl", usbKeySerial: "XDL-0002-0001" },
        web.port,
        flags,
      );
      try {
        const base = `http://127.0.0.1:${tunnel.port}`;
        const upload = randomBytes(3 * 1024 * 1024 + 7);
        let got: Buffer;
        let posted: string;
        if (existsSync(CURL)) {
          const uploadFile = join(await tempDir(), "upload.bin");
          await writeFile(uploadFile, upload);
          const get = await run(CURL, ["--silent", "--show-error", "--fail", `${base}/blob`]);
          expect(get.stderr).toBe("");
          expect(get.code).toBe(0);
          got = get.stdout;
          const post = await run(CURL, [
            "--silent",
            "--show-error",
            "--fail",
            "--data-binary",
            `@${uploadFile}`,
            "-H",
            "content-type: application/octet-stream",
            `${base}/sha256`,
          ]);
          expect(post.code).toBe(0);
          posted = post.stdout.toString();
        } else {
          got = Buffer.from(await (await fetch(`${base}/blob`)).arrayBuffer());
          posted = await (await fetch(`${base}/sha256`, { method: "POST", body: upload })).text();
        }
        expect(got.length).toBe(body.length);
        expect(got.equals(body)).toBe(true);
        expect(posted).toBe(`${upload.length} ${sha256(upload)}`);
      } finally {
        await tunnel.stop();
      }
    });
  });

  it("carried the channels on that path", () => {
    const joined = stack.relay.stats().data.joined - joinedBefore;
    if (spliced) expect(joined).toBeGreaterThan(0);
    else expect(joined).toBe(0);
  });
});
