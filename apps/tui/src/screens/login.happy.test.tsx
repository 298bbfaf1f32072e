import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { keys, loggedIn, renderApp, serveDemo, server, useMswServer } from "../test-utils/render.js";

useMswServer();

describe("login", () => {
  it("logs in with the server host part and shows the contract ID", async () => {
    serveDemo();
    const t = await renderApp({ columns: 120 });
    await t.waitFor("Account manager login");
    await t.type("asp1");
    await t.press(keys.tab);
    await t.type("account.admin");
    await t.press(keys.tab);
    await t.type("demo-temp-1234");
    // The password is masked on screen.
    expect(t.frame()).not.toContain("demo-temp-1234");
    expect(t.frame()).toContain("••••••••••••••");
    await t.press(keys.enter);
    const f = await t.waitFor("Welcome, account.admin.");
    expect(f).toContain("Contract ID: 000000 (Demo Company)");
    expect(f).toContain("asp1 · Contract ID 000000 · account.admin");
    expect(f).toContain("1. Access history");
    expect(f).toContain("8. Log out");
  });

  it("says the user name or password is incorrect, and keeps the server and account", async () => {
    serveDemo();
    const t = await renderApp({ prefill: { server: "asp1", login: "account.admin" } });
    await t.waitFor("Password");
    await t.type("wrong-password");
    await t.press(keys.enter);
    const f = await t.waitFor("The user name or password is incorrect.");
    expect(f).toContain("asp1");
    expect(f).toContain("account.admin");
    expect(f).not.toContain("Welcome");
  });

  it("names the address when the server can't be reached", async () => {
    server.use(http.post("http://admin-api.test/sessions", () => HttpResponse.error()));
    const t = await renderApp({ prefill: { server: "asp1", login: "account.admin" } });
    await t.type("demo-temp-1234");
    await t.press(keys.enter);
    const f = await t.waitFor("Cannot reach the server");
    expect(f).toContain("http://admin-api.test");
  });

  it("says when to try again after too many login attempts (429 with Retry-After)", async () => {
    server.use(
      http.post("http://admin-api.test/sessions", () =>
        HttpResponse.json(
          { error: { code: "rate-limited", message: "Too many login attempts", requestId: "r1" } },
          { status: 429, headers: { "retry-after": "17" } },
        ),
      ),
    );
    const t = await renderApp({ prefill: { server: "asp1", login: "account.admin" } });
    await t.type("demo-temp-1234");
    await t.press(keys.enter);
    const f = await t.waitFor("Too many login attempts. Try again in 17 s.");
    expect(f).not.toContain("incorrect");
  });

  it("takes fields, Tabs and the Enter arriving as one chunk (a paste, typing over SSH)", async () => {
    serveDemo();
    const t = await renderApp();
    await t.waitFor("Account manager login");
    await t.press("asp1\taccount.admin\tdemo-temp-1234\r");
    await t.waitFor("Welcome, account.admin.");
  });

  it("asks for a missing field instead of sending the request", async () => {
    serveDemo();
    const t = await renderApp();
    await t.waitFor("Account manager login");
    await t.press(keys.tab, keys.tab, keys.enter);
    await t.waitFor("Server is required.");
  });

  it("shows the demo credentials hint the launcher passes", async () => {
    serveDemo();
    const t = await renderApp({ prefill: { server: "asp1" }, demoHint: "account.admin / demo-temp-1234" });
    const f = await t.waitFor("Demo credentials");
    expect(f).toContain("account.admin / demo-temp-1234");
  });

  it("forces a password change after a temporary password, then opens the menu", async () => {
    const state = serveDemo({ temporaryPassword: true });
    const t = await renderApp({ prefill: { server: "asp1", login: "account.admin" } });
    await t.type("demo-temp-1234");
    await t.press(keys.enter);
    let f = await t.waitFor("temporary password");
    expect(f).not.toContain("Access history");
    await t.type("demo-temp-1234");
    await t.press(keys.tab);
    await t.type("short");
    await t.press(keys.tab);
    await t.type("short");
    await t.press(keys.enter);
    await t.waitFor("at least 12 characters");
    await t.press(keys.up, ...Array(5).fill(keys.backspace));
    await t.type("a-new-long-password");
    await t.press(keys.tab, ...Array(5).fill(keys.backspace));
    await t.type("a-new-long-password");
    await t.press(keys.enter);
    f = await t.waitFor("Welcome, account.admin.");
    expect(f).toContain("The password was changed.");
    expect(state.admin.temporaryPassword).toBe(false);
    expect(state.admin.password).toBe("a-new-long-password");
  });

  it("logs out back to the login screen", async () => {
    const state = serveDemo();
    const t = await loggedIn();
    await t.press("8");
    await t.waitFor("Account manager login");
    expect(state.tokens.size).toBe(0);
  });
});
