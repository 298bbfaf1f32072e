/**
 * Every operation of `/openapi.json`, fuzzed from the document itself: fast-check builds each
 * parameter and request body from its schema, valid-ish and hostile (NUL, lone surrogates, bytes that
 * are not UTF-8, undecodable percent-encoding, overlong strings, wrong types), and sends them as a
 * logged-in account manager against a real database. For every operation: never a 5xx, every
 * non-2xx in the one error shape (a 400 naming its field), and every 2xx documented and, when JSON,
 * valid against the document's own response schema — checked with ajv, not with our zod.
 */

import { schema } from "@tsunagi/db";
import { DEMO, demoUsers } from "@tsunagi/fixtures";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  call,
  callRaw,
  errorOf,
  loginToken,
  NEW_ADMIN_PASSWORD,
  readyAdmin,
  type UntypedReply,
  useHarness,
} from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema and OpenAPI objects are read loosely here
type Json = any;
interface Operation {
  method: string;
  path: string;
  op: Json;
}

let password = NEW_ADMIN_PASSWORD;
const h = useHarness(async (h) => {
  const token = await readyAdmin(h.app);
  const doc: Json = (await call(h.app, "GET", "/openapi.json")).json;
  /** A `nextCursor` of each paged operation's first page. */
  const cursors: Record<string, string> = {};
  for (const path of ["/history", "/users", "/audit"]) {
    const page = await call(h.app, "GET", `${path}?limit=1`, { token });
    const { json } = page;
    if (json && typeof json === "object" && "nextCursor" in json && typeof json.nextCursor === "string") {
      cursors[path] = json.nextCursor;
    }
  }
  return { token, doc, cursors };
});

// ---------------------------------------------------------------------------------------------------
// Values

/** Marks the admin's current password in a generated value; replaced when the request is sent. */
const CURRENT_PASSWORD = "\u2063current-password\u2063";

/**
 * Values the seeded database knows, so valid requests get past validation to a 200. A name marked
 * `only` takes nothing else: a guessed current password counts toward the admin's lockout, and
 * account.admin with a guessed password would lock the admin out of the rest of the run.
 */
