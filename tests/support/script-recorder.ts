/**
 * Records a lock scenario played against the TypeScript firmware in Node, as a script the
 * conformance entry (tests/conformance/lock-replay.entry.ts) replays inside real ES5 engines.
 * The Node run's events are the expected output, byte for byte.
 */
import { encodeEvent, toHex } from '@keyway/shared';
import { bundleEs5 } from '../../tools/src/firmware/es5-bundle';
import { harness, type Harness, type HarnessOptions } from './lock-harness';

export type Action = [string, unknown];

export interface Recorder {
  h: Harness;
  actions: Action[];
  msg(bytes: Uint8Array): void;
  run(ms: number): void;
  open(force?: boolean): void;
  close(): void;
  button(holdMs?: number): void;
  scan(line: string): void;
  camera(ok: boolean): void;
  obstruction(at: number): void;
  reboot(): void;
  /** Events as the engines print them (reboot resets the per-boot list, as in the entry). */
  expected: string[];
}

export function recorder(o: HarnessOptions = {}): { rec: Recorder; files: { [name: string]: string } } {
  const h = harness(o);
  // The harness booted and ran 3 s, exactly like the entry does before its first action.
  const files = h.initialFiles;
  const expected: string[] = [];
  const rec: Recorder = {
    h,
    actions: [],
    expected,
    msg(bytes) {
      rec.actions.push(['msg', toHex(bytes)]);
      h.deliver(bytes);
    },
    run(ms) {
      rec.actions.push(['run', ms]);
      h.run(ms);
    },
    open(force = false) {
      rec.actions.push(['open', force]);
      h.sim.device.openDoor(force);
    },
    close() {
      rec.actions.push(['close', null]);
      h.sim.device.closeDoor();
    },
    button(holdMs = 100) {
      rec.actions.push(['button', holdMs]);
      h.sim.device.pressButton(holdMs);
    },
    scan(line) {
      rec.actions.push(['scan', line]);
      h.sim.device.scan(line);
    },
    camera(ok) {
      rec.actions.push(['camera', ok]);
      h.sim.device.physics.cameraHealthy = ok;
    },
    obstruction(at) {
      rec.actions.push(['obstruction', at]);
      h.sim.device.physics.obstruction = at;
    },
    reboot() {
      rec.actions.push(['reboot', null]);
      for (const e of h.sim.events) expected.push('EV ' + toHex(encodeEvent(e)));
      h.reboot();
      h.run(3000);
    }
  };
  return { rec, files };
}

export function finish(rec: Recorder): string[] {
  const out = rec.expected.slice();
  for (const e of rec.h.sim.events) out.push('EV ' + toHex(encodeEvent(e)));
  out.push('ERRORS ' + rec.h.sim.loop.errors.length);
  out.push('BOLT ' + rec.h.sim.lock.bolt.phase);
  out.push('DONE');
  return out;
}

let entryBundle: Promise<string> | null = null;

/** The replay entry bundled once per process (minified ES5, the same pipeline as the firmware). */
export function replayBundle(): Promise<string> {
  entryBundle ??= bundleEs5({ entry: 'tests/conformance/lock-replay.entry.ts' }).then((b) => b.code);
  return entryBundle;
}

/**
 * The replay as one ES5 program: the board, flash image and options as data (KW_SCRIPT), the
 * recorded actions as the cases of a function (KW_ACTION). On Espruino a function's body stays
 * in Storage when the program runs from there, so each action takes RAM only while it is
 * replayed; as one array literal the owner-consent scenario's actions took about as many
 * variables as a signature verification needs.
 */
export async function replayProgram(o: HarnessOptions, files: Record<string, string>, rec: Recorder): Promise<string> {
  const script = { board: o.board ?? rec.h.sim.lock.board, files, options: o.options ?? null, count: rec.actions.length };
  const cases = rec.actions.map((a, i) => '    case ' + i + ': return ' + JSON.stringify(a) + ';').join('\n');
  return 'var KW_SCRIPT = ' + JSON.stringify(script) + ';\nfunction KW_ACTION(i) {\n  switch (i) {\n' + cases + '\n  }\n}\n' + (await replayBundle());
}
