/**
 * The operator command:
 *   pnpm --filter @tsunagi/admin-api ops provision-contract --server fuji2 --code 000123 --name "X" --model legacy
 *   pnpm --filter @tsunagi/admin-api ops add-user --code 000123 --user user1 [--password P] [--product terminal-ndl-s]
 * Uses DATABASE_URL when set, else the embedded database (TSUNAGI_DATA_DIR).
 */
import { parseArgs } from "node:util";
import { Model, ProductType } from "@tsunagi/core";
import { connect } from "@tsunagi/db";
import { openPlatformDatabase } from "@tsunagi/db/server";
import { readEnv } from "../env.js";
import {
  addUser,
  isTimeZone,
  provisionContract,
  renderAccountSheet,
  temporaryPassword,
} from "./provision.js";

const usage = `usage: ops provision-contract --server HOST --code CODE --name NAME [--model legacy|neo] [--admin LOGIN] [--time-zone Asia/Tokyo]
       ops add-user --code CODE --user NAME [--password P] [--product TYPE] [--memo TEXT]`;

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
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
});

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

if (command !== "provision-contract" && command !== "add-user") fail(`unknown command "${command ?? ""}"`);
if (!values.code || !/^[0-9A-Za-z-]{1,32}$/.test(values.code)) fail("--code: a contract ID such as 000123");

const env = readEnv();
const platform = await openPlatformDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.TSUNAGI_DATA_DIR });
const { db, close } = connect(platform.url, { max: 2 });
try {
  if (command === "provision-contract") {
    if (!values.server || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(values.server))
      fail("--server: a host part such as fuji2");
    if (!values.name) fail("--name: the customer's name");
    const model = Model.safeParse(values.model);
    if (!model.success) fail("--model: legacy or neo");
    const timeZone = values["time-zone"];
    if (timeZone !== undefined && !isTimeZone(timeZone)) fail("--time-zone: an IANA zone such as Asia/Tokyo");
    const sheet = await provisionContract(
      db,
      {
        serverHost: values.server,
        contractCode: values.code,
        name: values.name,
        model: model.data,
        adminLogin: values.admin,
        timeZone,
      },
      env.TSUNAGI_SERVER_DOMAIN,
    );
    console.log(renderAccountSheet(sheet));
  } else {
    if (!values.user) fail("--user: the user name");
    if (values.product && !ProductType.safeParse(values.product).success)
      fail(`--product: one of ${ProductType.options.join(", ")}`);
    const password = values.password ?? temporaryPassword(12);
    const { contract, user } = await addUser(db, {
      contractCode: values.code,
      userName: values.user,
      password,
      viewerProduct: values.product,
      memo: values.memo,
    });
    console.log(
      `user ${user?.userName} added to contract ${contract.contractCode} on ${contract.serverHost}`,
    );
    if (!values.password) console.log(`password: ${password}`);
  }
} catch (error) {
  console.error(`ops ${command}: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await close();
  await platform.server.stop();
}
