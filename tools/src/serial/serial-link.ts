/**
 * A byte link to a board: a serial device through the `serialport` library (opened with an
 * exclusive lock, so a port another program holds is reported as busy), or `tcp://host:port`
 * for Espruino's telnet console. Lines are read with a timeout; errors carry CLI codes.
 */
import net from 'node:net';
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { CliError } from '../cli-error';
import { checkPortPath } from './port-path';

export interface SerialLink {
  readonly name: string;
  write(data: string): Promise<void>;
  /** Resolves with the next received line (CR/LF stripped) that satisfies `match`. */
  readLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Everything received so far, for diagnostics. */
  received(): string;
  close(): Promise<void>;
}

export async function openLink(port: string, baudRate = 115200): Promise<SerialLink> {
  if (port.startsWith('tcp://')) return openTcp(port);
  return openSerial(port, baudRate);
}

function mapSerialError(port: string, e: Error): CliError {
  const m = String(e.message || e);
  if (/ENOENT|No such file|cannot open|not exist/i.test(m) && !existsSync(port)) return new CliError('KW_PORT_NOT_FOUND', port);
  if (/lock|busy|EBUSY|temporarily unavailable/i.test(m)) return new CliError('KW_PORT_BUSY', port);
  if (/EACCES|permission/i.test(m)) return new CliError('KW_PORT_PERMISSION', port);
  if (!existsSync(port)) return new CliError('KW_PORT_NOT_FOUND', port);
  return new CliError('KW_PORT_CLOSED', port + ': ' + m);
}

interface Waiter {
  match: (l: string) => boolean;
  resolve: (l: string) => void;
  reject: (e: Error) => void;
}

/** Splits received bytes into lines and hands each to the first reader waiting for it. */
class LineBuffer {
  private buf = '';
  private all = '';
  private waiters: Waiter[] = [];
  private lines: string[] = [];
  private closed: CliError | null = null;

  push(data: string): void {
    this.all += data;
    if (this.all.length > 1_000_000) this.all = this.all.slice(-100_000);
    this.buf += data;
    let i;
    while ((i = this.buf.search(/[\r\n]/)) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      if (line.length > 0) this.offer(line);
    }
  }

  private offer(line: string): void {
    const w = this.waiters.findIndex((x) => x.match(line));
    if (w >= 0) this.waiters.splice(w, 1)[0].resolve(line);
    else {
      this.lines.push(line);
      if (this.lines.length > 1000) this.lines.shift();
    }
  }

  readLine(match: (l: string) => boolean, timeoutMs: number, name: string): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    const idx = this.lines.findIndex(match);
    if (idx >= 0) return Promise.resolve(this.lines.splice(idx, 1)[0]);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        }
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new CliError('KW_TIMEOUT', name + ' (no answer within ' + timeoutMs + ' ms)'));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  fail(e: CliError): void {
    this.closed = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  received(): string {
    return this.all;
  }
}

async function openSerial(port: string, baudRate: number): Promise<SerialLink> {
  checkPortPath(port);
  const sp = new SerialPort({ path: port, baudRate, autoOpen: false, lock: true });
  await new Promise<void>((resolve, reject) => sp.open((e) => (e ? reject(mapSerialError(port, e)) : resolve())));
  const lines = new LineBuffer();
  sp.on('data', (b: Buffer) => lines.push(b.toString('latin1')));
  sp.on('close', () => lines.fail(new CliError('KW_PORT_CLOSED', port)));
  sp.on('error', (e) => lines.fail(mapSerialError(port, e)));
  return {
    name: port,
    write: (d) => new Promise((resolve, reject) => sp.write(Buffer.from(d, 'latin1'), (e) => (e ? reject(mapSerialError(port, e)) : sp.drain(() => resolve())))),
    readLine: (m, t) => lines.readLine(m, t, port),
    received: () => lines.received(),
    close: () => new Promise((resolve) => (sp.isOpen ? sp.close(() => resolve()) : resolve()))
  };
}

async function openTcp(url: string): Promise<SerialLink> {
  const u = new URL(url);
  const sock = net.connect({ host: u.hostname, port: Number(u.port) });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', (e) => reject(new CliError('KW_PORT_NOT_FOUND', url + ': ' + e.message)));
  });
  const lines = new LineBuffer();
  sock.on('data', (b: Buffer) => lines.push(b.toString('latin1')));
  sock.on('close', () => lines.fail(new CliError('KW_PORT_CLOSED', url)));
  sock.on('error', () => undefined);
  return {
    name: url,
    write: (d) => new Promise((resolve, reject) => sock.write(Buffer.from(d, 'latin1'), (e) => (e ? reject(new CliError('KW_PORT_CLOSED', url)) : resolve()))),
    readLine: (m, t) => lines.readLine(m, t, url),
    received: () => lines.received(),
    close: () => new Promise((resolve) => {
      sock.end(() => resolve());
      setTimeout(() => {
        sock.destroy();
        resolve();
      }, 500);
    })
  };
}
