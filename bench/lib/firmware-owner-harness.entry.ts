/**
 * The control run of bench/firmware-owner.mts: the same replay script (KW_SCRIPT, KW_ACTION) and
 * the same simulated board (virtual loop, flash, physics, device) as firmware-owner.entry.ts, built
 * and driven the same way, but with no lock on it: messages are not delivered, virtual time and
 * button presses still run. It prints `M` lines at the same points, so the bench can take the
 * harness's variables off each point of the firmware run.
 *
 * It is a lower bound of the harness: what only the firmware run has is counted as the lock's
 * there, also the simulator's per-lock objects (the SimulatedLock record, its event lists), the
 * flash the lock writes (kept in RAM here, in flash on a board) and the code that prints events.
 * So the lock's figure derived from it is an upper bound of its use.
 */
import { createPhysics, createSimDevice, createSimStorage, createVirtualLoop, type SimDevice } from '@keyway/hardware/sim';
import { seededRandom, type ReplayAction, type ReplayScript } from '../../tests/support/engine-env';

declare const KW_SCRIPT: ReplayScript;
declare function KW_ACTION(i: number): ReplayAction;
declare const console: { log(s: string): void };
declare const process: { memory(): { usage: number; total: number } };

function mark(what: string): void {
  const m = process.memory();
  console.log('M {"what":' + JSON.stringify(what) + ',"used":' + m.usage + ',"total":' + m.total + '}');
}

const random = seededRandom();
const loop = createVirtualLoop(null);
const storage = createSimStorage(KW_SCRIPT.files);
mark('+ the code\'s module-level state (firmware, simulator), before boot');
const device: SimDevice = createSimDevice({ board: KW_SCRIPT.board, loop: loop, physics: createPhysics(null, 1, false), storage: storage, random: random });
loop.advance(3000);
mark('booted: provisioned, 3 s after power-on');
for (let i = 0; i < KW_SCRIPT.count; i++) {
  const a = KW_ACTION(i);
  const op = a[0];
  if (op === 'run') loop.advance(a[1]);
  else if (op === 'button') device.pressButton(a[1]);
  else if (op === 'mark') mark(a[1]);
  else if (op === 'peak' && a[1] === false) mark('peak during the owner-signed command');
}
console.log('DONE');
