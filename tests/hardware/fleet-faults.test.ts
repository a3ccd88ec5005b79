/** The fleet's soak faults: a socket tap that delays broker bytes in order and remembers command payloads; sync intervals. */
import { describe, expect, it } from 'vitest';
import { encodePublish, type EspruinoSocket } from '@keyway/firmware';
import { EV_BOOT, EV_STATE, decodeEvent, toHex } from '@keyway/shared';
import { DUP_MEMORY, createLinkTap, createSimStorage, createSimulatedLock, startFleetLock, noteSync, overwriteObserver, tapSocket, type SyncHistory } from '@keyway/hardware';
import { BOARD, DEVICE_ID, lockConfig, provisionedFiles } from '../support/lock-harness';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signerFromSeed } from '@keyway/shared/node';
import { TEST_RELAY_SEED } from '../../scripts/protocol-vectors';

const DELAY_MS = 120;

function fakeSocket(): EspruinoSocket & { emit(ev: string, d?: string): void; ended: boolean } {
  const handlers: Record<string, Array<(d?: any) => void>> = {};
  const s = {
    ended: false,
    write: () => undefined,
    end: () => {
      s.ended = true;
    },
    on: (ev: string, fn: (d?: any) => void) => {
      (handlers[ev] ??= []).push(fn);
    },
    emit: (ev: string, d?: string) => (handlers[ev] ?? []).forEach((fn) => fn(d))
  };
  return s;
}

const publish = (payload: number[], id: number) => Buffer.from(encodePublish('kw/dev/cmd', new Uint8Array(payload), 1, false, id, false)).toString('latin1');

describe('fleet soak faults', () => {
  it('remembers command payloads across chunk boundaries, at most DUP_MEMORY of them', () => {
    const raw = fakeSocket();
    const tap = createLinkTap();
    const got: string[] = [];
    tapSocket(raw, tap).on('data', (d) => got.push(d));
    const bytes = publish([1, 2, 3], 7);
    raw.emit('data', bytes.slice(0, 4));
    raw.emit('data', bytes.slice(4));
    expect(got.join('')).toBe(bytes);
    expect(tap.received.map((p) => [...p])).toEqual([[1, 2, 3]]);
    for (let i = 0; i < DUP_MEMORY + 5; i++) raw.emit('data', publish([i], i + 1));
    expect(tap.received.length).toBe(DUP_MEMORY);
    expect([...tap.received[DUP_MEMORY - 1]]).toEqual([DUP_MEMORY + 4]);
  });

  it('holds incoming bytes for the delay, in order, and drops them when the link closes', async () => {
    const raw = fakeSocket();
    const tap = createLinkTap();
    const got: string[] = [];
    tapSocket(raw, tap).on('data', (d) => got.push(d));
    tap.delayMs = DELAY_MS;
    raw.emit('data', 'a');
    tap.delayMs = 0;
    raw.emit('data', 'b');
    expect(got).toEqual([]);
    await new Promise((r) => setTimeout(r, DELAY_MS * 2));
    expect(got).toEqual(['a', 'b']);
    tap.delayMs = DELAY_MS;
    raw.emit('data', 'c');
    raw.emit('close');
    await new Promise((r) => setTimeout(r, DELAY_MS * 2));
    expect(got).toEqual(['a', 'b']);
  });

  it('records online-with-trusted-time intervals from samples', () => {
    const h: SyncHistory = { intervals: [] };
    noteSync(h, false, 1);
    noteSync(h, true, 2);
    noteSync(h, true, 3);
    noteSync(h, false, 4);
    noteSync(h, true, 5);
    expect(h.intervals).toEqual([[2, 4], [5, null]]);
  });

  it("an event observer given at creation sees the lock's boot event, on every boot", () => {
    const seen: number[] = [];
    const files = provisionedFiles(lockConfig([signerFromSeed(TEST_RELAY_SEED)]));
    const sim = createSimulatedLock({ board: BOARD, files, onEvent: (bytes) => seen.push(decodeEvent(bytes).type) });
    expect(seen.slice(0, 2)).toEqual([EV_BOOT, EV_STATE]);
    seen.length = 0;
    sim.reboot();
    expect(seen[0]).toBe(EV_BOOT);
  });

  it('records every undelivered event an offline lock overwrites, those given up while it boots included', () => {
    const lost: number[] = [];
    const note = overwriteObserver(lost);
    const files = provisionedFiles(lockConfig([signerFromSeed(TEST_RELAY_SEED)]));
    let sim = createSimulatedLock({ board: BOARD, files, onEvent: (_bytes, lock) => note(lock) });
    // Offline (no network): nothing is acknowledged; reboots refill the ring with BOOT events.
    for (let i = 0; i < 20; i++) sim = sim.reboot();
    const log = sim.lock.log!;
    expect(log.seq).toBeGreaterThan(log.capacity);
    // Exactly the events no longer in the ring were given up, each once.
    const gone = [];
    for (let s = 1; s <= log.seq - log.capacity; s++) gone.push(s);
    expect(lost).toEqual(gone);
  });
  it('records an undelivered event a power cut destroyed while a write replaced it', () => {
    const lost: number[] = [];
    const note = overwriteObserver(lost);
    const files = provisionedFiles(lockConfig([signerFromSeed(TEST_RELAY_SEED)]));
    // Offline, each boot logs events; the power goes inside the first write that replaces a
    // stored (never delivered) event.
    const storage = createSimStorage(files);
    const write = storage.write;
    let armed = true;
    storage.write = (name, data) => {
      if (armed && /^kwe\d+$/.test(name) && storage.files[name] !== undefined) {
        armed = false;
        storage.cutAt = storage.writes + 1;
      }
      return write(name, data);
    };
    let sim = createSimulatedLock({ board: BOARD, storage, onEvent: (_bytes, lock) => note(lock) });
    for (let i = 0; i < 40 && armed; i++) sim = sim.reboot();
    expect(armed).toBe(false);
    sim = sim.reboot();
    const log = sim.lock.log!;
    expect(lost[0]).toBe(1);
    const gone = [];
    for (let s = 1; s <= log.seq - log.capacity; s++) gone.push(s);
    expect(lost).toEqual(gone);
  });
  it('heal disarms a cut inside a flash write that has not fired yet, so no fault outlives the soak', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-fleet-'));
    const flashFile = path.join(dir, 'flash.json');
    const files = provisionedFiles(lockConfig([signerFromSeed(TEST_RELAY_SEED)]));
    writeFileSync(flashFile, JSON.stringify(Object.fromEntries(Object.entries(files).map(([n, d]) => [n, Buffer.from(d, 'latin1').toString('base64')]))));
    const lock = startFleetLock({ deviceId: toHex(DEVICE_ID), board: BOARD, flashFile });
    try {
      const logged = () => lock.sim.lock.log!.seq;
      lock.cutInWrite(2, 'erased-tail', 0.5);
      lock.heal();
      const before = logged();
      for (let i = 0; i < 3; i++) {
        lock.sim.device.pressButton();
        await new Promise((r) => setTimeout(r, 400));
      }
      expect(logged()).toBeGreaterThan(before + 2);
      expect(lock.powered()).toBe(true);
      // Armed and not healed, the same cut does go off.
      lock.cutInWrite(2, 'erased-tail', 0.5);
      for (let i = 0; i < 3 && lock.powered(); i++) {
        lock.sim.device.pressButton();
        await new Promise((r) => setTimeout(r, 400));
      }
      expect(lock.powered()).toBe(false);
    } finally {
      lock.powerOff();
      lock.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
