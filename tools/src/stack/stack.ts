/**
 * The whole system on one machine with embedded defaults (docs/product.md#real-parts-not-mocks): the relay (in-process
 * Aedes, SQLite file, node:crypto signing) and a fleet of simulated locks running the real
 * firmware over real MQTT. Used by `keyway up`, `keyway demo`, end-to-end tests and benchmarks.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { buildRelay, smtpFromEnv, storeFromEnv, type Relay } from '@keyway/relay';
import { board, startFleetLock, type FleetLock } from '@keyway/hardware';
import { startCameras, stopCameras, type RunningCamera } from './cameras';
import { loadWorld, seedWorld, type DemoWorld } from './seed';

export interface StackOptions {
  dataDir: string;
  host?: string;
  ports?: { http?: number; mqtt?: number; mqtts?: number };
  doors?: number;
  parcelBox?: boolean;
  log?: false | { level?: string; destination?: Writable };
  /** Lock behaviour overrides (tests use shorter relock times). */
  lockOptions?: Record<string, unknown>;
  /** Let webhooks reach loopback/private receivers (the demo's own receiver). */
  allowPrivateWebhooks?: boolean;
  /** A camera process per door (default true): entries then carry photos. */
  cameras?: boolean;
}

export interface Stack {
  relay: Relay;
  base: string;
  world: DemoWorld;
  locks: Map<string, FleetLock>;
  cameras: RunningCamera[];
  adminToken: string;
  close(): Promise<void>;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const relay = await buildRelay({
    dataDir: o.dataDir, host: o.host ?? '127.0.0.1',
    ports: { http: o.ports?.http ?? 8080, mqtt: o.ports?.mqtt ?? 1883, mqtts: o.ports?.mqtts ?? 8883 },
    logger: o.log === undefined ? { level: 'warn' } : o.log,
    webhooks: { allowPrivateTargets: o.allowPrivateWebhooks ?? false },
    // E-mail notifications when KEYWAY_SMTP_HOST/_PORT/_FROM are set (docs/relay.md "Configuration").
    notifications: { smtp: smtpFromEnv(process.env), publicUrl: process.env.KEYWAY_PUBLIC_URL ?? null },
    // PostgreSQL instead of the SQLite file when KEYWAY_DATABASE_URL is set (docs/relay.md "Running on PostgreSQL").
    ...storeFromEnv(process.env)
  });
  try {
    await relay.listen();
  } catch (e) {
    // A busy port: release what was built (database, broker, timers) so the process can exit.
    await relay.close();
    throw e;
  }
  const base = relay.urls().http;
  const adminToken = relay.adminToken ?? readFileSync(path.join(o.dataDir, 'admin-token'), 'utf8').trim();
  let world = loadWorld(o.dataDir);
  if (!world) {
    world = await seedWorld({
      base, adminToken, dataDir: o.dataDir, doors: o.doors ?? 2, parcelBox: o.parcelBox ?? true,
      // Doors: ESP32 with a QR/code reader (guests' offline credentials); the box: Espruino WiFi with its barcode reader.
      boards: { door: board('esp32'), box: board('espruino-wifi-parcelbox') }
    });
  }
  const withCameras = o.cameras ?? true;
  const locks = new Map<string, FleetLock>();
  for (const l of world.locks) {
    locks.set(l.deviceId, startFleetLock({ deviceId: l.deviceId, board: l.board, flashFile: l.flashFile, label: l.label }, { options: o.lockOptions, cameraWired: withCameras }));
  }
  let cameras: RunningCamera[] = [];
  try {
    if (withCameras) cameras = await startCameras({ base, installerToken: world.installerToken, dataDir: o.dataDir, locks: [...locks.values()] });
  } catch (e) {
    for (const l of locks.values()) l.powerOff();
    await relay.close();
    throw e;
  }
  return {
    relay, base, world, locks, cameras, adminToken,
    async close() {
      await stopCameras(cameras);
      for (const l of locks.values()) l.powerOff();
      await relay.close();
    }
  };
}
