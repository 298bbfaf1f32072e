/**
 * Reading `GET /metrics` in tests: one scrape over a real socket (from a chosen local address, so a
 * test can stand at 127.0.0.2), and one sample of the Prometheus text by name and labels.
 */
import { request } from "node:http";

export interface Scrape {
  readonly status: number;
  readonly text: string;
}

/** GET /metrics on the server at `url` (ws:// or http://), from `localAddress`. */
export function scrape(
  url: string,
  options: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<Scrape> {
  const target = new URL("/metrics", url.replace(/^ws/, "http"));
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { localAddress: options.localAddress ?? "127.0.0.1", headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The value of the sample `name` whose labels are exactly `labels`; throws when there is none. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = (match[2] ?? "").split(",").filter(Boolean).sort().join(",");
    if (have === wanted) return Number(match[3]);
  }
  throw new Error(`no sample ${name}{${wanted}} in:\n${text}`);
}

/** Every label's name and value in the text, for the tests that no user or address is among them. */
export function labelsOf(text: string): { names: Set<string>; values: Set<string> } {
  const names = new Set<string>();
  const values = new Set<string>();
  for (const match of text.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) {
    names.add(match[1] as string);
    values.add(match[2] as string);
  }
  return { names, values };
}
