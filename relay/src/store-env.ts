/**
 * Where the relay keeps its data, from the environment (docs/relay.md "Running on
 * PostgreSQL"): KEYWAY_DATABASE_URL (postgres://…) selects PostgreSQL, otherwise the SQLite
 * file in the data directory; KEYWAY_DATA_KEY (base64) or KEYWAY_DATA_KEY_FILE give the key
 * that seals the secrets the database holds.
 */
import type { RelayOptions } from './options';

export function storeFromEnv(env: Record<string, string | undefined>): Pick<RelayOptions, 'databaseUrl' | 'dataKey' | 'dataKeyFile'> {
  return { databaseUrl: env.KEYWAY_DATABASE_URL || undefined, dataKey: env.KEYWAY_DATA_KEY || undefined, dataKeyFile: env.KEYWAY_DATA_KEY_FILE || undefined };
}
