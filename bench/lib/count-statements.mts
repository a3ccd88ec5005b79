/**
 * A preload for the relay under `bench/relay.mts --count-statements`: counts the SQL statements
 * the process runs, by kind (verb and table; for an UPDATE also its first column), on SQLite
 * (every better-sqlite3 statement run) and on PostgreSQL (every pg client query). On SIGUSR2,
 * the signal the event-loop delay preload (loop-delay.mts) answers too, it prints one JSON line
 * `{"statements":{seq,total,byKind}}` with what it counted since the last one, then starts over;
 * `seq` counts the signals, so it matches the loop-delay line of the same signal. Nothing else
 * in the process changes; the count costs a few map lookups per statement (a profile shows
 * the SQLite statements' own native time under the wrapper here, `proto.<computed>`).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Resolved as the relay resolves them, so the patched classes are the ones it uses.
const relayRequire = createRequire(path.join(ROOT, 'relay', 'package.json'));

let counts = new Map<string, number>();

/** `select devices`, `update devices (log_seq…)`, `insert events`, `savepoint`, `begin`… */
export function statementKind(sqlText: string): string {
  const s = sqlText.trim().toLowerCase().replace(/["`]/g, '').replace(/\s+/g, ' ');
  let m = /^select .*? from ([a-z_0-9]+)/.exec(s);
  if (m) return 'select ' + m[1] + (/ for update( of [a-z_0-9]+)?$/.test(s) ? ' for update' : '');
  m = /^insert into ([a-z_0-9]+)/.exec(s);
  if (m) return 'insert ' + m[1];
  m = /^update ([a-z_0-9]+) set ([a-z_0-9]+)/.exec(s);
  if (m) return 'update ' + m[1] + ' (' + m[2] + '…)';
  m = /^delete from ([a-z_0-9]+)/.exec(s);
  if (m) return 'delete ' + m[1];
  m = /^(release savepoint|rollback to savepoint|savepoint|begin|commit|rollback|select)\b/.exec(s);
  return m ? m[1] : s.split(' ')[0];
}

/** Kinds by statement text: a relay runs a few dozen distinct texts, so each is classified once. */
const kinds = new Map<string, string>();

function note(sqlText: unknown): void {
  if (typeof sqlText !== 'string') return;
  let k = kinds.get(sqlText);
  if (k === undefined) {
    k = statementKind(sqlText);
    kinds.set(sqlText, k);
  }
  counts.set(k, (counts.get(k) ?? 0) + 1);
}

function patchSqlite(): void {
  let Database: { prototype: { prepare(this: unknown, source: string): object; exec(this: unknown, source: string): unknown } };
  try {
    Database = relayRequire('better-sqlite3');
  } catch {
    return;
  }
  const prepare = Database.prototype.prepare;
  let statementsPatched = false;
  Database.prototype.prepare = function (this: unknown, source: string) {
    const stmt = prepare.call(this, source);
    if (!statementsPatched) {
      statementsPatched = true;
      const proto = Object.getPrototypeOf(stmt) as Record<string, (...a: unknown[]) => unknown>;
      for (const name of ['run', 'get', 'all', 'iterate']) {
        const original = proto[name];
        proto[name] = function (this: { source: string }, ...args: unknown[]) {
          note(this.source);
          return original.apply(this, args);
        };
      }
    }
    return stmt;
  };
  const exec = Database.prototype.exec;
  Database.prototype.exec = function (this: unknown, source: string) {
    note(source);
    return exec.call(this, source);
  };
}

function patchPostgres(): void {
  let pg: { Client: { prototype: { query(this: unknown, ...a: unknown[]): unknown } } };
  try {
    pg = relayRequire('pg');
  } catch {
    return;
  }
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0];
    // The store's driver sends writes held for a statement in that statement's query (relay/src/data/postgres-query.ts).
    const texts = (config as { statementTexts?: unknown } | null)?.statementTexts;
    if (Array.isArray(texts)) texts.forEach(note);
    else note(typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text);
    return query.apply(this, args);
  };
}

patchSqlite();
patchPostgres();

let seq = 0;
process.on('SIGUSR2', () => {
  seq++;
  const byKind = Object.fromEntries([...counts.entries()].sort((a, b) => b[1] - a[1]));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  counts = new Map();
  process.stdout.write(JSON.stringify({ statements: { seq, total, byKind } }) + '\n');
});
