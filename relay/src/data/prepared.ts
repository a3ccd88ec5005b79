/**
 * Kysely queries built and compiled once per dialect, then run with new arguments. Building a
 * query through Kysely's immutable builders and compiling it costs more CPU than SQLite takes to
 * run most of the relay's hot statements (measured: about a fifth of the relay's CPU under load,
 * `bench/relay.mts --profile`), and the hot ones have a fixed shape: same columns, same
 * conditions, only the values change.
 *
 * `prepared(build)` calls `build` once per dialect with a placeholder for each argument,
 * compiles it, and remembers which SQL parameter is which argument. Each later call passes the
 * same SQL (so better-sqlite3's statement cache and PostgreSQL's plan see one text) with the
 * arguments in their places. `build` must use every argument as a plain value (`where`, `set`,
 * `values`, `sql.val`), never to choose the query's shape: a query whose shape depends on its
 * arguments (an `in` list, an optional condition) stays an ordinary Kysely query.
 *
 * On SQLite the compiled statement then runs on the better-sqlite3 connection itself when it
 * may run at once (sqlite-direct.ts), with the result Kysely's driver would have given;
 * otherwise, and always on PostgreSQL, it goes through Kysely.
 */
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import { heldWrite } from './postgres-driver';
import { runOnSqlite, sqliteHandleOf } from './sqlite-direct';
import { onPostgres, type Q } from './store';

/** A placeholder no real argument equals: it cannot come from the wire (NUL characters). */
function placeholder(i: number): string {
  return '\u0000keyway-prepared-argument-' + i + '\u0000';
}

interface Template {
  sql: string;
  query: CompiledQuery['query'];
  /** Per SQL parameter: the argument index, or -1 for a constant of the query. */
  slots: number[];
  constants: unknown[];
}

/** The prepared query's error when `build` misuses an argument (a programming error, found on first use). */
export class PreparedQueryError extends Error {}

function compileTemplate<A extends unknown[]>(q: Q, arity: number, build: (q: Q, ...args: A) => Compilable<unknown>): Template {
  const marks = Array.from({ length: arity }, (_, i) => placeholder(i));
  const c = build(q, ...(marks as unknown as A)).compile();
  const slots: number[] = [];
  const constants: unknown[] = [];
  const seen = new Set<number>();
  for (const p of c.parameters) {
    const i = marks.indexOf(p as string);
    slots.push(i);
    constants.push(i < 0 ? p : undefined);
    if (i >= 0) seen.add(i);
  }
  if (seen.size !== arity || marks.some((m) => c.sql.includes(m))) {
    throw new PreparedQueryError('prepared query: every argument must be a plain value of the query: ' + c.sql);
  }
  return { sql: c.sql, query: c.query, slots, constants };
}

let nextQueryId = 0;

/**
 * A query compiled once per dialect. `build`'s parameters after `q` are the arguments; none may
 * be `undefined` at run time (Kysely would have left the column out; pass `null`). `arity` is
 * their number, needed only when `build` takes a rest parameter.
 */
export function prepared<A extends unknown[], R>(build: (q: Q, ...args: A) => Compilable<R>, arity = build.length - 1): (q: Q, ...args: A) => Promise<QueryResult<R>> {
  return compiledOnce(build, arity, false);
}

/**
 * A write compiled once, as `prepared`, whose caller uses nothing of its result (no RETURNING,
 * no count of changed rows). On PostgreSQL, inside a transaction, it goes in the write of the
 * transaction's next statement or of its COMMIT: one round trip less (postgres-driver.ts
 * heldWrite). An error it meets fails that statement or COMMIT, and the transaction with it.
 */
export function preparedWrite<A extends unknown[]>(build: (q: Q, ...args: A) => Compilable<unknown>, arity = build.length - 1): (q: Q, ...args: A) => Promise<void> {
  const run = compiledOnce(build, arity, true);
  return async (q, ...args) => {
    await run(q, ...args);
  };
}

