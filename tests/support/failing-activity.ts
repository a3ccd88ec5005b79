/**
 * Makes the store refuse activity rows of one kind (a trigger on both dialects), so a test can
 * make an event's effects fail while everything else is written, then take the trigger away.
 */
import { sql } from 'kysely';
import type { Store } from '../../relay/src/data/store';

/** Activity rows of `kind` fail to insert until the returned function is awaited. */
export async function failActivityInserts(store: Store, kind: 'unlock' | 'alarm' | 'lock.low_battery'): Promise<() => Promise<void>> {
  const q = store.q;
  const name = sql.raw('kw_test_no_' + kind.replace(/\W/g, '_'));
  const message = sql.raw(`'no ${kind} rows today'`);
  if (store.dialect === 'postgres') {
    await sql`CREATE FUNCTION ${name}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION ${message}; END $$ LANGUAGE plpgsql`.execute(q);
    await sql`CREATE TRIGGER ${name} BEFORE INSERT ON activity FOR EACH ROW WHEN (NEW.kind = ${sql.lit(kind)}) EXECUTE FUNCTION ${name}()`.execute(q);
  } else {
    await sql`CREATE TRIGGER ${name} BEFORE INSERT ON activity WHEN NEW.kind = ${sql.lit(kind)} BEGIN SELECT RAISE(ABORT, ${message}); END`.execute(q);
  }
  return async () => {
    if (store.dialect === 'postgres') {
      await sql`DROP TRIGGER ${name} ON activity`.execute(q);
      await sql`DROP FUNCTION ${name}()`.execute(q);
    } else {
      await sql`DROP TRIGGER ${name}`.execute(q);
    }
  };
}
