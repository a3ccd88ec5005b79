/**
 * The relay's pino logger (docs/conventions.md#logging). Secrets are redacted by path wherever they could
 * appear in a structured field: passwords, tokens, chain seeds and values, webhook secrets
 * and Authorization headers. Code never puts a secret in a log message string; the test
 * suite captures every line and checks that no issued secret shows up.
 */
import { pino, type Logger } from 'pino';
import type { ResolvedOptions } from './options';

export type { Logger };

const SECRET_KEYS = ['password', 'token', 'accessToken', 'seed', 'chainSeed', 'chainValue', 'secret', 'authorization', 'cookie', 'credentials', 'adminToken'];

export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => '*.' + k),
  ...SECRET_KEYS.map((k) => '*.*.' + k),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]'
];

export function createLogger(opts: ResolvedOptions): Logger {
  if (opts.logger === false) return pino({ level: 'silent' });
  const config = {
    level: opts.logger.level,
    base: { service: 'keyway-relay', relayId: opts.relayId },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(req: { method?: string; url?: string; ip?: string }) {
        return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
      }
    }
  };
  return opts.logger.destination ? pino(config, opts.logger.destination) : pino(config);
}

/** Query parameters that could carry a credential never reach the log. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(/([?&](?:access_token|token|password)=)[^&]*/gi, '$1[redacted]');
}
