/**
 * `keyway provision`: gives a flashed lock its identity, the relay keys it must
 * trust, Wi-Fi, its list of relay addresses and MQTT credentials; registers it with the relay for a
 * site; verifies by read-back. The device id comes from the operating system's CSPRNG, never
 * from a serial number or MAC. Re-running reuses the lock's device id; a provisioned lock
 * accepts a new configuration only in install mode, and the relay is only contacted after
 * that check, so a refused run changes nothing anywhere. The relay URL and the installer
 * token are checked before the serial port is even opened.
 */
import { randomBytes } from 'node:crypto';
import {
  PV_ACK, PV_BEGIN, PV_CHUNK, PV_COMMIT, PV_CONFIG, PV_HELLO, PV_INFO, PV_READ, PV_RESTART, PROV_CHUNK, RC_BAD_KEY, RC_BAD_LENGTH, RC_NOT_PERMITTED,
  RC_OK, bytesEqual, crc32, decodePointValid, decodeStruct, encodeStruct, fromHex, hash32, isAcceptablePublicKey, isAllZero,
  keyIdOf, provAck, provBegin, provChunk, provConfig, provInfo, reasonName, toHex, utf8Decode
} from '@keyway/shared';
import { CONFIG_VERSION, encodeConfig, type LockConfig } from '@keyway/firmware';
import { CliError } from '../cli-error';
import { evaluate, getPrompt } from '../serial/repl';
import { openLink } from '../serial/serial-link';
import { provClient, type ProvClient } from './prov-client';
import { brokerList, type BrokerList } from './broker-list';
import { checkInstallerToken, registerDevice, type Registration, type RelayBases } from './relay-client';

export interface ProvisionOptions {
  port: string;
  /** The relay's HTTP base URL, or a relay set's list (tried in order, relay-client.ts). */
  relay: RelayBases;
  token: string;
  site: number;
  name?: string;
  profile?: 'door' | 'box';
  wifiSsid?: string;
  wifiPassword?: string;
  /**
   * The MQTT addresses the lock dials in order (a relay set's, or when the relay's advertised one
   * is not reachable from the lock); default: the relay's advertised endpoint.
   */
  mqttUrls?: string[];
  /** Use the relay's TLS listener (mqtts). */
  tls?: boolean;
  log?: (line: string) => void;
  timeoutMs?: number;
}

export interface ProvisionResult {
  deviceId: string;
  keyIds: number[];
  /** The lock's MQTT addresses, comma-separated. */
  mqtt: string;
  reprovisioned: boolean;
  configHash: string;
  /** The lock's receipt key reported on its console (hex), null if it had not made it yet. */
  lockKey: string | null;
  garbledReplies: number;
  retries: number;
}

const enc = (s: string) => new TextEncoder().encode(s);
/** How long the lock may take to answer one provisioning request (`--timeout` overrides). */
const PROV_REPLY_MS = 3000;
/** The prompt and the firmware probe are the first things the lock's interpreter answers: they get longer. */
const PROBE_REPLIES = 2;

function ackCode(reply: Uint8Array): number {
  if (reply[0] !== PV_ACK) throw new CliError('KW_PROV_REFUSED', 'expected an acknowledgement');
  return decodeStruct(provAck, reply.subarray(1)).code;
}

function refusal(code: number, step: string): CliError {
  if (code === RC_NOT_PERMITTED) return new CliError('KW_PROV_NOT_INSTALL_MODE', step);
  if (code === RC_BAD_KEY) return new CliError('KW_BAD_KEY', 'the lock refused a trusted key');
  return new CliError('KW_PROV_REFUSED', step + ': ' + reasonName(code));
}

/** Refuses keys the lock would refuse: non-canonical, off-curve, small-order, or a wrong key id. */
export function checkRelayKeys(keys: Registration['trustedKeys']): Array<{ id: number; key: Uint8Array }> {
  if (!keys || keys.length === 0 || keys.length > 4) throw new CliError('KW_BAD_KEY', 'the relay sent ' + (keys?.length ?? 0) + ' keys');
  return keys.map((k) => {
    const key = fromHex(k.publicKey);
    if (key.length !== 32 || !isAcceptablePublicKey(key) || !decodePointValid(key)) throw new CliError('KW_BAD_KEY', k.publicKey);
    if (keyIdOf(key) !== k.keyId) throw new CliError('KW_BAD_KEY', 'key id ' + k.keyId + ' does not match key ' + k.publicKey);
    return { id: k.keyId, key };
  });
}

function mqttEndpoints(reg: Registration, o: ProvisionOptions): BrokerList {
  if (o.mqttUrls && o.mqttUrls.length > 0) return brokerList(o.mqttUrls);
  const url = o.tls ? reg.mqtt.urls.tls : reg.mqtt.urls.tcp;
  if (!url) throw new CliError('KW_RELAY', 'the relay advertises no ' + (o.tls ? 'TLS ' : '') + 'MQTT endpoint');
  return brokerList([url]);
}

