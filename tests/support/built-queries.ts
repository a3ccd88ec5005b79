/**
 * The queries Kysely builds and compiles while a function runs, with the stack each was built
 * under, on either store: every Kysely query is compiled through its DefaultQueryCompiler (the
 * SQLite and PostgreSQL compilers extend it), while one compiled once by
 * relay/src/data/prepared.ts is compiled on its first use only. Run what is counted once
 * beforehand so those first uses are out of the way.
 */
import { DefaultQueryCompiler } from 'kysely';
import pg from 'pg';

export interface BuiltQuery {
  sql: string;
  stack: string;
}

export async function builtQueries(fn: () => Promise<unknown>): Promise<BuiltQuery[]> {
  const proto = DefaultQueryCompiler.prototype as unknown as { compileQuery: (...a: unknown[]) => { sql: string } };
  const compile = proto.compileQuery;
  const seen: BuiltQuery[] = [];
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  proto.compileQuery = function (this: unknown, ...a: unknown[]) {
    const compiled = compile.apply(this, a);
    seen.push({ sql: compiled.sql, stack: new Error().stack ?? '' });
    return compiled;
  };
  try {
    await fn();
  } finally {
    proto.compileQuery = compile;
    Error.stackTraceLimit = limit;
  }
  return seen;
}

/**
 * The SQL text of every statement the store runs while fn runs: on SQLite every better-sqlite3
 * statement run (its Statement prototype), on PostgreSQL every query a pg client sends (with the
 * writes the store's driver held for it, postgres-query.ts statementTexts).
 */
export async function statementsRun(sqlite: { prepare(sql: string): object } | null | undefined, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  if (sqlite) {
    const proto = Object.getPrototypeOf(sqlite.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
    const methods = ['run', 'get', 'all', 'iterate'] as const;
    const originals = methods.map((m) => proto[m]);
    methods.forEach((m, i) => {
      proto[m] = function (this: { source: string }, ...a: unknown[]) {
        seen.push(this.source);
        return originals[i].apply(this, a);
      };
    });
    try {
      await fn();
    } finally {
      methods.forEach((m, i) => (proto[m] = originals[i]));
    }
    return seen;
  }
  const client = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const query = client.query;
  client.query = function (this: unknown, ...args: unknown[]) {
    // The store's driver sends writes held for a statement in that statement's query (relay/src/data/postgres-query.ts).
    const texts = (args[0] as { statementTexts?: string[] } | undefined)?.statementTexts;
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (texts) seen.push(...texts);
    else if (text !== undefined) seen.push(text);
    return query.apply(this, args);
  };
  try {
    await fn();
  } finally {
    client.query = query;
  }
  return seen;
}
