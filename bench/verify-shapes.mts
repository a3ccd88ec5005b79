/**
 * What shapes of the verifier's field code cost on Espruino (docs/verifier.md, "Tried on
 * 2026-12-05 and left out"): each row is a variant of one piece, written out as the minified
 * bundle has it (one-letter names, one expression per limb), timed in the same Espruino process
 * as the shape the verifier uses, interleaved, in CPU time of the interpreter thread. Only the
 * ratio within a pair is the figure; whole verifications are compared with bench/verify-ab.mts.
 *
 * Run: ESPRUINO=/path/to/espruino nice npx tsx bench/verify-shapes.mts [--rounds 7]
 * A benchmark, never a timed test.
 */
import os from 'node:os';
import { espruinoBuildsOrExit, runEspruinoLines } from './lib/espruino-run.mjs';
import { machineLine, numberFlag, parseFlags, table } from './lib/report.mjs';

const rounds = numberFlag(parseFlags(process.argv.slice(2)), 'rounds', 7);
const bin = espruinoBuildsOrExit('the cost of code shapes')[0];
/** Calls per timed loop: enough that the CPU clock's tick is small against it. */
const CALLS = 1000;

/** One limb statement per output limb of an R-form product, `m` the multiplier or '' (m = 1). */
function mulRBody(out: string, m: string): string {
  const mul = m ? '*' + m : '';
  const s = ['c=(t=s(r,f,1)' + mul + ')-(n=t+d-d)', 'i=(t=s(r,f,2)' + mul + '+n*o)-(n=t+d-d)', 'b=(t=s(r,f,3)' + mul + '+n*o)-(n=t+d-d)'];
  for (let k = 3; k < 13; k++) s.push(out + '[' + (12 - k) + ']=(t=s(r,f,' + (k + 1) + ')' + mul + '+n*o)-(n=t+d-d)');
  s.push('c=(t=c+n*y)-(n=t+d-d)', 'i=(t=i+n*o)-(n=t+d-d)', 'b+=n*o', out + '[12]=c', out + '[11]=i', out + '[10]=b');
  return s.join(',') + ';';
}
/** An RK chain (R and K forms written), locals v,h,x0..x2 as in point-tails.ts. */
function rkBody(or: string, ok: string, a: string, b: string): string {
  const s = ['x0=(v=c(' + a + ',' + b + ',1))-(h=v+R-R)', 'x1=(v=c(' + a + ',' + b + ',2)+h*S)-(h=v+R-R)', 'x2=(v=c(' + a + ',' + b + ',3)+h*S)-(h=v+R-R)'];
  for (let k = 3; k < 13; k++) s.push(ok + '[' + k + ']=608*(' + or + '[' + (12 - k) + ']=' + ok + '[' + (13 + k) + ']=(v=c(' + a + ',' + b + ',' + (k + 1) + ')+h*S)-(h=v+R-R))');
  s.push('x0=(v=x0+h*F)-(h=v+R-R)', 'x1=(v=x1+h*S)-(h=v+R-R)', 'x2+=h*S');
  s.push(ok + '[0]=608*(' + or + '[12]=' + ok + '[13]=x0)', ok + '[1]=608*(' + or + '[11]=' + ok + '[14]=x1)', ok + '[2]=608*(' + or + '[10]=' + ok + '[15]=x2)');
  return s.join(',') + ';';
}
const rk = (name: string, head: string) => 'function ' + name + '(or,ok,a,b){' + head + 'var v,h,R,S,F,c,x0,x1,x2;R=VR,S=VS,F=VF,c=u.conv;' + rkBody('or', 'ok', 'a', 'b') + '}';

