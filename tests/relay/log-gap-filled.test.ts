/**
 * A gap in a lock's log that the missing events fill later, each linking to its neighbours, was
 * a delivery out of order, not a loss (docs/sync.md): the relay marks it resolved, the lock's log
 * state is ok again, and the owner's feed says so. A gap that stays open stays an alarm.
 */
import { describe, expect, it } from 'vitest';
import { AL_LOW_BATTERY, EV_ALARM, encodeEvent, eventHash, fromHex } from '@keyway/shared';
import { handleEventMessage } from '../../relay/src/locks/event-intake';
import { useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

let h: Harness;
let w: World;
useWorld((hh, ww) => {
  h = hh;
  w = ww;
});

function alarmEvent(seq: number, prevHash: Uint8Array): Uint8Array {
  return encodeEvent({
    deviceId: fromHex(w.deviceId), seq, time: 0, type: EV_ALARM, code: AL_LOW_BATTERY, ref: 0, actorKind: 0, actorRef: 0, prevHash, data: new Uint8Array(0)
  });
}

describe('log gaps filled late', () => {
  it('resolves a gap once the missing event arrives and links; the log state is ok again', async () => {
    await w.lock.drained();
    const last = w.lock.log.at(-1)!;
    const first = alarmEvent(last.event.seq + 1, eventHash(last.bytes));
    const second = alarmEvent(last.event.seq + 2, eventHash(first));
    const db = h.relay.ctx.store.q;
    const open = () => db.selectFrom('log_anomalies').select(['kind', 'resolved_at']).where('device_id', '=', w.deviceId).execute();
    const state = async () => (await db.selectFrom('devices').select('log_state').where('id', '=', w.deviceId).executeTakeFirstOrThrow()).log_state;

    expect(await handleEventMessage(h.relay.ctx, w.deviceId, second)).toBe('stored');
    expect(await open()).toEqual([{ kind: 'gap', resolved_at: null }]);
    expect(await state()).toBe('gap');

    expect(await handleEventMessage(h.relay.ctx, w.deviceId, first)).toBe('stored');
    await waitUntil(async () => (await open())[0]!.resolved_at !== null, 2000, 'gap resolved');
    expect(await state()).toBe('ok');
    const feed = (await h.api('GET', `/v1/sites/${w.site.id}/activity?kind=log.*`, { token: w.owner.token })).body.items as Array<{ kind: string }>;
    expect(feed.map((a) => a.kind)).toEqual(expect.arrayContaining(['log.gap', 'log.gap_filled']));
  });
});
