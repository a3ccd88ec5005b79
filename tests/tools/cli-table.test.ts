/**
 * The `keyway` command table as a new user meets it: help for every command runs nothing,
 * every user mistake is a coded message with a hint and exit 2 (never a stack trace), `help`
 * loads none of the heavy build or serial modules, `up` exits on a busy port and prints an
 * installer token, and the README's command list is the table's.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownCommandList } from '../../tools/src/cli/command-help';
import { COMMANDS } from '../../tools/src/cli/command-table';
import { keyway, ROOT, start } from '../support/processes';
import { scaled } from '../support/time-scale';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'kw-cli-table-'));
  dirs.push(d);
  return d;
};

/** A Node stack frame line. */
const STACK_FRAME = /^\s+at .+[(:]\d+/m;

function expectUserError(r: { code: number | null; stderr: string }, code: string): void {
  expect(r.stderr, r.stderr).toContain('keyway: ' + code + ': ');
  expect(r.stderr).toMatch(/\n {2}hint: \S/);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.code).toBe(2);
}

describe('keyway command table', () => {
  it('prints help for every command and runs nothing (demo --help does not play the demo)', async () => {
    for (const c of COMMANDS) {
      const r = await keyway([...c.name.split(' '), '--help'], {}, scaled(30_000));
      expect(r.code, c.name).toBe(0);
      expect(r.stdout).toContain('keyway ' + c.name);
      for (const option of Object.keys(c.options)) expect(r.stdout, c.name).toContain('--' + option);
      expect(r.stdout).not.toContain('starting the relay');
    }
    const overview = await keyway(['help']);
    for (const c of COMMANDS) expect(overview.stdout).toContain('keyway ' + c.name);
    expect((await keyway(['help', 'provision'])).stdout).toContain('--token <installer token>');
  }, scaled(120_000));

  it('answers user mistakes with a coded message, a hint and exit 2, never a stack trace', async () => {
    const file = path.join(tmp(), 'not-a-port.txt');
    writeFileSync(file, 'hello');
    expectUserError(await keyway(['up', '--frobnicate']), 'KW_USAGE');
    expectUserError(await keyway(['flash', '--port']), 'KW_USAGE');
    expectUserError(await keyway(['keys', 'explode']), 'KW_USAGE');
    expectUserError(await keyway(['firmware']), 'KW_USAGE');
    expectUserError(await keyway(['sign', '--device', '0123456789abcdef', '--action', 'unlock', '--counter', '0x10']), 'KW_USAGE');
    expectUserError(await keyway(['firmware', 'build', '--board', 'nosuch']), 'KW_UNKNOWN_BOARD');
    expectUserError(await keyway(['sign', '--dir', path.join(tmp(), 'missing'), '--device', '0123456789abcdef', '--action', 'unlock', '--counter', '1']), 'KW_NO_KEYS');
    const notPort = await keyway(['flash', '--port', file]);
    expectUserError(notPort, 'KW_NOT_A_SERIAL_PORT');
    expect(notPort.stderr).toContain('regular file');
    expectUserError(await keyway(['provision', '--port', file, '--relay', 'http://127.0.0.1:9', '--site', '1', '--token', 'kw_installer_x']), 'KW_NOT_A_SERIAL_PORT');
  }, scaled(120_000));

  it('loads no TypeScript, Rollup, Terser, serialport or relay for help', async () => {
    const log = path.join(tmp(), 'imports.log');
    const c = start(process.execPath, ['--import', path.join(ROOT, 'tests/support/record-imports.mjs'), path.join(ROOT, 'tools/bin/keyway.mjs'), 'help'], { KEYWAY_IMPORT_LOG: log });
    expect(await c.exited).toBe(0);
    const loaded = readFileSync(log, 'utf8');
    expect(loaded).toContain('tools/src/cli/command-table.ts');
    for (const heavy of ['/node_modules/typescript/', '/node_modules/rollup/', '/node_modules/terser/', '/node_modules/serialport/', '/node_modules/fastify/', '/node_modules/aedes/']) {
      expect(loaded, heavy).not.toContain(heavy);
    }
  }, scaled(60_000));

  it('keyway up exits with KW_PORT_IN_USE when its HTTP port is busy, instead of hanging', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = (busy.address() as { port: number }).port;
      const r = await keyway(['up', '--http', String(port), '--mqtt', '0', '--data', tmp()], {}, scaled(60_000));
      expect(r.stderr).toContain('KW_PORT_IN_USE');
      expect(r.stderr).toMatch(/hint: .*--http/);
      expect(r.code).toBe(7);
    } finally {
      busy.close();
    }
  }, scaled(90_000));

  it('keyway up refuses a data key file others can read with KW_DATA_KEY_INVALID (exit 2) and creates nothing', async () => {
    const data = tmp();
    const file = path.join(data, 'data.key');
    writeFileSync(file, Buffer.alloc(32, 7).toString('base64') + '\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    const r = await keyway(['up', '--http', '0', '--mqtt', '0', '--doors', '1', '--data', data], {}, scaled(60_000));
    expectUserError(r, 'KW_DATA_KEY_INVALID');
    expect(r.stderr).toContain(file + ' is readable by others: chmod 600 it');
    expect(r.stderr).toMatch(/hint: chmod 600/);
    expect(readdirSync(data)).toEqual(['data.key']);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  }, scaled(90_000));

  it('keyway up prints an installer token (for keyway provision --token) and keeps every secret file 0600', async () => {
    const data = tmp();
    const c = start(process.execPath, [path.join(ROOT, 'tools/bin/keyway.mjs'), 'up', '--http', '0', '--mqtt', '0', '--doors', '1', '--data', data]);
    try {
      const end = Date.now() + scaled(90_000);
      while (!c.stdout().includes('Ctrl-C to stop')) {
        if (Date.now() > end || c.proc.exitCode !== null) throw new Error('keyway up did not come up: ' + c.stderr());
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(c.stdout()).toMatch(/installer token +kw_installer_[A-Za-z0-9_-]{20,}/);
      const locks = readdirSync(path.join(data, 'locks')).filter((f) => f.endsWith('.json'));
      expect(locks.length).toBeGreaterThan(0);
      for (const f of [...locks.map((l) => path.join('locks', l)), 'admin-token', 'keyway.sqlite']) expect(statSync(path.join(data, f)).mode & 0o777, f).toBe(0o600);
    } finally {
      await c.kill('SIGINT');
    }
    expect(c.stdout()).toContain('stopping');
  }, scaled(120_000));

  it('the README lists exactly the commands of the table', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = readme.split('<!-- commands -->')[1]?.split('<!-- /commands -->')[0]?.trim();
    expect(block).toBe(markdownCommandList(COMMANDS));
  });
});
