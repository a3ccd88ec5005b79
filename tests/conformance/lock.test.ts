/**
 * Conformance (docs/conventions.md#tests-in-three-layers): the firmware bundled to ES5 runs in Duktape (always) and in
 * Espruino (when ESPRUINO points at a Linux build), replaying scenarios recorded against the
 * TypeScript firmware in Node. Every event the lock logs must be byte-for-byte the same, so
 * the shipped bundle behaves exactly like the code the other tests exercise.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_GRANT_PUT, ACT_LOCK, ACT_TIME_SET, ACT_UNLOCK, CRED_BARCODE, GRANT_PARCEL, barcodeCommitment, toHex
} from '@keyway/shared';
import { signCommand } from '@keyway/shared/node';
import { availableEngines } from '../support/engines';
import { BOX_BOARD, DEVICE_ID, T0, chainGrant, plainGrant, reveal, unlockPayload } from '../support/lock-harness';
import { finish, recorder, replayProgram, type Recorder } from '../support/script-recorder';
import { scaled } from '../support/time-scale';

function trust(rec: Recorder, now = T0): void {
  const nonce = rec.h.status().nonce;
  rec.msg(signCommand(rec.h.signer, { deviceId: DEVICE_ID, action: ACT_TIME_SET, payload: { time: now }, notBefore: now, notAfter: now + 60, counter: ++rec.h.counter, nonce }));
  rec.run(2000);
}

function courierScenario(): { rec: Recorder; files: Record<string, string>; board?: typeof BOX_BOARD } {
  const { rec, files } = recorder();
  trust(rec);
  const { grant, chain } = chainGrant({ flags: 3 }, 3);
  rec.msg(rec.h.command(ACT_GRANT_PUT, grant));
  rec.run(2000);
  rec.msg(reveal(grant.grantId, new Uint8Array(32))); // wrong value
  rec.run(500);
  rec.msg(reveal(grant.grantId, chain[2]));
  rec.run(2500);
  rec.open();
  rec.run(4000);
  rec.close();
  rec.run(6000);
  rec.camera(false);
  rec.msg(rec.h.command(ACT_UNLOCK, unlockPayload({ flags: 1 })));
  rec.run(3000);
  rec.camera(true);
  rec.msg(rec.h.command(ACT_UNLOCK, unlockPayload({ relockAfter: 5 })));
  rec.run(2000);
  rec.obstruction(0.5);
  rec.run(10_000); // relock jams: retry, JAM alarm
  rec.obstruction(-1);
  rec.msg(rec.h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
  rec.run(3000);
  rec.button(100);
  rec.run(3000);
  rec.reboot();
  trust(rec, T0 + 120);
  rec.msg(reveal(grant.grantId, chain[1]));
  rec.run(3000);
  return { rec, files };
}

function parcelScenario(): { rec: Recorder; files: Record<string, string>; board?: typeof BOX_BOARD } {
  const { rec, files } = recorder({ board: BOX_BOARD });
  trust(rec);
  rec.msg(rec.h.command(ACT_GRANT_PUT, plainGrant({
    grantId: 31, kind: GRANT_PARCEL, maxUses: 1,
    credential: { type: CRED_BARCODE, commitment: barcodeCommitment(DEVICE_ID, '1Z999AA10123456784'), length: 0 }
  })));
  rec.run(2000);
  rec.scan('NOPE');
  rec.run(500);
  rec.scan('1Z999AA10123456784');
  rec.run(40_000);
  rec.scan('1Z999AA10123456784');
  rec.run(1000);
  const walker = chainGrant({ grantId: 13 }, 2, 5);
  rec.msg(rec.h.command(ACT_GRANT_PUT, walker.grant));
  rec.run(2000);
  rec.scan('KW1:13:' + toHex(walker.chain[1]));
  rec.run(3000);
  return { rec, files, board: BOX_BOARD };
}

describe('firmware conformance on real ES5 engines', () => {
  for (const engine of availableEngines()) {
    for (const [name, make] of [['courier, camera, jam, button, reboot', courierScenario], ['parcel box and scanned guest code', parcelScenario]] as const) {
      it(engine.name + ': ' + name, async () => {
        const s = make();
        const expected = finish(s.rec);
        expect(expected.length).toBeGreaterThan(15);
        const program = await replayProgram({ board: s.board }, s.files, s.rec);
        const run = await engine.run(program, scaled(600_000));
        const lines = run.lines.filter((l) => /^(EV|ERRORS|BOLT|DONE)/.test(l));
        expect(run.stderr).toBe('');
        expect(lines).toEqual(expected);
      }, scaled(900_000));
    }
  }
});
