/**
 * The operator command:
 *   pnpm --filter @tsunagi/admin-api ops provision-contract --server fuji2 --code 000123 --name "X" --model legacy
 *   pnpm --filter @tsunagi/admin-api ops add-user --code 000123 --user user1 [--password P] [--product terminal-ndl-s]
 *   pnpm --filter @tsunagi/admin-api ops nodes        (the fleet's relays: alive, draining or dead, and their sessions)
 * Uses DATABASE_URL when set, else the embedded database (TSUNAGI_DATA_DIR): attached to the server
 * the running platform holds there, or started for the command and stopped after it. Every error is
 * one line on stderr and a non-zero exit (2 for a wrong invocation, 1 for a refusal), never a stack.
 */
import { parseArgs } from "node:util";
import { Model, ProductType } from "@tsunagi/core";
import { connect, relayNodeStatus } from "@tsunagi/db";
import { openPlatformDatabase } from "@tsunagi/db/server";
import { readEnv } from "../env.js";
import {
  addUser,
  isTimeZone,
  OperatorError,
  operatorMessage,
  provisionContract,
  renderAccountSheet,
  renderNodes,
  temporaryPassword,
} from "./provision.js";

const usage = `usage: ops provision-contract --server HOST --code CODE --name NAME [--model legacy|neo] [--admin LOGIN] [--time-zone Asia/Tokyo]
       ops add-user --code CODE --user NAME [--password P] [--product TYPE] [--memo TEXT]
       ops nodes`;

/** A wrong invocation: exit code 2, the usage one `--help` away. */
class UsageError extends OperatorError {
  override name = "UsageError";
}

function parse(argv: string[]) {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h") return { command: "help" as const };
  if (command === "nodes") {
    if (rest.length > 0) throw new UsageError(`nodes takes no arguments (got ${rest[0]})`);
    return { command: "nodes" as const };
  }
  if (command !== "provision-contract" && command !== "add-user")
    throw new UsageError(`unknown command "${command ?? ""}": provision-contract, add-user or nodes`);
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        server: { type: "string" },
        code: { type: "string" },
        name: { type: "string" },
        model: { type: "string", default: "legacy" },
        admin: { type: "string" },
        user: { type: "string" },
        password: { type: "string" },
        product: { type: "string" },
        memo: { type: "string" },
        "time-zone": { type: "string" },
      },
    }));
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--nme'"); their advice about "--" does not apply.
    throw new UsageError((error as Error).message.split(". ")[0] ?? "bad arguments");
  }
  if (!values.code || !/^[0-9A-Za-z-]{1,32}$/.test(values.code))
    throw new UsageError("--code: a contract ID such as 000123");
  if (command === "provision-contract") {
    if (!values.server || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(values.server))
      throw new UsageError("--server: a host part such as fuji2");
    if (!values.name) throw new UsageError("--name: the customer's name");
    const model = Model.safeParse(values.model);
    if (!model.success) throw new UsageError("--model: legacy or neo");
    const timeZone = values["time-zone"];
    if (timeZone !== undefined && !isTimeZone(timeZone))
      throw new UsageError("--time-zone: an IANA zone such as Asia/Tokyo");
    return {
      command: "provision-contract" as const,
      input: {
        serverHost: values.server,
        contractCode: values.code,
        name: values.name,
        model: model.data,
        adminLogin: values.admin,
        timeZone,
      },
    };
  }
  if (!values.user) throw new UsageError("--user: the user name");
  if (values.product && !ProductType.safeParse(values.product).success)
    throw new UsageError(`--product: one of ${ProductType.options.join(", ")}`);
  return {
    command: "add-user" as const,
    input: {
      contractCode: values.code,
      userName: values.user,
      password: values.password,
      viewerProduct: values.product,
      memo: values.memo,
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const job = parse(argv);
  if (job.command === "help") {
    console.log(usage);
    return;
  }
  const env = readEnv();
  const platform = await openPlatformDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.TSUNAGI_DATA_DIR,
    attach: true,
  });
  const { db, close } = connect(platform.url, { max: 2 });
  try {
    if (job.command === "nodes") {
      console.log(renderNodes(await relayNodeStatus(db)));
    } else if (job.command === "provision-contract") {
      const sheet = await provisionContract(db, job.input, env.TSUNAGI_SERVER_DOMAIN);
      console.log(renderAccountSheet(sheet));
    } else {
      const password = job.input.password ?? temporaryPassword(12);
      const { contract, user } = await addUser(db, { ...job.input, password });
      console.log(
        `user ${user?.userName} added to contract ${contract.contractCode} on ${contract.serverHost}`,
      );
      if (!job.input.password) console.log(`password: ${password}`);
    }
  } finally {
    await close();
    await platform.server.stop();
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  () => process.exit(),
  (error: unknown) => {
    const command = ["provision-contract", "add-user", "nodes"].includes(argv[0] ?? "")
      ? `ops ${argv[0]}`
      : "ops";
    const usageHint = error instanceof UsageError ? " (ops --help shows the usage)" : "";
    console.error(`${command}: ${operatorMessage(error)}${usageHint}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
