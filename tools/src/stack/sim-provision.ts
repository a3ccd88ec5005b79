/**
 * Factory-provisions a simulated lock: registers it with the relay and writes the resulting
 * configuration straight into its flash file, exactly what `keyway provision` sends over the
 * serial console to a real lock (same config codec, same key checks).
 */
import { randomBytes } from 'node:crypto';
import { toHex } from '@keyway/shared';
import { CONFIG_VERSION, storagePort, writeInitialConfig, type BoardProfile, type LockConfig } from '@keyway/firmware';
import { openFlashFile } from '@keyway/hardware';
import { brokerList } from '../provision/broker-list';
import { checkRelayKeys } from '../provision/provision';
import { registerDevice, type RelayBases } from '../provision/relay-client';

export interface SimProvisionOptions {
  relay: RelayBases;
  installerToken: string;
  siteId: number;
  board: BoardProfile;
  flashFile: string;
  name?: string;
  profile?: 'door' | 'box';
  /** MQTT URLs the lock dials in order (default: the relay's advertised TCP one). */
  mqttUrls?: string[];
}

export async function provisionSimulatedLock(o: SimProvisionOptions): Promise<string> {
  const deviceId = new Uint8Array(randomBytes(8));
  const reg = await registerDevice(o.relay, o.installerToken, {
    deviceId: toHex(deviceId), siteId: o.siteId, board: o.board.id, firmware: '0.1.0', name: o.name, profile: o.profile, resetLog: true
  });
  const keys = checkRelayKeys(reg.trustedKeys);
  const mqtt = brokerList(o.mqttUrls && o.mqttUrls.length > 0 ? o.mqttUrls : [reg.mqtt.urls.tcp]);
  const enc = (s: string) => new TextEncoder().encode(s);
  const config: LockConfig = {
    version: CONFIG_VERSION, deviceId, keys, brokers: mqtt.brokers, mqttTls: mqtt.tls ? 1 : 0,
    mqttUser: enc(reg.mqtt.username), mqttPass: enc(reg.mqtt.password), wifiSsid: new Uint8Array(0), wifiPass: new Uint8Array(0),
    site: enc(String(o.siteId))
  };
  if (!writeInitialConfig(storagePort(openFlashFile(o.flashFile)), config)) throw new Error('could not write the lock configuration');
  return toHex(deviceId);
}
