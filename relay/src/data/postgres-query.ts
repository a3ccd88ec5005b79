/**
 * One statement sent to PostgreSQL by the store's driver (postgres-driver.ts): pg's own Query,
 * with two savings on the relay's side, both measured (`bench/relay.mts --postgres --profile`,
 * docs/benchmarks.md):
 *
 * - A transaction's BEGIN goes in the same write as its first statement (Parse/Bind/Execute of
 *   BEGIN ahead of the statement's messages, one Sync; for a statement without values, a simple
 *   query `begin;` + the statement): one round trip less per transaction.
 *   The server runs them in order; an error in the statement leaves the transaction open and
 *   failed, as it would after a BEGIN of its own, and the caller rolls it back.
 * - The row shape of a statement (one parser per column and a function that makes a row's
 *   values into one object literal) is built once per SQL text and reused while the server
 *   describes the same columns. pg builds its shape for every statement from a dictionary-mode
 *   object and copies it for each row; for the relay's wide rows (`selectAll` on devices,
 *   commands, `returningAll` on activity) that was about 4% of its CPU.
 *
 * This relies on pg's Query and Result internals (`_checkForMultirow`, `_result._parsers`,
 * `parseRow`) of the version in package-lock.json; tests/relay/data/
 * postgres-driver.test.ts checks rows, errors and the round trips against a real server.
 */
import { createRequire } from 'node:module';
import pg from 'pg';

/** A column as pg's RowDescription parser gives it. */
interface Field {
  name: string;
  dataTypeID: number;
  format: string;
}

type Parser = (value: unknown) => unknown;

interface TypeSource {
  getTypeParser(oid: number, format: string): Parser;
}

/** The parts of pg's Result this file fills in. */
interface PgResult {
  fields: Field[];
  _parsers: Parser[] | undefined;
  _types: TypeSource | undefined;
  parseRow(values: (string | null)[]): Record<string, unknown>;
}

/** The parts of pg's Query this file calls or sets. */
interface PgQueryInternals {
  _result: PgResult;
  _accumulateRows: boolean;
  callback: unknown;
  _checkForMultirow(): void;
  listeners(event: string): unknown[];
}

/** The parts of pg's connection a query writes its messages with. */
interface PgConnection {
  parse(m: { text: string }): void;
  bind(m: object): void;
  execute(m: object): void;
}

interface RowShape {
  fields: Field[];
  parsers: Parser[];
  /** One row's text values (null for SQL NULL) to its object, all rows of one shape. */
  parse: (values: (string | null)[]) => Record<string, unknown>;
}

/** Statement texts whose row shape is kept, at most (the relay has a few hundred). */
export const MAX_ROW_SHAPES = 500;

/**
 * Row shapes by SQL text, one cache per store: its connections share one type configuration
 * (the pool's `types`, store.ts), though pg gives each connection an object of its own.
 */
export class RowShapes {
  private readonly shapes = new Map<string, RowShape>();
  /** Shapes built and reused (tests). */
  readonly stats = { built: 0, reused: 0 };

  /** The shape for `fields` of `text`: the kept one if the columns are the same, else a new one. */
  shapeOf(text: string, fields: Field[], types: TypeSource): RowShape | null {
    const kept = this.shapes.get(text);
    if (kept && sameFields(kept.fields, fields)) {
      this.stats.reused++;
      return kept;
    }
    const parsers: Parser[] = [];
    for (const f of fields) {
      // A column named like a prototype key would set the row's prototype, and binary columns
      // need pg's own conversion: leave those to pg.
      if (f.name === '__proto__' || (f.format && f.format !== 'text')) return null;
      parsers.push(types.getTypeParser(f.dataTypeID, 'text'));
    }
    // One object literal for every row of the shape, as sqlite-direct.ts does: pg copies an
    // empty row and sets each column by name. A repeated name keeps its last value, as in pg.
    const body = fields.map((f, i) => JSON.stringify(f.name) + ': v[' + i + '] === null ? null : p[' + i + '](v[' + i + '])').join(', ');
    const parse = new Function('p', 'return (v) => ({' + body + '});')(parsers) as RowShape['parse'];
    const shape = { fields, parsers, parse };
    if (this.shapes.size < MAX_ROW_SHAPES || kept) this.shapes.set(text, shape);
    this.stats.built++;
    return shape;
  }
}

function sameFields(a: Field[], b: Field[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name || a[i].dataTypeID !== b[i].dataTypeID || a[i].format !== b[i].format) return false;
  }
  return true;
}

/** What a statement gives back: pg's result, or one per command when BEGIN or held writes went with it. */
export type PgQueryResult = pg.QueryResult | pg.QueryResult[];

/**
 * A write of the transaction held back to go in the write of its next statement (or COMMIT):
 * its text, and its values as they go on the wire (pg's prepareValue, applied when it is held,
 * so a value pg cannot send fails the write's caller at once).
 */
export interface HeldWrite {
  text: string;
  values: unknown[];
}

/** A value as pg sends it (a string, a Buffer or null), by pg's own conversion; throws for one it cannot send. */
export const wireValue = (createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): unknown }).prepareValue;

export class PostgresQuery extends pg.Query {
  constructor(
    text: string,
    values: unknown[],
    /** BEGIN goes ahead of this statement, in its write. */
    private readonly begin: boolean,
    /** Writes of the transaction that go ahead of this statement (after BEGIN), in its write. */
    private readonly held: HeldWrite[],
    private readonly shapes: RowShapes,
    callback: (err: Error | undefined, result: PgQueryResult) => void
  ) {
    // Text and values as arguments: pg copies a config object property by property (measured:
    // 2% of the relay's CPU). A statement without values goes as a simple query, which may hold
    // several statements (a migration): BEGIN is then the first of them. With held writes ahead
    // of it, it goes as an extended query (one statement, as every held write is).
    super(begin && values.length === 0 && held.length === 0 ? 'begin;' + text : text, values, callback as never);
    if (held.length > 0) (this as unknown as { queryMode: string }).queryMode = 'extended';
  }

  /** The texts of the statements this query sends, held writes first (BEGIN left out): what counting tools see. */
  get statementTexts(): string[] {
    return [...this.held.map((h) => h.text), (this as unknown as { text: string }).text];
  }

  /** pg's hook: the messages of a statement with values, written together (pg corks the socket around it). */
  prepare(connection: PgConnection): void {
    if (this.begin) {
      connection.parse({ text: 'begin' });
      connection.bind({});
      connection.execute({});
    }
    // Each held write runs before the statement, in order, under the one Sync that ends it: if one
    // fails, the server skips the rest and this query gets its error.
    for (const h of this.held) {
      connection.parse({ text: h.text });
      connection.bind({ values: h.values });
      connection.execute({});
    }
    (pg.Query.prototype as unknown as { prepare(c: PgConnection): void }).prepare.call(this, connection);
  }

  /** pg's hook for the columns of the rows to come: the kept shape when the columns match. */
  handleRowDescription(msg: { fields: Field[] }): void {
    const self = this as unknown as PgQueryInternals & { text: string };
    self._checkForMultirow();
    const result = self._result;
    const shape = result._types ? this.shapes.shapeOf(self.text, msg.fields, result._types) : null;
    if (shape) {
      result.fields = msg.fields;
      result._parsers = shape.parsers;
      result.parseRow = shape.parse;
    } else {
      (result as unknown as { addFields(f: Field[]): void }).addFields(msg.fields);
    }
    self._accumulateRows = Boolean(self.callback) || self.listeners('row').length === 0;
  }
}
