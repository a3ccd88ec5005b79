/**
 * Which hosts a webhook may target. A backend chooses the URL and the relay POSTs to it, so
 * without a check a backend could make the relay reach loopback services, the cloud metadata
 * endpoint (169.254.169.254) or the operator's private network (request forgery). Targets on
 * loopback, link-local, private, shared, multicast, reserved or unspecified addresses are
 * refused, both as literals and as what a host name resolves to, at registration and again
 * at every delivery (the address connected to is the one checked, so DNS rebinding does not
 * help). An operator who runs receivers on a private network sets
 * options.webhooks.allowPrivateTargets (docs/relay.md "Webhooks").
 */
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import net from 'node:net';
import { relayError } from '../errors';

const NON_PUBLIC_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4]
];
const NON_PUBLIC_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b:1::', 48], ['100::', 64]
];

const blocked = new net.BlockList();
for (const [a, p] of NON_PUBLIC_V4) blocked.addSubnet(a, p, 'ipv4');
for (const [a, p] of NON_PUBLIC_V6) blocked.addSubnet(a, p, 'ipv6');

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** True for an address a webhook may reach without the operator's permission. */
export function isPublicAddress(address: string): boolean {
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  const family = net.isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family === 6) return !blocked.check(address, 'ipv6');
  return false;
}

/** The error a refused target raises: a webhook's or a push channel's. */
export type TargetErrorCode = 'KW_WEBHOOK_TARGET' | 'KW_PUSH_TARGET';

function refuse(code: TargetErrorCode, reason: string, address?: string): never {
  throw relayError(code, address === undefined ? { reason } : { reason, address });
}

/** The URL's host without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Throws `code` unless every address the URL's host stands for is public. */
export async function checkWebhookTarget(url: URL, allowPrivate: boolean, code: TargetErrorCode = 'KW_WEBHOOK_TARGET'): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(url);
  if (net.isIP(host)) {
    if (!isPublicAddress(host)) refuse(code, 'non-public address', host);
    return;
  }
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    refuse(code, 'host name does not resolve');
  }
  for (const a of addresses) if (!isPublicAddress(a.address)) refuse(code, 'host name resolves to a non-public address', a.address);
}

/**
 * A `lookup` for http.request that fails the connection when the resolved address is not
 * public, so the address checked is the address connected to.
 */
export function publicOnlyLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { all: true, verbatim: true, family: options.family as number | undefined }).then((list) => {
      const bad = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (bad) {
        callback(new Error('webhook target resolves to a non-public address'), '', 0);
        return;
      }
      if (options.all) (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, list);
      else callback(null, list[0].address, list[0].family);
    }, (err: NodeJS.ErrnoException) => callback(err, '', 0));
  };
}

/** Literal-address check at delivery time (a literal host skips lookup). */
export function literalTargetAllowed(url: URL, allowPrivate: boolean): boolean {
  const host = hostOf(url);
  return allowPrivate || !net.isIP(host) || isPublicAddress(host);
}
