import { heavyRuns } from '../../support/time-scale';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACT_GRANT_PUT, ACT_UNLOCK, CRED_BARCODE, CRED_HASH_CHAIN, CRED_NONE, GRANT_GUEST, GRANT_PARCEL, PROTOCOL_VERSION,
  decodeCommand, decodeEvent, decodePayload, decodeReveal, decodeStatus, encodeEvent, encodePayload, encodeReveal, encodeStatus,
  fromHex, grantCodec, messageKind, KIND_COMMAND, KIND_EVENT, KIND_REVEAL, KIND_STATUS, KIND_UNKNOWN, offlineCodec, toHex,
  type Grant, type LockEvent, lazyStruct, ranged, reader, struct, u32, u8, writer, written
} from '@keyway/shared';
import { buildVectors } from '../../../scripts/protocol-vectors';

const vectors = Object.fromEntries(buildVectors().map((v) => [v.name, v]));
const device = fromHex('0123456789abcdef');

function grant(over: Partial<Grant> = {}): Grant {
  return {
    grantId: 9, kind: GRANT_GUEST, flags: 0, notBefore: 100, notAfter: 200, maxUses: 0, relockAfter: 0, tzOffset: 0,
    schedule: [], credential: { type: CRED_NONE, commitment: new Uint8Array(0), length: 0 }, actorRef: 1, ...over
  };
}

function coded(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? 'UNCODED';
  }
  return 'NONE';
}

describe('decoders never crash on junk (property)', () => {
  const decoders: Array<[string, (b: Uint8Array) => unknown]> = [
    ['command', decodeCommand], ['event', decodeEvent], ['status', decodeStatus], ['reveal', decodeReveal],
    ['offline', (b) => offlineCodec.decode(b)], ['grant', (b) => decodePayload(ACT_GRANT_PUT, b)],
    ['unlock', (b) => decodePayload(ACT_UNLOCK, b)]
  ];
  for (const [name, decode] of decoders) {
    it(name + ': random bytes give a value or a coded error', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const code = coded(() => decode(b));
        expect(code).not.toBe('UNCODED');
      }), { numRuns: heavyRuns(2000) });
    });
  }
  it('mutations of valid messages give a value or a coded error', () => {
    const seeds = ['command-unlock', 'command-grant-put', 'event-2', 'status', 'reveal'].map((n) => fromHex(vectors[n].hex as string));
    fc.assert(fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(400), (i, edits, cut) => {
      const b = Uint8Array.from(seeds[i]);
      for (const [pos, val] of edits) b[pos % b.length] = val;
      const m = b.subarray(0, Math.min(b.length, cut));
      for (const [, decode] of decoders) expect(coded(() => decode(m))).not.toBe('UNCODED');
    }), { numRuns: heavyRuns(3000) });
  });
});

describe('canonical encodings', () => {
  it('decoding then encoding gives back the exact vector bytes', () => {
    for (const n of ['event-1', 'event-2']) {
      const b = fromHex(vectors[n].hex as string);
      expect(toHex(encodeEvent(decodeEvent(b)))).toBe(vectors[n].hex);
    }
    const s = fromHex(vectors.status.hex as string);
    expect(toHex(encodeStatus(decodeStatus(s)))).toBe(vectors.status.hex);
    const r = fromHex(vectors.reveal.hex as string);
    expect(toHex(encodeReveal(decodeReveal(r)))).toBe(vectors.reveal.hex);
    const c = decodeCommand(fromHex(vectors['command-grant-put'].hex as string));
    expect(toHex(encodePayload(ACT_GRANT_PUT, decodePayload(ACT_GRANT_PUT, c.payload)))).toBe(toHex(c.payload));
  });
  it('rejects trailing bytes, truncation, wrong tag and wrong version', () => {
    const b = fromHex(vectors['event-1'].hex as string);
    const plus = new Uint8Array(b.length + 1);
    plus.set(b);
    expect(coded(() => decodeEvent(plus))).toBe('BAD_LENGTH');
    expect(coded(() => decodeEvent(b.subarray(0, b.length - 1)))).toBe('BAD_LENGTH');
    const tag = Uint8Array.from(b);
    tag[0] ^= 1;
    expect(coded(() => decodeEvent(tag))).toBe('BAD_TAG');
    const ver = Uint8Array.from(b);
    ver[8] = PROTOCOL_VERSION + 1;
    expect(coded(() => decodeEvent(ver))).toBe('BAD_VERSION');
    // A status is not an event even though both are well-formed messages.
    expect(coded(() => decodeEvent(fromHex(vectors.status.hex as string)))).toBe('BAD_TAG');
  });
  it('identifies message kinds by tag', () => {
    expect(messageKind(fromHex(vectors['command-unlock'].hex as string))).toBe(KIND_COMMAND);
    expect(messageKind(fromHex(vectors.reveal.hex as string))).toBe(KIND_REVEAL);
    expect(messageKind(fromHex(vectors['event-1'].hex as string))).toBe(KIND_EVENT);
    expect(messageKind(fromHex(vectors.status.hex as string))).toBe(KIND_STATUS);
    expect(messageKind(fromHex('00'))).toBe(KIND_UNKNOWN);
  });
});

