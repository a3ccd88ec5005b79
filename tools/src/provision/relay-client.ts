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

export async function relayRequest<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000)
    });
  } catch (e) {
    throw new CliError('KW_RELAY_UNREACHABLE', base + ': ' + String((e as Error).message ?? e));
  }
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
export async function checkInstallerToken(base: string, token: string): Promise<void> {
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

export function registerDevice(base: string, token: string, req: RegisterRequest): Promise<Registration> {
  const body: Record<string, unknown> = { deviceId: req.deviceId, siteId: req.siteId, board: req.board, firmware: req.firmware };
  if (req.name) body.name = req.name;
  if (req.profile) body.profile = req.profile;
  if (req.resetLog) body.resetLog = true;
  if (req.lockKey) body.publicKey = req.lockKey;
  return relayRequest<Registration>(base, token, 'POST', '/v1/devices', body);
}
