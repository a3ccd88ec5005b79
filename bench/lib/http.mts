/**
 * A small JSON HTTP client on node:http with keep-alive (lighter than fetch, so the bench
 * process spends less of the shared CPU than the relay it measures). Each answer carries
 * the wall time from writing the request to the end of the response body.
 */
import http from 'node:http';

export interface Answer<T = any> {
  status: number;
  body: T;
  ms: number;
}

export type Api = <T = any>(token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer<T>>;

export function httpClient(base: string, maxSockets = 64): { api: Api; close(): void } {
  const u = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const api: Api = (token, method, path, body, headers = {}) => new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h: Record<string, string | number> = { ...headers };
    if (token) h.authorization = 'Bearer ' + token;
    if (payload) {
      h['content-type'] = 'application/json';
      h['content-length'] = payload.length;
    }
    const t0 = performance.now();
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: h, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // not JSON (metrics)
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, ms });
      });
      res.on('error', reject);
    });
    req.setNoDelay(true);
    req.on('error', reject);
    req.end(payload);
  });
  return { api, close: () => agent.destroy() };
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
