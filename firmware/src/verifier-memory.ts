/**
 * What the signature code keeps between uses, by mode (docs/firmware.md, "The verifier's memory
 * in owner-consent mode"). A version-1 lock verifies nearly everything with the same relay key,
 * so it keeps that key's table and the decoded base-point tables. In owner-consent mode the keys
 * alternate (relay, then owner), so the lock keeps no key table and drops the base-point tables
 * whenever no signature work is under way; the next verification or signature decodes them again.
 */
import { forgetBaseTable, keepKeyTables } from '@keyway/shared';
import type { Lock } from './lock-state';

/**
 * Fits the kept tables to the lock's mode. Called before and after every verification, after
 * every signature and after every command: an enrolment switches the mode on only after its own
 * verification, and the lock must not keep the tables until its next command. The base-point
 * tables stay while a signature is still being computed (its completion calls this again).
 */
export function fitVerifierMemory(lock: Lock): void {
  // Not consentMode(): importing owner-consent.ts here would close an import cycle (via reporting.ts).
  const lean = lock.owner.mode === 1;
  keepKeyTables(!lean);
  if (lean && lock.signing === 0) forgetBaseTable();
}
