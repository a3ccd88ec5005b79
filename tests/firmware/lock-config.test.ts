/**
 * The lock's configuration record with its relay address list (docs/firmware.md#configuration-record):
 * a version 2 record round-trips its ordered list; a version 1 record (one host and port) still
 * loads, at boot and from an older provisioning tool; bad lists are refused on the console with a
 * clear code and change nothing; a booted lock dials its first address.
 */
import { describe, expect, it } from 'vitest';
import {
  PV_ACK, PV_BEGIN, PV_CHUNK, PV_COMMIT, PV_CONFIG, PV_READ, PROV_CHUNK, RC_BAD_FORMAT, RC_OK, base64Decode, base64Encode, crc32,
  decodeProvFrame, decodeStruct, encodeProvFrame, encodeStruct, hash32, listOf, provAck, provBegin, provChunk, provConfig, writer, written
} from '@keyway/shared';
import {
  CONFIG_RECORD, CONFIG_VERSION, CONFIG_VERSION_SINGLE_HOST, MAX_BROKERS, brokerAddress, brokersOf, createProvisioningSession, decodeConfig,
  encodeConfig, encodeSingleHostConfig, loadRecord, provisionFrame, saveRecord, storagePort, type Lock, type LockConfig
} from '@keyway/firmware';
import { createSimStorage, createSimulatedLock, snapshotFiles } from '@keyway/hardware/sim';
import { signerFromSeed } from '@keyway/shared/node';
import { seededRandom } from '../support/engine-env';
import { BOARD, lockConfig } from '../support/lock-harness';

const enc = (s: string) => new TextEncoder().encode(s);
const signer = signerFromSeed(new Uint8Array(32).fill(7));

function listConfig(hosts: Array<[string, number]>): LockConfig {
  return { ...lockConfig([signer]), brokers: hosts.map(([h, p]) => ({ host: enc(h), port: p })) };
}

function singleHost(c: LockConfig) {
  return {
    version: CONFIG_VERSION_SINGLE_HOST, deviceId: c.deviceId, keys: c.keys, mqttHost: c.brokers[0].host, mqttPort: c.brokers[0].port,
    mqttTls: c.mqttTls, mqttUser: c.mqttUser, mqttPass: c.mqttPass, wifiSsid: c.wifiSsid, wifiPass: c.wifiPass, site: c.site
  };
}

/** A flash image holding `data` as the configuration record, as a lock of that firmware wrote it. */
function flashWith(data: Uint8Array): Record<string, string> {
  const s = createSimStorage();
  const port = storagePort(s);
  if (!saveRecord(port, loadRecord(port, CONFIG_RECORD).slot, data)) throw new Error('could not write');
  return snapshotFiles(s);
}

/** Boots a lock on `files`, recording every address it dials (no socket ever answers). */
function boot(files: Record<string, string>) {
  const dialled: string[] = [];
  const connect = (o: { host: string; port: number }) => {
    dialled.push(o.host + ':' + o.port);
    const handlers: Record<string, () => void> = {};
    return { on: (ev: string, fn: () => void) => (handlers[ev] = fn), write: () => undefined, end: () => handlers.close?.() };
  };
  const sim = createSimulatedLock({ board: BOARD, files, random: seededRandom(), connect: connect as never });
  sim.loop.advance(2000);
  return { sim, dialled };
}

function ack(line: string): number {
  const f = decodeProvFrame(base64Decode(line.slice('KWP:'.length)));
  expect(f.type).toBe(PV_ACK);
  return decodeStruct(provAck, f.payload).code;
}

/** BEGIN, CHUNKs and COMMIT on the console; the COMMIT's answer code. */
function provision(lock: Lock, bytes: Uint8Array): number {
  const s = createProvisioningSession();
  let seq = 1;
  const frame = (type: number, payload: Uint8Array) => provisionFrame(lock, s, base64Encode(encodeProvFrame({ type, seq: seq++, payload })));
  expect(ack(frame(PV_BEGIN, encodeStruct(provBegin, { length: bytes.length, crc: crc32(bytes) })))).toBe(RC_OK);
  for (let off = 0; off < bytes.length; off += PROV_CHUNK) {
    expect(ack(frame(PV_CHUNK, encodeStruct(provChunk, { offset: off, data: bytes.subarray(off, off + PROV_CHUNK) })))).toBe(RC_OK);
  }
  return ack(frame(PV_COMMIT, new Uint8Array(0)));
}

/** A version 2 record whose list is whatever `brokers` says (up to 8, beyond what the lock takes). */
function rawListConfig(brokers: Array<{ host: Uint8Array; port: number }>): Uint8Array {
  const c = listConfig([['x', 1]]);
  // Everything up to the list is the real encoder's; the list and the rest are written by hand.
  const good = encodeConfig(c);
  const prefix = 1 + 8 + 1 + c.keys.length * (4 + 32);
  const w = writer(256);
  for (let i = 0; i < prefix; i++) w.buf[w.pos++] = good[i];
  const wide = listOf(brokerAddress, 8);
  wide.write(w, brokers);
  const rest = good.subarray(prefix + 1 + c.brokers.length * (1 + 1 + 2));
  const out = new Uint8Array(w.pos + rest.length);
  out.set(written(w));
  out.set(rest, w.pos);
  return out;
}

