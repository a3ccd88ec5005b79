/** `keyway keys generate|rotate|list --dir <keys dir>`: the relay's signing keys (0600 files). */
import { keyringExists, loadKeyring, openKeyring, rotateKeyring } from '@keyway/shared/node';
import { toHex } from '@keyway/shared';
import { CliError } from '../cli-error';

export function keysCommand(action: string, dir: string, out: (s: string) => void): void {
  if (action === 'generate') {
    if (keyringExists(dir)) throw new CliError('KW_KEYS', dir + ' already holds keys; use `keys rotate`');
    const r = openKeyring(dir);
    out('generated key ' + r.current.keyId + ' ' + toHex(r.current.publicKey) + ' in ' + dir);
  } else if (action === 'rotate') {
    if (!keyringExists(dir)) throw new CliError('KW_NO_KEYS', dir);
    const { previous, next } = rotateKeyring(dir);
    out('new current key ' + next.keyId + ' ' + toHex(next.publicKey) + ' (previous ' + previous.keyId + ' kept until every lock has rotated)');
  } else if (action === 'list') {
    if (!keyringExists(dir)) throw new CliError('KW_NO_KEYS', dir);
    const r = loadKeyring(dir);
    for (const [id, s] of r.all) out((id === r.current.keyId ? '* ' : '  ') + id + ' ' + toHex(s.publicKey));
  } else throw new CliError('KW_USAGE', 'keys generate|rotate|list');
}
