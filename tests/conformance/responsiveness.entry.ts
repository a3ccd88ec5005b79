/**
 * Bundled to ES5 and run inside Duktape or Espruino: the real firmware on the simulator whose
 * virtual clock is charged with the interpreter's real CPU time, so a long computation delays
 * timers exactly as on a board. While a signed command is being verified, the bolt motor is
 * moving (button press) and the door opens and closes: prints how late any timer ran, the
 * verification time and longest slice, watchdog trips, and the movement's outcome.
 */
import { createSimulatedLock, createVirtualLoop } from '@keyway/hardware/sim';
import { onCommandTopic, type BoardProfile } from '@keyway/firmware';
import { fromHex } from '@keyway/shared';
import { engineNow, espruinoNatives, seededRandom } from '../support/engine-env';

declare const KW_RESP: { board: BoardProfile; files: { [name: string]: string }; timeSet: string; unlock: string; lock: string };
declare const console: { log(s: string): void };

const random = seededRandom();

const cpu = engineNow;
const loop = createVirtualLoop(cpu);
// On Espruino, the natives the firmware installs on a board (main.ts): E.convolve and crypto.SHA512.
const natives = espruinoNatives();
const sim = createSimulatedLock({
  board: KW_RESP.board, files: KW_RESP.files, random: random, loop: loop, options: { verifyBudgetMs: 15 }, convolve: natives.convolve, sha512: natives.sha512
});
/** Delivers bytes the way the MQTT client does: from a socket callback on the event loop. */
function deliver(hex: string): void {
  loop.setTimeout(function () {
    onCommandTopic(sim.lock, fromHex(hex));
  }, 0);
}

loop.advance(3000);
deliver(KW_RESP.timeSet);
loop.runUntil(function () { return sim.lock.timeTrusted; }, 600000);
const verifiesBefore = sim.lock.stats.verifies;
loop.maxLateness = 0;
// A signed LOCK arrives while the inside button drives the bolt open: the motor and the
// verification run at the same time; then the door opens and closes while a second one verifies.
sim.device.pressButton(50);
loop.advance(30);
deliver(KW_RESP.lock);
loop.runUntil(function () { return sim.lock.stats.verifies > verifiesBefore && !sim.lock.acting; }, 600000);
const lateDuringFirst = loop.maxLateness;
sim.device.openDoor();
deliver(KW_RESP.unlock);
loop.advance(200);
sim.device.closeDoor();
loop.runUntil(function () { return sim.lock.stats.verifies > verifiesBefore + 1; }, 600000);
loop.advance(5000);
const ops: string[] = [];
for (let i = 0; i < sim.events.length; i++) if (sim.events[i].type === 3 || sim.events[i].type === 6) ops.push(sim.events[i].type + ':' + sim.events[i].code);
console.log('RESULT ' + JSON.stringify({
  verifies: sim.lock.stats.verifies - verifiesBefore, verifyMsAvg: sim.lock.stats.verifyMs / Math.max(1, sim.lock.stats.verifies),
  maxSliceMs: sim.lock.stats.maxSliceMs, maxLatenessMs: Math.max(lateDuringFirst, loop.maxLateness), watchdogTrips: sim.device.watchdog.fired,
  longestMotorRunMs: sim.device.physics.longestRunMs, motorNow: sim.device.physics.motor, errors: loop.errors.length, ops: ops
}));
