/** SMTP settings for owner e-mail notifications from the environment (docs/relay.md "Configuration"). */
import type { SmtpOptions } from './options';

export function smtpFromEnv(env: Record<string, string | undefined>): SmtpOptions | null {
  const host = env.KEYWAY_SMTP_HOST;
  if (!host) return null;
  const from = env.KEYWAY_SMTP_FROM;
  if (!from) throw new Error('RELAY_OPTIONS: KEYWAY_SMTP_FROM is required with KEYWAY_SMTP_HOST');
  const port = env.KEYWAY_SMTP_PORT ? Number(env.KEYWAY_SMTP_PORT) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error('RELAY_OPTIONS: KEYWAY_SMTP_PORT is not a port');
  return { host, port, from, secure: env.KEYWAY_SMTP_SECURE === '1', user: env.KEYWAY_SMTP_USER || undefined, password: env.KEYWAY_SMTP_PASSWORD || undefined };
}
