/**
 * Camera evidence at the relay (docs/relay-api.md "Camera clips"): the camera's own
 * credential, frames checked against the hash in the lock's CAMERA event (a mismatch is
 * flagged and notified), owner-only access, deletion and retention. Every refusal changes
 * nothing.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTOR_COURIER, EV_CAMERA, RC_OK, fromHex, toHex } from '@keyway/shared';
import { clipHash } from '@keyway/shared/node';
import { renderDoorwayFrame } from '@keyway/hardware';
import { runMaintenance } from '../../relay/src/locks/maintenance';
import { expectOk, seedWorld, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

let h: Harness;
let w: World;
useWorld((hh, ww) => {
  h = hh;
  w = ww;
}, { clips: { retentionDays: 7 } });

let nextCapture = 100;
function shots(capture: number, n = 3): Buffer[] {
  return Array.from({ length: n }, (_v, i) => renderDoorwayFrame({ at: h.clock.now(), frame: i + 1, frames: n, capture }));
}
function hashOf(capture: number, frames: Buffer[]): string {
  return toHex(clipHash(fromHex(w.deviceId), capture, frames));
}
async function provision(token = w.owner.token): Promise<string> {
  return (await expectOk(h.api('POST', `/v1/devices/${w.deviceId}/camera`, { token }), 201)).token;
}
function upload(token: string, capture: number, frames: Array<Buffer | string>) {
  return h.api('POST', '/v1/camera/clips', { token, body: { capture, frames: frames.map((f) => (typeof f === 'string' ? f : f.toString('base64'))) } });
}
function lockLogs(capture: number, hash: string | null) {
  w.lock.emit(EV_CAMERA, RC_OK, capture, ACTOR_COURIER, w.courier.id, hash ? fromHex(hash) : []);
}
async function clip(capture: number) {
  return (await h.api('GET', `/v1/devices/${w.deviceId}/clips/${capture}`, { token: w.owner.token })).body;
}
const clipDir = (capture: number) => path.join(h.dir, 'clips', w.deviceId, String(capture));

describe('camera credentials', () => {
  it('the owner (or an installer) provisions a camera; couriers, backends and other owners cannot; a new one revokes the old', async () => {
    const other = await seedWorld(h);
    expect((await h.api('POST', `/v1/devices/${w.deviceId}/camera`, { token: w.courier.token })).status).toBe(403);
    expect((await h.api('POST', `/v1/devices/${w.deviceId}/camera`, { token: w.backend.token })).status).toBe(403);
    expect((await h.api('POST', `/v1/devices/${w.deviceId}/camera`, { token: other.owner.token })).body.error.code).toBe('KW_NOT_FOUND');
    const first = await provision(w.installer);
    expect(first).toMatch(/^kw_camera_/);
    const second = await provision();
    const c = nextCapture++;
    expect((await upload(first, c, shots(c))).status).toBe(401);
    expect((await upload(second, c, shots(c))).status).toBe(201);
    expect((await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/camera`, { token: w.owner.token }))).provisioned).toBe(true);
  });
});

describe('upload', () => {
  it('refuses other credentials and bad frames, storing nothing', async () => {
    const cam = await provision();
    const c = nextCapture++;
    for (const token of [undefined, w.owner.token, w.courier.token, w.backend.token, h.admin, 'kw_camera_' + 'x'.repeat(43)]) {
      const r = await upload(token as string, c, shots(c));
      expect(r.status, String(token)).toBe(401);
    }
    const notImage = await upload(cam, c, [Buffer.from('GIF89a not a png at all')]);
    expect(notImage.body.error.code).toBe('KW_CLIP_INVALID');
    expect((await upload(cam, c, ['!!!not base64'])).body.error.code).toBe('KW_CLIP_INVALID');
    expect((await upload(cam, c, [])).body.error.code).toBe('KW_VALIDATION');
    expect((await upload(cam, c, shots(c, 17))).body.error.code).toBe('KW_VALIDATION');
    expect((await upload(cam, -1, shots(c))).body.error.code).toBe('KW_VALIDATION');
    const huge = Buffer.concat([shots(c)[0], Buffer.alloc(512 * 1024)]);
    expect((await upload(cam, c, [shots(c)[0], huge])).body.error.code).toBe('KW_CLIP_INVALID');
    // Without a camera credential even a body over the limit is refused for who sent it, not for its size.
    const big = JSON.stringify({ capture: c, frames: Array.from({ length: 16 }, () => 'A'.repeat(800_000)) });
    const anon = await fetch(h.base + '/v1/camera/clips', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(anon.status).toBe(401);
    const tooBig = await fetch(h.base + '/v1/camera/clips', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + cam }, body: big });
    expect((await tooBig.json()).error.code).toBe('KW_PAYLOAD_TOO_LARGE');
    expect((await h.api('GET', `/v1/devices/${w.deviceId}/clips/${c}`, { token: w.owner.token })).status).toBe(404);
    expect(existsSync(clipDir(c))).toBe(false);
  });

  it('verifies frames against the lock log, whichever arrives first, and writes a capture once', async () => {
    const cam = await provision();
    const a = nextCapture++;
    const fa = shots(a);
    lockLogs(a, hashOf(a, fa));
    await waitUntil(async () => (await clip(a)).status === 'awaiting', 5000, 'lock event recorded');
    expect((await expectOk(upload(cam, a, fa), 201)).status).toBe('verified');
    const b = nextCapture++;
    const fb = shots(b);
    expect((await expectOk(upload(cam, b, fb), 201)).status).toBe('pending');
    lockLogs(b, hashOf(b, fb));
    await waitUntil(async () => (await clip(b)).status === 'verified', 5000, 'verified after the event');
    const again = await upload(cam, b, shots(b, 2));
    expect(again.body.error.code).toBe('KW_CLIP_EXISTS');
    const v = await clip(b);
    expect(v.frames).toBe(3);
    expect(v.uploadedHash).toBe(hashOf(b, fb));
    expect(readdirSync(clipDir(b)).sort()).toEqual(['1.png', '2.png', '3.png']);
  });

  it('flags frames that do not match the lock log: mismatch status, a feed row and a notification', async () => {
    const cam = await provision();
    const c = nextCapture++;
    const real = shots(c);
    lockLogs(c, hashOf(c, real));
    await waitUntil(async () => (await clip(c)).status === 'awaiting', 5000, 'lock event recorded');
    const swapped = [real[0], real[2], real[1]];
    expect((await expectOk(upload(cam, c, swapped), 201)).status).toBe('mismatch');
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=evidence.*`, { token: w.owner.token }));
    const row = feed.items.find((i: any) => i.clip === `clip:${w.deviceId}:${c}`);
    expect(row.kind).toBe('evidence.mismatch');
    expect(row.details.lockHash).toBe(hashOf(c, real));
    const notes = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    expect(notes.items.some((n: any) => n.kind === 'evidence.mismatch' && n.body.capture === c)).toBe(true);
    // An event without a hash (a camera acknowledging by edge) leaves the frames unbound, not verified.
    const u = nextCapture++;
    lockLogs(u, null);
    await waitUntil(async () => (await clip(u)).status === 'awaiting', 5000, 'lock event recorded');
    expect((await expectOk(upload(cam, u, shots(u)), 201)).status).toBe('unbound');
  });

  it('frames uploaded before the lock logs a different hash: the page hears of the mismatch row before the clip\'s new status', async () => {
    const cam = await provision();
    const c = nextCapture++;
    const real = shots(c);
    expect((await expectOk(upload(cam, c, [real[0], real[2], real[1]]), 201)).status).toBe('pending');
    const heard: string[] = [];
    const stop = h.relay.ctx.live.subscribe(['site:' + w.site.id], (event, data) => {
      const d = data as { kind?: string; status?: string; capture?: number; clip?: string };
      if (event === 'activity' && d.kind === 'evidence.mismatch' && d.clip === `clip:${w.deviceId}:${c}`) heard.push('activity');
      if (event === 'clip' && d.status === 'mismatch' && d.capture === c) heard.push('clip');
    }, () => undefined);
    try {
      // The lock intake stores the CAMERA event in a batch whose activity rows are inserted at its end.
      lockLogs(c, hashOf(c, real));
      await waitUntil(async () => heard.length === 2, 5000, 'both live messages');
    } finally {
      stop();
    }
    expect(heard).toEqual(['activity', 'clip']);
  });
});

describe('who sees the frames', () => {
  it('only the site owner: courier, backend and admin 403, another owner 404', async () => {
    const cam = await provision();
    const c = nextCapture++;
    const frames = shots(c);
    await expectOk(upload(cam, c, frames), 201);
    const url = `/v1/devices/${w.deviceId}/clips/${c}/frames/2`;
    const res = await fetch(h.base + url, { headers: { authorization: 'Bearer ' + w.owner.token } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(frames[1])).toBe(true);
    const other = await seedWorld(h);
    for (const [token, status] of [[w.courier.token, 403], [w.backend.token, 403], [h.admin, 403], [cam, 401], [other.owner.token, 404]] as const) {
      expect((await h.api('GET', url, { token })).status, token.slice(0, 10)).toBe(status);
      expect((await h.api('GET', `/v1/devices/${w.deviceId}/clips/${c}`, { token })).status).toBe(status);
      expect((await h.api('DELETE', `/v1/devices/${w.deviceId}/clips/${c}`, { token })).status).toBe(status);
    }
    const mine = await expectOk(h.api('GET', `/v1/clips?refs=clip:${w.deviceId}:${c},clip:${other.deviceId}:1,junk`, { token: w.owner.token }));
    expect(mine.items.map((i: any) => i.capture)).toEqual([c]);
    expect((await h.api('GET', `/v1/clips?refs=clip:${w.deviceId}:${c}`, { token: w.courier.token })).status).toBe(403);
    expect(existsSync(clipDir(c))).toBe(true);
  });
});

describe('deletion and retention', () => {
  it('the owner deletes a clip: frames gone, the record of its hashes kept', async () => {
    const cam = await provision();
    const c = nextCapture++;
    await expectOk(upload(cam, c, shots(c)), 201);
    const v = await expectOk(h.api('DELETE', `/v1/devices/${w.deviceId}/clips/${c}`, { token: w.owner.token }));
    expect(v.deleted.by).toBe('owner');
    expect(v.frameUrls).toEqual([]);
    expect(v.uploadedHash).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(clipDir(c))).toBe(false);
    expect((await h.api('GET', `/v1/devices/${w.deviceId}/clips/${c}/frames/1`, { token: w.owner.token })).status).toBe(404);
    expect((await upload(cam, c, shots(c))).body.error.code).toBe('KW_CLIP_EXISTS');
  });

  it('the maintenance sweep deletes frames past the retention period, and only those', async () => {
    const cam = await provision();
    const old = nextCapture++;
    await expectOk(upload(cam, old, shots(old)), 201);
    h.clock.advance(6 * 86_400_000);
    const recent = nextCapture++;
    await expectOk(upload(cam, recent, shots(recent)), 201);
    h.clock.advance(86_400_000 + 60_000);
    await runMaintenance(h.relay.ctx);
    // Days later the owner's session has expired: log in again.
    w.owner.token = (await expectOk(h.api('POST', '/v1/auth/login', { body: { email: w.owner.email, password: w.owner.password } }))).token;
    expect((await clip(old)).deleted?.by).toBe('retention');
    expect(existsSync(clipDir(old))).toBe(false);
    expect((await clip(recent)).deleted).toBeNull();
    expect(existsSync(clipDir(recent))).toBe(true);
  });
});
