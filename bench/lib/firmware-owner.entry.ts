/**
 * Bundled to ES5 for bench/firmware-owner.mts and run in Espruino from Storage: boots the real
 * firmware on the simulator from the flash image in KW_SCRIPT and replays the recorded actions
 * (KW_ACTION) on a virtual clock, like the conformance replay (tests/conformance/lock-replay.entry.ts),
 * and reports the interpreter's variables:
 * - `['mark', name]` prints `M {"what": name, "used": …, "total": …}` (process.memory() collects
 *   garbage first, so `used` is what is live);
 * - `['peak', true]` starts sampling after every timer callback (every slice of a verification is
 *   one), `['peak', false]` stops and prints the highest sample as a mark.
 * Every event the lock logged is printed as `EV <hex>`, so the bench can require the same bytes
 * as the Node run.
 */
import { createSimulatedLock, createVirtualLoop, createSimStorage, type SimulatedLock } from '@keyway/hardware/sim';
import { createMqttClient, mqttSettings, mqttStart, onCommandTopic, type SocketHandlers } from '@keyway/firmware';
import { encodeEvent, fromHex, toHex } from '@keyway/shared';
import { seededRandom, type ReplayAction, type ReplayScript } from '../../tests/support/engine-env';

declare const KW_SCRIPT: ReplayScript;
declare function KW_ACTION(i: number): ReplayAction;
declare const console: { log(s: string): void };
declare const process: { memory(): { usage: number; total: number } };
declare const E: { getErrorFlags(): string[] };

function used(): { usage: number; total: number } {
  return process.memory();
}
function mark(what: string, usage: number, total: number, extra?: string): void {
  console.log('M {"what":' + JSON.stringify(what) + ',"used":' + usage + ',"total":' + total + (extra ? ',' + extra : '') + '}');
}

const random = seededRandom();
const loop = createVirtualLoop(null);
/** Peak sampling: after every timer callback while on. */
let sampling = false;
let peak = 0;
let peakTotal = 0;
let samples = 0;
const schedule = loop.setTimeout;
loop.setTimeout = function (fn: () => void, ms: number): number {
  if (!sampling) return schedule(fn, ms);
  return schedule(function () {
    fn();
    const m = used();
    samples++;
    if (m.usage > peak) {
      peak = m.usage;
      peakTotal = m.total;
    }
  }, ms);
};
const storage = createSimStorage(KW_SCRIPT.files);
const m0 = used();
mark('+ the code\'s module-level state (firmware, simulator), before boot', m0.usage, m0.total);
const sim: SimulatedLock = createSimulatedLock({ board: KW_SCRIPT.board, storage: storage, options: KW_SCRIPT.options, random: random, loop: loop });
/**
 * The simulated board has no network, so the lock would have no MQTT client; a lock on a board
 * always has one. The run therefore holds the firmware's own client, built from the lock's
 * configuration as connectivity.ts builds it, with the relay away (every connection is refused,
 * as in bench/firmware.mts): its variables count as the lock's. It has its own random source and
 * is not the lock's `mqtt`, so the lock's behaviour (its nonces, its events) stays that of the
 * recorded Node run.
 */
let mqttSeed = 7;
const mqtt = createMqttClient({
  connect: function (_host: string, _port: number, _tls: boolean, h: SocketHandlers) {
    loop.setTimeout(function () {
      h.onClose();
    }, 0);
    return { write: function () {}, close: function () {} };
  },
  join: function (_ssid: string, _password: string, cb: (err: string | null) => void) {
    cb(null);
  }
}, sim.lock.ports.timers, function () {
  mqttSeed = (mqttSeed * 69069 + 1) % 4294967296;
  return mqttSeed / 4294967296;
}, mqttSettings(sim.lock, sim.lock.config!), function () {}, function () {}, function () {});
mqttStart(mqtt);
function flush(): void {
  for (let i = 0; i < sim.events.length; i++) console.log('EV ' + toHex(encodeEvent(sim.events[i])));
  sim.events = [];
  sim.statuses = [];
}
loop.advance(3000);
flush();
const mb = used();
mark('booted: provisioned, 3 s after power-on', mb.usage, mb.total);
for (let i = 0; i < KW_SCRIPT.count; i++) {
  flush();
  const a = KW_ACTION(i);
  const op = a[0];
  if (op === 'msg') onCommandTopic(sim.lock, fromHex(a[1]));
  else if (op === 'run') loop.advance(a[1]);
  else if (op === 'button') sim.device.pressButton(a[1]);
  else if (op === 'mark') {
    flush();
    const m = used();
    mark(a[1], m.usage, m.total);
  } else if (op === 'peak') {
    if (a[1] === true) {
      sampling = true;
      peak = 0;
      samples = 0;
    } else {
      sampling = false;
      mark('peak during the owner-signed command (sampled after each of ' + samples + ' callbacks)', peak, peakTotal, '"samples":' + samples);
    }
  } else throw new Error('unknown action ' + op);
}
flush();
const flags = E.getErrorFlags();
console.log('FLAGS ' + (flags.length > 0 ? flags.join(',') : 'none'));
console.log('ERRORS ' + loop.errors.length + (loop.errors.length ? ' ' + loop.errors[0] : ''));
console.log('BOLT ' + sim.lock.bolt.phase);
console.log('DONE');
