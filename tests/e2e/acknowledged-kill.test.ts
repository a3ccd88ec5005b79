/**
 * An acknowledged request survives kill -9 (docs/product.md#reliability-properties): the relay
 * answers a write only after it is stored, so a relay process killed right after its answers
 * (no graceful close, nothing flushed on exit) comes back with every answered write in place,
 * and the tokens it issued still work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelayProcess, type RelayProcess } from '../support/e2e-world';

const WRITES = 40;

async function call(relay: RelayProcess, token: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(relay.base + url, {
    method, headers: { authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  return { status: res.status, body: await res.json() };
}

describe('kill -9 after acknowledged writes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-kill9-'));
  let relay: RelayProcess | null = null;
  afterEach(async () => {
    await relay?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every answered write and issued token', async () => {
    relay = await startRelayProcess(dir);
    const admin = relay.adminToken!;
    const owner = await call(relay, admin, 'POST', '/v1/owners', { email: 'kill9@example.com', name: 'Kill Nine', password: 'a long enough password 9' });
    expect(owner.status).toBe(201);
    const login = await call(relay, '', 'POST', '/v1/auth/login', { email: 'kill9@example.com', password: 'a long enough password 9' });
    expect(login.status).toBe(200);
    const token = login.body.token as string;
    // Writes in flight together, the way a busy relay takes them; each answer is an acknowledgement.
    const answers = await Promise.all(Array.from({ length: WRITES }, (_, i) => call(relay!, token, 'POST', '/v1/sites', { name: 'Site ' + i, timezone: 'UTC' })));
    for (const a of answers) expect(a.status).toBe(201);
    const acknowledged = answers.map((a) => a.body.id as number).sort((a, b) => a - b);
    await relay.child.kill('SIGKILL');

    relay = await startRelayProcess(dir);
    const sites = await call(relay, token, 'GET', '/v1/sites');
    expect(sites.status, 'the owner token issued before the kill still works').toBe(200);
    const kept = (sites.body.items as Array<{ id: number }>).map((s) => s.id).sort((a, b) => a - b);
    expect(kept).toEqual(acknowledged);
  });
});
