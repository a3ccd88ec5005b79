/** The request's logger is made on its first enabled line, and writes what an eager pino child would. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { lazyRequestLogger } from '../../../relay/src/http/request-logger';
import { REDACT_PATHS } from '../../../relay/src/logger';

/** A pino logger writing into `lines`, and a parent for the lazy logger that counts the children made of it. */
function capture(level: string): { log: Logger; parent: FastifyBaseLogger; lines: Array<Record<string, unknown>>; children: () => number } {
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(JSON.parse(chunk.toString('utf8'))); cb(); } });
  const log = pino({ level, base: null, timestamp: false, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, out);
  let made = 0;
  const parent = {
    get level() { return log.level; },
    isLevelEnabled: (l: string) => log.isLevelEnabled(l),
    child: (b: Record<string, unknown>, o?: Record<string, unknown>) => { made++; return log.child(b, o); }
  } as unknown as FastifyBaseLogger;
  return { log, parent, lines, children: () => made };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('lazy request logger', () => {
  it('makes no child while nothing is written at an enabled level', () => {
    const c = capture('info');
    const req = lazyRequestLogger(c.parent, { reqId: 'req-1' }, {});
    req.debug({ ms: 1 }, 'request');
    req.trace('nothing');
    expect(c.children()).toBe(0);
    expect(req.level).toBe('info');
  });

  it('writes the eager child\'s line, bindings and redaction included, with one child for all lines', async () => {
    const c = capture('info');
    const req = lazyRequestLogger(c.parent, { reqId: 'req-2' }, {});
    req.info({ status: 401, token: 'kw_owner_secret' }, 'request refused or failed');
    req.warn({ code: 'KW_X' }, 'request failed');
    const eager = c.log.child({ reqId: 'req-2' });
    eager.info({ status: 401, token: 'kw_owner_secret' }, 'request refused or failed');
    await flush();
    expect(c.lines).toHaveLength(3);
    expect(c.lines[0]).toEqual(c.lines[2]);
    expect(c.lines[0]).toMatchObject({ reqId: 'req-2', status: 401, token: '[redacted]', msg: 'request refused or failed' });
    expect(c.lines[1]).toMatchObject({ reqId: 'req-2', code: 'KW_X', level: 40 });
    expect(c.children()).toBe(1);
  });

  it('honours a level of its own: from the route options and when set', async () => {
    const c = capture('info');
    const quiet = lazyRequestLogger(c.parent, { reqId: 'req-3' }, { level: 'error' });
    quiet.info('dropped');
    expect(quiet.level).toBe('error');
    const loud = lazyRequestLogger(c.parent, { reqId: 'req-4' }, {});
    loud.level = 'debug';
    loud.debug('kept');
    await flush();
    expect(c.lines.map((l) => l.msg)).toEqual(['kept']);
    expect(c.lines[0]).toMatchObject({ reqId: 'req-4', level: 20 });
    expect(c.log.level).toBe('info');
  });

  it('hands out grandchildren with the request id bound', async () => {
    const c = capture('info');
    const req = lazyRequestLogger(c.parent, { reqId: 'req-5' }, {});
    req.child({ part: 'sse' }).info('stream');
    await flush();
    expect(c.lines[0]).toMatchObject({ reqId: 'req-5', part: 'sse', msg: 'stream' });
  });
});
