/**
 * What the lock intake (relay/src/locks/lock-intake.ts) costs per batch of an owner
 * authorization's messages, in one process, without the broker, HTTP or other processes: the
 * relay is built (not listening) on SQLite in a temporary directory, and each batch hands over
 * what a lock sends for an owner unlock or lock at once, so they are stored together: STATE
 * (moving), OPERATION (source: command), ACK, STATE, and two statuses. Each batch's command row
 * is stored beforehand, outside the measured time, so the OPERATION finds it and the ACK closes it.
 *
 * CPU time of this process (user + system, process.cpuUsage) over `--batches` batches, one after
 * the other, per round; the table gives each round's µs per batch and their median. End-to-end
 * runs (bench/relay.mts) on a host other jobs share spread too widely to show a change of a few
 * percent; this isolates the intake. `--root` runs the same batches against another checkout
 * (a base worktree), so two commits can be compared by alternating runs.
 *
 * Run: npx tsx bench/lock-intake.mts [--batches 2000] [--rounds 5] [--root /path/to/checkout]. A benchmark, never a timed test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, machineLine, numberFlag, parseFlags, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const BATCHES = numberFlag(flags, 'batches', 2000);
const ROUNDS = numberFlag(flags, 'rounds', 5);
const ROOT = path.resolve(flags.get('root') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));

const load = (p: string) => import(pathToFileURL(path.join(ROOT, p)).href);
const shared = await load('shared/src/index.ts');
const { buildRelay } = await load('relay/src/index.ts');
const { handleEventMessage } = await load('relay/src/locks/event-intake.ts');
const { handleStateMessage } = await load('relay/src/locks/status-intake.ts');

const { ACT_UNLOCK, BOLT_LOCKED, BOLT_UNLOCKED, DOOR_CLOSED, EV_ACK, EV_OPERATION, EV_STATE, NONCE_LENGTH, SRC_COMMAND, ST_TIME_TRUSTED, encodeEvent, encodeStatus, eventHash, fromHex } = shared;

const dir = mkdtempSync(path.join(os.tmpdir(), 'keyway-lock-intake-'));
const relay = await buildRelay({ dataDir: dir, ports: { http: 0, mqtt: 0, mqtts: 0 }, logger: { level: 'warn' }, maintenanceIntervalMs: 3_600_000 });
const ctx = relay.ctx;
const q = ctx.store.q;
const DEVICE = '00112233aabbccdd';
const keyId: number = ctx.keys.cachedIds().current;
const owner = await q.insertInto('owners').values({ email: 'bench@example.invalid', name: 'bench', password_hash: 'x', created_at: 0 }).returning('id').executeTakeFirstOrThrow();
const site = await q.insertInto('sites').values({ owner_id: owner.id, name: 'bench', timezone: 'UTC', created_at: 0 }).returning('id').executeTakeFirstOrThrow();
await q.insertInto('devices').values({
  id: DEVICE, site_id: site.id, board: 'esp32', firmware: '0.1.0', mqtt_password_hash: 'h', registered_at: 0, signing_key_id: keyId, online: 1, online_since: 0,
  sync_state: 'converged', last_seen: 0
}).execute();

let seq = 0;
let head = new Uint8Array(32);
let counter = 0;
const deviceId = fromHex(DEVICE);

function event(type: number, ref: number, data: number[]): Uint8Array {
  const bytes = encodeEvent({ deviceId, seq: ++seq, time: 1_800_000_000, type, code: 0, ref, actorKind: 1, actorRef: 1, prevHash: head, data: new Uint8Array(data) });
  head = eventHash(bytes);
  return bytes;
}

function status(bolt: number, replayHigh: number): Uint8Array {
  return encodeStatus({
    deviceId, bolt, door: DOOR_CLOSED, flags: ST_TIME_TRUSTED, time: Math.floor(Date.now() / 1000), nonce: new Uint8Array(NONCE_LENGTH), replayHigh, logSeq: seq, logHead: head,
    battery: 5000, grants: 0, firmware: new TextEncoder().encode('bench-1'), keyIds: [keyId], held: [], settingsRev: 0
  });
}

/** The command rows of the next n batches (not measured). */
async function commands(n: number): Promise<number[]> {
  const out: number[] = [];
  await ctx.store.tx(async (t: typeof q) => {
    for (let i = 0; i < n; i++) {
      const c = ++counter;
      out.push(c);
      await t.insertInto('commands').values({
        device_id: DEVICE, counter: c, action: ACT_UNLOCK, purpose: 'owner_unlock', key_id: keyId, bytes: Buffer.alloc(120, c & 255), not_before_s: 0, not_after_s: 1,
        status: 'pending', result_code: null, resendable: 1, reissuable: 1, grant_id: null, delivery_id: null, new_key_id: null, reissue_of: null, created_at: 0,
        sent_at: 0, acked_at: null, ack_seq: null
      }).execute();
    }
  });
  return out;
}

async function batch(c: number): Promise<void> {
  const moving = event(EV_STATE, 0, [BOLT_UNLOCKED, DOOR_CLOSED]);
  const operation = event(EV_OPERATION, c, [ACT_UNLOCK, SRC_COMMAND]);
  const ack = event(EV_ACK, c, [ACT_UNLOCK]);
  const locked = event(EV_STATE, 0, [BOLT_LOCKED, DOOR_CLOSED]);
  const results = await Promise.all([
    handleEventMessage(ctx, DEVICE, moving), handleEventMessage(ctx, DEVICE, operation), handleEventMessage(ctx, DEVICE, ack), handleEventMessage(ctx, DEVICE, locked),
    handleStateMessage(ctx, DEVICE, status(BOLT_UNLOCKED, c)), handleStateMessage(ctx, DEVICE, status(BOLT_LOCKED, c))
  ]);
  if (results.join() !== 'stored,stored,stored,stored,status,status') throw new Error('unexpected intake results: ' + results.join());
}

console.log('# lock intake: CPU per batch of an owner authorization\'s messages\n' + machineLine() + '\nroot: ' + ROOT + '\n');
// Warm-up: the JIT and SQLite's page cache.
for (const c of await commands(300)) await batch(c);
const rounds: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const cs = await commands(BATCHES);
  const before = process.cpuUsage();
  for (const c of cs) await batch(c);
  const used = process.cpuUsage(before);
  rounds.push((used.user + used.system) / BATCHES);
}
const sorted = [...rounds].sort((a, b) => a - b);
table('CPU µs per batch (STATE, OPERATION, ACK, STATE, two statuses; ' + BATCHES + ' batches per round)', ['round', 'µs per batch'],
  [...rounds.map((v, i) => [String(i + 1), fmt(v, 1)]), ['median', fmt(sorted[Math.floor(sorted.length / 2)], 1)]]);
await relay.close();
rmSync(dir, { recursive: true, force: true });
