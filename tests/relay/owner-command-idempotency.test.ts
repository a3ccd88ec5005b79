/**
 * The owner's unlock/lock with an Idempotency-Key claims the key inside the transaction that
 * stores the signed command (domain/idempotency.ts, withIdempotencyClaimedIn): the claim and
 * the command commit or roll back together. Replays, conflicts, concurrent retries and
 * refusals before anything was stored answer as a separate claim would.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Store } from '../../relay/src/data/store';
import { countRows, seedWorld, waitUntil, useWorld, type Harness, type World } from '../support/relay-harness';

/**
 * Makes inserts into `commands` fail, and copies every idempotency claim ever inserted into a
 * side table (kept only if the claim's transaction committed). Returns the undo.
 */
async function failCommandInsertsAndTraceClaims(store: Store): Promise<() => Promise<void>> {
  const q = store.q;
  await sql`CREATE TABLE kw_test_claims (key TEXT NOT NULL)`.execute(q);
  if (store.dialect === 'postgres') {
    await sql`CREATE FUNCTION kw_test_no_command() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no commands today'; END $$ LANGUAGE plpgsql`.execute(q);
    await sql`CREATE TRIGGER kw_test_no_command BEFORE INSERT ON commands FOR EACH ROW EXECUTE FUNCTION kw_test_no_command()`.execute(q);
    await sql`CREATE FUNCTION kw_test_trace_claim() RETURNS trigger AS $$ BEGIN INSERT INTO kw_test_claims (key) VALUES (NEW.key); RETURN NEW; END $$ LANGUAGE plpgsql`.execute(q);
    await sql`CREATE TRIGGER kw_test_trace_claim AFTER INSERT ON idempotency FOR EACH ROW EXECUTE FUNCTION kw_test_trace_claim()`.execute(q);
  } else {
    await sql`CREATE TRIGGER kw_test_no_command BEFORE INSERT ON commands BEGIN SELECT RAISE(ABORT, 'no commands today'); END`.execute(q);
    await sql`CREATE TRIGGER kw_test_trace_claim AFTER INSERT ON idempotency BEGIN INSERT INTO kw_test_claims (key) VALUES (NEW.key); END`.execute(q);
  }
  return async () => {
    if (store.dialect === 'postgres') {
      await sql`DROP TRIGGER kw_test_no_command ON commands`.execute(q);
      await sql`DROP FUNCTION kw_test_no_command()`.execute(q);
      await sql`DROP TRIGGER kw_test_trace_claim ON idempotency`.execute(q);
      await sql`DROP FUNCTION kw_test_trace_claim()`.execute(q);
    } else {
      await sql`DROP TRIGGER kw_test_no_command`.execute(q);
      await sql`DROP TRIGGER kw_test_trace_claim`.execute(q);
    }
  };
}

describe('owner unlock/lock with an Idempotency-Key', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  const command = (what: 'unlock' | 'lock', key: string, body?: Record<string, unknown>) =>
    h.api('POST', `/v1/devices/${w.deviceId}/${what}`, { token: w.owner.token, body, headers: { 'idempotency-key': key } });
  const commandsOfDevice = () => countRows(h, 'commands', { device_id: w.deviceId });

  it('a retry gets the stored answer and the lock gets one command', async () => {
    const before = w.lock.commands.length;
    const first = await command('lock', 'own-replay-1');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    const again = await command('lock', 'own-replay-1');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(w.lock.commands.length).toBe(before + 1);
  });

  it('the same key with another request is a 409 and issues nothing', async () => {
    expect((await command('lock', 'own-conflict-1')).status).toBe(200);
    const commands = await commandsOfDevice();
    const other = await command('unlock', 'own-conflict-1', { relockAfter: 5 });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('KW_IDEMPOTENCY_CONFLICT');
    expect(await commandsOfDevice()).toBe(commands);
  });

  it('two requests with one key at once: one command, the other answer is an in-progress 409 or the replay', async () => {
    const commands = await commandsOfDevice();
    const [a, b] = await Promise.all([command('lock', 'own-race-1'), command('lock', 'own-race-1')]);
    const fresh = [a, b].filter((r) => r.status === 200 && r.headers.get('idempotency-replayed') === null);
    expect(fresh).toHaveLength(1);
    const other = a === fresh[0] ? b : a;
    if (other.status === 200) expect(other.headers.get('idempotency-replayed')).toBe('true');
    else expect(other.body.error.code).toBe('KW_IDEMPOTENCY_IN_PROGRESS');
    expect(await commandsOfDevice()).toBe(commands + 1);
    expect(await countRows(h, 'idempotency', { key: 'own-race-1' })).toBe(1);
  });

  it('a refusal before the command is stored is the key\'s answer: replayed once the lock is back, nothing sent', async () => {
    await w.lock.disconnect();
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.online === false, 3000, 'lock offline');
    const refused = await command('lock', 'own-offline-1');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('KW_LOCK_OFFLINE');
    await w.lock.connect();
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.online === true, 3000, 'lock online');
    const commands = await commandsOfDevice();
    const replayed = await command('lock', 'own-offline-1');
    expect(replayed.status).toBe(503);
    expect(replayed.headers.get('idempotency-replayed')).toBe('true');
    expect(replayed.body).toEqual(refused.body);
    expect(await commandsOfDevice()).toBe(commands);
    // A different request under that key is still a conflict.
    expect((await command('unlock', 'own-offline-1')).body.error.code).toBe('KW_IDEMPOTENCY_CONFLICT');
  });

  it('another owner\'s lock is as unknown as none: 404, nothing issued, the refusal replayed', async () => {
    const other = await seedWorld(h);
    try {
      const commands = await countRows(h, 'commands', { device_id: other.deviceId });
      const sent = other.lock.inbox.length;
      const steal = () => h.api('POST', `/v1/devices/${other.deviceId}/unlock`, { token: w.owner.token, headers: { 'idempotency-key': 'own-steal-1' } });
      const first = await steal();
      expect(first.status).toBe(404);
      expect(first.body.error.code).toBe('KW_NOT_FOUND');
      const again = await steal();
      expect(again.status).toBe(404);
      expect(again.headers.get('idempotency-replayed')).toBe('true');
      const noKey = await h.api('POST', `/v1/devices/${other.deviceId}/unlock`, { token: w.owner.token });
      expect(noKey.body.error.code).toBe('KW_NOT_FOUND');
      expect(await countRows(h, 'commands', { device_id: other.deviceId })).toBe(commands);
      expect(other.lock.inbox.length).toBe(sent);
    } finally {
      await other.lock.close();
    }
  });

  it('a command that cannot be stored takes its claim with it: the key was never held and the retry runs', async () => {
    const undo = await failCommandInsertsAndTraceClaims(h.relay.ctx.store);
    let failed;
    try {
      failed = await command('lock', 'own-rollback-1');
    } finally {
      await undo();
    }
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe('KW_INTERNAL');
    // The claim rolled back with the command: no request could ever have seen the key held.
    expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM kw_test_claims WHERE key = 'own-rollback-1'`.execute(h.relay.ctx.store.q)).rows[0].n)).toBe(0);
    expect(await countRows(h, 'idempotency', { key: 'own-rollback-1' })).toBe(0);
    const retry = await command('lock', 'own-rollback-1');
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.headers.get('idempotency-replayed')).toBeNull();
    expect(retry.body.outcome).toBe('locked');
  });
});
