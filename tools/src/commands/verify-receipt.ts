/**
 * `keyway verify-receipt <file>`: checks a lock-signed receipt offline (docs/protocol.md §6.2)
 * against the lock's public key and its event chain, with no relay and no database. Prints what
 * the receipt proves; a receipt that does not hold is KW_RECEIPT_INVALID with the fault's name.
 */
import { readFileSync } from 'node:fs';
import { RECEIPT_FAULTS, checkReceiptBundle, toHex } from '@keyway/shared';
import { CliError } from '../cli-error';

export function verifyReceiptFile(file: string, keyHex: string | undefined): string[] {
  if (keyHex !== undefined && !/^[0-9a-f]{64}$/.test(keyHex)) throw new CliError('KW_USAGE', '--key must be 64 lowercase hex characters');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError('KW_USAGE', file + ': ' + String((e as Error).message), false, 'give a JSON receipt file');
  }
  const r = checkReceiptBundle(parsed, keyHex);
  if (!r.ok) throw new CliError('KW_RECEIPT_INVALID', r.fault + ': ' + RECEIPT_FAULTS[r.fault] + ' (' + r.detail + ')');
  const rc = r.receipt;
  const lines = [
    'receipt holds: signed by lock ' + toHex(rc.deviceId) + ' with key ' + toHex(rc.lockKey) + (keyHex ? '' : ' (the file\'s key: compare it with the installation record)'),
    'door closed and bolt locked at log seq ' + rc.seq + ' (' + toHex(rc.head) + ')' + (rc.time ? ', ' + new Date(rc.time * 1000).toISOString() : ''),
    'entry at seq ' + rc.entrySeq + (rc.grantId ? ' on grant ' + rc.grantId : ' (direct request)') +
      (r.camera ? ', camera acknowledged at seq ' + rc.cameraSeq : ', no camera event named')
  ];
  return lines;
}
