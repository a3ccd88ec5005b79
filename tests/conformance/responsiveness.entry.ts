/**
 * Bundled to ES5 and run inside Duktape or Espruino: the real firmware on the simulator whose
 * virtual clock is charged with the interpreter's real CPU time, so a long computation delays
 * timers exactly as on a board. While a signed command is being verified, the bolt motor is
 * moving (button press) and the door opens and closes: prints how late any timer ran, the
 * verification time and longest slice, watchdog trips, and the movement's outcome.
 */
import { createSimulatedLock, createVirtualLoop } from '@keyway/hardware/sim';
import { onCommandTopic, type BoardProfile } from '@keyway/firmware';
import { beginVerify, fromHex } from '@keyway/shared';
import { engineCpuMs, espruinoNatives, seededRandom } from '../support/engine-env';

declare const KW_RESP: { board: BoardProfile; files: { [name: string]: string }; timeSet: string; unlock: string; lock: string };
declare const console: { log(s: string): void };

const random = seededRandom();

/** Interpreter CPU time where the engine can tell (Espruino on Linux), so host load does not count. */
const cpu = engineCpuMs;
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
/** RFC 8032 §7.1 test 1 (empty message): a valid signature, verified step by step to time one step. */
const RFC8032_PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC8032_SIG = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

/**
 * The verifier's own step time on this engine, in this run, with the step size and natives the
 * lock set: one whole verification run step by step. The mean is its time divided by its steps (a
 * single step can be below the clock's resolution); the longest step includes whatever the host
 * did to the interpreter meanwhile, as the lock's own slices do.
 */
function stepTime(): { meanMs: number; maxMs: number; steps: number; ok: boolean } {
  const task = beginVerify(new Uint8Array(0), fromHex(RFC8032_SIG), fromHex(RFC8032_PUB));
  let steps = 0;
  let maxMs = 0;
  const t0 = cpu();
  for (;;) {
    const s = cpu();
    const done = task.step();
    steps++;
    maxMs = Math.max(maxMs, cpu() - s);
    if (done) break;
  }
  return { meanMs: (cpu() - t0) / steps, maxMs: maxMs, steps: steps, ok: task.result === true };
}

/** Two verifications, so the longest step also sees the engine's occasional pauses (garbage collection). */
const step = stepTime();
const again = stepTime();
step.maxMs = Math.max(step.maxMs, again.maxMs);
step.ok = step.ok && again.ok;
const ops: string[] = [];
for (let i = 0; i < sim.events.length; i++) if (sim.events[i].type === 3 || sim.events[i].type === 6) ops.push(sim.events[i].type + ':' + sim.events[i].code);
console.log('RESULT ' + JSON.stringify({
  verifies: sim.lock.stats.verifies - verifiesBefore, verifyMsAvg: sim.lock.stats.verifyMs / Math.max(1, sim.lock.stats.verifies),
  maxSliceMs: sim.lock.stats.maxSliceMs, maxLatenessMs: Math.max(lateDuringFirst, loop.maxLateness), watchdogTrips: sim.device.watchdog.fired,
  longestMotorRunMs: sim.device.physics.longestRunMs, motorNow: sim.device.physics.motor, errors: loop.errors.length, ops: ops,
  stepMs: step.meanMs, stepMsMax: step.maxMs, steps: step.steps, stepVerified: step.ok, budgetMs: sim.lock.opt.verifyBudgetMs
}));
