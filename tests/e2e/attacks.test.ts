/**
 * Replayed, expired, misdirected and forged commands reaching a lock (docs/product.md#security-properties) — as if the
 * broker were compromised and could publish anything on the lock's command topic. The lock
 * refuses each with its reason code and nothing moves; a command the relay really sent works
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { keyway } from '../support/processes';
import { allOnline, eventually, startE2E, type E2E } from '../support/e2e-world';
import { scaled } from '../support/time-scale';

let e: E2E;
let lockId = '';
const keysDir = () => path.join(e.dir, 'relay', 'keys');

beforeAll(async () => {
  e = await startE2E();
  await allOnline(e);
  lockId = e.world.locks[0].deviceId;
}, scaled(90_000));
afterAll(async () => e?.close());

async function injectAndRead(hex: string): Promise<Array<{ type: number; code: number; ref: number }>> {
  const before = (await e.fleet.ask(lockId, 'events')).events.length;
  await e.fleet.ask(lockId, 'inject ' + hex);
  await new Promise((r) => setTimeout(r, 600));
  return (await e.fleet.ask(lockId, 'events')).events.slice(before);
}

describe('attacks on the command path', () => {
  it('a command the relay sent is refused when replayed', async () => {
    const r = await e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/lock');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const cmds = (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId + '/commands')).body.items as Array<{ action: string; hex: string; counter: number; status: string }>;
    const sent = cmds.find((c) => c.counter === r.body.counter)!;
    expect(sent).toBeDefined();
    const ev = await injectAndRead(sent.hex);
    const ack = ev.find((x) => x.type === 6);
    expect(ack?.code).toBe(13); // REPLAY
    expect(ack?.ref).toBe(sent.counter);
  }, scaled(30_000));

  it('expired, far-future, other-lock, unknown-key and tampered commands are refused and nothing moves', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = async (args: string[]) => {
      const r = await keyway(['sign', '--dir', keysDir(), ...args]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split('\n')[0];
    };
    const expired = await sign(['--device', lockId, '--action', 'unlock', '--counter', '100000', '--at', String(now - 600)]);
    expect((await injectAndRead(expired)).find((x) => x.type === 6)?.code).toBe(14); // EXPIRED
    const future = await sign(['--device', lockId, '--action', 'unlock', '--counter', '100001', '--at', String(now + 3600)]);
    expect((await injectAndRead(future)).find((x) => x.type === 6)?.code).toBe(16); // CLOCK_SKEW
    const other = await sign(['--device', '0000000000000001', '--action', 'unlock', '--counter', '100002']);
    expect((await injectAndRead(other)).find((x) => x.type === 6)?.code).toBe(12); // WRONG_DEVICE
    await keyway(['keys', 'generate', '--dir', path.join(e.dir, 'thief-keys')]);
    const thief = await keyway(['sign', '--dir', path.join(e.dir, 'thief-keys'), '--device', lockId, '--action', 'unlock', '--counter', '100003']);
    expect((await injectAndRead(thief.stdout.trim())).find((x) => x.type === 6)?.code).toBe(11); // UNKNOWN_KEY
    const good = await sign(['--device', lockId, '--action', 'unlock', '--counter', '100004']);
    const tampered = good.slice(0, good.length - 2) + (good.endsWith('00') ? '01' : '00');
    expect((await injectAndRead(tampered)).find((x) => x.type === 6)?.code).toBe(10); // BAD_SIGNATURE
    expect((await e.fleet.ask(lockId, 'state')).bolt).toBe(1);
    // The relay sees the denials in the activity feed with their reasons.
    const feed = await eventually('denials in the feed', async () => {
      const items = (await e.api(e.ownerToken, 'GET', '/v1/sites/' + e.world.siteId + '/activity?limit=50')).body.items as Array<{ reason: string }>;
      const reasons = items.map((a) => a.reason);
      return ['EXPIRED', 'CLOCK_SKEW', 'BAD_SIGNATURE'].every((r) => reasons.includes(r)) ? reasons : null;
    });
    expect(feed).toContain('UNKNOWN_KEY');
    const notes = (await e.api(e.ownerToken, 'GET', '/v1/notifications')).body.items as Array<{ kind: string }>;
    expect(notes.some((n) => n.kind === 'security.foreign_command_refused')).toBe(true);
  }, scaled(60_000));
});
