/**
 * Generates the layout tables and annotated hex examples of docs/protocol.md from the
 * schemas and vectors, between <!-- generated:NAME --> and <!-- /generated:NAME -->
 * markers. `npx tsx scripts/protocol-docs.ts` rewrites the doc and shared/vectors/v1.json;
 * tests call `checkProtocolDocs()` to prove the committed doc matches the code.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALARMS, REASONS, commandBody, decodeCommand, eventBody, fromHex, grantCodec, keyRotatePayload, lockPayload, offlineBody, reader,
  receiptBody, revealBody, revokePayload, scheduleEntry, statusBody, timeSetPayload, toHex, unlockPayload, alarmClearPayload, settingsPayload,
  consentModePayload, consentPayload, consentRemovePayload, consentedGrantPayload, decodeOwnerStatement, ownerKeyAddPayload, ownerKeyRemovePayload, ownerTimePayload,
  ownerStatementBody, type StructCodec
} from '@keyway/shared';
import { buildVectors } from './protocol-vectors';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DOC_PATH = path.join(ROOT, 'docs', 'protocol.md');
export const VECTORS_PATH = path.join(ROOT, 'shared', 'vectors', 'v1.json');

function layout(codec: StructCodec<any>, header: boolean, trailer?: [string, number, string], version = 1): string {
  const rows: string[] = ['| offset | size | field | type |', '|---:|---:|---|---|'];
  let off = 0;
  const add = (name: string, size: number, label: string) => {
    rows.push('| ' + (off < 0 ? '…' : String(off)) + ' | ' + (size < 0 ? 'var' : String(size)) + ' | `' + name + '` | ' + label + ' |');
    off = off < 0 || size < 0 ? -1 : off + size;
  };
  if (header) {
    add('tag', 8, 'ASCII, see §2');
    add('version', 1, 'u8 = ' + version);
  }
  for (const [name, c] of codec.fields) add(name, c.size, c.label());
  if (trailer) add(trailer[0], trailer[1], trailer[2]);
  return rows.join('\n');
}

/** Splits `hex` at the field boundaries of `codec` (after an optional 9-byte header). */
function annotate(codec: StructCodec<any>, bytes: Uint8Array, header: boolean, trailerName?: string): string {
  const r = reader(bytes);
  const rows: string[] = ['| field | bytes |', '|---|---|'];
  if (header) {
    rows.push('| tag | `' + toHex(bytes.subarray(0, 8)) + '` |');
    rows.push('| version | `' + toHex(bytes.subarray(8, 9)) + '` |');
    r.pos = 9;
  }
  for (const [name, c] of codec.fields) {
    const start = r.pos;
    c.read(r);
    rows.push('| ' + name + ' | `' + (r.pos > start ? toHex(bytes.subarray(start, r.pos)) : '') + '` |');
  }
  if (trailerName && r.pos < bytes.length) rows.push('| ' + trailerName + ' | `' + toHex(bytes.subarray(r.pos)) + '` |');
  return rows.join('\n');
}

function hexBlock(hex: string): string {
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 64) lines.push(hex.slice(i, i + 64));
  return '```\n' + lines.join('\n') + '\n```';
}