const viewers = ["user1", "usb.ex", "usb.ndl", "term.ex"];
const clients = ["user1", "office.pc", "dedicated"];
const known: Record<string, { values: readonly unknown[]; only?: boolean }> = {
  userName: { values: demoUsers.map((u) => u.userName) },
  user: { values: ["user1", "usb.ex", "mobile.ios"] },
  viewer: { values: viewers },
  client: { values: clients },
  server: { values: [DEMO.serverHost, DEMO.fuji.serverHost, DEMO.neo.serverHost] },
  login: { values: ["nobody.admin", DEMO.fuji.adminLogin] },
  currentPassword: { values: [CURRENT_PASSWORD], only: true },
  version: { values: [1, 2, 3, 4] },
  "if-match": { values: ['"1"', '"2"', 'W/"3"', "*"] },
};
/** Allow-list entries (IP and MAC) for arrays of strings named viewer, client or adminAllowCidrs. */
const allowEntries = [
  "10.0.0.0/8",
  "192.0.2.0/24",
  "2001:db8::/32",
  "00:11:22:33:44:55",
  "aa-bb-cc-dd-ee-ff",
];
/** Whole requests that must succeed now and then: a login with the right password. */
const examples: Record<string, unknown[]> = {
  "POST /sessions": [{ server: DEMO.serverHost, login: DEMO.adminLogin, password: CURRENT_PASSWORD }],
};

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
/** Strings a careless server would pass on to the database. */
const hostileText = fc.oneof(
  fc.constantFrom(
    "\u0000",
    "a\u0000b",
    "user1\u0000",
    "\ud800",
    "x\udfffy",
    "\ufffe\uffff",
    "%00",
    "%FF",
    "\\",
  ),
  fc.tuple(fc.string(), loneSurrogate, fc.string()).map(([a, s, b]) => a + s + b),
  fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}\u0000${b}`),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.integer({ min: 129, max: 3000 }).map((n) => "x".repeat(n)),
  fc.constant("y".repeat(100_000)),
);
/** Right place, wrong type. */
const wrongType = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, 2 ** 53 + 1, "", "1", [], {}, [null], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A schema with its `$ref` followed (the document's own form, or ajv's rewritten one). */
function resolve(s: Json): Json {
  if (typeof s?.$ref !== "string") return s ?? {};
  const ref: string = s.$ref;
  const name = ref.startsWith(SCHEMA_ID) ? ref.slice(SCHEMA_ID.length) : ref.slice(COMPONENT.length);
  const target = h.doc.components.schemas[name];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  return resolve(target);
}

/**
 * A value for `raw`. Valid: what the schema accepts, with names the database knows. Hostile: the
 * same, but any field may be replaced by hostile text or a wrong type.
 */
function value(raw: Json, name: string | undefined, hostile: boolean): fc.Arbitrary<unknown> {
  const s = resolve(raw);
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const k = name ? known[name] : undefined;
  let arbitrary: fc.Arbitrary<unknown>;
  if (k?.only) arbitrary = fc.constantFrom(...k.values);
  else if (types.includes("array") && name && ["viewer", "client", "adminAllowCidrs"].includes(name)) {
    arbitrary = fc.oneof(
      fc.constant(null),
      fc.array(fc.constantFrom(...allowEntries), { maxLength: 2 }),
      schemaValue(s, hostile),
    );
  } else if (k) {
    arbitrary = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...k.values) },
      { weight: 1, arbitrary: schemaValue(s, hostile) },
    );
  } else arbitrary = schemaValue(s, hostile);
  if (!hostile) return arbitrary;
  return fc.oneof(
    { weight: 4, arbitrary },
    { weight: 1, arbitrary: hostileText },
    { weight: 1, arbitrary: wrongType },
  );
}

function schemaValue(s: Json, hostile: boolean): fc.Arbitrary<unknown> {
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (Array.isArray(alternatives))
    return fc.oneof(...alternatives.map((a: Json) => value(a, undefined, hostile)));
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case "null":
          return fc.constant(null);
        case "boolean":
          return fc.boolean();
        case "integer":
          return fc.integer({ min: s.minimum ?? -5, max: s.maximum ?? 1000 });
        case "number":
          return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
        case "string":
          if (s.format === "date-time") {
            return fc
              .date({
                min: new Date("2026-01-01T00:00:00Z"),
                max: new Date("2027-01-01T00:00:00Z"),
                noInvalidDate: true,
              })
              .map((d) => d.toISOString());
          }
          if (s.format === "uuid") return fc.uuid();
          if (s.pattern)
            return fc.stringMatching(new RegExp(s.pattern)).filter((t) => t.length <= (s.maxLength ?? 40));
          return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) });
        case "array":
          return fc.array(value(s.items, undefined, hostile), {
            minLength: s.minItems ?? 0,
            maxLength: Math.min(s.maxItems ?? 3, 3),
          });
        case "object": {
          const properties: Record<string, Json> = s.properties ?? {};
          const record: Record<string, fc.Arbitrary<unknown>> = {};
          for (const [key, property] of Object.entries(properties))
            record[key] = value(property, key, hostile);
          return fc.record(record, {
            requiredKeys: (s.required ?? []).filter((r: string) => r in properties),
          });
        }
        default:
          throw new Error(`no generator for type ${type}`);
      }
    }),
  );
}

/** Percent-encodes any JS string; a lone surrogate becomes its (invalid) WTF-8 bytes, as a raw client would send. */
function encodeAny(text: string): string {
  let out = "";
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    } else out += encodeURIComponent(char);
  }
  return out;
}

/** A path or query value as it travels in the URL: encoded text, or (hostile) percent-encoding that does not decode. */
function urlValue(schema: Json, name: string, hostile: boolean): fc.Arbitrary<string> {
  const textual = value(schema, name, false).map((v) =>
    encodeAny(typeof v === "string" ? v : JSON.stringify(v)),
  );
  if (!hostile) return textual;
  return fc.oneof(
    { weight: 4, arbitrary: textual },
    { weight: 2, arbitrary: hostileText.filter((t) => t.length < 6000).map(encodeAny) },
    { weight: 1, arbitrary: fc.constantFrom("true", "-1", "0", "1e999", "NaN", "%5B%5D", "null") },
    {
      weight: 2,
      arbitrary: fc.constantFrom("%", "%Z1", "%FF", "%C3%28", "%ED%A0%80", "%C0%80", "%E3%81", "a%F0%9F%98"),
    },
  );
}

/** A header value fetch can carry (no NUL, CR or LF): near-valid, or (hostile) long, odd or Latin-1. */
function headerValue(schema: Json, name: string, hostile: boolean): fc.Arbitrary<string> {
  const valid = value(schema, name, false).map(String);
  if (!hostile) return valid;
  return fc.oneof(
    valid,
    fc.string({ maxLength: 60 }),
    fc.constantFrom("x".repeat(5000), "\u00ff\u00fe", '"', '""', 'W/"', '"-1"', '"99999999999999999999"'),
  );
}

type Body =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "bytes"; bytes: Uint8Array; contentType: string }
  | { kind: "text"; text: string; contentType: string };

/** Raw bytes that are not UTF-8 inside the first string of a JSON text. */
function withInvalidBytes(json: string, bytes: readonly number[]): Uint8Array {
  const encoded = new TextEncoder().encode(json);
  const at = json.indexOf(':"');
  const cut = at >= 0 ? new TextEncoder().encode(json.slice(0, at + 2)).length : Math.min(1, encoded.length);
  return new Uint8Array([...encoded.slice(0, cut), ...bytes, ...encoded.slice(cut)]);
}

const invalidBytes = fc.constantFrom(
  [0xff],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80],
  [0xc0, 0x80],
  [0xe3, 0x81],
  [0x80],
);

function bodyOf(operation: Operation, hostile: boolean): fc.Arbitrary<Body> {
  const content = operation.op.requestBody?.content;
  if (!content) return fc.constant({ kind: "none" });
  const [contentType, media] = Object.entries(content as Record<string, Json>)[0] as [string, Json];
  if (contentType === "application/json") {
    const json = (arbitrary: fc.Arbitrary<unknown>) =>
      arbitrary.map((v): Body => ({ kind: "json", value: v }));
    const fitting = value(media.schema, undefined, hostile);
    const whole = examples[`${operation.method} ${operation.path}`];
    if (!hostile) return whole ? fc.oneof(json(fitting), json(fc.constantFrom(...whole))) : json(fitting);
    return fc.oneof(
      { weight: 6, arbitrary: json(fitting) },
      {
        weight: 1,
        arbitrary: fc.tuple(value(media.schema, undefined, false), invalidBytes).map(
          ([v, bytes]): Body => ({
            kind: "bytes",
            bytes: withInvalidBytes(JSON.stringify(v) ?? "", bytes),
            contentType,
          }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom("", "{", "{}}", '{"a":}', "[1,", "\u0000", "null", '"\\ud800"', '{"a":"\u0000"}')
          .map((text): Body => ({ kind: "text", text, contentType })),
      },
      {
        // Nesting far past the guard's limit (src/input.ts MAX_JSON_DEPTH): a 400, never a stack overflow.
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(2, 64, 65, 6_000, 10_000), fc.constantFrom(["[", "]"], ['{"a":', "}"]))
          .map(
            ([depth, [open, close]]): Body => ({
              kind: "text",
              text: `${open.repeat(depth)}1${close.repeat(depth)}`,
              contentType,
            }),
          ),
      },
    );
  }
  if (contentType === "text/csv") {
    const knownName = fc.constantFrom(...viewers, ...clients);
    const name = hostile
      ? fc.oneof(
          { weight: 3, arbitrary: knownName },
          { weight: 1, arbitrary: hostileText.filter((t) => t.length < 1000) },
          { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
        )
      : knownName;
    const line = fc.tuple(name, name).map(([v, c]) => `${v},${c}`);
    const csv = fc
      .tuple(fc.boolean(), fc.array(line, { minLength: hostile ? 0 : 1, maxLength: 4 }))
      .map(([header, lines]) => `${header ? "viewer,client\r\n" : ""}${lines.join("\r\n")}\r\n`);
    const text = csv.map((t): Body => ({ kind: "text", text: t, contentType }));
    if (!hostile) return text;
    return fc.oneof(
      { weight: 5, arbitrary: text },
      {
        weight: 1,
        arbitrary: fc.tuple(csv, invalidBytes).map(([t, bytes]): Body => {
          return {
            kind: "bytes",
            bytes: new Uint8Array([...bytes, ...new TextEncoder().encode(t)]),
            contentType,
          };
        }),
      },
      { weight: 1, arbitrary: fc.constant<Body>({ kind: "text", text: '"unterminated,\r\n', contentType }) },
    );
  }
  throw new Error(`no generator for request bodies of ${contentType}`);
}

interface FuzzRequest {
  hostile: boolean;
  /** The parameters (`query:limit`) and body (`body`) this request carries. */
  sent: string[];
  path: string;
  headers: Record<string, string>;
  body: Body;
}

/** One request to an operation, valid or hostile: its path and query parameters, headers, and body. */
function requestOf(operation: Operation, hostile: boolean): fc.Arbitrary<FuzzRequest> {
  const parameters: Json[] = operation.op.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === "path");
  const queryParams = parameters.filter((p) => p.in === "query");
  const headerParams = parameters.filter((p) => p.in === "header");
  const path = fc.tuple(...pathParams.map((p) => urlValue(p.schema, p.name, hostile))).map((values) => {
    let out = operation.path;
    pathParams.forEach((p, i) => {
      out = out.replace(`{${p.name}}`, values[i] as string);
    });
    return out;
  });
  const queryRecord: Record<string, fc.Arbitrary<string>> = {};
  for (const p of queryParams) queryRecord[p.name] = urlValue(p.schema, p.name, hostile);
  // A cursor this API handed out, now and then, so paging past the first page is fuzzed too.
  const handedOut = h.cursors[operation.path];
  if (queryRecord.cursor && handedOut) {
    const real = fc.constant(encodeURIComponent(handedOut));
    queryRecord.cursor = hostile ? fc.oneof(real, queryRecord.cursor) : real;
  }
  const query = fc.record(queryRecord, {
    requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name),
  });
  const headerRecord: Record<string, fc.Arbitrary<string>> = {};
  for (const p of headerParams) headerRecord[p.name] = headerValue(p.schema, p.name, hostile);
  const headers = fc.record(headerRecord, { requiredKeys: [] });
  return fc.tuple(path, query, headers, bodyOf(operation, hostile)).map(([p, q, hd, body]) => {
    const qs = Object.entries(q)
      .map(([k, v]) => `${encodeURIComponent(k)}=${v}`)
      .join("&");
    const sent = [
      ...pathParams.map((param) => `path:${param.name}`),
      ...Object.keys(q).map((name) => `query:${name}`),
      ...Object.keys(hd).map((name) => `header:${name}`),
      ...(body.kind === "none" ? [] : ["body"]),
    ];
    return { hostile, sent, path: qs ? `${p}?${qs}` : p, headers: hd as Record<string, string>, body };
  });
}

// ---------------------------------------------------------------------------------------------------
// Sending and checking

/** A fresh session, for operations that end or change the one they run in; each from its own address. */
let freshLogins = 0;
async function freshToken(): Promise<string> {
  freshLogins++;
  const from = `2001:db8:${freshLogins.toString(16)}::1`;
  return loginToken(h.app, DEMO.serverHost, DEMO.adminLogin, password, from);
}

function replacePassword(value: unknown): unknown {
  if (value === CURRENT_PASSWORD) return password;
  if (Array.isArray(value)) return value.map(replacePassword);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replacePassword(v)]));
  }
  return value;
}

async function send(
  operation: Operation,
  request: FuzzRequest,
  bearer: string | undefined,
): Promise<UntypedReply> {
  const headers: Record<string, string> = { ...request.headers };
  let raw: string | Uint8Array | undefined;
  const b = request.body;
  if (b.kind === "json") {
    headers["content-type"] = "application/json";
    raw = JSON.stringify(replacePassword(b.value)) ?? "null";
  } else if (b.kind === "bytes" || b.kind === "text") {
    headers["content-type"] = b.contentType;
    raw = b.kind === "bytes" ? b.bytes : b.text;
  }
  return callRaw(h.app, operation.method, request.path, { token: bearer, headers, raw });
}

/** The document's component schemas, as ajv knows them: `#/components/schemas/X` becomes this prefix + X. */
const SCHEMA_ID = "urn:tsunagi:admin-api:schema:";
const COMPONENT = "#/components/schemas/";
const ajv = new Ajv2020({ strict: true, allErrors: false });
// ajv-formats is CommonJS: its plugin is the default export's `default` (also itself at run time).
addFormats.default(ajv);
// OpenAPI's own annotation keyword, which JSON Schema 2020-12 does not define.
ajv.addKeyword({ keyword: "example" });

