/** The relay API calls the CLI makes (docs/relay-api.md). */
import { CliError } from '../cli-error';

export interface Registration {
  deviceId: string;
  siteId: number;
  mqtt: { username: string; password: string; clientId: string; urls: { tcp: string; tls: string | null; ws: string } };
  trustedKeys: Array<{ keyId: number; publicKey: string }>;
  relayTimeS: number;
}

export interface RegisterRequest {
  deviceId: string;
  siteId: number;
  board: string;
  firmware: string;
  name?: string;
  profile?: 'door' | 'box';
  resetLog?: boolean;
  /** The lock's own receipt key (hex), read from its console: the relay pins it. */
  lockKey?: string;
}

/**
 * Errors that mean the request never reached a relay (nothing was refused, nothing can have run):
 * only these move on to the next address of a relay list.
 */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** How long one relay may take to answer a request. */
const RELAY_REPLY_MS = 10_000;

/** A relay set's HTTP base URLs, in the order a client tries them (docs/provisioning.md#a-relay-set). */
export type RelayBases = string | readonly string[];

/** Splits `--relay a,b,c` into base URLs; each must be http(s). */
export function parseRelayBases(value: string): string[] {
  const list = value.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  if (list.length === 0) throw new CliError('KW_USAGE', '--relay needs at least one URL');
  for (const u of list) if (!/^https?:\/\/[^/]/.test(u)) throw new CliError('KW_USAGE', '--relay must be http(s) URLs, got "' + u + '"');
  return list;
}

function notDelivered(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string } }).cause;
  return !!cause && typeof cause.code === 'string' && NOT_DELIVERED.has(cause.code);
}

/**
 * One API call against a relay set: tries the addresses in order and moves on only when the
 * request could not be delivered (connection refused, no route, name unknown, connect timeout).
 * A GET moves on after any failure. Otherwise an answer, or a failure after the request may have
 * been sent (a reply timeout), ends it there: a request that may have run is reported, never sent
 * again elsewhere.
 */
export async function relayRequest<T>(bases: RelayBases, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const list = typeof bases === 'string' ? [bases] : bases;
  const failures: string[] = [];
  for (const base of list) {
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        method,
        headers: { authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(RELAY_REPLY_MS)
      });
    } catch (e) {
      failures.push(base + ': ' + describe(e));
      // A read changes nothing: any failure of it may try the next relay.
      if (notDelivered(e) || method === 'GET') continue;
      throw new CliError('KW_RELAY_UNREACHABLE', failures.join('; '));
    }
    return answer<T>(base, res);
  }
  throw new CliError('KW_RELAY_UNREACHABLE', failures.join('; '));
}

function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause;
  return String((e as Error).message ?? e) + (cause?.code ? ' (' + cause.code + ')' : '');
}

async function answer<T>(base: string, res: Response): Promise<T> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new CliError('KW_RELAY_UNREACHABLE', base + ' answered ' + res.status + ' with something that is not JSON; is this the keyway relay?');
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new CliError('KW_RELAY', res.status + ' ' + (err?.code ?? '') + ' ' + (err?.message ?? text));
  }
  return json as T;
}

/**
 * Checks the relay URL and the installer token before the board is touched: the relay must
 * answer, and the token must be an installer's (or the admin's) that may register locks.
 */
export async function checkInstallerToken(base: RelayBases, token: string): Promise<void> {
  let me: { kind?: string; scopes?: string[] };
  try {
    me = await relayRequest<{ kind?: string; scopes?: string[] }>(base, token, 'GET', '/v1/me');
  } catch (e) {
    if (e instanceof CliError && e.code === 'KW_RELAY') throw new CliError('KW_RELAY', 'the relay does not accept this token (' + e.message + ')', false, 'use an installer token: keyway up prints one; an admin creates one with POST /v1/installers');
    throw e;
  }
  const canRegister = me.kind === 'admin' || (me.kind === 'installer' && (me.scopes ?? []).includes('devices:register'));
  if (!canRegister) throw new CliError('KW_RELAY', 'the token is a ' + String(me.kind) + ' token, not an installer token', false, 'use an installer token: keyway up prints one');
}

export function registerDevice(base: RelayBases, token: string, req: RegisterRequest): Promise<Registration> {
  const body: Record<string, unknown> = { deviceId: req.deviceId, siteId: req.siteId, board: req.board, firmware: req.firmware };
  if (req.name) body.name = req.name;
  if (req.profile) body.profile = req.profile;
  if (req.resetLog) body.resetLog = true;
  if (req.lockKey) body.publicKey = req.lockKey;
  return relayRequest<Registration>(base, token, 'POST', '/v1/devices', body);
}