export function generatedSections(): Record<string, string> {
  const v = Object.fromEntries(buildVectors().map((x) => [x.name, x]));
  const cmd = (name: string) => fromHex(v[name].hex);
  const grantPayload = decodeCommand(cmd('command-grant-put')).payload;
  const sections: Record<string, string> = {
    'layout-command': layout(commandBody, true, ['signature', 64, 'Ed25519 over every byte before it']),
    'layout-unlock': layout(unlockPayload, false),
    'layout-lock': layout(lockPayload, false),
    'layout-revoke': layout(revokePayload, false),
    'layout-key-rotate': layout(keyRotatePayload, false),
    'layout-time-set': layout(timeSetPayload, false),
    'layout-alarm-clear': layout(alarmClearPayload, false),
    'layout-settings': layout(settingsPayload, false),
    'layout-grant': layout(grantCodec, false),
    'layout-schedule-entry': layout(scheduleEntry, false),
    'layout-reveal': layout(revealBody, true),
    'layout-event': layout(eventBody, true),
    'layout-status': layout(statusBody, true),
    'layout-receipt': layout(receiptBody, true, ['signature', 64, 'Ed25519 by the lock key over every byte before it']),
    'example-receipt': 'Lock key (tests only): seed `' + v['lock-key'].seed + '`, public key `' + v['lock-key'].hex + '`.\n\n`event-3`:\n\n' +
      hexBlock(v['event-3'].hex) + '\n\nhash(event-3) = `' + v['event-3'].hash + '`\n\nReceipt:\n\n' + hexBlock(v['receipt'].hex) + '\n\n' +
      annotate(receiptBody, cmd('receipt'), true, 'signature'),
    'layout-offline': layout(offlineBody, true),
    'keys': [
      '| key | seed (secret, tests only) | public key | key id |', '|---|---|---|---|',
      ...['relay-key', 'relay-key-2'].map((k) => '| ' + k + ' | `' + v[k].seed + '` | `' + v[k].hex + '` | `' + v[k].keyId + '` (0x' + (v[k].keyId as number).toString(16).padStart(8, '0') + ') |')
    ].join('\n'),
    'example-unlock': hexBlock(v['command-unlock'].hex) + '\n\n' + annotate(commandBody, cmd('command-unlock'), true, 'signature'),
    'example-grant-put': hexBlock(v['command-grant-put'].hex) + '\n\nPayload (the grant):\n\n' + annotate(grantCodec, grantPayload, false),
    'example-time-set': hexBlock(v['command-time-set'].hex) + '\n\n' + annotate(commandBody, cmd('command-time-set'), true, 'signature'),
    'example-key-rotate': hexBlock(v['command-key-rotate'].hex),
    'example-settings': hexBlock(v['command-settings-set'].hex) + '\n\n' + annotate(commandBody, cmd('command-settings-set'), true, 'signature'),
    'example-chain': (v['hash-chain'].values as string[]).map((h, i) => '- values[' + i + '] = `' + h + '`').join('\n'),
    'example-reveal': hexBlock(v['reveal'].hex) + '\n\n' + annotate(revealBody, cmd('reveal'), true),
    'example-events': '`event-1`:\n\n' + hexBlock(v['event-1'].hex) + '\n\nhash(event-1) = `' + v['event-1'].hash + '`\n\n`event-2`:\n\n' +
      hexBlock(v['event-2'].hex) + '\n\n' + annotate(eventBody, cmd('event-2'), true) + '\n\nhash(event-2) = `' + v['event-2'].hash + '`',
    'example-status': hexBlock(v['status'].hex) + '\n\n' + annotate(statusBody, cmd('status'), true),
    'example-clip': 'Manifest (`clip-manifest`):\n\n' + hexBlock(v['clip-manifest'].hex) + '\n\nclip hash = SHA-256(manifest) = `' + v['clip-manifest'].clipHash +
      '`\n\nThe CAMERA event that carries it (`event-camera`):\n\n' + hexBlock(v['event-camera'].hex),
    'example-barcode': 'barcodeCommitment(0123456789abcdef, "1Z999AA10123456784") = `' + v['barcode'].hex + '`',
    'layout-owner-statement': layout(ownerStatementBody, true, ['signature', 64, 'Ed25519 by the owner key over every byte before it'], 2),
    'layout-owner-key-add': layout(ownerKeyAddPayload, false),
    'layout-owner-key-remove': layout(ownerKeyRemovePayload, false),
    'layout-consent-mode': layout(consentModePayload, false),
    'layout-consent': layout(consentPayload, false),
    'layout-consent-remove': layout(consentRemovePayload, false),
    'layout-consented-grant': layout(consentedGrantPayload, false),
    'layout-owner-time': layout(ownerTimePayload, false),
    'example-owner-time': 'Owner statement (`owner-time`):\n\n' + hexBlock(v['owner-time'].hex) + '\n\nIts payload:\n\n' +
      annotate(ownerTimePayload, decodeOwnerStatement(cmd('owner-time')).payload, false) +
      '\n\nThe OWNER_SIGNED command that carries it (`command-owner-time`), bound to the same challenge:\n\n' + hexBlock(v['command-owner-time'].hex),
    'owner-keys': [
      '| key | seed (secret, tests only) | public key | key id |', '|---|---|---|---|',
      ...['owner-key', 'owner-key-2'].map((k) => '| ' + k + ' | `' + v[k].seed + '` | `' + v[k].hex + '` | `' + v[k].keyId + '` (0x' + (v[k].keyId as number).toString(16).padStart(8, '0') + ') |')
    ].join('\n'),
    'example-owner-key-add-install': hexBlock(v['command-owner-key-add'].hex),
    'example-owner-consent': 'Owner statement (`owner-consent-put`):\n\n' + hexBlock(v['owner-consent-put'].hex) + '\n\n' +
      annotate(ownerStatementBody, cmd('owner-consent-put'), true, 'signature') + '\n\nIts payload (the standing consent):\n\n' +
      annotate(consentPayload, decodeOwnerStatement(cmd('owner-consent-put')).payload, false) +
      '\n\nThe OWNER_SIGNED command that carries it (`command-owner-consent-put`): the statement is the payload, byte for byte.\n\n' +
      hexBlock(v['command-owner-consent-put'].hex),
    'example-owner-grant': 'Owner statement (`owner-grant-put`):\n\n' + hexBlock(v['owner-grant-put'].hex) +
      '\n\nOWNER_SIGNED command (`command-owner-grant-put`):\n\n' + hexBlock(v['command-owner-grant-put'].hex),
    'example-owner-admin': ['owner-key-add', 'owner-key-remove', 'owner-consent-mode', 'owner-consent-remove']
      .map((n) => '`' + n + '`: ' + v[n].description + '\n\n' + hexBlock(v[n].hex)).join('\n\n'),
    'example-consented-grant': hexBlock(v['command-consented-grant-put'].hex) + '\n\nPayload:\n\n' +
      annotate(consentedGrantPayload, decodeCommand(cmd('command-consented-grant-put')).payload, false),
    'reasons': ['| code | name | kind | meaning |', '|---:|---|---|---|', ...REASONS.map((r) => '| ' + r.code + ' | `' + r.name + '` | ' + r.kind + ' | ' + r.description + ' |')].join('\n'),
    'alarms': ['| code | name | meaning |', '|---:|---|---|', ...ALARMS.map((a) => '| ' + a.code + ' | `' + a.name + '` | ' + a.description + ' |')].join('\n')
  };
  return sections;
}