describe('lock configuration: the relay address list', () => {
  it('a version 2 record keeps the ordered list; the client dials it as host:port', () => {
    const c = listConfig([['10.0.0.1', 1883], ['relay-b.example', 1884], ['fd00::3', 8883]]);
    const bytes = encodeConfig(c);
    expect(bytes[0]).toBe(CONFIG_VERSION);
    const back = decodeConfig(bytes);
    expect(back).toEqual(c);
    expect(brokersOf(back)).toEqual([{ host: '10.0.0.1', port: 1883 }, { host: 'relay-b.example', port: 1884 }, { host: 'fd00::3', port: 8883 }]);
  });

  it('a version 1 record (one host and port) loads as a list of one', () => {
    const c = listConfig([['192.168.1.9', 1883]]);
    const old = encodeSingleHostConfig(singleHost(c));
    expect(old[0]).toBe(CONFIG_VERSION_SINGLE_HOST);
    expect(decodeConfig(old)).toEqual(c);
  });

  it('a lock whose flash holds a version 1 record boots provisioned and dials that address', () => {
    const c = listConfig([['192.168.1.9', 1999]]);
    const { sim, dialled } = boot(flashWith(encodeSingleHostConfig(singleHost(c))));
    expect(sim.lock.config).toEqual(c);
    expect(dialled[0]).toBe('192.168.1.9:1999');
  });

  it('a lock with a list dials its addresses in order as attempts fail', () => {
    const { dialled, sim } = boot(flashWith(encodeConfig(listConfig([['10.0.0.1', 1883], ['10.0.0.2', 1883], ['10.0.0.3', 1883]]))));
    sim.loop.advance(60_000);
    expect(dialled.slice(0, 4)).toEqual(['10.0.0.1:1883', '10.0.0.2:1883', '10.0.0.3:1883', '10.0.0.1:1883']);
  });

  it('an unknown record version is not taken for a configuration', () => {
    const bytes = encodeConfig(listConfig([['10.0.0.1', 1883]]));
    bytes[0] = CONFIG_VERSION + 1;
    expect(() => decodeConfig(bytes)).toThrow(/version/);
    expect(boot(flashWith(bytes)).sim.lock.config).toBeNull();
  });

  it('provisioning takes a list, and a version 1 record from an older tool (stored as version 2)', () => {
    const fresh = boot({}).sim;
    const c = listConfig([['10.0.0.1', 1883], ['10.0.0.2', 1884]]);
    expect(provision(fresh.lock, encodeConfig(c))).toBe(RC_OK);
    expect(fresh.lock.config).toEqual(c);
    // READ names the first address; the hash covers the whole record, list included.
    const f = decodeProvFrame(base64Decode(provisionFrame(fresh.lock, createProvisioningSession(),
      base64Encode(encodeProvFrame({ type: PV_READ, seq: 9, payload: new Uint8Array(0) }))).slice('KWP:'.length)));
    expect(f.type).toBe(PV_CONFIG);
    const summary = decodeStruct(provConfig, f.payload);
    expect(new TextDecoder().decode(summary.mqttHost)).toBe('10.0.0.1');
    expect(summary.mqttPort).toBe(1883);
    expect(summary.configHash).toEqual(hash32(encodeConfig(c)));

    const other = boot({}).sim;
    const one = listConfig([['10.9.9.9', 1883]]);
    expect(provision(other.lock, encodeSingleHostConfig(singleHost(one)))).toBe(RC_OK);
    expect(other.lock.config).toEqual(one);
  });

  const bad: Array<[string, Array<{ host: Uint8Array; port: number }>]> = [
    ['an empty list', []],
    ['a port 0', [{ host: enc('10.0.0.1'), port: 1883 }, { host: enc('10.0.0.2'), port: 0 }]],
    ['an empty host', [{ host: enc(''), port: 1883 }]],
    ['more addresses than the lock holds', Array.from({ length: MAX_BROKERS + 1 }, (_, i) => ({ host: enc('10.0.0.' + i), port: 1883 }))]
  ];
  for (const [what, brokers] of bad) {
    it('provisioning refuses ' + what + ' (BAD_FORMAT) and changes nothing', () => {
      const { sim } = boot({});
      const before = snapshotFiles(sim.storage);
      expect(provision(sim.lock, rawListConfig(brokers))).toBe(RC_BAD_FORMAT);
      expect(sim.lock.config).toBeNull();
      expect(snapshotFiles(sim.storage)).toEqual(before);
    });
  }

  it('the hand-built records differ from a good one only in the list', () => {
    const c = listConfig([['x', 1]]);
    expect(rawListConfig(c.brokers)).toEqual(encodeConfig(c));
  });
});
