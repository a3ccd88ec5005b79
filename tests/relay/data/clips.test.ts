import { expect, it } from 'vitest';
import { insertOwner } from '../../../relay/src/data/accounts';
import {
  activeCameraByToken, activeCameraOf, clipByCapture, clipsByCaptures, clipsOlderThan, insertCamera, markClipDeleted, recordLockEvent, recordUpload, revokeCameras
} from '../../../relay/src/data/clips';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const DEV = '00112233aabbccdd';

describeEachStore('data layer: camera evidence', (stores) => {
  it('one active camera per lock; an upload and the lock event meet on one row in either order; frames are recorded once', async () => {
    const store = await stores.fresh();
    const q = store.q;
    const o = await insertOwner(q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
    const site = await q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
    await q.insertInto('devices').values({ id: DEV, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();

    const first = await insertCamera(q, DEV, 'hash1', T0);
    expect(await revokeCameras(q, DEV, T0 + 1)).toBe(1);
    const second = await insertCamera(q, DEV, 'hash2', T0 + 2);
    expect(await activeCameraByToken(q, 'hash1')).toBeUndefined();
    expect((await activeCameraByToken(q, 'hash2'))!.id).toBe(second);
    expect((await activeCameraOf(q, DEV))!.id).toBe(second);
    expect(second).not.toBe(first);

    // Upload first, event second: pending until the event, then compared.
    const upload = { deviceId: DEV, siteId: site.id, capture: 5, cameraId: second, frames: 2, frameTypes: ['png', 'jpeg'], bytes: 99, uploadedHash: 'u5' };
    const up = await recordUpload(q, upload, T0 + 3, (lockHash, hadEvent) => (hadEvent ? 'verified' : 'pending'));
    expect([up.status, up.frames, JSON.parse(up.frame_types), up.uploaded_at]).toEqual(['pending', 2, ['png', 'jpeg'], T0 + 3]);
    const again = await recordUpload(q, { ...upload, uploadedHash: 'other' }, T0 + 4, () => 'mismatch');
    expect([again.uploaded_hash, again.status]).toEqual(['u5', 'pending']);
    const { row: ev, before: evBefore } = await recordLockEvent(q, DEV, site.id, 5, 40, 'u5', T0 + 5, (uploaded) => (uploaded === 'u5' ? 'verified' : 'mismatch'));
    expect([ev.id, ev.status, ev.event_seq, ev.lock_hash, evBefore]).toEqual([up.id, 'verified', 40, 'u5', 'pending']);

    // Event first: awaiting the upload.
    const { row: waiting, before: waitingBefore } = await recordLockEvent(q, DEV, site.id, 6, 41, null, T0 + 6, (uploaded) => (uploaded === null ? 'awaiting' : 'unbound'));
    expect([waiting.status, waiting.uploaded_hash, waiting.event_seq, waitingBefore]).toEqual(['awaiting', null, 41, undefined]);
    const bound = await recordUpload(q, { ...upload, capture: 6, uploadedHash: 'u6' }, T0 + 7, (lockHash, hadEvent) => (hadEvent && lockHash === null ? 'unbound' : 'pending'));
    expect([bound.id, bound.status]).toEqual([waiting.id, 'unbound']);

    expect((await clipsByCaptures(q, DEV, [6, 5, 99])).map((c) => c.capture).sort()).toEqual([5, 6]);
    expect(await clipsByCaptures(q, DEV, [])).toEqual([]);
    expect((await clipsOlderThan(q, T0 + 6, 10)).map((c) => c.capture)).toEqual([5]);
    expect(await markClipDeleted(q, up.id, 'retention', T0 + 8)).toBe(true);
    expect(await markClipDeleted(q, up.id, 'owner', T0 + 9)).toBe(false);
    const gone = (await clipByCapture(q, DEV, 5))!;
    expect([gone.deleted_at, gone.deleted_by, gone.uploaded_hash]).toEqual([T0 + 8, 'retention', 'u5']);
    expect(await clipsOlderThan(q, T0 + 100, 10)).toHaveLength(1);
  });
});
