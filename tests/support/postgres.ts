/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temporary directory, postgres on a
 * free loopback port with its socket in that directory, trust authentication for the local
 * test user only, and everything removed on stop(). PostgreSQL refuses to run as root, so
 * under root the server runs as the `postgres` system user (runuser) on a directory it owns.
 * `listen` and `trust` open the cluster to other addresses too (a test network's bridge and
 * its subnet), for clients that are not on this machine's loopback.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scaled } from './time-scale';

/** Where Debian installs each PostgreSQL major version's server binaries (`<root>/<major>/bin`). */
const PG_VERSIONS_ROOT = '/usr/lib/postgresql';
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const SUPERUSER = 'keyway';
const SMART_STOP_WAIT_S = 15;
const FAST_STOP_WAIT_S = 30;

export interface PgStartOptions {
  /** Addresses the server listens on besides 127.0.0.1 (the URLs keep naming 127.0.0.1). */
  listen?: string[];
  /** CIDRs whose connections the test user may make without a password (pg_hba `host … trust`). */
  trust?: string[];
}

export interface PgCluster {
  /** postgres://… URL of a fresh database in the cluster. */
  url: string;
  port: number;
  /** The process started for the server (postgres, or runuser above it under root): the root of its process tree. */
  pid: number;
  /** Creates another empty database and returns its URL (one per test file or relay set). */
  createDatabase(name: string): string;
  stop(): Promise<void>;
}

export function postgresBinDir(): string | null {
  if (process.env.KEYWAY_PG_BIN) return process.env.KEYWAY_PG_BIN;
  for (const d of installedBinDirs()) if (existsSync(path.join(d, 'initdb'))) return d;
  return null;
}

/** Each installed major version's bin directory, the newest first (a machine may hold several). */
function installedBinDirs(): string[] {
  if (!existsSync(PG_VERSIONS_ROOT)) return [];
  return readdirSync(PG_VERSIONS_ROOT)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(PG_VERSIONS_ROOT, v, 'bin'));
}

/** True when this machine can start a test cluster (the PostgreSQL server binaries exist). */
export function postgresAvailable(): boolean {
  return postgresBinDir() !== null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function systemUser(name: string): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

export async function startPostgres(o: PgStartOptions = {}): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (set KEYWAY_PG_BIN)');
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? systemUser('postgres') : null;
  if (asRoot && !runAs) throw new Error('running as root and no postgres system user to run the server as');
  const wrap = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);

  const dir = mkdtempSync(path.join(tmpdir(), 'kw-pg-'));
  const data = path.join(dir, 'data');
  if (runAs) chownTree(dir, runAs.uid, runAs.gid);
  const [initCmd, initArgs] = wrap(path.join(bin, 'initdb'), ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--no-sync']);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  for (const cidr of o.trust ?? []) appendFileSync(path.join(data, 'pg_hba.conf'), 'host all ' + SUPERUSER + ' ' + cidr + ' trust\n');
  const port = await freePort();
  const [pgCmd, pgArgs] = wrap(path.join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-h', ['127.0.0.1', ...(o.listen ?? [])].join(','), '-k', dir,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'
  ]);
  const proc: ChildProcess = spawn(pgCmd, pgArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));

  const psql = (db: string, sql: string): void => {
    execFileSync(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, '-d', db, '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe' });
  };
  const deadline = Date.now() + scaled(READY_TIMEOUT_MS);
  for (;;) {
    try {
      psql('postgres', 'SELECT 1');
      break;
    } catch {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error('PostgreSQL did not start: ' + log);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }
  const urlFor = (name: string) => 'postgres://' + SUPERUSER + '@127.0.0.1:' + port + '/' + name;
  const createDatabase = (name: string): string => {
    psql('postgres', 'CREATE DATABASE ' + name);
    return urlFor(name);
  };
  createDatabase('keyway');
  return {
    url: urlFor('keyway'),
    port,
    pid: proc.pid!,
    createDatabase,
    stop: async () => {
      // "smart" first: wait for the clients that are still saying goodbye (a pool's end()
      // resolves before its connections have closed), so none sees "terminating connection";
      // "fast" if some client stays; SIGKILL as the last resort. Through pg_ctl because runuser
      // sits between us and postgres.
      // Asynchronous, so this process's own closing connections can finish meanwhile.
      const stopWith = (mode: string, waitS: number): Promise<boolean> => new Promise((resolve) => {
        const [stopCmd, stopArgs] = wrap(path.join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', mode, '-w', '-t', String(waitS)]);
        execFile(stopCmd, stopArgs, (err) => resolve(!err));
      });
      if (!(await stopWith('smart', SMART_STOP_WAIT_S)) && !(await stopWith('fast', FAST_STOP_WAIT_S))) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
