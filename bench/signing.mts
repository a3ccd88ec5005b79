/**
 * Ed25519 signing on the relay (docs/product.md#performance-targets: "signing with node:crypto Ed25519 (OpenSSL), not a JS
 * implementation"): signs/s of node:crypto (the relay's own signer from @keyway/shared/node)
 * against tweetnacl-js (node_modules/tweetnacl, its default nacl-fast build) on 100-byte
 * command bodies, one key, one thread; verification/s of both for reference. Both must give
 * the same signature (Ed25519 is deterministic): checked before timing.
 *
 * Each implementation runs for `--seconds` (default 1.5) per round, rounds alternate between
 * the implementations (`--rounds`, default 3) and the best round counts: the host is shared,
 * and the best round is the most repeatable figure.
 *
 * Run: npx tsx bench/signing.mts [--seconds 1.5] [--rounds 3] [--quick]. A benchmark, never a timed test.
 */
import { randomBytes, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import { publicKeyObject, signerFromSeed } from '@keyway/shared/node';
import { fmt, machineLine, numberFlag, parseFlags, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const quick = flags.has('quick');
const SECONDS = numberFlag(flags, 'seconds', quick ? 0.4 : 1.5);
const ROUNDS = numberFlag(flags, 'rounds', quick ? 2 : 3);
const BODY_BYTES = 100;

const seed = new Uint8Array(randomBytes(32));
const signer = signerFromSeed(seed);
const pair = nacl.sign.keyPair.fromSeed(seed);
const pubKeyObject = publicKeyObject(signer.publicKey);
// A pool of distinct bodies, so no implementation can benefit from repeating one message.
const bodies = Array.from({ length: 64 }, () => new Uint8Array(randomBytes(BODY_BYTES)));
const nodeSigs = bodies.map((b) => signer.sign(b));

for (let i = 0; i < bodies.length; i++) {
  const t = nacl.sign.detached(bodies[i], pair.secretKey);
  if (Buffer.compare(Buffer.from(t), Buffer.from(nodeSigs[i])) !== 0) throw new Error('node:crypto and tweetnacl disagree on a signature');
  if (!nacl.sign.detached.verify(bodies[i], nodeSigs[i], pair.publicKey)) throw new Error('tweetnacl rejects a node:crypto signature');
}
if (Buffer.compare(Buffer.from(pair.publicKey), Buffer.from(signer.publicKey)) !== 0) throw new Error('public keys differ');

type Op = (i: number) => unknown;
const ops: Record<string, Op> = {
  'node:crypto sign': (i) => signer.sign(bodies[i & 63]),
  'tweetnacl sign': (i) => nacl.sign.detached(bodies[i & 63], pair.secretKey),
  'node:crypto verify': (i) => nodeVerify(null, bodies[i & 63], pubKeyObject, nodeSigs[i & 63]),
  'tweetnacl verify': (i) => nacl.sign.detached.verify(bodies[i & 63], nodeSigs[i & 63], pair.publicKey)
};

/** Operations per second over about `seconds`, checking the clock every few operations. */
function rate(op: Op, seconds: number): number {
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let n = 0;
  let batch = 1;
  for (;;) {
    for (let k = 0; k < batch; k++) op(n++);
    const now = performance.now();
    if (now >= end) return n / ((now - t0) / 1000);
    // Keep the clock reads rare for fast operations.
    if (now - t0 < 50) batch = Math.min(256, batch * 2);
  }
}

const best: Record<string, number> = {};
for (const name of Object.keys(ops)) rate(ops[name], 0.1); // warm-up (JIT, OpenSSL contexts)
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(ops)) best[name] = Math.max(best[name] ?? 0, rate(ops[name], SECONDS));
}

console.log('# keyway signing benchmark');
console.log(machineLine());
console.log(`Ed25519, ${BODY_BYTES}-byte command bodies, one key, one thread; best of ${ROUNDS} rounds of ${SECONDS} s each. tweetnacl ${tweetnaclVersion()} (nacl-fast).`);
const signRatio = best['node:crypto sign'] / best['tweetnacl sign'];
const verifyRatio = best['node:crypto verify'] / best['tweetnacl verify'];
table('Signing (relay side)', ['operation', 'node:crypto (OpenSSL) /s', 'tweetnacl-js /s', 'node:crypto ÷ tweetnacl', 'µs per op (node:crypto)'], [
  ['sign', fmt(best['node:crypto sign'], 0), fmt(best['tweetnacl sign'], 0), fmt(signRatio, 1) + '×', fmt(1e6 / best['node:crypto sign'], 1)],
  ['verify (reference)', fmt(best['node:crypto verify'], 0), fmt(best['tweetnacl verify'], 0), fmt(verifyRatio, 1) + '×', fmt(1e6 / best['node:crypto verify'], 1)]
]);
console.log(`\nThe relay signs with node:crypto. One core signs ${fmt(best['node:crypto sign'], 0)} commands/s, ` +
  `so signing costs ${fmt((1000 / best['node:crypto sign']) * 100, 1)}% of one core at 1,000 authorizations/s ` +
  `(tweetnacl would need ${fmt((1000 / best['tweetnacl sign']) * 100, 0)}%).`);

function tweetnaclVersion(): string {
  try {
    return (JSON.parse(readPkg()) as { version: string }).version;
  } catch {
    return '?';
  }
}

function readPkg(): string {
  // Resolved the way Node resolves `tweetnacl` from this file.
  return readFileSync(new URL('../node_modules/tweetnacl/package.json', import.meta.url), 'utf8');
}
