/**
 * Debian's OpenSSH for the relay's tests and benchmarks: whether sshd and ssh are installed, an sshd
 * of the test's own on 127.0.0.1 (a host key and one authorized key made for it in a temp dir, run in
 * the foreground as the current user, no PAM, no strict modes), and the `ssh` arguments that reach it
 * with that key and nothing of the machine's own configuration. .ci/run installs openssh-server; a
 * test without it is skipped with a line saying so. No vitest import: the benchmarks use this too.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePort } from "@tsunagi/db/server";

export const SSHD = "/usr/sbin/sshd";
export const SSH = "/usr/bin/ssh";
const SSH_KEYGEN = "/usr/bin/ssh-keygen";

/**
 * Whether the OpenSSH tests run: when sshd, ssh and ssh-keygen are there, and always in CI (where a
 * missing program must fail, not skip). Prints why a test file is skipped.
 */
export function opensshPresent(testName: string): boolean {
  const present = [SSHD, SSH, SSH_KEYGEN].every((program) => existsSync(program));
  if (!present && !process.env.CI) {
    console.log(
      `${testName}: OpenSSH (${SSHD}, ${SSH}) is absent, skipped (apt-get install openssh-server; CI installs it)`,
    );
  }
  return present || Boolean(process.env.CI);
}

export interface Sshd {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** The account sshd lets the test's key in as: the current user. */
  readonly user: string;
  /** What sshd logged so far (-e: to stderr), for failure messages. */
  log(): string;
  /**
   * `ssh` arguments (before the destination) that reach a port forwarded to this sshd, on `port`: the
   * test's key only, this sshd's host key pinned (under an alias, so any forwarded port matches), no
   * prompt, nothing read from ~/.ssh or /etc/ssh/ssh_config.
   */
  sshArgs(port: number): string[];
  stop(): Promise<void>;
}

/**
 * Starts an sshd of its own on a free 127.0.0.1 port; resolves once it listens. As root, sshd wants
 * its privilege separation directory (/run/sshd, which the service unit would create): made if absent.
 */
export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), "tsunagi-sshd-"));
  const hostKey = join(dir, "host_key");
  const userKey = join(dir, "user_key");
  for (const key of [hostKey, userKey]) {
    execFileSync(SSH_KEYGEN, ["-q", "-t", "ed25519", "-N", "", "-C", "tsunagi-test", "-f", key], {
      stdio: "ignore",
    });
  }
  await writeFile(join(dir, "authorized_keys"), readFileSync(`${userKey}.pub`));
  const alias = "tsunagi-test-sshd";
  await writeFile(join(dir, "known_hosts"), `${alias} ${readFileSync(`${hostKey}.pub`, "utf8")}`);
  if (process.getuid?.() === 0 && !existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755 });
  const user = userInfo().username;

  // A port free a moment ago may be taken by the time sshd binds it: a few tries.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, "sshd_config");
    await writeFile(
      config,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        "PidFile none",
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "StrictModes no",
        "UsePAM no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "AllowTcpForwarding yes",
        "PrintMotd no",
        "LogLevel INFO",
        "",
      ].join("\n"),
    );
    const child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    let text = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const listening = await new Promise<boolean>((resolve) => {
      child.stderr?.on("data", (d: Buffer) => {
        text += d.toString();
        if (/Server listening on/.test(text)) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
    if (!listening) {
      if (attempt < 3 && /Address already in use/.test(text)) continue;
      await rm(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start:\n${text}`);
    }
    return {
      child,
      pid: child.pid ?? 0,
      port,
      user,
      log: () => text,
      sshArgs: (to: number) => [
        "-F",
        "/dev/null",
        "-p",
        String(to),
        "-i",
        userKey,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        `UserKnownHostsFile=${join(dir, "known_hosts")}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `HostKeyAlias=${alias}`,
        "-o",
        "LogLevel=ERROR",
      ],
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}
