/**
 * splice() against a stream pipe, on demand: `pnpm --filter @tsunagi/net bench [--seconds 3]
 * [--rounds 3]`. A one-hop forwarder in a process of its own (this file run as `hop MODE PORT`), once
 * with `a.pipe(b)` both ways (the baseline) and once with `splice(a, b)`, rounds alternating the two:
 * a sender in this process writes for `--seconds` through the forwarder to a sink in this process.
 * Prints per mode the median Gbit/s, the forwarder's CPU seconds per GiB (/proc, Linux), and splice's
 * ratios to the pipe measured in the same run. With `--tls`, the forwarder's inbound side is TLS (the
 * relay's case with its own certificate). Then `--idle N` (default 1000) connections through a fresh
 * forwarder of each mode, each carrying one 100-byte round trip to an echo server and then idle: the
 * forwarder's resident memory per connection (VmRSS from /proc, before and after). Nothing is
 * asserted: it prints.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { parseArgs } from "node:util";
import { splice } from "../src/splice.js";
import { selfSignedCertificate } from "../test/helpers.js";

const CHUNK = Buffer.alloc(256 * 1024, 0x5a);

/** The forwarder: accepts on a port of its own, dials `target`, joins the two; prints its port. */
async function hop(mode: string, target: number, tls: { cert: string; key: string } | undefined) {
  const onConnection = (inbound: Socket) => {
    inbound.allowHalfOpen = true;
    inbound.on("error", () => {});
    const outbound = tcpConnect({ host: "127.0.0.1", port: target, allowHalfOpen: true, noDelay: true });
    outbound.on("error", () => {});
    if (mode === "pipe") {
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    } else splice(inbound, outbound);
  };
  const server = tls
    ? createTlsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, onConnection)
    : createServer({ noDelay: true }, onConnection);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
  // "gc" on stdin collects garbage first (run with --expose-gc), so a memory reading sees what is held.
  process.stdin.on("data", (line: Buffer) => {
    if (line.toString().trim() === "gc") (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write("collected\n");
  });
  process.stdin.on("end", () => process.exit(0));
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident memory in KiB (VmRSS). */
function residentKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main() {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      tls: { type: "boolean", default: false },
      idle: { type: "string", default: "1000" },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(join(tmpdir(), "tsunagi-net-bench-"));
  const { cert, key } = values.tls ? selfSignedCertificate(dir) : { cert: "", key: "" };
  let sunk = 0;
  const sink = createServer((s) => {
    s.on("data", (d: Buffer) => {
      sunk += d.length;
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  const sinkPort = (sink.address() as { port: number }).port;

  const results = new Map<string, { gbit: number[]; cpu: number[] }>();
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        " ",
      )}; ${seconds} s per run, ${rounds} rounds, forwarder inbound ${values.tls ? "TLS" : "plain TCP"}`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? ["pipe", "splice"] : ["splice", "pipe"]) {
      const child = spawn(
        process.execPath,
        [
          ...process.execArgv,
          process.argv[1] as string,
          "hop",
          mode,
          String(sinkPort),
          ...(values.tls ? [cert, key] : []),
        ],
        { stdio: ["pipe", "pipe", "inherit"] },
      );
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      const port = Number(line.toString().trim());
      const socket = values.tls
        ? tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(cert) })
        : tcpConnect({ host: "127.0.0.1", port, noDelay: true });
      await once(socket, values.tls ? "secureConnect" : "connect");
      const before = cpuSeconds(child.pid as number);
      const start = sunk;
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const write = () => {
          while (performance.now() - t0 < seconds * 1000) {
            if (!socket.write(CHUNK)) {
              socket.once("drain", write);
              return;
            }
          }
          resolve();
        };
        write();
      });
      const secs = (performance.now() - t0) / 1000;
      const bytes = sunk - start;
      const cpu = cpuSeconds(child.pid as number) - before;
      socket.destroy();
      child.stdin?.end();
      await once(child, "exit");
      const entry = results.get(mode) ?? { gbit: [], cpu: [] };
      entry.gbit.push((bytes * 8) / secs / 1e9);
      entry.cpu.push(cpu / (bytes / 1024 ** 3));
      results.set(mode, entry);
    }
  }
  const idle = Number(values.idle);
  const memory = new Map<string, number>();
  if (idle > 0) {
    const echo = createServer((s) => {
      s.on("error", () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    const echoPort = (echo.address() as { port: number }).port;
    for (const mode of ["pipe", "splice"]) {
      const child = spawn(
        process.execPath,
        [...process.execArgv, "--expose-gc", process.argv[1] as string, "hop", mode, String(echoPort)],
        {
          stdio: ["pipe", "pipe", "inherit"],
        },
      );
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      const port = Number(line.toString().trim());
      const collected = async () => {
        child.stdin?.write("gc\n");
        await once(child.stdout, "data");
        return residentKiB(child.pid as number);
      };
      await new Promise((r) => setTimeout(r, 500));
      const before = await collected();
      const sockets: Socket[] = [];
      for (let i = 0; i < idle; i++) {
        const socket = tcpConnect({ host: "127.0.0.1", port, noDelay: true });
        await once(socket, "connect");
        const back = once(socket, "data");
        socket.write(Buffer.alloc(100, 0x61));
        await back;
        sockets.push(socket);
      }
      await new Promise((r) => setTimeout(r, 1500));
      memory.set(mode, ((await collected()) - before) / idle);
      for (const socket of sockets) socket.destroy();
      child.stdin?.end();
      await once(child, "exit");
    }
    echo.close();
  }
  sink.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [mode, r] of results) {
    console.log(
      `${mode.padEnd(7)} ${median(r.gbit).toFixed(2).padStart(6)} Gbit/s [${r.gbit.map((g) => g.toFixed(2)).join(", ")}]  forwarder ${median(r.cpu).toFixed(2)} CPU-s/GiB [${r.cpu.map((c) => c.toFixed(2)).join(", ")}]`,
    );
  }
  for (const [mode, kib] of memory) {
    console.log(
      `${mode.padEnd(7)} ${kib.toFixed(1)} KiB resident per idle connection (${values.idle}, after one round trip each, garbage collected)`,
    );
  }
  const pipe = results.get("pipe");
  const mine = results.get("splice");
  if (pipe && mine) {
    console.log(
      `splice / pipe: throughput ${(median(mine.gbit) / median(pipe.gbit)).toFixed(2)}, CPU per GiB ${(median(mine.cpu) / median(pipe.cpu)).toFixed(2)}`,
    );
  }
}

const [role, mode, target, cert, key] = process.argv.slice(2);
if (role === "hop") {
  void hop(mode as string, Number(target), cert && key ? { cert, key } : undefined);
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
