/**
 * `/docs` works offline under its own Content-Security-Policy: Debian's chromium, headless, opens the
 * page from a real `serve()` on loopback with every other origin cut off, and must see Swagger UI list
 * every operation of `/openapi.json`, with no CSP violation, no failed request and no script error.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { beforeAndAfterAll } from "@tsunagi/core/testing";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { harness } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
// CI installs chromium (.ci/run); elsewhere a machine without it skips, and says so.
const inCi = Boolean(process.env.CI) && process.env.CI !== "0" && process.env.CI !== "false";
if (!present && !inCi)
  console.warn(`docs.e2e.test: ${CHROMIUM} is absent, skipped (apt-get install chromium)`);

describe.skipIf(!present && !inCi)("/docs in a real browser", () => {
  // Made inside the block, so a machine that skips it starts nothing.
  const docs = beforeAndAfterAll(
    async () => {
      const h = await harness();
      const api = await new Promise<{ origin: string; close(): void }>((resolve) => {
        const server = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
          resolve({ origin: `http://127.0.0.1:${info.port}`, close: () => server.close() }),
        );
      });
      const profile = await mkdtemp(join(tmpdir(), "tsunagi-docs-chromium-"));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      return { h, api, profile, browser };
    },
    async ({ h, api, profile, browser }) => {
      await browser.close();
      api.close();
      await h.close();
      await rm(profile, { recursive: true, force: true });
    },
  );

  it("lists every operation offline, with no CSP violation or failed request", async () => {
    const { api, browser } = docs;
    const problems: string[] = [];
    const offOrigin: string[] = [];
    // Offline: anything but the admin API itself is refused, as on a machine without the internet.
    await browser.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${api.origin}/`)) return route.continue();
      offOrigin.push(url);
      return route.abort("internetdisconnected");
    });
    const page = await browser.newPage();
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) =>
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`),
    );
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });

    const response = await page.goto(`${api.origin}/docs`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");

    // Swagger UI has rendered once the operations are on the page.
    await page.waitForSelector(".opblock-summary", { timeout: 30_000 });
    const listed = await page.$$eval(".opblock-summary", (blocks) =>
      blocks.map((block) => {
        const method = block.querySelector(".opblock-summary-method")?.textContent?.trim() ?? "";
        const path = block.querySelector("[data-path]")?.getAttribute("data-path") ?? "";
        return `${method.toUpperCase()} ${path}`;
      }),
    );
    const doc = (await (await fetch(`${api.origin}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed).toContain("POST /sessions");
    expect(listed).toContain("GET /history");
    expect(new Set(listed)).toEqual(new Set(documented));
    expect(offOrigin).toEqual([]);
    expect(problems).toEqual([]);
  });
});
