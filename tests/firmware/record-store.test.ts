import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { binaryToBytes, bytesToBinary, frame, loadRecord, saveRecord, storagePort, unframe } from '@keyway/firmware';
import { crc32 } from '@keyway/shared';
import { createSimStorage } from '@keyway/hardware';

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('binary strings (Storage and sockets)', () => {
  it('round-trip every byte value, across the 256-byte chunks and at their edges', () => {
    for (const n of [0, 1, 255, 256, 257, 511, 512, 1000]) {
      const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      const s = bytesToBinary(b);
      expect(s.length).toBe(n);
      for (let i = 0; i < n; i++) expect(s.charCodeAt(i)).toBe(b[i]);
      expect(Array.from(binaryToBytes(s))).toEqual(Array.from(b));
    }
  });
});

describe('power-safe records', () => {
  it('frames round-trip and any corruption is detected', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (data, where) => {
      const f = frame(7, data);
      expect(unframe(f)!.seq).toBe(7);
      expect(Buffer.from(unframe(f)!.data).equals(Buffer.from(data))).toBe(true);
      const bad = Uint8Array.from(f);
      bad[where % bad.length] ^= 0x5a;
      expect(unframe(bad)).toBeNull();
      expect(unframe(f.subarray(0, f.length - 1))).toBeNull();
    }), { numRuns: 300 });
  });

  it('alternates slots and keeps the previous copy when a write is torn', () => {
    for (const tear of ['missing', 'erased-tail', 'truncated'] as const) {
      const s = createSimStorage();
      const port = storagePort(s);
      const rec = loadRecord(port, 'r').slot;
      expect(saveRecord(port, rec, new Uint8Array([1]))).toBe(true);
      expect(saveRecord(port, rec, new Uint8Array([2]))).toBe(true);
      s.cutAt = s.writes + 1;
      s.tear = tear;
      expect(saveRecord(port, rec, new Uint8Array([3, 3, 3, 3]))).toBe(false);
      s.powered = true;
      const after = loadRecord(port, 'r');
      expect(Array.from(after.data!), tear).toEqual([2]);
      expect(after.recovered || tear === 'missing').toBe(true);
      // The next save still works and wins.
      expect(saveRecord(port, after.slot, new Uint8Array([4]))).toBe(true);
      expect(Array.from(loadRecord(port, 'r').data!)).toEqual([4]);
    }
  });
});
