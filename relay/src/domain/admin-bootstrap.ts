/**
 * The first admin token. On first start (no admin token in the database) the relay issues
 * one, stores only its hash, writes it to dataDir/admin-token (0600) and logs where to find
 * it; the token itself is never logged. Later starts do nothing.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RelayContext } from '../context';
import { sha256Hex } from '../secrets';
import { issueToken } from './principals';

export function bootstrapAdmin(ctx: RelayContext, presetToken?: string): string | null {
  return ctx.db.transaction(() => {
    const existing = ctx.db.prepare("SELECT 1 FROM tokens WHERE kind = 'admin' AND revoked_at IS NULL LIMIT 1").get();
    if (existing) return null;
    let token: string;
    if (presetToken) {
      if (!/^kw_admin_[A-Za-z0-9_-]{20,}$/.test(presetToken)) throw new Error('RELAY_OPTIONS: adminToken must look like kw_admin_<at least 20 url-safe chars>');
      ctx.db.prepare("INSERT INTO tokens (hash, kind, scopes, label, created_at) VALUES (?, 'admin', '[\"*\"]', 'bootstrap', ?)").run(sha256Hex(presetToken), ctx.now());
      token = presetToken;
    } else token = issueToken(ctx, 'admin', null, ['*'], 'bootstrap').token;
    if (ctx.opts.dbPath !== ':memory:' || ctx.opts.dataDir) {
      mkdirSync(ctx.opts.dataDir, { recursive: true, mode: 0o700 });
      const file = path.join(ctx.opts.dataDir, 'admin-token');
      writeFileSync(file, token + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
      ctx.log.warn({ file }, 'bootstrap admin token created; it is shown only in this file');
    }
    return token;
  }).immediate();
}
