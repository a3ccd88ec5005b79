/**
 * The contract every lock-side Ed25519 verifier meets. One shared test suite
 * (tests/shared/ed25519/verifier-contract.ts) runs against each implementation.
 * A verifier never throws: anything unexpected counts as a rejection.
 */
export interface Verifier {
  readonly name: string;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}
