/**
 * The lock's memory around an owner-signed command, in ONE firmware run on Espruino
 * (docs/firmware.md, "Memory"): the real firmware bundle runs from Storage on the simulator's
 * pins, with trusted time (a TIME_SET signed for the lock's own challenge), an owner key
 * enrolled in install mode (owner-consent mode), a standing consent and a courier grant staged
 * under it, then one owner-signed unlock, verified (the relay's signature, then the owner's)
 * and executed. The scenario is recorded against the TypeScript firmware in Node first (as the
 * conformance replays are), and the Espruino run must log the same event bytes, so the figures
 * belong to a run that did the work.
 *
 * Variables in use (process.memory().usage, after the garbage collection it runs) at boot,
 * after staging, at the peak during the owner-signed command (sampled after every timer
 * callback, i.e. between the verification's slices), and after. The run includes the
 * simulator, the virtual loop and the replay script, and the firmware's MQTT client with the
 * relay away (the simulated board has no network; a board's lock always has a client, see
 * firmware-owner.entry.ts). Right after it, on the same build, a
 * control run (firmware-owner-harness.entry.ts) runs the same script on the same simulated board
 * with no lock and reads the same points: the lock alone is the run's figure minus the
 * control's, plus the interpreter's own variables (its first reading). The control leaves out
 * what only a lock makes (its flash writes, the simulator's record of it), so the lock-alone
 * figure is an upper bound of its use, and its free share a lower bound.
 *
 * Run: ESPRUINO=/path/to/espruino [ESPRUINO_8190=/path/to/espruino-8190] nice npx tsx bench/firmware-owner.mts
 * A benchmark, never a timed test.
 */
import os from 'node:os';
import { ACT_CONSENT_PUT, ACT_OWNER_KEY_ADD, ACT_OWNER_SIGNED, ACT_TIME_SET, ACT_UNLOCK, BOLT_UNLOCKED, EV_ACK, reasonName } from '@keyway/shared';
import { signCommand, signOwnerStatement } from '@keyway/shared/node';
import { INSTALL_HOLD_MS } from '@keyway/firmware';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { espruino } from '../tests/support/engines';
import { DEVICE_ID, T0, unlockPayload } from '../tests/support/lock-harness';
import { OWNER, consentedPut, courierGrant, weekdayConsent } from '../tests/support/owner-harness';
import { finish, recorder } from '../tests/support/script-recorder';
import { espruinoBuildsOrExit } from './lib/espruino-run.mjs';
import { machineLine, table } from './lib/report.mjs';

/** Virtual time the lock gets after each message: its slices run on the virtual loop. */
const SETTLE_MS = 5000;
const RUN_LIMIT_MS = 1_800_000;

const bins = espruinoBuildsOrExit('the lock\'s memory around an owner-signed command');

// The scenario, played against the TypeScript firmware in Node.
const { rec, files } = recorder();
const mark = (what: string) => rec.actions.push(['mark', what]);
let seq = 0;
const owned = (action: number, payload: unknown) =>
  rec.h.command(ACT_OWNER_SIGNED, signOwnerStatement(OWNER, { deviceId: DEVICE_ID, seq: ++seq, notAfter: T0 + 3600, action, payload }));
const nonce = rec.h.status().nonce;
rec.msg(signCommand(rec.h.signer, { deviceId: DEVICE_ID, action: ACT_TIME_SET, payload: { time: T0 }, notBefore: T0, notAfter: T0 + 60, counter: ++rec.h.counter, nonce }));
rec.run(SETTLE_MS);
rec.button(INSTALL_HOLD_MS + 200);
rec.run(INSTALL_HOLD_MS + 1000);
rec.msg(rec.h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: OWNER.keyId, ownerKey: OWNER.publicKey }));
rec.run(SETTLE_MS);
mark('owner key enrolled (owner-consent mode), trusted time');
rec.msg(owned(ACT_CONSENT_PUT, weekdayConsent({ maxPerWeek: 1 })));
rec.run(SETTLE_MS);
rec.msg(consentedPut(rec.h, courierGrant({ grantId: 41 })));
rec.run(SETTLE_MS);
mark('after staging (consent and courier grant)');
rec.actions.push(['peak', true]);
rec.msg(owned(ACT_UNLOCK, unlockPayload()));
rec.run(SETTLE_MS);
rec.actions.push(['peak', false]);
mark('after the owner-signed unlock');
const acks = rec.h.events(EV_ACK).map((e) => reasonName(e.code));
const want = ['OK', 'OK', 'OK', 'OK', 'OK'];
if (JSON.stringify(acks) !== JSON.stringify(want)) throw new Error('the Node run answered ' + acks.join(', ') + ', expected ' + want.join(', '));
if (rec.h.sim.lock.bolt.phase !== BOLT_UNLOCKED) throw new Error('the Node run did not unlock (bolt phase ' + rec.h.sim.lock.bolt.phase + ')');
const expected = finish(rec).filter((l) => l.startsWith('EV '));

