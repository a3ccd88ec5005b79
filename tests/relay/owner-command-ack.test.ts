/**
 * The lock's side of an owner's unlock or lock, as the relay stores it: the OPERATION the
 * command caused reads nothing of it when this process sent it (else only the delivery it was
 * sent for), and the ACK that closes the command
 * returns only what its effects use, both compiled once (relay/src/data/commands.ts); the STATE
 * that secures the lock reads no receipt when it secured no delivery (locks/event-effects.ts).
 */
import { describe, expect, it } from 'vitest';
import { ACT_LOCK, ACTOR_OWNER, ST_CAMERA_OK } from '@keyway/shared';
import { issueCommand } from '../../relay/src/locks/outbox';
import { builtQueries, statementsRun } from '../support/built-queries';
import { deviceFlags, expectOk, seedWorld, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

describe('owner command: the lock\'s OPERATION and ACK', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  const commandStatus = async (counter: number) =>
    (await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/commands`, { token: w.owner.token }))).items.find((c: { counter: number }) => c.counter === counter)?.status;

  const ownerCommand = async (what: 'unlock' | 'lock') => {
    const r = await expectOk(h.api('POST', `/v1/devices/${w.deviceId}/${what}`, { token: w.owner.token }));
    await waitUntil(async () => (await commandStatus(r.counter)) === 'acked', 3000, 'command acknowledged');
    await w.lock.drained();
  };

  it('reads nothing of the command for its OPERATION and returns a few of its columns from its ACK, built by Kysely on no call', async () => {
    // The first compiles each query once.
    await ownerCommand('unlock');
    let built: Awaited<ReturnType<typeof builtQueries>> = [];
    const run = await statementsRun(h.relay.ctx.store.sqlite, async () => {
      built = await builtQueries(() => ownerCommand('lock'));
    });
    const commands = run.filter((s) => /"commands"/.test(s) && !/^insert/i.test(s)).map((s) => s.toLowerCase());
    const ack = commands.filter((s) => s.startsWith('update "commands" set "status"'));
    expect(ack).toHaveLength(1);
    expect(ack[0]).toMatch(/ returning "device_id", /);
    expect(ack[0]).not.toMatch(/returning \*/);
    // The OPERATION (source: command) reads nothing of the command: this process sent it, and knows the delivery it was sent for (none).
    expect(commands.filter((s) => s.startsWith('select') && !s.includes(' order by '))).toEqual([]);
    expect(built.filter((b) => /"commands"/.test(b.sql) && b.stack.includes('applyEventEffects')).map((b) => b.sql)).toEqual([]);
  });

  it('reads one column of a command it did not send itself for its OPERATION', async () => {
    await ownerCommand('unlock');
    const ctx = h.relay.ctx;
    // Signed and stored here, but published around the outbox (as another relay process sharing the store would).
    const cmd = await ctx.store.tx((q) => issueCommand(ctx, q, { deviceId: w.deviceId, action: ACT_LOCK, purpose: 'owner_lock', payload: { actorKind: ACTOR_OWNER, actorRef: w.owner.id } }));
    const run = await statementsRun(ctx.store.sqlite, async () => {
      await ctx.publishToLock(w.deviceId, cmd.bytes);
      await waitUntil(async () => (await commandStatus(cmd.counter)) === 'acked', 3000, 'command acknowledged');
      await w.lock.drained();
    });
    const reads = run.filter((s) => /^select .* from "commands"/i.test(s) && !/ order by /i.test(s));
    expect(reads.map((s) => s.toLowerCase().split(' from ')[0])).toEqual(['select "delivery_id"']);
  });

  it('reads no stored receipt for the STATE its lock ends in when that event secures no delivery', async () => {
    await ownerCommand('unlock');
    const run = await statementsRun(h.relay.ctx.store.sqlite, () => ownerCommand('lock'));
    // The STATE with the bolt thrown and the door closed looked for deliveries to secure, found none, and stopped there.
    expect(run.filter((s) => /^select .* from "deliveries"/i.test(s))).toHaveLength(1);
    expect(run.filter((s) => /"lock_receipts"/.test(s))).toEqual([]);
  });

  it('reads the lock in the statement that takes the command\'s counter, and takes none when it refuses', async () => {
    await ownerCommand('unlock');
    const run = await statementsRun(h.relay.ctx.store.sqlite, () => ownerCommand('lock'));
    const devices = run.filter((s) => /"devices"/.test(s)).map((s) => s.toLowerCase());
    // The request's first statement on the lock's row takes the counter; the owner check is in it and the row comes back with it
    // (no read of its own, data/devices.ts findOwnedDevice). Later reads are the lock's events and the test's polling.
    const taken = devices.filter((s) => s.startsWith('update "devices" set "next_counter"'));
    expect(taken).toHaveLength(1);
    expect(devices[0]).toBe(taken[0]);
    expect(taken[0]).toMatch(/"sites"\."owner_id" = .* returning \*/);

    const last = (await expectOk(h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: w.owner.token }))).counter as number;
    // Another owner's request finds no such lock and takes nothing.
    const other = await seedWorld(h);
    try {
      const refused = await h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: other.owner.token });
      expect(refused.status).toBe(404);
    } finally {
      await other.lock.close();
    }
    // A lock that is not ready (its camera failed, an unlock that requires it) is refused after the counter was taken: the rollback gives it back.
    w.lock.failCamera(true);
    await waitUntil(async () => ((await deviceFlags(h, w.deviceId)) & ST_CAMERA_OK) === 0, 3000, 'camera failure reported');
    const unready = await h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: w.owner.token, body: { cameraRequired: true } });
    expect(unready.body.error?.code).toBe('KW_CAMERA_UNHEALTHY');
    w.lock.failCamera(false);
    await waitUntil(async () => ((await deviceFlags(h, w.deviceId)) & ST_CAMERA_OK) !== 0, 3000, 'camera back');
    await waitUntil(async () => (await commandStatus(last)) === 'acked', 3000, 'unlock acknowledged');
    // Nor does a malformed lock id.
    expect((await h.api('POST', '/v1/devices/not-a-lock/lock', { token: w.owner.token })).status).toBe(400);
    const next = await expectOk(h.api('POST', `/v1/devices/${w.deviceId}/lock`, { token: w.owner.token }));
    expect(next.counter).toBe(last + 1);
    await waitUntil(async () => (await commandStatus(next.counter)) === 'acked', 3000, 'lock acknowledged');
    await w.lock.drained();
    // An admin may act on any lock: the counter's UPDATE without the owner check, the next counter again.
    const byAdmin = await expectOk(h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: h.admin }));
    expect(byAdmin).toMatchObject({ outcome: 'opened', counter: next.counter + 1 });
    await waitUntil(async () => (await commandStatus(byAdmin.counter)) === 'acked', 3000, 'admin unlock acknowledged');
    await w.lock.drained();
  });
});
