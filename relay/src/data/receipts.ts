/**
 * The relay's storage of lock-signed receipts (docs/protocol.md §6.2, docs/relay.md "Receipts
 * signed by the lock"): the pinned lock key (the devices.public_key column, set by the installer
 * at registration or on the first valid receipt), the receipts verbatim, and the lookups that
 * pass a receipt on once its delivery is secured. All of this module's SQL is here.
 */
import type { RelayContext } from '../context';

export interface StoredReceipt {
  deviceId: string;
  epoch: number;
  seq: number;
  raw: Uint8Array;
  forwarded: boolean;
}

/** The lock key the relay trusts for a lock, hex; null while none is pinned. */
export function pinnedLockKey(ctx: RelayContext, deviceId: string): string | null {
  const r = ctx.db.prepare('SELECT public_key FROM devices WHERE id = ?').get(deviceId) as { public_key: string | null } | undefined;
  return r?.public_key ?? null;
}

/** Pins a lock key if none is pinned yet; true when this call pinned it. */
export function pinLockKey(ctx: RelayContext, deviceId: string, keyHex: string): boolean {
  return ctx.db.prepare('UPDATE devices SET public_key = ? WHERE id = ? AND public_key IS NULL').run(keyHex, deviceId).changes === 1;
}

/** Stores a receipt once; false when the same (lock, log epoch, seq) is already stored. */
export function insertReceipt(ctx: RelayContext, deviceId: string, epoch: number, seq: number, raw: Uint8Array): boolean {
  return ctx.db.prepare('INSERT OR IGNORE INTO lock_receipts (device_id, epoch, seq, raw, received_at) VALUES (?, ?, ?, ?, ?)')
    .run(deviceId, epoch, seq, Buffer.from(raw), ctx.now()).changes === 1;
}

export function receiptAt(ctx: RelayContext, deviceId: string, epoch: number, seq: number): StoredReceipt | null {
  const r = ctx.db.prepare('SELECT raw, forwarded_at FROM lock_receipts WHERE device_id = ? AND epoch = ? AND seq = ?').get(deviceId, epoch, seq) as
    { raw: Buffer; forwarded_at: number | null } | undefined;
  return r ? { deviceId, epoch, seq, raw: new Uint8Array(r.raw), forwarded: r.forwarded_at !== null } : null;
}

export function markReceiptForwarded(ctx: RelayContext, deviceId: string, epoch: number, seq: number): void {
  ctx.db.prepare('UPDATE lock_receipts SET forwarded_at = ? WHERE device_id = ? AND epoch = ? AND seq = ?').run(ctx.now(), deviceId, epoch, seq);
}

/** Deliveries whose secured receipt names this log position of the lock. */
export function deliveriesSecuredAt(ctx: RelayContext, deviceId: string, seq: number): number[] {
  return (ctx.db.prepare("SELECT id FROM deliveries WHERE device_id = ? AND status = 'secured' AND json_extract(receipt, '$.eventSeq') = ?")
    .all(deviceId, seq) as { id: number }[]).map((r) => r.id);
}

/** The stored raw events of one log epoch from `from` to `to`, in order (gaps simply absent). */
export function rawEvents(ctx: RelayContext, deviceId: string, epoch: number, from: number, to: number): Uint8Array[] {
  return (ctx.db.prepare('SELECT raw FROM events WHERE device_id = ? AND epoch = ? AND seq BETWEEN ? AND ? ORDER BY seq')
    .all(deviceId, epoch, from, to) as { raw: Buffer }[]).map((r) => new Uint8Array(r.raw));
}

/** The newest receipt of a delivery's lock that names the delivery's secured event. */
export function receiptForDelivery(ctx: RelayContext, deliveryId: number): StoredReceipt | null {
  const r = ctx.db.prepare(`SELECT lr.device_id, lr.epoch, lr.seq, lr.raw, lr.forwarded_at FROM deliveries d
      JOIN lock_receipts lr ON lr.device_id = d.device_id AND lr.seq = json_extract(d.receipt, '$.eventSeq')
      WHERE d.id = ? ORDER BY lr.epoch DESC LIMIT 1`).get(deliveryId) as
    { device_id: string; epoch: number; seq: number; raw: Buffer; forwarded_at: number | null } | undefined;
  return r ? { deviceId: r.device_id, epoch: r.epoch, seq: r.seq, raw: new Uint8Array(r.raw), forwarded: r.forwarded_at !== null } : null;
}