const entry = await bundleEs5({ entry: 'bench/lib/firmware-owner.entry.ts' });
const control = await bundleEs5({ entry: 'bench/lib/firmware-owner-harness.entry.ts' });
const script = { board: rec.h.sim.lock.board, files, options: null, count: rec.actions.length };
const cases = rec.actions.map((a, i) => '    case ' + i + ': return ' + JSON.stringify(a) + ';').join('\n');
const probe = (what: string) => 'print("M " + JSON.stringify({ what: ' + JSON.stringify(what) + ', used: process.memory().usage, total: process.memory().total }));\n';
const prefix = probe('the interpreter before the program') + 'var KW_SCRIPT = ' + JSON.stringify(script) + ';\nfunction KW_ACTION(i) {\n  switch (i) {\n' + cases + '\n  }\n}\n' +
  probe('+ the replay script (flash image, board, actions)');
const ONE_THIRD = 1 / 3;
const pct = (free: number, total: number) => (100 * free / total).toFixed(1) + '%';

interface Mark { what: string; used: number; total: number; samples?: number }
for (const bin of bins) {
  const load0 = os.loadavg()[0];
  process.env.ESPRUINO = bin;
  const run = await espruino.run(prefix + entry.code, RUN_LIMIT_MS);
  const ctl = await espruino.run(prefix + control.code, RUN_LIMIT_MS);
  const marks = run.lines.filter((l) => l.startsWith('M ')).map((l) => JSON.parse(l.slice(2)) as Mark);
  const harness = ctl.lines.filter((l) => l.startsWith('M ')).map((l) => JSON.parse(l.slice(2)) as Mark);
  if (harness.length !== marks.length || !ctl.lines.includes('DONE')) throw new Error('the control run read ' + harness.length + ' points, the firmware run ' + marks.length + ': ' + ctl.lines.slice(-5).join(' | ') + ctl.stderr.slice(-300));
  const interp = harness[0].used;
  // A resizable build grows its pool as it goes: its free share means nothing, only its counts do.
  const fixed = marks.every((m) => m.total === marks[0].total);
  const events = run.lines.filter((l) => l.startsWith('EV '));
  const same = JSON.stringify(events) === JSON.stringify(expected);
  const flags = (run.lines.find((l) => l.startsWith('FLAGS ')) ?? 'FLAGS (none printed)').slice(6);
  const errors = (run.lines.find((l) => l.startsWith('ERRORS ')) ?? 'ERRORS ?').slice(7);
  table(`The lock around an owner-signed unlock on ${bin}, firmware from Storage, one run and its control run (load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)})`,
    ['point', 'run: used', 'run: free share', 'control (harness): used', 'lock alone: used', 'lock alone: free', 'lock alone: free share', '≥ 1/3 free'],
    marks.map((m, i) => {
      const lockOnly = i < 2 ? null : m.used - harness[i].used + interp;
      const judged = lockOnly !== null && fixed;
      return [m.what, String(m.used), fixed ? pct(m.total - m.used, m.total) : '—', String(harness[i].used),
        lockOnly === null ? '—' : String(lockOnly), judged ? String(m.total - lockOnly) : '—',
        judged ? pct(m.total - lockOnly, m.total) : '—', judged ? (m.total - lockOnly >= ONE_THIRD * m.total ? 'met' : 'MISSED') : '—'];
    }));
  console.log(`events identical to the Node run: ${same ? 'yes' : 'NO'} (${events.length} of ${expected.length}); callback errors: ${errors}; interpreter flags: ${flags}; bolt: ${(run.lines.find((l) => l.startsWith('BOLT ')) ?? '?').slice(5) === String(BOLT_UNLOCKED) ? 'unlocked' : 'NOT unlocked'}`);
  if (!same || run.stderr) console.log(run.lines.filter((l) => !/^(EV|M) /.test(l)).slice(-20).join('\n') + run.stderr.slice(-500));
}
console.log(machineLine());