// Pairs: [label, baseline function source, variant function source, how each is called]
const pairs: Array<[string, string, string, string]> = [
  ['mulR: the hoisting leftovers `t,n,c,i,b,` evaluated and locals in declaration order → initialized names only, most-used first',
    'function A(a,r,f,e){var t,n,c,i,b,d,o,s;t,n,c,i,b,d=v,o=l,s=u.conv;' + mulRBody('a', 'e') + '}',
    'function B(a,r,f,e){var t,n,d,o,s,c,i,b;d=v,o=l,s=u.conv;' + mulRBody('a', 'e') + '}', 'X(O,P,K,1)'],
  ['mulR: with the multiplier m (m = 1) → a copy without it',
    'function A(a,r,f,e){var t,n,d,o,s,c,i,b;d=v,o=l,s=u.conv;' + mulRBody('a', 'e') + '}',
    'function B(a,r,f,e){var t,n,d,o,s,c,i,b;d=v,o=l,s=u.conv;' + mulRBody('a', '') + '}', 'X(O,P,K,1)'],
  ['mulR: plain → with Espruino\'s "ram" directive',
    'function A(a,r,f,e){var t,n,d,o,s,c,i,b;d=v,o=l,s=u.conv;' + mulRBody('a', 'e') + '}',
    'function B(a,r,f,e){"ram";var t,n,d,o,s,c,i,b;d=v,o=l,s=u.conv;' + mulRBody('a', 'e') + '}', 'X(O,P,K,1)'],
  ['a doubling\'s tail X3, Y3, Z3: three mulRK calls → one call running the three chains',
    rk('W', '') + 'function A(q){W(q.xr,q.xk,q.e,q.f);W(q.yr,q.yk,q.g,q.h);W(q.zr,q.zk,q.g,q.f);}',
    'function B(q){Z(q.xr,q.xk,q.yr,q.yk,q.zr,q.zk,q.e,q.f,q.g,q.h);}function Z(xr,xk,yr,yk,zr,zk,e,f,g,hk){var v,h,R,S,F,c,x0,x1,x2;R=VR,S=VS,F=VF,c=u.conv;' +
      rkBody('xr', 'xk', 'e', 'f') + rkBody('yr', 'yk', 'g', 'hk') + rkBody('zr', 'zk', 'g', 'f') + '}', 'X(Q)'],
  ['cost only: a product written in R form (mulR) → in R and K form (mulRK), as every doubling-ready coordinate is',
    'function A(a,ok,r,f){var t,n,d,o,s,c,i,b;d=v,o=l,s=u.conv;' + mulRBody('a', '') + '}',
    rk('B', ''), 'X(O,Q.xk,P,K)'],
  ['a limb statement: carry as a multiple of 2^20 (n*o, then t+d-d) → carry in units (t*o+D-D, then *2^20)',
    'function A(a,r,f){var t,n,d,o,s;d=v,o=l,s=u.conv,n=0;for(var k=0;k<13;k++)a[9]=(t=s(r,f,4)+n*o)-(n=t+d-d);}',
    'function B(a,r,f){var t,n,d,o,s,g;d=3*Math.pow(2,51),o=l,s=u.conv,n=0,g=1048576;for(var k=0;k<13;k++)a[9]=(t=s(r,f,4)+n)-(n=t*o+d-d)*g;}', 'X(O,P,K)']
];

/** Rows that compare costs of different work, not two ways of doing the same. */
const COST_ONLY = [4, 5];

const program = `
var fs = require('fs');
function cpu() { return parseInt(String(fs.readFileSync('/proc/self/schedstat')).split(' ')[0], 10) / 1e6; }
var u = { conv: E.convolve };
var v = 3 * Math.pow(2, 71), l = 1 / 1048576, y = 608 / 1048576, VR = v, VS = l, VF = y;
function mk(n) { var a = new Int32Array(n); for (var i = 0; i < n; i++) a[i] = ((i * 7919 + 13) % 1048576) - 524288; return a; }
var O = new Int32Array(13), P = mk(13), K = mk(26);
var Q = { xr: new Int32Array(13), xk: new Int32Array(26), yr: new Int32Array(13), yk: new Int32Array(26), zr: new Int32Array(13), zk: new Int32Array(26),
  e: mk(13), f: mk(26), g: mk(13), h: mk(26) };
function time(X) { var c0 = cpu(); for (var z = 0; z < ${CALLS}; z++) X(); return cpu() - c0; }
function snapshot() { return O.join() + Q.xr.join() + Q.xk.join() + Q.yk.join() + Q.zk.join(); }
${pairs.map(([, a, b, call], i) => `
(function () {
  ${a}
  ${b}
  var ra = function () { var X = A; ${call}; }, rb = function () { var X = B; ${call}; };
  ra(); var sa = snapshot(); rb(); var same = ${COST_ONLY.includes(i) ? 'true' : 'sa === snapshot()'};
  for (var r = 0; r < ${rounds}; r++) {
    var first = r % 2 ? rb : ra, second = r % 2 ? ra : rb;
    var t1 = time(first), t2 = time(second);
    print('T ' + JSON.stringify({ pair: ${i}, a: (r % 2 ? t2 : t1) * 1000 / ${CALLS}, b: (r % 2 ? t1 : t2) * 1000 / ${CALLS}, same: same }));
  }
})();`).join('\n')}
`;

const load0 = os.loadavg()[0];
const lines = runEspruinoLines<{ pair: number; a: number; b: number; same: boolean }>(bin, program, 'kw-shapes-');
const median = (xs: number[]) => xs.slice().sort((p, q) => p - q)[Math.floor(xs.length / 2)];
table(`Code shapes on ${bin}, µs per call (median of ${rounds} loops of ${CALLS}, interleaved, CPU time), load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}`,
  ['piece: baseline → variant', 'baseline µs', 'variant µs', 'baseline / variant', 'same result'],
  pairs.map(([label], i) => {
    const s = lines.filter((l) => l.pair === i);
    if (s.length === 0) return [label, '-', '-', '-', 'did not run'];
    const a = median(s.map((x) => x.a));
    const b = median(s.map((x) => x.b));
    return [label, a.toFixed(1), b.toFixed(1), (a / b).toFixed(3) + 'x', COST_ONLY.includes(i) ? 'n/a (cost only)' : s[0].same ? 'yes' : 'NO'];
  }));
console.log(machineLine());
