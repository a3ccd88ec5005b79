/**
 * What one SQL statement costs the relay on SQLite, by the path it takes: better-sqlite3's own
 * prepared statement (the floor), Kysely's `executeQuery` of an already compiled query (what
 * the relay's compiled queries did before they ran on the connection itself), a Kysely query
 * built and compiled per call, and the relay's compiled query as it runs now
 * (relay/src/data/prepared.ts). Three statements of the relay's request path: the token lookup
 * by hash (a read on the store, outside a transaction), the device row by id (a wide row: every
 * column of the devices table, as the relay reads it about ten times per owner authorization)
 * and an UPDATE by primary key inside one open transaction (as a request's writes run in the
 * group commit).
 *
 * The paths alternate in each of `--rounds` rounds of `--statements` statements each, on one
 * SQLite file in a temporary directory (WAL, the relay's pragmas, migrated schema); the table
 * gives the median microseconds per statement over the rounds, its range, and the ratio to
 * better-sqlite3's median measured in the same run.
 *
 * Run: npx tsx bench/statement-cost.mts [--statements 20000] [--rounds 7] [--quick]. A benchmark, never a timed test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { firstRow, openDatabase, prepared, sqliteStore, type Q } from '@keyway/relay';
import { fmt, machineLine, numberFlag, parseFlags, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const quick = flags.has('quick');
const STATEMENTS = numberFlag(flags, 'statements', quick ? 3000 : 20000);
const ROUNDS = numberFlag(flags, 'rounds', quick ? 3 : 7);
/** Distinct token rows looked up in turn, so no path benefits from one hot row. */
const ROWS = 256;

const dir = mkdtempSync(path.join(os.tmpdir(), 'keyway-statement-cost-'));
const handle = openDatabase(path.join(dir, 'relay.db'));
const store = sqliteStore(handle);
const q = store.q;

const hashes = Array.from({ length: ROWS }, (_, i) => 'hash-' + i.toString(16).padStart(60, '0'));
await store.tx(async (t) => {
  for (const h of hashes) await t.insertInto('tokens').values({ hash: h, kind: 'owner', subject_id: 1, scopes: '[]', label: null, created_at: 0, expires_at: null }).execute();
});
const ids = (await q.selectFrom('tokens').select('id').orderBy('id').execute()).map((r) => r.id);
const deviceIds = Array.from({ length: ROWS }, (_, i) => i.toString(16).padStart(16, '0'));
await store.tx(async (t) => {
  const owner = await t.insertInto('owners').values({ email: 'bench@example.invalid', name: 'bench', password_hash: 'x', created_at: 0 }).returning('id').executeTakeFirstOrThrow();
  const site = await t.insertInto('sites').values({ owner_id: owner.id, name: 'bench', timezone: 'UTC', created_at: 0 }).returning('id').executeTakeFirstOrThrow();
  for (const id of deviceIds) {
    await t.insertInto('devices').values({
      id, site_id: site.id, board: 'esp32', firmware: '0.1.0', public_key: 'ab'.repeat(32), mqtt_password_hash: 'h', registered_at: 0, signing_key_id: 1,
      inv_keys: '[1]', inv_grants: '[]', log_head: '00'.repeat(32), bolt: 1, door: 1, flags: 0, online: 1, last_seen: 0
    }).execute();
  }
});

// The statements, written once through Kysely (no SQL text in the bench) and compiled.
const readBuilder = (t: Q, hash: string) => t.selectFrom('tokens').selectAll().where('hash', '=', hash);
const deviceBuilder = (t: Q, id: string) => t.selectFrom('devices').selectAll().where('id', '=', id);
const writeBuilder = (t: Q, label: string, id: number) => t.updateTable('tokens').set({ label }).where('id', '=', id);
const readCompiled = readBuilder(q, hashes[0]).compile();
const deviceCompiled = deviceBuilder(q, deviceIds[0]).compile();
const writeCompiled = writeBuilder(q, 'x', ids[0]).compile();
const readStmt = handle.prepare(readCompiled.sql);
const deviceStmt = handle.prepare(deviceCompiled.sql);
const writeStmt = handle.prepare(writeCompiled.sql);
const readPrepared = prepared(readBuilder);
const devicePrepared = prepared(deviceBuilder);
const writePrepared = prepared(writeBuilder);

