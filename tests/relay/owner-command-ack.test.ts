/**
 * The lock's side of an owner's unlock or lock, as the relay stores it: the OPERATION the
 * command caused reads only the delivery it was sent for, and the ACK that closes the command
 * returns only what its effects use, both compiled once (relay/src/data/commands.ts); the STATE
 * that secures the lock reads no receipt when it secured no delivery (locks/event-effects.ts).
 */
import { describe, expect, it } from 'vitest';
import { builtQueries, statementsRun } from '../support/built-queries';
import { expectOk, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

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

  it('reads one column of the command for its OPERATION and returns a few of it from its ACK, built by Kysely on no call', async () => {
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
    // The OPERATION (source: command) reads the delivery the command was sent for, nothing else of it.
    expect(commands.filter((s) => s.startsWith('select * from "commands" where "device_id" = ? and "counter" = ?') || s.startsWith('select * from "commands" where "device_id" = $1 and "counter" = $2'))).toEqual([]);
    expect(commands.filter((s) => s.startsWith('select "delivery_id" from "commands"'))).toHaveLength(1);
    expect(built.filter((b) => /"commands"/.test(b.sql) && b.stack.includes('applyEventEffects')).map((b) => b.sql)).toEqual([]);
  });

  it('reads no stored receipt for the STATE its lock ends in when that event secures no delivery', async () => {
    await ownerCommand('unlock');
    const run = await statementsRun(h.relay.ctx.store.sqlite, () => ownerCommand('lock'));
    // The STATE with the bolt thrown and the door closed looked for deliveries to secure, found none, and stopped there.
    expect(run.filter((s) => /^select .* from "deliveries"/i.test(s))).toHaveLength(1);
    expect(run.filter((s) => /"lock_receipts"/.test(s))).toEqual([]);
  });
});
