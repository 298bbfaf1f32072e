/**
 * One piece of the benchmark in a process of its own, as in production: the relay, a client, a viewer,
 * or the baseline's plain TCP pipe proxy. `bench/run.ts` starts these with
 * `node --import tsx bench/proc.ts ROLE JSON` (an agent's JSON may add `ca` and `dataPath`); each
 * prints one line `ready JSON` on stdout once it listens, and shuts down cleanly on SIGTERM or when its
 * stdin closes (the benchmark went away), so a `--cpu-prof` run writes its profile.
 */
import { createServer, connect as tcpConnect } from "node:net";
import { startClient, startViewer } from "@tsunagi/agent";
import { connect } from "@tsunagi/db";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";

const [role, json] = process.argv.slice(2);
const args = JSON.parse(json ?? "{}") as Record<string, unknown>;
const ready = (info: object) => process.stdout.write(`ready ${JSON.stringify(info)}\n`);

/**
 * What an agent may be given besides its login: the CA (PEM) of a relay serving wss:// with its own
 * certificate, and the data path to force (`dataPath`, issue 12), passed on only when asked for.
 */
const agentExtras = {
  ...(args.ca === undefined ? {} : { ca: String(args.ca) }),
  ...(args.dataPath === undefined ? {} : { dataPath: args.dataPath as "mux" | "spliced" }),
  // What an agent says (a fallback taken, a channel closed with a reason) is part of the run's story.
  onNotice: (text: string) => process.stderr.write(`bench ${role}: ${text}\n`),
};

let stop: () => Promise<void> = async () => {};
let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("error", shutdown);
process.stdin.resume();

async function main() {
  switch (role) {
    case "relay": {
      const { db, close } = connect(String(args.databaseUrl), { max: 20 });
      const relay = createRelay({
        db,
        log: silentLog,
        config: {
          rateLimitPerAddress: { burst: 1e9, perSecond: 1e9 },
          rateLimitPerUser: { burst: 1e9, perSecond: 1e9 },
        },
      });
      const { url } = await relay.listen(0);
      stop = async () => {
        await relay.close();
        await close();
      };
      return ready({ url, maxConcurrentHashes: relay.config.maxConcurrentHashes });
    }
    case "client": {
      const client = startClient({
        server: String(args.server),
        serverHost: String(args.serverHost),
        user: String(args.user),
        password: String(args.password),
        forward: { host: "127.0.0.1", port: Number(args.forwardPort) },
        ...agentExtras,
      });
      await client.ready;
      stop = () => client.stop();
      return ready({});
    }
    case "viewer": {
      const viewer = await startViewer({
        server: String(args.server),
        serverHost: String(args.serverHost),
        user: String(args.user),
        password: String(args.password),
        product: "usb-ndl",
        usbKeySerial: String(args.usbKeySerial),
        listen: { host: "127.0.0.1", port: 0 },
        ...agentExtras,
      });
      stop = () => viewer.close();
      return ready({ port: viewer.listening.port });
    }
    case "proxy": {
      const target = Number(args.targetPort);
      const server = createServer((inbound) => {
        const outbound = tcpConnect({ host: "127.0.0.1", port: target });
        inbound.on("error", () => {});
        outbound.on("error", () => {});
        inbound.pipe(outbound).pipe(inbound);
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      stop = async () => {
        server.close();
      };
      return ready({ port: (server.address() as { port: number }).port });
    }
    default:
      throw new Error(`unknown role ${role}`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench ${role}: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
