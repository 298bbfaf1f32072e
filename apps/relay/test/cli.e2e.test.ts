/**
 * The command-line programs as a person runs them (spawned through their bin shims): a client
 * forwarding a local service, a viewer reaching it, and a wrong password shown as a reference code.
 */
import { connect } from "node:net";
import { freePort } from "@tsunagi/db/server";
import { DEMO } from "@tsunagi/fixtures";
import { expect, it } from "vitest";
import { echoServer, historyOf, tempDir, useStack } from "./helpers.js";
import { agentDir, spawnNode } from "./spawn.js";

const stack = useStack();

it("a wrong password: the viewer prints the reference code and exits 1; the history has 110200", async () => {
  const viewer = spawnNode(
    agentDir,
    [
      "bin/tsunagi-viewer.js",
      "--server",
      stack.url,
      "--server-host",
      "asp1",
      "--user",
      "user1",
      "--listen",
      "127.0.0.1:0",
    ],
    { TSUNAGI_PASSWORD: "wrong", TSUNAGI_CONFIG_DIR: await tempDir() },
  );
  expect(await viewer.exited).toBe(1);
  expect(viewer.output()).toContain("Authentication error (reference code 293)");
  expect(viewer.output()).not.toMatch(/password|110200/i);
  expect((await historyOf(stack.t, "user1")).at(-1)).toMatchObject({ reasonCode: 110200 });
});

it("a client and a viewer in two processes carry a TCP connection end to end", async () => {
  const echo = await echoServer();
  const port = await freePort();
  const env = { TSUNAGI_PASSWORD: DEMO.userPassword, TSUNAGI_CONFIG_DIR: await tempDir() };
  const common = ["--server", stack.url, "--server-host", "asp1", "--user", "usb.ndl"];
  const client = spawnNode(
    agentDir,
    ["bin/tsunagi-client.js", ...common, "--forward", `127.0.0.1:${echo.port}`],
    env,
  );
  const viewer = spawnNode(
    agentDir,
    [
      "bin/tsunagi-viewer.js",
      ...common,
      "--product",
      "usb-ndl",
      "--usb-key-serial",
      "NDL-0001-0001",
      "--listen",
      `127.0.0.1:${port}`,
    ],
    env,
  );
  try {
    await client.waitFor(/connected as client/);
    await viewer.waitFor(/connected as viewer/);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port });
      let text = "";
      s.on("data", (d) => {
        text += d.toString();
      });
      s.on("error", reject);
      s.on("close", () => resolve(text));
      s.end("through two processes");
    });
    expect(reply).toBe("through two processes");
  } finally {
    viewer.child.kill("SIGTERM");
    client.child.kill("SIGTERM");
    expect(await viewer.exited).toBe(0);
    expect(await client.exited).toBe(0);
    await echo.close();
  }
});
