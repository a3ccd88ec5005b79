/**
 * Bundled to ES5 and run inside Duktape or Espruino: boots the real firmware on the simulator
 * from the flash image in KW_SCRIPT, replays the recorded actions (KW_ACTION) on a virtual clock, and
 * prints every event the lock logged as hex, one per line, then DONE.
 */
import { createSimulatedLock, createVirtualLoop, createSimStorage, type SimulatedLock } from '@keyway/hardware/sim';
import { onCommandTopic } from '@keyway/firmware';
import { encodeEvent, fromHex, toHex } from '@keyway/shared';
import { seededRandom, type ReplayAction, type ReplayScript } from '../support/engine-env';

declare const KW_SCRIPT: ReplayScript;
declare function KW_ACTION(i: number): ReplayAction;
declare const console: { log(s: string): void };
declare const process: { memory?: () => { usage: number; total: number } } | undefined;
declare const E: { getErrorFlags(): string[] } | undefined;

const random = seededRandom();

/** Variables in use on Espruino (`MEM used/total`), so a run that ran out of memory says how close it was. */
function mem(when: string): void {
  if (typeof process !== 'undefined' && process.memory) {
    const m = process.memory();
    console.log('MEM ' + when + ' ' + m.usage + '/' + m.total);
  }
}

const loop = createVirtualLoop(null);
/** The lock's flash, kept across the reboots (the replay cuts no power): nothing is copied at a reboot. */
const storage = createSimStorage(KW_SCRIPT.files);
function boot(physics?: SimulatedLock['device']['physics']): SimulatedLock {
  return createSimulatedLock({ board: KW_SCRIPT.board, storage: storage, physics: physics, options: KW_SCRIPT.options, random: random, loop: loop });
}
let sim = boot();
/**
 * Prints the events logged since the last call and lets go of them (and of the published
 * statuses, which the replay does not compare): the simulator keeps both for tests that read
 * them, and on an 8,190-variable Espruino they would crowd out the lock's own memory.
 */
function flush(): void {
  for (let i = 0; i < sim.events.length; i++) console.log('EV ' + toHex(encodeEvent(sim.events[i])));
  sim.events = [];
  sim.statuses = [];
}
loop.advance(3000);
mem('boot');
for (let i = 0; i < KW_SCRIPT.count; i++) {
  flush();
  const a = KW_ACTION(i);
  mem(i + ' ' + a[0]);
  const op = a[0];
  if (op === 'msg') onCommandTopic(sim.lock, fromHex(a[1]));
  else if (op === 'run') loop.advance(a[1]);
  else if (op === 'open') sim.device.openDoor(a[1] === true);
  else if (op === 'close') sim.device.closeDoor();
  else if (op === 'button') sim.device.pressButton(a[1]);
  else if (op === 'scan') sim.device.scan(a[1]);
  else if (op === 'camera') sim.device.physics.cameraHealthy = a[1] === true;
  else if (op === 'obstruction') sim.device.physics.obstruction = a[1];
  else if (op === 'reboot') {
    flush();
    // The old lock (off, no timer of its own left) is let go of before the new one boots, as on
    // a board: both at once do not fit in an 8,190-variable Espruino.
    const physics = sim.device.physics;
    sim.stop();
    sim = null as unknown as SimulatedLock;
    sim = boot(physics);
    loop.advance(3000);
  }
}
flush();
mem('end');
// The interpreter's own error flags (LOW_MEMORY, MEMORY, ...): the test requires none.
if (typeof E !== 'undefined' && E.getErrorFlags) {
  const flags = E.getErrorFlags();
  console.log('FLAGS ' + (flags.length > 0 ? flags.join(',') : 'none'));
}
console.log('ERRORS ' + loop.errors.length + (loop.errors.length ? ' ' + loop.errors[0] : ''));
console.log('BOLT ' + sim.lock.bolt.phase);
console.log('DONE');
