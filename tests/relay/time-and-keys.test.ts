/** Trusted time for locks (TIME_SET bound to the status nonce, clock skew flag) and relay key rotation (KEY_ROTATE, old key kept until every lock acknowledged). */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACT_KEY_ROTATE, ACT_TIME_SET, decodeCommand, KIND_COMMAND, messageKind, toHex } from '@keyway/shared';
import { addLock, expectOk, waitUntil, useWorld, type Harness, type World } from '../support/relay-harness';

describe('lock time and relay keys', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  it('answers a status without trusted time with a TIME_SET bound to that status nonce; a replay of it is refused', async () => {
    const l = await addLock(h, w.installer, w.site.id, 'door', {}, false);
    const nonce = toHex(l.lock.nonce);
    await l.lock.connect();
    await waitUntil(() => l.lock.timeTrusted, 3000, 'trusted time');
    const ts = l.lock.inbox.filter((b) => messageKind(b) === KIND_COMMAND).map((b) => decodeCommand(b)).find((c) => c.action === ACT_TIME_SET)!;
    expect(toHex(ts.nonce)).toBe(nonce);
    expect(ts.notAfter - ts.notBefore).toBeLessThanOrEqual(120);
    expect(toHex(l.lock.nonce)).not.toBe(nonce);
    await h.relay.ctx.publishToLock(l.deviceId, l.lock.inbox.find((b) => messageKind(b) === KIND_COMMAND && decodeCommand(b).action === ACT_TIME_SET)!);
    const refused = await l.lock.waitForEvent((e) => e.type === 6 && e.ref === ts.counter && e.code !== 0);
    expect(refused.code).toBe(19);
    await l.lock.close();
  });

  it('flags a lock whose clock is more than 90 s off the relay clock', async () => {
    const l = await addLock(h, w.installer, w.site.id, 'door', { timeTrusted: true }, false);
    l.lock.clockOffsetMs = 200_000;
    await l.lock.connect();
    const dev = await waitUntil(async () => { const d = (await h.api('GET', '/v1/devices/' + l.deviceId, { token: w.owner.token })).body; return d.status?.clockFlagged ? d : null; }, 3000, 'clock flagged');
    expect(dev.status.clockOffsetS).toBeGreaterThanOrEqual(199);
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=clock.skew`, { token: w.owner.token }));
    expect(feed.items[0]).toMatchObject({ deviceId: l.deviceId, kind: 'clock.skew' });
    await l.lock.close();
  });

});

describe('relay key rotation', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  it('rotates the signing key: KEY_ROTATE signed by the old key, new key used after the ACK, old key file deleted when no lock needs it', async () => {
    const keysDir = path.join(h.dir, 'keys');
    const onSqlite = h.relay.ctx.store.dialect === 'sqlite';
    // Where the relay keeps its keys: files in dataDir/keys (SQLite) or rows of relay_keys (PostgreSQL).
    const keyStored = async (keyId: number) => onSqlite
      ? readdirSync(keysDir).some((f) => f.includes(keyId.toString(16).padStart(8, '0')))
      : (await h.relay.ctx.store.q.selectFrom('relay_keys').select('key_id').where('key_id', '=', keyId).executeTakeFirst()) !== undefined;
    const off = await addLock(h, w.installer, w.site.id, 'door', {}, true);
    await off.lock.disconnect();
    const oldKeyId = w.registration.trustedKeys[0].keyId;
    const r = await expectOk(h.api('POST', '/v1/admin/keys/rotate', { token: h.admin }), 202);
    expect(r.previousKeyId).toBe(oldKeyId);
    expect(r.keyId).not.toBe(oldKeyId);
    const cmd = await w.lock.waitForCommand((c) => c.action === ACT_KEY_ROTATE);
    expect(cmd).toMatchObject({ keyId: oldKeyId, code: 0, payload: { newKeyId: r.keyId, retireKeyId: oldKeyId } });
    expect([...w.lock.keys.keys()]).toEqual([r.keyId]);
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.signingKeyId === r.keyId, 3000, 'device moved');
    // The inventory the lock reported before the rotation must not move the relay back to the retired key.
    const movedBack = () => h.logs.map((l) => JSON.parse(l) as { msg?: string; deviceId?: string; keyId?: number })
      .filter((l) => l.msg === 'lock moved to the new relay key' && l.deviceId === w.deviceId && l.keyId === oldKeyId);
    const u = await h.api('POST', `/v1/devices/${w.deviceId}/lock`, { token: w.owner.token });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    // The lock's answer to LOCK came through its intake queue after the status that followed the ACK.
    expect(movedBack()).toEqual([]);
    expect(w.lock.commands.at(-1)).toMatchObject({ keyId: r.keyId, code: 0 });

    const status = await expectOk(h.api('GET', '/v1/admin/keys', { token: h.admin }));
    expect(status.keys.find((k: any) => k.keyId === oldKeyId).devices).toBeGreaterThan(0);
    expect(await keyStored(oldKeyId)).toBe(true);
    await off.lock.connect();
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + off.deviceId, { token: w.owner.token })).body.signingKeyId === r.keyId, 3000, 'offline lock moved');
    await h.relay.maintain();
    await waitUntil(async () => !(await keyStored(oldKeyId)), 3000, 'old key deleted');
    if (onSqlite) for (const f of readdirSync(keysDir)) expect(statSync(path.join(keysDir, f)).mode & 0o777).toBe(0o600);
    const fresh = await addLock(h, w.installer, w.site.id);
    expect(fresh.registration.trustedKeys).toEqual([expect.objectContaining({ keyId: r.keyId })]);
    await off.lock.close();
    await fresh.lock.close();
  });
});
