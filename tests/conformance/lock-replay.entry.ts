/**
 * Bundled to ES5 and run inside Duktape or Espruino: boots the real firmware on the simulator
 * from the flash image in KW_SCRIPT, replays the recorded actions on a virtual clock, and
 * prints every event the lock logged as hex, one per line, then DONE.
 */
import { createSimulatedLock, createVirtualLoop } from '@keyway/hardware/sim';
import { onCommandTopic, type BoardProfile } from '@keyway/firmware';
import { encodeEvent, fromHex, toHex } from '@keyway/shared';
import { seededRandom } from '../support/engine-env';

declare const KW_SCRIPT: {
  board: BoardProfile;
  files: { [name: string]: string };
  options: any;
  actions: Array<[string, any]>;
};
declare const console: { log(s: string): void };

const random = seededRandom();

const loop = createVirtualLoop(null);
let sim = createSimulatedLock({ board: KW_SCRIPT.board, files: KW_SCRIPT.files, options: KW_SCRIPT.options, random: random, loop: loop });
const printed: number[] = [0];
function flush(): void {
  for (let i = printed[0]; i < sim.events.length; i++) console.log('EV ' + toHex(encodeEvent(sim.events[i])));
  printed[0] = sim.events.length;
}
loop.advance(3000);
for (let i = 0; i < KW_SCRIPT.actions.length; i++) {
  const a = KW_SCRIPT.actions[i];
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
    sim = sim.reboot();
    printed[0] = 0;
    loop.advance(3000);
  }
}
flush();
console.log('ERRORS ' + loop.errors.length + (loop.errors.length ? ' ' + loop.errors[0] : ''));
console.log('BOLT ' + sim.lock.bolt.phase);
console.log('DONE');
