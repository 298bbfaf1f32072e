/**
 * tsunagi-viewer: runs on the device the person sits at; connections to the local port reach the
 * service the client forwards.
 *
 *   TSUNAGI_PASSWORD=… tsunagi-viewer --server wss://asp1.example.net --user user1 --listen 127.0.0.1:13389
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Edition, Product } from "@tsunagi/core/domain";
import { readEnv } from "../env.js";
import { configDir, IDENTITY_FILE_NAME } from "../identity.js";
import { primaryMac } from "../machine.js";
import { startViewer } from "../viewer.js";
import { dataPathMode, notice, parseHostPort, readPassword, report, UsageError } from "./common.js";

const HELP = `Usage: tsunagi-viewer --server URL --user USER --listen HOST:PORT [options]

Accepts connections on HOST:PORT and carries each through the relay to the client of
USER (or of --target, when grouping links it).

  --server URL          the relay, e.g. wss://asp1.example.net; plain ws:// is refused unless
                        the relay is on this machine (127.0.0.0/8, ::1, localhost)
  --server-host NAME    the relay's host part (asp1); needed when URL is an address
  --user USER           the user name
  --target CLIENT       the client user name to reach (default: USER)
  --listen HOST:PORT    where to accept local connections, e.g. 127.0.0.1:13389
  --product PRODUCT     ${Product.options.join(" | ")} (default terminal-ndl-s)
  --edition EDITION     standard | plus (default standard)
  --usb-key-serial S    the USB key's serial (USB and fingerprint products)
  --identity FILE       the device identity file (default: <config dir>/${IDENTITY_FILE_NAME})
  --password-file FILE  read the password from FILE (else TSUNAGI_PASSWORD, else a prompt)
  --mac MAC             the MAC address to report (default: the first network interface's)
  --ca FILE             also trust this CA certificate (PEM), for a relay with its own certificate
  --data-path MODE      auto (default): each connection on a data connection of its own, spliced
                        by the relay, falling back to the one multiplexed WebSocket when the
                        upgrade is refused (a proxy that passes only WebSockets); spliced or mux
                        forces one

Channels: at most 64 connections are carried at once; more are refused. A relay that
sends a connection more than the window it was granted (4 MiB) is disconnected.

Reconnection: a lost relay connection is retried with backoff (at once when the relay
drains for an upgrade); the local port stays open meanwhile, and connections made to it
wait up to 30 s for the relay to be back. Not after an authentication failure or the
account manager's disconnect.

The device proof signs the relay's host part, the user and this connection (its TLS
session over wss://), so a relay in between cannot pass it on to the real one.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      server: { type: "string" },
      "server-host": { type: "string" },
      user: { type: "string" },
      target: { type: "string" },
      listen: { type: "string" },
      product: { type: "string", default: "terminal-ndl-s" },
      edition: { type: "string", default: "standard" },
      "usb-key-serial": { type: "string" },
      identity: { type: "string" },
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
  if (!values.server || !values.user || !values.listen)
    throw new UsageError("--server, --user and --listen are required");
  const product = Product.safeParse(values.product);
  if (!product.success) throw new UsageError(`--product must be one of ${Product.options.join(", ")}`);
  const edition = Edition.safeParse(values.edition);
  if (!edition.success) throw new UsageError("--edition must be standard or plus");
  const listen = parseHostPort(values.listen, "--listen");
  const env = readEnv();
  const password = await readPassword(values["password-file"], env);
  const target = values.target ?? values.user;
  let sessions = 0;
  const viewer = await startViewer({
    server: values.server,
    serverHost: values["server-host"],
    user: values.user,
    password,
    target: values.target,
    product: product.data,
    edition: edition.data,
    usbKeySerial: values["usb-key-serial"],
    identityFile: values.identity ?? join(configDir(env), IDENTITY_FILE_NAME),
    mac: values.mac ?? primaryMac(),
    ca: values.ca ? await readFile(values.ca) : undefined,
    dataPath: dataPathMode(values["data-path"]),
    listen,
    onNotice: notice,
    // The first session is announced below, with the port; the later ones are reconnections.
    onConnected: () => {
      sessions += 1;
      if (sessions > 1) notice(`connected again as viewer ${values.user}; reaching client ${target}`);
    },
  });
  if (viewer.identity?.created) notice(`device identity created in ${viewer.identity.file}`);
  notice(
    `connected as viewer ${values.user}; connections to ${viewer.listening.host}:${viewer.listening.port} reach client ${target}`,
  );
  process.once("SIGINT", () => void viewer.close());
  process.once("SIGTERM", () => void viewer.close());
  const end = await viewer.closed;
  if (end.why === "closed") return 0;
  if (end.error) return report(end.error);
  if (end.why === "connection-lost") {
    notice(`disconnected from the relay (${end.code}${end.reason ? ` ${end.reason}` : ""})`);
  }
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error) => process.exit(report(error)),
);