export function renderDoc(doc: string, sections: Record<string, string>): string {
  let out = doc;
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp('(<!-- generated:' + name + ' -->)[\\s\\S]*?(<!-- /generated:' + name + ' -->)');
    if (!re.test(out)) throw new Error('docs/protocol.md lacks the marker for section ' + name);
    out = out.replace(re, (_m, a: string, b: string) => a + '\n' + body + '\n' + b);
  }
  return out;
}

export function vectorsJson(): string {
  return JSON.stringify({ version: 1, note: 'Generated by scripts/protocol-docs.ts; test keys only.', vectors: buildVectors() }, null, 2) + '\n';
}

export function checkProtocolDocs(): { docOk: boolean; vectorsOk: boolean } {
  const doc = readFileSync(DOC_PATH, 'utf8');
  const vectors = readFileSync(VECTORS_PATH, 'utf8');
  return { docOk: renderDoc(doc, generatedSections()) === doc, vectorsOk: vectors === vectorsJson() };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const doc = readFileSync(DOC_PATH, 'utf8');
  writeFileSync(DOC_PATH, renderDoc(doc, generatedSections()));
  mkdirSync(path.dirname(VECTORS_PATH), { recursive: true });
  writeFileSync(VECTORS_PATH, vectorsJson());
  console.log('wrote', path.relative(ROOT, DOC_PATH), 'and', path.relative(ROOT, VECTORS_PATH));
}
