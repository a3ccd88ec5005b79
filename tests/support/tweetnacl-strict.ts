/**
 * Baseline lock-side verifier for the shared contract suite: tweetnacl-js (the reference the
 * performance targets in docs/product.md measure against) behind the same strictness rules as keyway's own verifier. tweetnacl
 * compares the encoding of R' with R itself but checks neither S < L nor canonical or
 * small-order points; passesStrictChecks adds exactly that.
 */
import nacl from 'tweetnacl';
import { passesStrictChecks, type Verifier } from '@keyway/shared';

export const tweetnaclStrictVerifier: Verifier = {
  name: 'tweetnacl+strict',
  verify(message, signature, publicKey) {
    try {
      return message instanceof Uint8Array && passesStrictChecks(signature, publicKey) &&
        nacl.sign.detached.verify(message, signature, publicKey);
    } catch {
      return false;
    }
  }
};
