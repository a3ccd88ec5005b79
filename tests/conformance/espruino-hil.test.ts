/**
 * Hardware in the loop on Espruino's Linux build (runs when ESPRUINO is set): the shipped bundle,
 * unmodified, as `.bootcde`, over the Espruino-side pin simulator as `.boot0`
 * (hardware/src/sim/espruino-pin-simulator.ts). The bolt is read from the simulated limit
 * switches at boot; the inside button moves the motor until the switch closes; a closed door
 * relocks; an obstruction stalls the motor (ADC current) into a jam with the motor off; a reboot
 * through the provisioning console's restart comes back with the world as it was.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { scaled } from '../support/time-scale';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BOLT_JAMMED, BOLT_LOCKED, BOLT_UNLOCKED } from '@keyway/shared';
import { encodeConfig, frame } from '@keyway/firmware';
import { signerFromSeed } from '@keyway/shared/node';
import { buildFirmware } from '../../tools/src/firmware/build';
import { PIN_SIMULATOR_FILE, buildPinSimulator } from '../../tools/src/firmware/pin-simulator';
import { TEST_RELAY_SEED } from '../../scripts/protocol-vectors';
import { espruinoPath } from '../support/engines';
import { startEspruinoRepl, type EspruinoRepl } from '../support/espruino-repl';
import { storeFile } from '../support/espruino-storage';
import { lockConfig } from '../support/lock-harness';
import { ROOT } from '../support/processes';

const BOARD = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/espruino-linux-board.json'), 'utf8'));
/** Bolt travel is 700 ms; boot, a move and the relock after closing (3 s) fit well inside this. */
const MOVE_MS = scaled(15_000);
/** Bolt position (0 retracted … 1 thrown) at which the simulated retracted switch closes. */
const RETRACTED_SWITCH_AT = 0.03;
const dirs: string[] = [];
const repls: EspruinoRepl[] = [];
afterAll(() => {
  repls.forEach((r) => r.kill());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function flashed(): Promise<string> {
  const bin = espruinoPath()!;
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-hil-'));
  dirs.push(dir);
  const cfg = lockConfig([signerFromSeed(TEST_RELAY_SEED)]);
  cfg.brokers[0].port = 1; // no relay: this test is about the pins
  storeFile(bin, dir, '.bootcde', Buffer.from((await buildFirmware(BOARD)).code, 'latin1'));
  storeFile(bin, dir, 'kwcfg0', Buffer.from(frame(1, encodeConfig(cfg))));
  storeFile(bin, dir, PIN_SIMULATOR_FILE, Buffer.from(await buildPinSimulator(BOARD), 'latin1'));
  return dir;
}

describe.runIf(espruinoPath() !== null)('the shipped bundle on Espruino over simulated pins', () => {
  it('reads the switches, moves the bolt, relocks, stalls into a jam, and restarts with load()', async () => {
    const esp = startEspruinoRepl(espruinoPath()!, await flashed());
    repls.push(esp);
    await esp.until('keyway.bolt.phase === ' + BOLT_LOCKED, MOVE_MS, 'the boot to read a thrown bolt');

    await esp.ask('kwSim.pressButton(100)');
    await esp.until('keyway.bolt.phase === ' + BOLT_UNLOCKED, MOVE_MS, 'the button to retract the bolt');
    await esp.ask('kwSim.state()');
    // The motor stops on the retracted switch, which closes anywhere in the last 3 % of travel.
    const world = JSON.parse(esp.output().split('KWSIM ').pop()!.split('\n')[0]) as { bolt: number; motor: number };
    expect(world.motor).toBe(0);
    expect(world.bolt).toBeLessThanOrEqual(RETRACTED_SWITCH_AT);

    expect(await esp.ask('kwSim.openDoor()')).toBe(true);
    expect(await esp.ask('kwSim.closeDoor()')).toBe(true);
    await esp.until('keyway.bolt.phase === ' + BOLT_LOCKED, MOVE_MS, 'the relock after the door closed');

    await esp.ask('kwSim.jam(0.5)');
    await esp.ask('kwSim.pressButton(100)');
    await esp.until('keyway.bolt.phase === ' + BOLT_JAMMED, MOVE_MS, 'the stall to end in a jam');
    expect(await esp.ask('digitalRead(keyway.board.pins.motorPwm)')).toBe(0);

    // The provisioning console's restart: Espruino's Linux build has no E.reboot, the lock uses load().
    await esp.ask('kwSim.jam(-1)');
    await esp.ask('global.beforeReboot = 1');
    await esp.ask('keyway.ports.reboot()');
    await esp.until('typeof beforeReboot === "undefined" && keyway.bolt.phase === ' + BOLT_LOCKED, MOVE_MS, 'the lock to come back and relock');
    expect(esp.proc.exitCode).toBeNull();
    expect(esp.output()).not.toContain('Not implemented');
    expect(esp.output()).not.toContain('Analog is not supported');
    expect(esp.output()).not.toContain('Uncaught');
  }, scaled(180_000));
});