describe('grant rules', () => {
  const enc = (g: Grant) => encodePayload(ACT_GRANT_PUT, g);
  it('round-trips a full grant', () => {
    const g = grant({ schedule: [{ days: 3, start: 60, end: 120 }, { days: 64, start: 1380, end: 60 }], credential: { type: CRED_HASH_CHAIN, commitment: new Uint8Array(32).fill(7), length: 5 }, maxUses: 5, tzOffset: -300 });
    const back = decodePayload(ACT_GRANT_PUT, enc(g)) as Grant;
    expect(back.schedule).toEqual(g.schedule);
    expect(back.tzOffset).toBe(-300);
    expect(back.credential.length).toBe(5);
    expect(toHex(back.credential.commitment)).toBe(toHex(g.credential.commitment));
  });
  it('refuses invalid grants on encode and on decode', () => {
    const bad: Array<[string, Partial<Grant>]> = [
      ['empty window', { notAfter: 100 }],
      ['grant id 0', { grantId: 0 }],
      ['unknown kind', { kind: 9 }],
      ['unknown flags', { flags: 4 }],
      ['offset beyond 14h', { tzOffset: 900 }],
      ['too many schedule entries', { schedule: Array.from({ length: 8 }, () => ({ days: 1, start: 0, end: 60 })) }],
      ['no weekday', { schedule: [{ days: 0, start: 0, end: 60 }] }],
      ['empty entry', { schedule: [{ days: 1, start: 60, end: 60 }] }],
      ['minute 1440 start', { schedule: [{ days: 1, start: 1440, end: 60 }] }],
      ['parcel without barcode', { kind: GRANT_PARCEL }],
      ['chain shorter than uses', { maxUses: 4, credential: { type: CRED_HASH_CHAIN, commitment: new Uint8Array(32), length: 3 } }],
      ['unknown credential', { credential: { type: 7, commitment: new Uint8Array(32), length: 0 } }]
    ];
    for (const [why, over] of bad) {
      expect(coded(() => enc(grant(over))), why).not.toBe('NONE');
    }
    // Decoder side: flip valid bytes into invalid values.
    const good = enc(grant({ kind: GRANT_PARCEL, credential: { type: CRED_BARCODE, commitment: new Uint8Array(32), length: 0 } }));
    const kind = Uint8Array.from(good);
    kind[4] = 5;
    expect(coded(() => decodePayload(ACT_GRANT_PUT, kind))).toBe('BAD_FORMAT');
    const cred = Uint8Array.from(good);
    cred[good.length - 4 - 32 - 1] = CRED_NONE;
    expect(coded(() => decodePayload(ACT_GRANT_PUT, cred))).not.toBe('NONE');
  });
  it('grant codec reports variable size', () => {
    expect(grantCodec.size).toBe(-1);
  });
});

describe('events', () => {
  it('bounds event data at 64 bytes', () => {
    const e: LockEvent = { deviceId: device, seq: 1, time: 0, type: 2, code: 0, ref: 0, actorKind: 0, actorRef: 0, prevHash: new Uint8Array(32), data: new Uint8Array(65) };
    expect(coded(() => encodeEvent(e))).toBe('BAD_VALUE');
    expect(coded(() => encodeEvent({ ...e, data: new Uint8Array(64) }))).toBe('NONE');
    expect(coded(() => encodeEvent({ ...e, seq: 0, data: new Uint8Array(0) }))).toBe('BAD_FORMAT');
  });
});

describe('lazily built structs (lazyStruct)', () => {
  it('build the struct at each use and keep nothing, with the same layout, size and refusals as the struct', () => {
    let builds = 0;
    const build = () => {
      builds++;
      return struct([['id', ranged(u32, 1, 0xffffffff)], ['on', ranged(u8, 0, 1)]] as const);
    };
    const lazy = lazyStruct(build);
    expect(builds).toBe(0);
    expect(lazy.size).toBe(build().size);
    expect(lazy.fields.map((f) => f[0])).toEqual(['id', 'on']);
    const w = writer(lazy.size);
    lazy.write(w, { id: 7, on: 1 });
    const bytes = written(w);
    expect(toHex(bytes)).toBe('0000000701');
    builds = 0;
    expect(lazy.read(reader(bytes))).toEqual({ id: 7, on: 1 });
    expect(lazy.read(reader(bytes))).toEqual({ id: 7, on: 1 });
    expect(builds).toBe(2);
    expect(() => lazy.read(reader(fromHex('0000000002')))).toThrow(expect.objectContaining({ code: 'BAD_FORMAT' }));
    expect(() => lazy.read(reader(fromHex('00000001')))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(() => lazy.write(writer(lazy.size), { id: 0, on: 1 })).toThrow(expect.objectContaining({ code: 'BAD_FORMAT' }));
  });
});
