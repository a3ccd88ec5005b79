/**
 * An Espruino Linux build started the way a board starts: in its REPL, in a directory whose
 * ./espruino.flash is its Storage, so it runs `.boot0` and `.bootcde` first. Tests type
 * expressions on its console and read the answers back, and can restart it.
 */
import { scaled } from './time-scale';
import { spawn, type ChildProcess } from 'node:child_process';

export interface EspruinoRepl {
  proc: ChildProcess;
  /** Everything it printed so far (escape codes and CRs removed). */
  output(): string;
  /** Evaluates `expr` on the console and resolves with its JSON value. */
  ask<T = unknown>(expr: string, timeoutMs?: number): Promise<T>;
  /** Polls `expr` until it is truthy (JSON), or throws with the console's tail. */
  until(expr: string, timeoutMs: number, what: string): Promise<void>;
  kill(): void;
}

const POLL_MS = 100;

export function startEspruinoRepl(bin: string, dir: string, args: string[] = []): EspruinoRepl {
  const proc = spawn(bin, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const add = (d: Buffer) => (out += d.toString('latin1').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, ''));
  proc.stdout!.on('data', add);
  proc.stderr!.on('data', add);
  let seq = 0;
  const r: EspruinoRepl = {
    proc,
    output: () => out,
    ask<T>(expr: string, timeoutMs = scaled(10_000)): Promise<T> {
      const tag = 'KWA' + ++seq + ':';
      // The tag is split in the typed line, so the echo of the line never matches it; an
      // exception (the lock not booted yet) answers null.
      proc.stdin!.write('print("KWA' + seq + '"+":"+(function(){try{return JSON.stringify(' + expr + ');}catch(e){return "null";}})());\n');
      const end = Date.now() + timeoutMs;
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const i = out.lastIndexOf(tag);
          if (i >= 0) {
            const nl = out.indexOf('\n', i);
            if (nl >= 0) {
              const text = out.slice(i + tag.length, nl);
              resolve((text === 'undefined' || text === '' ? undefined : JSON.parse(text)) as T);
              return;
            }
          }
          if (Date.now() > end || proc.exitCode !== null) {
            reject(new Error('no answer to ' + expr + ': ' + out.slice(-800)));
            return;
          }
          setTimeout(check, 20);
        };
        check();
      });
    },
    async until(expr, timeoutMs, what) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (await r.ask<boolean>('!!(' + expr + ')')) return;
        if (Date.now() > end) throw new Error('timed out waiting for ' + what + ': ' + out.slice(-800));
        await new Promise((res) => setTimeout(res, POLL_MS));
      }
    },
    kill() {
      proc.kill('SIGKILL');
    }
  };
  return r;
}
