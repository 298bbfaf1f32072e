/**
 * tsunagi-client: runs on the target PC and makes a local service reachable by the user's viewer.
 *
 *   TSUNAGI_PASSWORD=… tsunagi-client --server wss://asp1.example.net --user user1 --forward 127.0.0.1:3389
 */
import { parseArgs } from "node:util";
import { startClient } from "../client.js";
import { readEnv } from "../env.js";
import { primaryMac } from "../machine.js";
import { dataPathMode, notice, parseHostPort, readPassword, report, UsageError } from "./common.js";

const HELP = `Usage: tsunagi-client --server URL --user USER --forward HOST:PORT [options]

Makes HOST:PORT on this PC reachable through the relay by the viewer of USER
(or a viewer grouped with it).

  --server URL          the relay, e.g. wss://asp1.example.net; plain ws:// is refused unless
                        the relay is on this machine (127.0.0.0/8, ::1, localhost)
  --server-host NAME    the relay's host part (asp1); needed when URL is an address
  --user USER           the user name
  --forward HOST:PORT   the local service, e.g. 127.0.0.1:3389
  --password-file FILE  read the password from FILE (else TSUNAGI_PASSWORD, else a prompt)
  --mac MAC             the MAC address to report (default: the first network interface's)
  --ca FILE             also trust this CA certificate (PEM), for a relay with its own certificate
  --data-path MODE      auto (default): each connection on a data connection of its own, spliced
                        by the relay, falling back to the one multiplexed WebSocket when the
                        upgrade is refused (a proxy that passes only WebSockets); spliced or mux
                        forces one

Channels: at most 64 connections from viewers at once; more are answered with a close.
A relay that sends a connection more than the window it was granted (4 MiB) is
disconnected, and the client reconnects.

Reconnection: a lost relay connection is retried with backoff (at once when the relay
drains for an upgrade); not after an authentication failure or the account manager's
disconnect.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      server: { type: "string" },
      "server-host": { type: "string" },
      user: { type: "string" },
      forward: { type: "string" },
      "password-file": { type: "string" },
      mac: { type: "string" },
      ca: { type: "string" },
      "data-path": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.server || !values.user || !values.forward)
    throw new UsageError("--server, --user and --forward are required");
  const forward = parseHostPort(values.forward, "--forward");
  const env = readEnv();
  const password = await readPassword(values["password-file"], env);
  const { readFile } = await import("node:fs/promises");
  const client = startClient({
    server: values.server,
    serverHost: values["server-host"],
    user: values.user,
    password,
    mac: values.mac ?? primaryMac(),
    ca: values.ca ? await readFile(values.ca) : undefined,
    dataPath: dataPathMode(values["data-path"]),
    forward,
    onNotice: notice,
    onConnected: () => notice(`connected as client ${values.user}; forwarding to ${values.forward}`),
  });
  process.once("SIGINT", () => void client.stop());
  process.once("SIGTERM", () => void client.stop());
  const end = await client.stopped;
  if (end.error) return report(end.error);
  return end.reason === "stopped" ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => process.exit(report(error)),
);
