/**
 * TUI benchmark (on demand: `pnpm --filter @tsunagi/tui bench`):
 *  1. start-up to the login screen: process start → the first frame with the login form;
 *  2. a key press on a 500-row access history page: stdin → the frame with the selection moved.
 * The admin API is the msw stand-in, so the figures are the TUI's own cost, not the network's.
 */
import { performance } from "node:perf_hooks";
import { stripVTControlCharacters } from "node:util";

const startup = performance.now(); // ms since process start
// The TUI alone first: the msw stand-in and the demo fixtures load only after the login screen shows.
const [{ render }, { App, UiProvider, createHttpPort, memoryConfigStore }] = await Promise.all([
  import("ink-testing-library"),
  import("../src/index.js"),
]);
const API = "http://admin-api.test";

async function until(check: () => boolean, timeoutMs = 10_000) {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setImmediate(r));
  }
}

const app = render(
  <UiProvider config={memoryConfigStore()} noColor={false} timeZone="Asia/Tokyo">
    <App api={createHttpPort(API)} prefill={{ server: "asp1", login: "account.admin" }} />
  </UiProvider>,
);
const frame = () => stripVTControlCharacters(app.lastFrame() ?? "");
await until(() => frame().includes("Account manager login")).catch((e) => {
  console.log(JSON.stringify(frame()));
  throw e;
});
const firstFrame = performance.now();
console.log(
  `start-up to login screen: ${firstFrame.toFixed(0)} ms after process start (${(firstFrame - startup).toFixed(0)} ms after the bench's first line)`,
);

app.unmount();

const [msw, fixtures] = await Promise.all([import("msw/node"), import("@tsunagi/fixtures/msw")]);
const { handlers, state } = fixtures.createAdminHandlers({
  baseUrl: API,
  state: fixtures.createMswState({ extraHistoryRows: 1200 }),
});
const server = msw.setupServer(...handlers);
server.listen({ onUnhandledRequest: "error" });

const { HistoryScreen } = await import("../src/screens/HistoryScreen.js");
const { SessionProvider } = await import("../src/app/session.js");
const api = createHttpPort(API);
const login = await api.login({ server: "asp1", login: "account.admin", password: state.admin.password });
if (!login.ok) throw new Error("login failed");
const session = { api: api.withToken(login.value.token), login: login.value, logout: () => {} };
const hist = render(
  <UiProvider config={memoryConfigStore()} noColor={false} timeZone="Asia/Tokyo">
    <SessionProvider session={session}>
      <HistoryScreen onBack={() => {}} onOpenFix={() => {}} pageSize={500} />
    </SessionProvider>
  </UiProvider>,
);
const hframe = () => hist.lastFrame() ?? "";
await until(() => stripVTControlCharacters(hframe()).includes("Page 1 · more"));
// Let the prefetch of page 2 finish, as it would while the admin reads page 1.
await new Promise((r) => setTimeout(r, 500));

const samples: number[] = [];
for (let i = 0; i < 200; i++) {
  const before = hframe();
  const t0 = performance.now();
  hist.stdin.write(i % 100 < 50 ? "\x1b[B" : "\x1b[A");
  await until(() => hframe() !== before);
  samples.push(performance.now() - t0);
}
samples.sort((a, b) => a - b);
const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]?.toFixed(2);
console.log(
  `key press on a 500-row history page: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms (n=${samples.length})`,
);

const t0 = performance.now();
const before = hframe();
hist.stdin.write("n");
await until(() => hframe() !== before && stripVTControlCharacters(hframe()).includes("Page 2"));
console.log(`next page (prefetched): ${(performance.now() - t0).toFixed(2)} ms`);

hist.unmount();
server.close();
process.exit(0);
