/**
 * The viewer: authenticate as a viewer, then listen on a local port; every TCP connection accepted
 * there becomes a channel through the relay to the target client (by default the client of the same
 * user name), which connects it to its forwarded service.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Edition, Product } from "@tsunagi/core/domain";
import { type CommonOptions, connectAndAuthenticate } from "./connection.js";
import { type LoadedIdentity, loadOrCreateIdentity } from "./identity.js";
import { runSession, type SessionEnd } from "./session.js";

export interface ViewerOptions extends CommonOptions {
  readonly product: Product;
  readonly edition?: Edition;
  /** The client user name to reach; the viewer's own by default. */
  readonly target?: string;
  readonly usbKeySerial?: string;
  /** Where to accept local connections; port 0 picks one. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The device identity file; needed by terminal-auth and mobile products. */
  readonly identityFile?: string;
  /** Simulate another machine or OS user (tests). */
  readonly machineId?: string;
  readonly osUser?: string;
  readonly onNotice?: (text: string) => void;
  /** Local connections carried at once; more are refused (DEFAULT_MAX_CHANNELS, the relay's default cap). */
  readonly maxChannels?: number;
}

export interface Viewer {
  readonly sessionId: string;
  readonly reachableClients: readonly string[];
  readonly identity: LoadedIdentity | undefined;
  /** The local address connections are accepted on. */
  readonly listening: { readonly host: string; readonly port: number };
  readonly closed: Promise<SessionEnd>;
  close(): Promise<void>;
  /** Channels open, closed ones still writing out, and the bytes the local sockets hold unwritten. */
  stats(): { channels: number; draining: number; queuedBytes: number };
}

/** Authenticates and starts listening; rejects with AuthenticationError as the person would see it. */
export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  const identity = options.identityFile
    ? await loadOrCreateIdentity(options.identityFile, {
        machineId: options.machineId,
        osUser: options.osUser,
      })
    : undefined;
  const connected = await connectAndAuthenticate(options, {
    role: "viewer",
    product: options.product,
    edition: options.edition,
    target: options.target,
    usbKeySerial: options.usbKeySerial,
    identity,
  });
  const notice = options.onNotice ?? (() => {});
  const target = options.target ?? options.user;
  if (connected.result.reachableClients && !connected.result.reachableClients.includes(target)) {
    notice(
      `client ${target} is not reachable from this user (reachable: ${connected.result.reachableClients.join(", ")})`,
    );
  }
  const session = runSession(
    connected,
    {
      onChannelClosed: (id, reason) => {
        if (reason) notice(`connection ${id} closed: ${reason}`);
      },
      onNotice: notice,
    },
    { maxChannels: options.maxChannels },
  );
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket: Socket) => {
    if (session.mux.open(socket) === undefined) {
      notice(`refusing a local connection: ${session.mux.maxChannels} are open`);
      socket.destroy();
      return;
    }
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.listen.port;
  session.closed.then(() => server.close());
  return {
    sessionId: connected.result.sessionId,
    reachableClients: connected.result.reachableClients ?? [],
    identity,
    listening: { host: options.listen.host, port },
    closed: session.closed,
    async close() {
      server.close();
      session.close();
      await session.closed;
    },
    stats: () => ({
      channels: session.mux.channels.size,
      draining: session.mux.drainingChannels,
      queuedBytes: session.mux.queuedBytes(),
    }),
  };
}
