/**
 * Power-safe records on non-atomic flash (docs/product.md#reliability-properties). Each record has two slots, `<name>0`
 * and `<name>1`; a save writes the slot NOT holding the current copy, framed as
 * magic ‖ seq ‖ length ‖ data ‖ CRC-32. A power cut mid-write tears only the slot being
 * written, whose CRC then fails, so boot falls back to the other, intact copy.
 */
import { crc32 } from '@keyway/shared';
import type { StoragePort } from './ports';

const MAGIC0 = 0x4b; // 'K'
const MAGIC1 = 0x52; // 'R'
const OVERHEAD = 2 + 4 + 2 + 4;

export interface RecordSlot {
  name: string;
  /** Sequence of the current copy (0 = none yet). */
  seq: number;
  /** Slot index (0 or 1) holding the current copy, -1 for none. */
  slot: number;
}

export interface LoadedRecord {
  slot: RecordSlot;
  data: Uint8Array | null;
  /** A slot was present but torn or corrupt (reported as STORAGE_RECOVERED). */
  recovered: boolean;
}

function u32(b: Uint8Array, o: number): number {
  return b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = Math.floor(v / 0x1000000) & 0xff;
  b[o + 1] = (v >> 16) & 0xff;
  b[o + 2] = (v >> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Parses one framed copy; null when absent, torn or corrupt. */
export function unframe(raw: Uint8Array | null): { seq: number; data: Uint8Array } | null {
  if (!raw || raw.length < OVERHEAD || raw[0] !== MAGIC0 || raw[1] !== MAGIC1) return null;
  const len = (raw[6] << 8) | raw[7];
  if (raw.length !== OVERHEAD + len) return null;
  const body = raw.subarray(0, 8 + len);
  if (crc32(body) !== u32(raw, 8 + len)) return null;
  return { seq: u32(raw, 2), data: raw.subarray(8, 8 + len) };
}

export function frame(seq: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(OVERHEAD + data.length);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  putU32(out, 2, seq);
  out[6] = data.length >> 8;
  out[7] = data.length & 0xff;
  out.set(data, 8);
  putU32(out, 8 + data.length, crc32(out.subarray(0, 8 + data.length)));
  return out;
}

export function loadRecord(storage: StoragePort, name: string): LoadedRecord {
  const rawA = storage.read(name + '0');
  const rawB = storage.read(name + '1');
  const a = unframe(rawA);
  const b = unframe(rawB);
  const recovered = (rawA !== null && !a) || (rawB !== null && !b);
  let slot = -1;
  if (a && (!b || a.seq > b.seq)) slot = 0;
  else if (b) slot = 1;
  const chosen = slot === 0 ? a : slot === 1 ? b : null;
  return {
    slot: { name: name, seq: chosen ? chosen.seq : 0, slot: slot },
    data: chosen ? chosen.data : null,
    recovered: recovered
  };
}

/** Writes the other slot; on success the record's current copy is the new one. */
export function saveRecord(storage: StoragePort, rec: RecordSlot, data: Uint8Array): boolean {
  if (data.length > 0xffff) return false;
  const target = rec.slot === 0 ? 1 : 0;
  const seq = rec.seq + 1;
  if (!storage.write(rec.name + target, frame(seq, data))) return false;
  rec.seq = seq;
  rec.slot = target;
  return true;
}

export function eraseRecord(storage: StoragePort, rec: RecordSlot): void {
  storage.erase(rec.name + '0');
  storage.erase(rec.name + '1');
  rec.seq = 0;
  rec.slot = -1;
}
