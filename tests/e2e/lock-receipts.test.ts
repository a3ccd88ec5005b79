/**
 * Lock-signed receipts end to end across processes (docs/protocol.md §6.2): the real firmware on
 * simulated hardware makes its own key, a courier enters and closes the door, the lock signs the
 * receipt and sends it over MQTT, the relay pins the key and hands the file out, and the file
 * checks offline with the shared checker and with `keyway verify-receipt` in its own process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkReceiptBundle } from '@keyway/shared';
import { allOnline, eventually, startE2E, type E2E } from '../support/e2e-world';
import { keyway } from '../support/processes';
import { scaled } from '../support/time-scale';

let e: E2E;
const dir = mkdtempSync(path.join(tmpdir(), 'kw-e2e-receipt-'));

beforeAll(async () => {
  e = await startE2E({ lockOptions: { relockAfterCloseMs: 1500 } });
  await allOnline(e);
}, scaled(90_000));

afterAll(async () => {
  await e?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('receipts signed by the lock, end to end', () => {
  it('a courier delivery ends with a receipt the lock signed, which checks offline', async () => {
    const lockId = e.world.locks[0].deviceId;
    const now = Date.now();
    const booked = await e.api(e.world.backend.token, 'POST', '/v1/deliveries', {
      siteId: e.world.siteId, trackingNumber: 'TRK' + randomUUID().slice(0, 8), courierId: e.world.courier.id, inHome: true,
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3600_000).toISOString() }
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const d = booked.body;
    await eventually('grant staged on the lock', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged);
    const r = await e.api(e.world.courier.token, 'POST', '/v1/deliveries/' + d.id + '/entry', undefined, { 'idempotency-key': randomUUID() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await e.fleet.ask(lockId, 'door open');
    await new Promise((res) => setTimeout(res, 800));
    await e.fleet.ask(lockId, 'door close');
    await eventually('secured', async () => (await e.api(e.world.courier.token, 'GET', '/v1/deliveries/' + d.id)).body.status === 'secured');
    const file = await eventually('signed receipt', async () => {
      const got = await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id + '/signed-receipt');
      return got.status === 200 ? got.body : null;
    });
    const check = checkReceiptBundle(file);
    expect(check.ok, JSON.stringify(check)).toBe(true);
    if (!check.ok) return;
    expect(check.camera).not.toBeNull(); // courier grants require the camera
    const secured = (await e.api(e.world.courier.token, 'GET', '/v1/deliveries/' + d.id)).body.receipt;
    expect(check.receipt.seq).toBe(secured.eventSeq);
    const f = path.join(dir, 'receipt.json');
    writeFileSync(f, JSON.stringify(file));
    const cli = await keyway(['verify-receipt', f, '--key', file.lockKey], {}, scaled(30_000));
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('receipt holds: signed by lock ' + lockId);
    const notes = (await e.api(e.ownerToken, 'GET', '/v1/notifications')).body.items as Array<{ kind: string; deliveryId: number; body: any }>;
    expect(notes.find((n) => n.kind === 'delivery.receipt_signed' && n.deliveryId === d.id)?.body.signedReceipt).toBe(file.receipt);
  }, scaled(90_000));
});
