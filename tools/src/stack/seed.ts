/**
 * The demo world `keyway up` creates on its first start (and `keyway demo` every time): an
 * owner with a login, a site, a delivery backend, a courier, an installer, simulated locks
 * provisioned through the relay, and an in-home delivery booked for the front door. Saved (0600) so later starts reuse it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BoardProfile } from '@keyway/firmware';
import { relayRequest } from '../provision/relay-client';
import { provisionSimulatedLock } from './sim-provision';

export interface DemoLock {
  deviceId: string;
  label: string;
  board: BoardProfile;
  flashFile: string;
}

export interface DemoWorld {
  owner: { email: string; password: string; id: number };
  siteId: number;
  backend: { id: number; token: string };
  courier: { id: number; token: string; name: string };
  installerToken: string;
  locks: DemoLock[];
}

export interface SeedOptions {
  base: string;
  adminToken: string;
  dataDir: string;
  doors: number;
  parcelBox: boolean;
  boards: { door: BoardProfile; box: BoardProfile };
  timezone?: string;
  /** The MQTT addresses lock `index` (0-based, doors first) dials in order; default the relay's advertised one. */
  lockMqttUrls?: (index: number) => string[];
}

/** The delivery booked on the first start: open from a few minutes ago until the end of a working day. */
export const DEMO_TRACKING = '1ZKEYWAY0000000001';
const DEMO_WINDOW_BEFORE_MS = 5 * 60_000;
const DEMO_WINDOW_MS = 10 * 3600_000;

export function worldFile(dataDir: string): string {
  return path.join(dataDir, 'demo-world.json');
}

export function loadWorld(dataDir: string): DemoWorld | null {
  const f = worldFile(dataDir);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as DemoWorld) : null;
}

export async function seedWorld(o: SeedOptions): Promise<DemoWorld> {
  const admin = <T>(m: string, p: string, b?: unknown) => relayRequest<T>(o.base, o.adminToken, m, p, b);
  const email = 'owner@keyway.local';
  const password = randomBytes(9).toString('base64url');
  const owner = await admin<{ id: number }>('POST', '/v1/owners', { email, name: 'Dana Owner', password });
  const login = await relayRequest<{ token: string }>(o.base, '', 'POST', '/v1/auth/login', { email, password });
  const asOwner = <T>(m: string, p: string, b?: unknown) => relayRequest<T>(o.base, login.token, m, p, b);
  const site = await asOwner<{ id: number }>('POST', '/v1/sites', {
    name: 'Dana\'s home', timezone: o.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC', address: '1 Demo Street', allowInHomeDelivery: true
  });
  const backend = await admin<{ id: number; token: string }>('POST', '/v1/backends', {
    name: 'Parcels Inc', scopes: ['deliveries:write', 'deliveries:read', 'entry:request', 'parcels:write', 'webhooks:write', 'couriers:write']
  });
  await asOwner('PUT', '/v1/sites/' + site.id + '/partners/' + backend.id);
  const courier = await relayRequest<{ id: number; token: string }>(o.base, backend.token, 'POST', '/v1/couriers', { name: 'Casey Courier' });
  const installer = await admin<{ token: string }>('POST', '/v1/installers', { label: 'demo installer' });
  const locksDir = path.join(o.dataDir, 'locks');
  mkdirSync(locksDir, { recursive: true, mode: 0o700 });
  chmodSync(locksDir, 0o700);
  const locks: DemoLock[] = [];
  const add = async (label: string, board: BoardProfile, profile: 'door' | 'box') => {
    const flashFile = path.join(locksDir, 'lock-' + (locks.length + 1) + '.json');
    const deviceId = await provisionSimulatedLock({ relay: o.base, installerToken: installer.token, siteId: site.id, board, flashFile, name: label, profile,
      mqttUrls: o.lockMqttUrls?.(locks.length)
    });
    locks.push({ deviceId, label, board, flashFile });
  };
  for (let i = 0; i < o.doors; i++) await add(i === 0 ? 'Front door' : 'Door ' + (i + 1), o.boards.door, 'door');
  if (o.parcelBox) await add('Parcel box', o.boards.box, 'box');
  if (o.doors > 0) {
    // A delivery for today, so the courier page has something to open and the owner something to watch.
    const now = Date.now();
    await relayRequest(o.base, backend.token, 'POST', '/v1/deliveries', {
      siteId: site.id, trackingNumber: DEMO_TRACKING, courierId: courier.id, inHome: true, deviceId: locks[0].deviceId,
      window: { start: new Date(now - DEMO_WINDOW_BEFORE_MS).toISOString(), end: new Date(now + DEMO_WINDOW_MS).toISOString() }
    });
  }
  const world: DemoWorld = {
    owner: { email, password, id: owner.id }, siteId: site.id, backend: { id: backend.id, token: backend.token },
    courier: { id: courier.id, token: courier.token, name: 'Casey Courier' }, installerToken: installer.token, locks
  };
  writeFileSync(worldFile(o.dataDir), JSON.stringify(world, null, 2) + '\n', { mode: 0o600 });
  chmodSync(worldFile(o.dataDir), 0o600);
  return world;
}
