// Loopback servers for the splice and seal tests: a splicing proxy, a sink, a TLS socket pair, a middle
// that splices two raw connections as the relay does.
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from "node:tls";
import { seal } from "../src/seal.js";
import { type SpliceOptions, splice } from "../src/splice.js";

/** Everything a socket sends until its end. */
export function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    socket.once("end", () => resolve(Buffer.concat(chunks)));
    socket.once("error", reject);
  });
}

export interface SpliceProxy {
  readonly port: number;
  /** Bytes the splices counted, both directions. */
  bytes(): number;
  /** The most bytes one read carried. */
  largestRead(): number;
  /** Errors the splices ended with. */
  errors(): string[];
  /** Every spliced pair so far (accepted side, dialled side). */
  readonly pairs: [Socket, Socket][];
  /** Resolves once every splice started so far has finished. */
  allDone(): Promise<void>;
  close(): Promise<void>;
}

/** A proxy that splices each accepted connection to `targetPort`, as the relay and agents do. */
export async function startProxy(
  targetPort: number,
  options: Omit<SpliceOptions, "onBytes" | "done"> = {},
): Promise<SpliceProxy> {
  let bytes = 0;
  let largest = 0;
  const errors: string[] = [];
  const finished: Promise<void>[] = [];
  const pairs: [Socket, Socket][] = [];
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (inbound) => {
    const outbound = tcpConnect({ host: "127.0.0.1", port: targetPort, allowHalfOpen: true, noDelay: true });
    pairs.push([inbound, outbound]);
    finished.push(
      new Promise((resolve) =>
        splice(inbound, outbound, {
          ...options,
          onBytes: (n) => {
            bytes += n;
            largest = Math.max(largest, n);
          },
          done: (error) => {
            if (error) errors.push(error);
            resolve();
          },
        }),
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    bytes: () => bytes,
    largestRead: () => largest,
    errors: () => errors,
    pairs,
    allDone: async () => {
      await Promise.all(finished);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

/** A server that collects each connection's bytes until its end; `next()` gives them in order. */
export async function startSink(): Promise<{
  port: number;
  next(): Promise<Buffer>;
  close(): Promise<void>;
}> {
  const arrived: Promise<Buffer>[] = [];
  const waiters: ((bytes: Promise<Buffer>) => void)[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    const all = readAll(s);
    s.on("end", () => s.end());
    const waiter = waiters.shift();
    if (waiter) waiter(all);
    else arrived.push(all);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    next: () => arrived.shift() ?? new Promise<Buffer>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A slow receiver: on a Unix socket (whose small buffer fills at once), reading a chunk every 2 ms, so
 * a splice in front of it keeps writes queued. `ended` resolves at its peer's end; `received` holds
 * what came. With `pauseOnConnect`, it reads nothing until `accepted()?.resume()`.
 */
export function startSlowUnixSink(pauseOnConnect = false): {
  path: string;
  received: Buffer[];
  ended: Promise<void>;
  accepted(): Socket | undefined;
  close(): Promise<void>;
} {
  const dir = mkdtempSync(join(tmpdir(), "tsunagi-net-sink-"));
  const path = join(dir, "sink.sock");
  const received: Buffer[] = [];
  let accepted: Socket | undefined;
  let sink: Server | undefined;
  const ended = new Promise<void>((resolve) => {
    sink = createServer({ allowHalfOpen: true, pauseOnConnect }, (s) => {
      accepted = s;
      s.on("data", (c: Buffer) => {
        received.push(c);
        s.pause();
        setTimeout(() => s.resume(), 2);
      });
      s.on("end", () => {
        s.end();
        resolve();
      });
    });
    sink.listen(path);
  });
  return {
    path,
    received,
    ended,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) =>
        (sink as Server).close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        }),
      ),
  };
}

/** A self-signed certificate for 127.0.0.1 in `dir` (openssl): its PEM files' paths. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, "c.pem");
  const key = join(dir, "k.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "1", "-subj", "/CN=net-test", "-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", key, "-out", cert],
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

/** A connected TLS pair on loopback (a self-signed certificate made with openssl). */
export async function tlsPair(): Promise<{ client: TLSSocket; server: TLSSocket; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "tsunagi-net-"));
  const { cert, key } = selfSignedCertificate(dir);
  const pem = readFileSync(cert);
  const server = createTlsServer({ cert: pem, key: readFileSync(key), allowHalfOpen: true });
  const accepted = once(server, "secureConnection") as Promise<[TLSSocket]>;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = tlsConnect({
    host: "127.0.0.1",
    port: (server.address() as { port: number }).port,
    ca: pem,
  });
  await once(client, "secureConnect");
  const [serverSide] = await accepted;
  rmSync(dir, { recursive: true, force: true });
  return {
    client,
    server: serverSide,
    close: () =>
      new Promise<void>((r) => {
        client.destroy();
        serverSide.destroy();
        server.close(() => r());
      }),
  };
}

const middles: (() => void)[] = [];
/** Closes every middle and sealed pair the test made (afterEach). */
export function closeMiddles(): void {
  for (const close of middles.splice(0)) close();
}

export interface Middle {
  /** The viewer's and the client's raw data connections, spliced to each other at the middle. */
  readonly viewer: Socket;
  readonly client: Socket;
  /** Everything the middle carried, viewer → client. */
  readonly seen: Buffer[];
}

/**
 * A relay's part: accepts two connections and forwards each to the other (ends too), recording what
 * crosses viewer → client; `alter` may change a chunk on its way (tampering).
 */
export async function throughMiddle(alter?: (chunk: Buffer) => Buffer): Promise<Middle> {
  const seen: Buffer[] = [];
  const accepted: Socket[] = [];
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    accepted.push(socket);
    socket.on("error", () => {});
    if (accepted.length < 2) return;
    const [fromViewer, fromClient] = accepted as [Socket, Socket];
    fromViewer.on("data", (c: Buffer) => {
      seen.push(Buffer.from(c));
      fromClient.write(alter ? alter(c) : c);
    });
    fromClient.on("data", (c: Buffer) => fromViewer.write(c));
    fromViewer.on("end", () => fromClient.end());
    fromClient.on("end", () => fromViewer.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dial = async () => {
    const socket = tcpConnect({ host: "127.0.0.1", port, allowHalfOpen: true, noDelay: true });
    await once(socket, "connect");
    return socket;
  };
  // In order: the middle takes the first it accepts for the viewer's.
  const viewer = await dial();
  while (accepted.length < 1) await new Promise((r) => setTimeout(r, 5));
  const client = await dial();
  middles.push(() => {
    for (const s of [viewer, client, ...accepted]) s.destroy();
    server.close();
  });
  return { viewer, client, seen };
}

/** Both ends of a channel sealed through a middle; the promises settle when each handshake does. */
export async function sealedEnds(
  viewerKey: Buffer,
  clientKey = viewerKey,
  alter?: (chunk: Buffer) => Buffer,
) {
  const middle = await throughMiddle(alter);
  const viewer = seal(middle.viewer, viewerKey, "viewer", 5_000);
  const client = seal(middle.client, clientKey, "client", 5_000);
  for (const end of [viewer, client]) {
    end.then(
      (s) => middles.push(() => s.destroy()),
      () => {},
    );
  }
  return { viewer, client, middle };
}

/** Both ends of a channel sealed with one key, handshakes done. */
export async function sealedPair(key: Buffer, alter?: (chunk: Buffer) => Buffer) {
  const ends = await sealedEnds(key, key, alter);
  const [viewer, client] = await Promise.all([ends.viewer, ends.client]);
  return { viewer, client, middle: ends.middle };
}
