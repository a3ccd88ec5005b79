/**
 * The first admin token. On first start (no admin token in the database) the relay issues
 * one, stores only its hash, writes it to dataDir/admin-token (0600) and logs where to find
 * it; the token itself is never logged. Later starts do nothing.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RelayContext } from '../context';
import { sha256Hex } from '../secrets';
import { insertToken, liveAdminTokenExists } from '../data/tokens';
import { newTokenRow } from './principals';

export async function bootstrapAdmin(ctx: RelayContext, presetToken?: string): Promise<string | null> {
  return ctx.store.tx(async (q) => {
    if (await liveAdminTokenExists(q)) return null;
    let token: string;
    if (presetToken) {
      if (!/^kw_admin_[A-Za-z0-9_-]{20,}$/.test(presetToken)) throw new Error('RELAY_OPTIONS: adminToken must look like kw_admin_<at least 20 url-safe chars>');
      await insertToken(q, { hash: sha256Hex(presetToken), kind: 'admin', subjectId: null, scopes: ['*'], label: 'bootstrap', at: ctx.now(), expiresAt: null });
      token = presetToken;
    } else {
      const t = newTokenRow(ctx, 'admin', null, ['*'], 'bootstrap');
      await insertToken(q, t.row);
      token = t.token;
    }
    if (ctx.opts.dbPath !== ':memory:' || ctx.opts.dataDir) {
      mkdirSync(ctx.opts.dataDir, { recursive: true, mode: 0o700 });
      const file = path.join(ctx.opts.dataDir, 'admin-token');
      writeFileSync(file, token + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
      ctx.log.warn({ file }, 'bootstrap admin token created; it is shown only in this file');
    }
    return token;
  });
}