const validators = new Map<string, ReturnType<typeof ajv.compile>>();
function validatorFor(key: string, s: Json) {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(s);
    validators.set(key, validate);
  }
  return validate;
}

function check(operation: Operation, request: FuzzRequest, res: UntypedReply) {
  const what = `${operation.method} ${request.path} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, what).toBeLessThan(500);
  if (res.status >= 200 && res.status < 300) {
    const documented = operation.op.responses?.[String(res.status)];
    expect(documented, `undocumented ${res.status}: ${what}`).toBeDefined();
    const content = documented.content as Record<string, Json> | undefined;
    if (!content) {
      expect(res.bytes.length, what).toBe(0);
      return;
    }
    const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    expect(Object.keys(content), what).toContain(type);
    if (type === "application/json") {
      const validate = validatorFor(
        `${operation.method} ${operation.path} ${res.status}`,
        content[type].schema,
      );
      expect(validate(res.json), `${what}\n${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    return;
  }
  if (res.status >= 300 && res.status < 400) throw new Error(`redirect from an API route: ${what}`);
  // The one error shape, exactly: { error: { code, message, requestId, field? } }.
  const validate = validatorFor("Error", { $ref: `${SCHEMA_ID}Error` });
  expect(validate(res.json), `${what}\n${ajv.errorsText(validate.errors)}`).toBe(true);
  expect(Object.keys(res.json ?? {}), what).toEqual(["error"]);
  for (const key of Object.keys(errorOf(res)))
    expect(["code", "message", "requestId", "field"], what).toContain(key);
  if (res.status === 400) expect(errorOf(res).field, what).toMatch(/./);
}

