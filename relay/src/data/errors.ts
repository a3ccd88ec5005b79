/** Database errors the relay turns into API answers, recognised on both stores. */

const SQLITE_UNIQUE = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
/** PostgreSQL SQLSTATE unique_violation. */
const PG_UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (SQLITE_UNIQUE.has(code) || code === PG_UNIQUE_VIOLATION);
}