async function sendConfig(p: ProvClient, bytes: Uint8Array): Promise<void> {
  let code = ackCode(await p.request(PV_BEGIN, encodeStruct(provBegin, { length: bytes.length, crc: crc32(bytes) }), PV_ACK));
  if (code !== RC_OK) throw refusal(code, 'begin');
  for (let off = 0; off < bytes.length; off += PROV_CHUNK) {
    const data = bytes.subarray(off, Math.min(bytes.length, off + PROV_CHUNK));
    code = ackCode(await p.request(PV_CHUNK, encodeStruct(provChunk, { offset: off, data }), PV_ACK));
    if (code !== RC_OK) throw refusal(code, 'chunk at ' + off);
  }
  code = ackCode(await p.request(PV_COMMIT, new Uint8Array(0), PV_ACK));
  // A lost COMMIT reply makes the retried COMMIT find nothing staged: the read-back decides.
  if (code !== RC_OK && !(p.retries > 0 && code === RC_BAD_LENGTH)) throw refusal(code, 'commit');
}

export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  const log = o.log ?? (() => undefined);
  // A mistyped address list fails before the relay or the board is touched.
  if (o.mqttUrls && o.mqttUrls.length > 0) brokerList(o.mqttUrls);
  await checkInstallerToken(o.relay, o.token);
  const link = await openLink(o.port);
  try {
    const replyMs = o.timeoutMs ?? PROV_REPLY_MS;
    await getPrompt(link, replyMs * PROBE_REPLIES);
    // A board that answers, but not with the console, has no keyway firmware; one that does not
    // answer in time (a busy interpreter) is a timeout (KW_TIMEOUT), not a missing firmware.
    const hasConsole = await evaluate<string>(link, 'typeof kwProv', replyMs * PROBE_REPLIES);
    if (hasConsole !== 'function') throw new CliError('KW_PROV_NO_FIRMWARE', o.port);
    const p = provClient(link, replyMs);
    const infoReply = await p.request(PV_HELLO, new Uint8Array(0), PV_INFO);
    const info = decodeStruct(provInfo, infoReply.subarray(1));
    const board = utf8Decode(info.board);
    const firmware = utf8Decode(info.firmware);
    const reprovision = info.provisioned === 1;
    if (reprovision && info.installMode !== 1) throw new CliError('KW_PROV_NOT_INSTALL_MODE', o.port);
    const deviceId = reprovision && !isAllZero(info.deviceId) ? info.deviceId : new Uint8Array(randomBytes(8));
    log('lock ' + toHex(deviceId) + ' (' + board + ', firmware ' + firmware + (reprovision ? ', re-provisioning' : '') + ')');
    // The lock's own receipt key, pinned at the relay by the installer who is at the lock.
    const lockKey = isAllZero(info.lockKey) ? undefined : toHex(info.lockKey);
    log(lockKey ? 'lock key ' + lockKey : 'the lock has not made its key yet: the relay pins it from its first receipt');
    const reg = await registerDevice(o.relay, o.token, {
      deviceId: toHex(deviceId), siteId: o.site, board, firmware, name: o.name, profile: o.profile, resetLog: !reprovision, lockKey
    });
    const keys = checkRelayKeys(reg.trustedKeys);
    const mqtt = mqttEndpoints(reg, o);
    const config: LockConfig = {
      version: CONFIG_VERSION, deviceId, keys, brokers: mqtt.brokers, mqttTls: mqtt.tls ? 1 : 0,
      mqttUser: enc(reg.mqtt.username), mqttPass: enc(reg.mqtt.password), wifiSsid: enc(o.wifiSsid ?? ''),
      wifiPass: enc(o.wifiPassword ?? ''), site: enc(String(o.site))
    };
    const bytes = encodeConfig(config);
    await sendConfig(p, bytes);
    const read = await p.request(PV_READ, new Uint8Array(0), PV_CONFIG);
    if (read[0] !== PV_CONFIG) throw refusal(ackCode(read), 'read-back');
    const summary = decodeStruct(provConfig, read.subarray(1));
    const want = hash32(bytes);
    if (!bytesEqual(summary.configHash, want) || !bytesEqual(summary.deviceId, deviceId)) {
      throw new CliError('KW_PROV_VERIFY', 'lock holds ' + toHex(summary.configHash) + ', sent ' + toHex(want), true);
    }
    log('configuration verified (' + bytes.length + ' bytes, ' + keys.length + ' trusted key(s), mqtt ' + mqtt.urls.join(', ') + ')');
    ackCode(await p.request(PV_RESTART, new Uint8Array(0), PV_ACK));
    return {
      deviceId: toHex(deviceId), keyIds: keys.map((k) => k.id), mqtt: mqtt.urls.join(','), reprovisioned: reprovision,
      configHash: toHex(want), lockKey: lockKey ?? null, garbledReplies: p.garbled, retries: p.retries
    };
  } finally {
    await link.close();
  }
}
