/**
 * `/docs`, the API reference: Swagger UI from the pinned `swagger-ui-dist` package, served by this
 * server (no CDN, so it works offline), its start-up script a file of ours (no inline script, so the
 * Content-Security-Policy below holds), and the security headers every response carries.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";

/**
 * Same-origin everything; Swagger UI needs only `data:` images (its icons) beyond that. No inline
 * script or style, no plugins, never framed.
 */
export const securityHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      baseUri: ["'none'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", "data:"],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
    },
    crossOriginOpenerPolicy: "same-origin",
    crossOriginResourcePolicy: "same-origin",
    referrerPolicy: "no-referrer",
    strictTransportSecurity: "max-age=31536000; includeSubDomains",
    xContentTypeOptions: "nosniff",
    xFrameOptions: "DENY",
    permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
  });

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Tsunagi admin API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" sizes="32x32" href="/docs/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui" data-url="/openapi.json"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-initializer.js"></script>
  </body>
</html>
`;

/**
 * Ours, in place of the package's petstore initializer: shows the document the page names. The online
 * validator badge is off: it would fetch from swagger.io.
 */
const INITIALIZER = `window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

/** The package's files this page uses, and their types. */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
/** Read once per process: the package does not change under a running server. */
function asset(name: string): Promise<Uint8Array<ArrayBuffer>> {
  let bytes = cache.get(name);
  if (!bytes) {
    bytes = readFile(join(dist, name)).then((buffer) => new Uint8Array(buffer));
    // A failed read is not kept: the next request tries again.
    bytes.catch(() => cache.delete(name));
    cache.set(name, bytes);
  }
  return bytes;
}

/** The page and its assets; public (auth.ts lists /docs). Not in the OpenAPI document: not API. */
export function docsRoutes() {
  const docs = new Hono();
  docs.get("/docs", (c) => c.html(PAGE, 200, { "cache-control": "no-cache" }));
  docs.get("/docs/swagger-initializer.js", (c) =>
    c.body(INITIALIZER, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
    }),
  );
  for (const [name, type] of Object.entries(ASSETS)) {
    docs.get(`/docs/${name}`, async (c) =>
      c.body(await asset(name), 200, { "content-type": type, "cache-control": "public, max-age=86400" }),
    );
  }
  return docs;
}
