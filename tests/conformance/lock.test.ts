/**
 * Conformance (docs/conventions.md#tests-in-three-layers): the firmware bundled to ES5 runs in Duktape (always) and in
 * Espruino (when ESPRUINO points at a Linux build), replaying scenarios recorded against the
 * TypeScript firmware in Node. Every event the lock logs must be byte-for-byte the same, so
 * the shipped bundle behaves exactly like the code the other tests exercise.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_CONSENT_PUT, ACT_GRANT_PUT, ACT_LOCK, ACT_OWNER_KEY_ADD, ACT_OWNER_SIGNED, ACT_TIME_SET, ACT_UNLOCK, CRED_BARCODE, GRANT_PARCEL,
  EV_ACK, barcodeCommitment, reasonName, toHex
} from '@keyway/shared';
import { signCommand, signOwnerStatement } from '@keyway/shared/node';
import { OWNER, consentedPut, courierGrant, weekdayConsent } from '../support/owner-harness';
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

/** Owner consent (docs/protocol.md §11): enrolment in install mode, owner-signed requests, a consent and its counters across a reboot. */
function ownerScenario(): { rec: Recorder; files: Record<string, string>; board?: typeof BOX_BOARD } {
  const { rec, files } = recorder();
  trust(rec);
  let seq = 0;
  const owned = (action: number, payload: unknown) =>
    rec.h.command(ACT_OWNER_SIGNED, signOwnerStatement(OWNER, { deviceId: DEVICE_ID, seq: ++seq, notAfter: T0 + 3600, action, payload }));
  rec.msg(rec.h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: OWNER.keyId, ownerKey: OWNER.publicKey })); // not in install mode: refused
  rec.run(2000);
  rec.button(5200);
  rec.run(6000);
  rec.msg(rec.h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: OWNER.keyId, ownerKey: OWNER.publicKey }));
  rec.run(2000);
  rec.msg(rec.h.command(ACT_GRANT_PUT, plainGrant())); // relay alone: refused
  rec.run(2000);
  rec.msg(rec.h.command(ACT_UNLOCK, unlockPayload())); // relay alone: refused
  rec.run(2000);
  rec.msg(owned(ACT_CONSENT_PUT, weekdayConsent({ maxPerWeek: 1 })));
  rec.run(4000);
  rec.msg(consentedPut(rec.h, courierGrant({ grantId: 41 })));
  rec.run(2000);
  rec.msg(consentedPut(rec.h, courierGrant({ grantId: 42, notBefore: T0 + 86400, notAfter: T0 + 90000 }))); // Saturday: outside
  rec.run(2000);
  rec.msg(rec.h.command(ACT_UNLOCK, unlockPayload({ grantId: 41 })));
  rec.run(3000);
  rec.msg(rec.h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
  rec.run(3000);
  rec.msg(owned(ACT_UNLOCK, unlockPayload()));
  rec.run(5000);
  const acks = () => rec.h.events(EV_ACK).map((e) => reasonName(e.code));
  // What the Node run answered (the engines must log the same bytes): TIME_SET, refusals, the owner's requests.
  expect(acks()).toEqual([
    'OK', 'CONFIRMATION_REQUIRED', 'OK', 'OWNER_SIGNATURE_REQUIRED', 'OWNER_SIGNATURE_REQUIRED', 'OK', 'OK', 'OUTSIDE_CONSENT', 'OK', 'OK', 'OK'
  ]);
  rec.reboot();
  trust(rec, T0 + 120);
  rec.msg(consentedPut(rec.h, courierGrant({ grantId: 43 }))); // the week's one entry is spent, across the reboot
  rec.run(2000);
  expect(acks()).toEqual(['OK', 'CONSENT_EXHAUSTED']);
  return { rec, files };
}

describe('firmware conformance on real ES5 engines', () => {
  for (const engine of availableEngines()) {
    for (const [name, make] of [['courier, camera, jam, button, reboot', courierScenario], ['parcel box and scanned guest code', parcelScenario],
      ['owner consent: enrolment, owner-signed requests, a standing consent across a reboot', ownerScenario]] as const) {
      it(engine.name + ': ' + name, async () => {
        const s = make();
        const expected = finish(s.rec);
        expect(expected.length).toBeGreaterThan(15);
        const program = await replayProgram({ board: s.board }, s.files, s.rec);
        const run = await engine.run(program, scaled(850_000));
        const lines = run.lines.filter((l) => /^(EV|ERRORS|BOLT|DONE)/.test(l));
        // What the interpreter said itself (OUT OF MEMORY, an uncaught error, its error flags) and
        // the variables in use before each action (Espruino's MEM lines), so a run that stopped
        // says why instead of giving no lines.
        const said = run.lines.filter((l) => !/^(EV|MEM) /.test(l)).slice(-40).join('\n');
        const memory = run.lines.filter((l) => l.startsWith('MEM ')).slice(-3).join('; ');
        const why = 'exit ' + run.exitCode + '; ' + memory + '\n' + said;
        expect(run.stderr, why).toBe('');
        expect(said, why).not.toMatch(/OUT OF MEMORY|Uncaught|Execution Interrupted/);
        // LOW_MEMORY alone is a warning (the interpreter ran low and collected garbage; a
        // resizable build raises it when it grows its pool); MEMORY means an allocation failed.
        const flags = (run.lines.find((l) => l.startsWith('FLAGS ')) ?? 'FLAGS none').slice('FLAGS '.length).split(',');
        expect(flags.filter((f) => f !== 'none' && f !== 'LOW_MEMORY'), why).toEqual([]);
        expect(lines, why).toEqual(expected);
      }, scaled(900_000));
    }
  }
});