function compiledOnce<A extends unknown[], R>(build: (q: Q, ...args: A) => Compilable<R>, arity: number, hold: boolean): (q: Q, ...args: A) => Promise<QueryResult<R>> {
  let sqlite: Template | undefined;
  let postgres: Template | undefined;
  return async (q, ...args) => {
    const pg = onPostgres(q);
    const t = pg ? (postgres ??= compileTemplate(q, arity, build)) : (sqlite ??= compileTemplate(q, arity, build));
    const parameters = new Array<unknown>(t.slots.length);
    for (let j = 0; j < t.slots.length; j++) {
      const i = t.slots[j];
      if (i < 0) {
        parameters[j] = t.constants[j];
        continue;
      }
      if (args[i] === undefined) throw new PreparedQueryError('prepared query: argument ' + i + ' is undefined: ' + t.sql);
      parameters[j] = args[i];
    }
    const direct = pg ? null : sqliteHandleOf(q);
    if (direct) return runOnSqlite<R>(direct, t.sql, parameters);
    const compiled: CompiledQuery<R> = { sql: t.sql, query: t.query, parameters, queryId: { queryId: 'prepared-' + nextQueryId++ } };
    return q.executeQuery(hold && pg ? heldWrite(compiled) : compiled);
  };
}

/** The values of `row` in the order of `columns` (the arguments of a query prepared over those columns). */
export function valuesOf<K extends string>(columns: readonly K[], row: { readonly [C in K]?: unknown }): unknown[] {
  return columns.map((c) => row[c]);
}

/** The object Kysely's `set` or `values` takes, from the arguments of a query prepared over `columns`. */
export function rowOf<K extends string>(columns: readonly K[], values: readonly unknown[]): Record<K, unknown> {
  const row = {} as Record<K, unknown>;
  columns.forEach((c, i) => (row[c] = values[i]));
  return row;
}

/**
 * A multi-row INSERT compiled once per row count: `make(n)` builds the query for n rows over
 * `columns` (its arguments: the n rows' values one after another, as valuesOfRows gives them,
 * turned back into rows by rowsOf), made on first use. One SQL text per n, so each store
 * prepares each once. `run` stores `rows` in statements of at most `perInsert` rows, in order,
 * and gives each statement's result.
 */
export function multiRowInsert<K extends string, R>(
  columns: readonly K[], perInsert: number, make: (n: number) => (q: Q, ...values: unknown[]) => Promise<R>
): { run(q: Q, rows: ReadonlyArray<{ readonly [C in K]?: unknown }>): Promise<R[]> } {
  const byCount: Array<(q: Q, ...values: unknown[]) => Promise<R>> = [];
  return {
    async run(q, rows) {
      const results: R[] = [];
      for (let from = 0; from < rows.length; from += perInsert) {
        const n = Math.min(perInsert, rows.length - from);
        const values = new Array<unknown>(n * columns.length);
        for (let r = 0; r < n; r++) {
          const row = rows[from + r];
          for (let c = 0; c < columns.length; c++) values[r * columns.length + c] = row[columns[c]];
        }
        results.push(await (byCount[n] ??= make(n))(q, ...values));
      }
      return results;
    }
  };
}

/** The n rows Kysely's `values` takes, from the arguments of a multi-row INSERT prepared over `columns`. */
export function rowsOf<K extends string>(columns: readonly K[], values: readonly unknown[], n: number): Array<Record<K, unknown>> {
  return Array.from({ length: n }, (_, r) => rowOf(columns, values.slice(r * columns.length, (r + 1) * columns.length)));
}

/** The first row of a prepared query's result, as Kysely's executeTakeFirst gives it. */
export async function firstRow<R>(result: Promise<QueryResult<R>>): Promise<R | undefined> {
  return (await result).rows[0];
}

/** Rows a prepared INSERT, UPDATE or DELETE changed. */
export async function changedRows(result: Promise<QueryResult<unknown>>): Promise<number> {
  return Number((await result).numAffectedRows ?? 0);
}