// ---------------------------------------------------------------------------------------------------
// The run

/** Operations that end or change the admin's own session or access: fresh session per call, run last. */
const destructive = ["PUT /sessions/current/password", "DELETE /sessions/current", "PATCH /security"];
/** Operations that hash a password (argon2) on valid input get fewer runs; the rest share the default. */
const runs: Record<string, number> = {
  "POST /sessions": 15,
  "PUT /sessions/current/password": 10,
  "DELETE /sessions/current": 4,
  "PUT /users/{userName}/password": 15,
};
const DEFAULT_RUNS = 30;

describe("every operation of /openapi.json, fuzzed", () => {
  it("never a 5xx; errors in the one shape; 2xx bodies valid against the document (ajv)", async () => {
    const rewrite = (node: Json): Json => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (node && typeof node === "object") {
        return Object.fromEntries(
          Object.entries(node).map(([k, v]) => [
            k,
            k === "$ref" && typeof v === "string" && v.startsWith(COMPONENT)
              ? `${SCHEMA_ID}${v.slice(COMPONENT.length)}`
              : rewrite(v),
          ]),
        );
      }
      return node;
    };
    // Each component schema under its own id, so refs resolve within the document's own schemas.
    for (const [name, component] of Object.entries(h.doc.components.schemas as Record<string, Json>)) {
      ajv.addSchema(rewrite(component), `${SCHEMA_ID}${name}`);
    }
    const operations: Operation[] = Object.entries(
      h.doc.paths as Record<string, Record<string, Json>>,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        op: rewrite(op),
      })),
    );
    const key = (o: Operation) => `${o.method} ${o.path}`;
    const ordered = [
      ...operations.filter((o) => !destructive.includes(key(o))),
      ...destructive
        .map((d) => operations.find((o) => key(o) === d))
        .filter((o): o is Operation => o !== undefined),
    ];
    const fuzzed = new Set<string>();
    /** Per operation: the inputs the document declares, and those the run sent at least once. */
    const declared = (o: Operation) => [
      ...(o.op.parameters ?? []).map((param: Json) => `${param.in}:${param.name}`),
      ...(o.op.requestBody ? ["body"] : []),
    ];
    const covered: Record<string, Set<string>> = {};
    const statuses: Record<string, Record<number, number>> = {};
    let total = 0;
    for (const operation of ordered) {
      const name = key(operation);
      const tally: Record<number, number> = {};
      statuses[name] = tally;
      const inputs = new Set<string>();
      covered[name] = inputs;
      const isPublic = !operation.op.security;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(requestOf(operation, false), requestOf(operation, true)),
          async (request) => {
            const bearer = isPublic ? undefined : destructive.includes(name) ? await freshToken() : h.token;
            const res = await send(operation, request, bearer);
            tally[res.status] = (tally[res.status] ?? 0) + 1;
            for (const input of request.sent) inputs.add(input);
            total++;
            check(operation, request, res);
            if (
              name === "PUT /sessions/current/password" &&
              res.status === 204 &&
              request.body.kind === "json"
            ) {
              password = (request.body.value as { newPassword: string }).newPassword;
            }
            if (name === "PATCH /security") {
              // Put the address allow-list back, so a list that leaves out this caller doesn't end the run.
              await h.t.db
                .update(schema.contracts)
                .set({ adminAllowCidrs: null })
                .where(eq(schema.contracts.contractCode, DEMO.contractCode));
            }
          },
        ),
        { numRuns: runs[name] ?? DEFAULT_RUNS },
      );
      fuzzed.add(name);
    }
    console.log(
      `fuzzed ${fuzzed.size} operations, ${total} requests, ${freshLogins} fresh logins\n${Object.entries(
        statuses,
      )
        .map(([op, tally]) => `  ${op}: ${JSON.stringify(tally)}`)
        .join("\n")}`,
    );
    expect([...fuzzed].sort()).toEqual(operations.map(key).sort());
    for (const operation of operations) {
      expect([...(covered[key(operation)] ?? [])].sort(), key(operation)).toEqual(declared(operation).sort());
    }
    // The run reached past validation: most operations answered 2xx at least once.
    const succeeded = Object.values(statuses).filter((t) => Object.keys(t).some((s) => Number(s) < 300));
    expect(succeeded.length).toBeGreaterThan(operations.length / 2);
  });
});