type Run = (t: Q, i: number) => unknown;
interface Path {
  name: string;
  read: Run;
  device: Run;
  write: Run;
}
const paths: Path[] = [
  {
    name: 'better-sqlite3 statement', read: (_t, i) => readStmt.all(hashes[i % ROWS]), device: (_t, i) => deviceStmt.all(deviceIds[i % ROWS]),
    write: (_t, i) => writeStmt.run('l' + i, ids[i % ROWS])
  },
  {
    name: 'Kysely executeQuery, compiled once',
    read: (t, i) => t.executeQuery({ ...readCompiled, parameters: [hashes[i % ROWS]] }),
    device: (t, i) => t.executeQuery({ ...deviceCompiled, parameters: [deviceIds[i % ROWS]] }),
    write: (t, i) => t.executeQuery({ ...writeCompiled, parameters: ['l' + i, ids[i % ROWS]] })
  },
  {
    name: 'Kysely builder, compiled per call', read: (t, i) => readBuilder(t, hashes[i % ROWS]).executeTakeFirst(),
    device: (t, i) => deviceBuilder(t, deviceIds[i % ROWS]).executeTakeFirst(), write: (t, i) => writeBuilder(t, 'l' + i, ids[i % ROWS]).execute()
  },
  {
    name: 'relay compiled query (prepared.ts)', read: (t, i) => firstRow(readPrepared(t, hashes[i % ROWS])),
    device: (t, i) => firstRow(devicePrepared(t, deviceIds[i % ROWS])), write: (t, i) => writePrepared(t, 'l' + i, ids[i % ROWS])
  }
];

// Every path must give the rows better-sqlite3 gives.
for (const p of paths.slice(1)) {
  const token = await p.read(q, 3);
  const device = await p.device(q, 3);
  const rows = (r: unknown) => (r && typeof r === 'object' && 'rows' in r ? (r as { rows: unknown[] }).rows : [r]);
  if (JSON.stringify(rows(token)) !== JSON.stringify(readStmt.all(hashes[3]))) throw new Error(p.name + ': another token row');
  if (JSON.stringify(rows(device)) !== JSON.stringify(deviceStmt.all(deviceIds[3]))) throw new Error(p.name + ': another device row');
}

/** Microseconds per statement: `n` statements awaited one after another, as a request runs them. */
async function time(run: Run, t: Q, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await run(t, i);
  return ((performance.now() - t0) * 1000) / n;
}

const reads = new Map<string, number[]>(paths.map((p) => [p.name, []]));
const devices = new Map<string, number[]>(paths.map((p) => [p.name, []]));
const writes = new Map<string, number[]>(paths.map((p) => [p.name, []]));
// A warm-up round each (JIT, statement caches), not counted.
for (let round = -1; round < ROUNDS; round++) {
  for (const p of paths) {
    const r = await time(p.read, q, STATEMENTS);
    const d = await time(p.device, q, STATEMENTS);
    const w = await store.tx((t) => time(p.write, t, STATEMENTS));
    if (round < 0) continue;
    reads.get(p.name)!.push(r);
    devices.get(p.name)!.push(d);
    writes.get(p.name)!.push(w);
  }
}
await store.close();
rmSync(dir, { recursive: true, force: true });

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
function rows(m: Map<string, number[]>): string[][] {
  const floor = median(m.get(paths[0].name)!);
  return paths.map((p) => {
    const v = m.get(p.name)!;
    return [p.name, fmt(median(v), 2), fmt(Math.min(...v), 2) + '–' + fmt(Math.max(...v), 2), fmt(median(v) / floor, 2) + '×'];
  });
}

console.log('# SQL statement cost by path (SQLite)');
console.log(machineLine());
console.log(`${STATEMENTS} statements per path per round, ${ROUNDS} rounds alternating the paths (after one warm-up round), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const header = ['path', 'µs/statement (median)', 'range', 'vs better-sqlite3'];
table('Token lookup by hash, on the store (a read outside a transaction)', header, rows(reads));
table('Device row by id, every column (a wide row), on the store', header, rows(devices));
table('UPDATE by primary key inside one open transaction', header, rows(writes));
