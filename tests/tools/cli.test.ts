/**
 * The small `keyway` subcommands as a user runs them: help and usage errors, keys
 * (0600 files, rotation), sign (a command the protocol decoder and OpenSSL both accept),
 * firmware build (an ES5 bundle whose stamp matches its contents).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ACT_UNLOCK, decodeCommand, fromHex, toHex } from '@keyway/shared';
import { loadKeyring, nodeVerifyEd25519 } from '@keyway/shared/node';
import { readStamp } from '../../tools/src/firmware/build';
import { keyway } from '../support/processes';
import { scaled } from '../support/time-scale';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'kw-cli-'));
  dirs.push(d);
  return d;
};

describe('keyway CLI', () => {
  it('prints help, and refuses unknown commands and missing arguments with KW_USAGE (exit 2)', async () => {
    const help = await keyway(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('keyway provision');
    const bad = await keyway(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('KW_USAGE');
    const noPort = await keyway(['flash']);
    expect(noPort.code).toBe(2);
    expect(noPort.stderr).toContain('--port is required');
  });

  it('generates and rotates relay keys in 0600 files, and signs a command both the decoder and OpenSSL accept', async () => {
    const dir = path.join(tmp(), 'keys');
    const gen = await keyway(['keys', 'generate', '--dir', dir]);
    expect(gen.code).toBe(0);
    for (const f of readdirSync(dir)) expect(statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect((await keyway(['keys', 'generate', '--dir', dir])).stderr).toContain('KW_KEYS');
    const rot = await keyway(['keys', 'rotate', '--dir', dir]);
    expect(rot.code).toBe(0);
    const list = await keyway(['keys', 'list', '--dir', dir]);
    expect(list.stdout.trim().split('\n')).toHaveLength(2);
    const signed = await keyway(['sign', '--dir', dir, '--device', '0123456789abcdef', '--action', 'unlock', '--counter', '7', '--camera']);
    expect(signed.code).toBe(0);
    const cmd = decodeCommand(fromHex(signed.stdout.trim()));
    expect(cmd.action).toBe(ACT_UNLOCK);
    expect(cmd.counter).toBe(7);
    expect(toHex(cmd.deviceId)).toBe('0123456789abcdef');
    const ring = loadKeyring(dir);
    expect(cmd.keyId).toBe(ring.current.keyId);
    expect(nodeVerifyEd25519(cmd.signed, cmd.signature, ring.current.publicKey)).toBe(true);
    expect(cmd.notAfter - cmd.notBefore).toBe(60);
    const wrong = await keyway(['sign', '--dir', dir, '--device', 'XYZ', '--action', 'unlock', '--counter', '1']);
    expect(wrong.code).toBe(2);
  }, scaled(60_000));

  it('builds a stamped ES5 firmware bundle for a board', async () => {
    const out = tmp();
    const r = await keyway(['firmware', 'build', '--board', 'esp32', '--out', out]);
    expect(r.code).toBe(0);
    const code = readFileSync(path.join(out, 'keyway-esp32.js'), 'utf8');
    const stamp = readStamp(code);
    expect(stamp).not.toBeNull();
    expect(stamp!.board).toBe('esp32');
    expect(r.stdout).toContain(stamp!.sha256);
    expect(readStamp(code.slice(0, -3) + (code.slice(-3, -2) === 'a' ? 'b' : 'a') + code.slice(-2))).toBeNull(); // one byte changed
    const unknown = await keyway(['firmware', 'build', '--board', 'nope']);
    expect(unknown.code).not.toBe(0);
  }, scaled(120_000));
});
