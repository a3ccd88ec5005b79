// Vector (computed independently with Python's hashlib, docs/protocol.md §6.1):
//   device 0123456789abcdef, capture 20, frames "frame one", "frame two", "frame three"
//   manifest 4b57592d434c50000123456789abcdef0000001403fb7ea6…e88fce8ad312 (117 bytes)
//   clip hash fa0c30dbc4220337417d5f237368ec1b19ce64ceff23a020624935239030362c
import { describe, expect, it } from 'vitest';
import {
  asciiBytes, captureLine, clipLine, encodeClipManifest, fromHex, MAX_CLIP_FRAMES, parseCaptureLine, parseClipLine, toHex
} from '@keyway/shared';
import { clipHash, clipManifest, frameHash } from '@keyway/shared/node';

const dev = fromHex('0123456789abcdef');
const frames = ['frame one', 'frame two', 'frame three'].map(asciiBytes);
const MANIFEST = '4b57592d434c50000123456789abcdef0000001403fb7ea6b53396d2b744742eb3808eda216c6baa80f8144f4601b5a04ce508a92c0151cccab889b76f154222d08193214e74768bef6508b8bb6e2a37e64373edee5407c6f2c4082febe4604e916022cff72549031d5f03f46980e3e88fce8ad312';
const HASH = 'fa0c30dbc4220337417d5f237368ec1b19ce64ceff23a020624935239030362c';

describe('clip manifest', () => {
  it('matches the published vector byte for byte', () => {
    expect(toHex(clipManifest(dev, 20, frames))).toBe(MANIFEST);
    expect(toHex(clipHash(dev, 20, frames))).toBe(HASH);
  });
  it('binds the hash to the device, the capture number, every frame and their order', () => {
    const other = toHex(clipHash(fromHex('fedcba9876543210'), 20, frames));
    expect(other).not.toBe(HASH);
    expect(toHex(clipHash(dev, 21, frames))).not.toBe(HASH);
    expect(toHex(clipHash(dev, 20, [frames[1], frames[0], frames[2]]))).not.toBe(HASH);
    expect(toHex(clipHash(dev, 20, frames.slice(0, 2)))).not.toBe(HASH);
    const tampered = frames.map((f) => f.slice());
    tampered[2][0] ^= 1;
    expect(toHex(clipHash(dev, 20, tampered))).not.toBe(HASH);
  });
  it('refuses a bad device id, capture number, frame count or frame hash', () => {
    const h = frames.map(frameHash);
    expect(() => encodeClipManifest(new Uint8Array(7), 1, h)).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(() => encodeClipManifest(dev, -1, h)).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
    expect(() => encodeClipManifest(dev, 2 ** 32, h)).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
    expect(() => encodeClipManifest(dev, 1.5, h)).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
    expect(() => encodeClipManifest(dev, 1, [])).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(() => encodeClipManifest(dev, 1, new Array(MAX_CLIP_FRAMES + 1).fill(h[0]))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(() => encodeClipManifest(dev, 1, [new Uint8Array(31)])).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(encodeClipManifest(dev, 0xffffffff, h).length).toBe(8 + 8 + 4 + 1 + 3 * 32);
  });
});

describe('camera link lines', () => {
  it('round-trips CAPTURE and CLIP', () => {
    expect(captureLine(20)).toBe('CAPTURE 20\r\n');
    expect(parseCaptureLine(captureLine(20))).toBe(20);
    const p = parseClipLine(clipLine(20, HASH));
    expect(p?.capture).toBe(20);
    expect(toHex(p!.hash)).toBe(HASH);
  });
  it('refuses anything else', () => {
    for (const bad of ['', 'CAPTURE', 'CAPTURE x', 'CAPTURE -1', 'CAPTURE 99999999999', 'capture 1', 'CAPTURE 1 2']) expect(parseCaptureLine(bad)).toBe(-1);
    for (const bad of ['CLIP 1', 'CLIP 1 ' + HASH.slice(2), 'CLIP 1 ' + HASH.toUpperCase(), 'CLIP x ' + HASH, 'CLIP 1 ' + HASH + 'aa', 'CLIP 1 ' + HASH + ' x', 'CLIPS 1 ' + HASH, 'CLIP 1 ' + HASH.slice(0, 62) + 'zz']) {
      expect(parseClipLine(bad)).toBeNull();
    }
  });
});
