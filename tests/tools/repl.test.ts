/**
 * Getting the REPL's attention without breaking into the lock: a board that answers gets no
 * Ctrl-C (Espruino's Linux build exits on a second one within 5 s, and on any board it interrupts
 * the lock's running code); only a board that stays silent is interrupted, and then asked again.
 */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../tools/src/cli-error';
import { ERASE_LINE, getPrompt, type LineIO } from '../../tools/src/serial/repl';

/** A console that answers `print("…")` markers only while `answering` says so. */
function fakeConsole(answering: (writes: string[]) => boolean): LineIO & { writes: string[] } {
  const writes: string[] = [];
  const pending: Array<{ match: (l: string) => boolean; resolve: (l: string) => void }> = [];
  return {
    name: 'fake',
    writes,
    async write(data) {
      writes.push(data);
      const m = /print\("([^"]+)"\)/.exec(data);
      if (m && answering(writes)) {
        const line = m[1];
        setTimeout(() => {
          const i = pending.findIndex((p) => p.match(line));
          if (i >= 0) pending.splice(i, 1)[0].resolve(line);
        }, 5);
      }
    },
    readLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const p = { match, resolve: (l: string) => (clearTimeout(t), resolve(l)) };
        const t = setTimeout(() => {
          pending.splice(pending.indexOf(p), 1);
          reject(new CliError('KW_TIMEOUT', 'fake'));
        }, timeoutMs);
        pending.push(p);
      });
    }
  };
}

describe('getPrompt', () => {
  it('erases the half-typed line and sends no Ctrl-C to a board that answers', async () => {
    const c = fakeConsole(() => true);
    await getPrompt(c, 400);
    await getPrompt(c, 400);
    expect(c.writes.join('')).not.toContain('\x03');
    expect(c.writes.every((w) => w.startsWith(ERASE_LINE + '\x10print('))).toBe(true);
  });

  it('interrupts a board silent for the whole timeout once, then asks again', async () => {
    const c = fakeConsole((w) => w.some((x) => x === '\x03'));
    await getPrompt(c, 200);
    expect(c.writes.filter((w) => w === '\x03')).toHaveLength(1);
    expect(c.writes.indexOf('\x03')).toBe(1);
  });

  it('never interrupts when told not to (a board booting new firmware), and reports no prompt', async () => {
    const c = fakeConsole(() => false);
    await expect(getPrompt(c, 200, { interrupt: false })).rejects.toMatchObject({ code: 'KW_NO_PROMPT' });
    expect(c.writes.join('')).not.toContain('\x03');
  });

  it('reports no prompt when even the interrupted board stays silent', async () => {
    const c = fakeConsole(() => false);
    await expect(getPrompt(c, 200)).rejects.toMatchObject({ code: 'KW_NO_PROMPT' });
    expect(c.writes.filter((w) => w === '\x03')).toHaveLength(1);
  });
});
