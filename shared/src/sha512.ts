/**
 * SHA-512 (FIPS 180-4) for interpreters without native hashing. Portable ES5:
 * 64-bit words are (hi, lo) pairs of 32-bit integers. A board whose Espruino build
 * has `require("crypto").SHA512` installs it with setSha512Native (faster, same output).
 */

const K = new Uint32Array([
  0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f, 0xe9b5dba5, 0x8189dbbc,
  0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019, 0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118,
  0xd807aa98, 0xa3030242, 0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
  0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235, 0xc19bf174, 0xcf692694,
  0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3, 0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65,
  0x2de92c6f, 0x592b0275, 0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
  0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f, 0xbf597fc7, 0xbeef0ee4,
  0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725, 0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70,
  0x27b70a85, 0x46d22ffc, 0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
  0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6, 0x92722c85, 0x1482353b,
  0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001, 0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30,
  0xd192e819, 0xd6ef5218, 0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
  0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99, 0x34b0bcb5, 0xe19b48a8,
  0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb, 0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3,
  0x748f82ee, 0x5defb2fc, 0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
  0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915, 0xc67178f2, 0xe372532b,
  0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207, 0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178,
  0x06f067aa, 0x72176fba, 0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
  0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc, 0x431d67c4, 0x9c100d4c,
  0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a, 0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817,
]);

const IV = [0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
  0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179];

let native: ((m: Uint8Array) => Uint8Array) | null = null;

/** Installs a native SHA-512 (for example Espruino's crypto module). Pass null to remove it. */
export function setSha512Native(fn: ((m: Uint8Array) => Uint8Array) | null): void {
  native = fn;
}

export function sha512(msg: Uint8Array): Uint8Array {
  if (native) return native(msg);
  return sha512Js(msg);
}

/** The pure-JS path, always available (tests compare it with the native one). */
export function sha512Js(msg: Uint8Array): Uint8Array {
  const n = msg.length;
  const blocks = Math.floor((n + 17 + 127) / 128);
  const padded = new Uint8Array(blocks * 128);
  padded.set(msg);
  padded[n] = 0x80;
  // Bit length, big-endian, in the last 16 bytes (messages here are far below 2^53 bits).
  const bits = n * 8;
  const end = padded.length;
  padded[end - 1] = bits & 0xff;
  padded[end - 2] = (bits >>> 8) & 0xff;
  padded[end - 3] = (bits >>> 16) & 0xff;
  padded[end - 4] = (bits >>> 24) & 0xff;
  padded[end - 5] = Math.floor(n / 0x20000000) & 0xff;
  const h = new Uint32Array(IV);
  const w = new Uint32Array(160);
  for (let b = 0; b < blocks; b++) compress(h, w, padded, b * 128);
  const out = new Uint8Array(64);
  for (let i = 0; i < 16; i++) {
    const v = h[i];
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 0xff;
    out[4 * i + 2] = (v >>> 8) & 0xff;
    out[4 * i + 3] = v & 0xff;
  }
  return out;
}

/**
 * One 128-byte block. Written for Espruino's interpreter, whose cost grows with the source text
 * it reads while running (it has no compiled form) and with each local it looks up by name:
 * - the eight rounds in the loop body are unrolled with the registers' roles rotating, so no
 *   round moves the eight registers along;
 * - low words are kept unsigned (Uint32Array loads, `>>> 0` after a sum), so adding them needs no
 *   conversion, and typed-array stores wrap sums to 32 bits by themselves;
 * - each 64-bit sum takes one carry division by Z = 2^32;
 * - Ch and Maj use their three-operation forms;
 * - the "ram" directive makes Espruino copy this one function into RAM, pretokenised, when the
 *   bundle runs from Storage, so the block is not read back from flash for each of its 10 loop
 *   passes (on the Linux build every 16 bytes read from Storage are a file open, seek, read and
 *   close). It costs about 190 variables and takes the at-door hash from ~47 to ~13 ms of CPU
 *   there (docs/benchmarks.md). Other engines ignore the directive.
 */
function compress(h: Uint32Array, w: Uint32Array, p: Uint8Array, off: number): void {
  'ram';
  const Z = 4294967296;
  let i: number, j: number, l: number, xh: number, xl: number, yh: number, yl: number;
  for (i = 0, j = off; i < 32; i++, j += 4) w[i] = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
  for (i = 32; i < 160; i += 2) {
    // sigma1(w[t-2]) = rotr19 ^ rotr61 ^ shr6; sigma0(w[t-15]) = rotr1 ^ rotr8 ^ shr7
    xh = w[i - 4];
    xl = w[i - 3];
    yh = w[i - 30];
    yl = w[i - 29];
    l = ((((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26))) >>> 0) + w[i - 13] +
      ((((yl >>> 1) | (yh << 31)) ^ ((yl >>> 8) | (yh << 24)) ^ ((yl >>> 7) | (yh << 25))) >>> 0) + w[i - 31];
    w[i] = (((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6)) + w[i - 14] +
      (((yh >>> 1) | (yl << 31)) ^ ((yh >>> 8) | (yl << 24)) ^ (yh >>> 7)) + w[i - 32] + ((l / Z) | 0);
    w[i + 1] = l;
  }
  let ah = h[0], al = h[1], bh = h[2], bl = h[3], ch = h[4], cl = h[5], dh = h[6], dl = h[7];
  let eh = h[8], el = h[9], fh = h[10], fl = h[11], gh = h[12], gl = h[13], hh = h[14], hl = h[15];
  for (i = 0; i < 160; i += 16) {
    // Round t: T1 = h + Sigma1(e) + Ch(e, f, g) + K[t] + W[t] (kept in h), d += T1,
    // h = T1 + Sigma0(a) + Maj(a, b, c); the next round renames (a..h) to (h, a..g).
      l = hl + ((((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23))) >>> 0) + ((gl ^ (el & (fl ^ gl))) >>> 0) + K[i + 1] + w[i + 1];
      hh += (((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23))) + (gh ^ (eh & (fh ^ gh))) + K[i] + w[i] + ((l / Z) | 0);
      hl = l >>> 0;
      l = dl + hl;
      dh = (dh + hh + ((l / Z) | 0)) | 0;
      dl = l >>> 0;
      l = hl + ((((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25))) >>> 0) + (((al & bl) ^ (cl & (al ^ bl))) >>> 0);
      hh = (hh + (((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25))) + ((ah & bh) ^ (ch & (ah ^ bh))) + ((l / Z) | 0)) | 0;
      hl = l >>> 0;
      l = gl + ((((dl >>> 14) | (dh << 18)) ^ ((dl >>> 18) | (dh << 14)) ^ ((dh >>> 9) | (dl << 23))) >>> 0) + ((fl ^ (dl & (el ^ fl))) >>> 0) + K[i + 3] + w[i + 3];
      gh += (((dh >>> 14) | (dl << 18)) ^ ((dh >>> 18) | (dl << 14)) ^ ((dl >>> 9) | (dh << 23))) + (fh ^ (dh & (eh ^ fh))) + K[i + 2] + w[i + 2] + ((l / Z) | 0);
      gl = l >>> 0;
      l = cl + gl;
      ch = (ch + gh + ((l / Z) | 0)) | 0;
      cl = l >>> 0;
      l = gl + ((((hl >>> 28) | (hh << 4)) ^ ((hh >>> 2) | (hl << 30)) ^ ((hh >>> 7) | (hl << 25))) >>> 0) + (((hl & al) ^ (bl & (hl ^ al))) >>> 0);
      gh = (gh + (((hh >>> 28) | (hl << 4)) ^ ((hl >>> 2) | (hh << 30)) ^ ((hl >>> 7) | (hh << 25))) + ((hh & ah) ^ (bh & (hh ^ ah))) + ((l / Z) | 0)) | 0;
      gl = l >>> 0;
      l = fl + ((((cl >>> 14) | (ch << 18)) ^ ((cl >>> 18) | (ch << 14)) ^ ((ch >>> 9) | (cl << 23))) >>> 0) + ((el ^ (cl & (dl ^ el))) >>> 0) + K[i + 5] + w[i + 5];
      fh += (((ch >>> 14) | (cl << 18)) ^ ((ch >>> 18) | (cl << 14)) ^ ((cl >>> 9) | (ch << 23))) + (eh ^ (ch & (dh ^ eh))) + K[i + 4] + w[i + 4] + ((l / Z) | 0);
      fl = l >>> 0;
      l = bl + fl;
      bh = (bh + fh + ((l / Z) | 0)) | 0;
      bl = l >>> 0;
      l = fl + ((((gl >>> 28) | (gh << 4)) ^ ((gh >>> 2) | (gl << 30)) ^ ((gh >>> 7) | (gl << 25))) >>> 0) + (((gl & hl) ^ (al & (gl ^ hl))) >>> 0);
      fh = (fh + (((gh >>> 28) | (gl << 4)) ^ ((gl >>> 2) | (gh << 30)) ^ ((gl >>> 7) | (gh << 25))) + ((gh & hh) ^ (ah & (gh ^ hh))) + ((l / Z) | 0)) | 0;
      fl = l >>> 0;
      l = el + ((((bl >>> 14) | (bh << 18)) ^ ((bl >>> 18) | (bh << 14)) ^ ((bh >>> 9) | (bl << 23))) >>> 0) + ((dl ^ (bl & (cl ^ dl))) >>> 0) + K[i + 7] + w[i + 7];
      eh += (((bh >>> 14) | (bl << 18)) ^ ((bh >>> 18) | (bl << 14)) ^ ((bl >>> 9) | (bh << 23))) + (dh ^ (bh & (ch ^ dh))) + K[i + 6] + w[i + 6] + ((l / Z) | 0);
      el = l >>> 0;
      l = al + el;
      ah = (ah + eh + ((l / Z) | 0)) | 0;
      al = l >>> 0;
      l = el + ((((fl >>> 28) | (fh << 4)) ^ ((fh >>> 2) | (fl << 30)) ^ ((fh >>> 7) | (fl << 25))) >>> 0) + (((fl & gl) ^ (hl & (fl ^ gl))) >>> 0);
      eh = (eh + (((fh >>> 28) | (fl << 4)) ^ ((fl >>> 2) | (fh << 30)) ^ ((fl >>> 7) | (fh << 25))) + ((fh & gh) ^ (hh & (fh ^ gh))) + ((l / Z) | 0)) | 0;
      el = l >>> 0;
      l = dl + ((((al >>> 14) | (ah << 18)) ^ ((al >>> 18) | (ah << 14)) ^ ((ah >>> 9) | (al << 23))) >>> 0) + ((cl ^ (al & (bl ^ cl))) >>> 0) + K[i + 9] + w[i + 9];
      dh += (((ah >>> 14) | (al << 18)) ^ ((ah >>> 18) | (al << 14)) ^ ((al >>> 9) | (ah << 23))) + (ch ^ (ah & (bh ^ ch))) + K[i + 8] + w[i + 8] + ((l / Z) | 0);
      dl = l >>> 0;
      l = hl + dl;
      hh = (hh + dh + ((l / Z) | 0)) | 0;
      hl = l >>> 0;
      l = dl + ((((el >>> 28) | (eh << 4)) ^ ((eh >>> 2) | (el << 30)) ^ ((eh >>> 7) | (el << 25))) >>> 0) + (((el & fl) ^ (gl & (el ^ fl))) >>> 0);
      dh = (dh + (((eh >>> 28) | (el << 4)) ^ ((el >>> 2) | (eh << 30)) ^ ((el >>> 7) | (eh << 25))) + ((eh & fh) ^ (gh & (eh ^ fh))) + ((l / Z) | 0)) | 0;
      dl = l >>> 0;
      l = cl + ((((hl >>> 14) | (hh << 18)) ^ ((hl >>> 18) | (hh << 14)) ^ ((hh >>> 9) | (hl << 23))) >>> 0) + ((bl ^ (hl & (al ^ bl))) >>> 0) + K[i + 11] + w[i + 11];
      ch += (((hh >>> 14) | (hl << 18)) ^ ((hh >>> 18) | (hl << 14)) ^ ((hl >>> 9) | (hh << 23))) + (bh ^ (hh & (ah ^ bh))) + K[i + 10] + w[i + 10] + ((l / Z) | 0);
      cl = l >>> 0;
      l = gl + cl;
      gh = (gh + ch + ((l / Z) | 0)) | 0;
      gl = l >>> 0;
      l = cl + ((((dl >>> 28) | (dh << 4)) ^ ((dh >>> 2) | (dl << 30)) ^ ((dh >>> 7) | (dl << 25))) >>> 0) + (((dl & el) ^ (fl & (dl ^ el))) >>> 0);
      ch = (ch + (((dh >>> 28) | (dl << 4)) ^ ((dl >>> 2) | (dh << 30)) ^ ((dl >>> 7) | (dh << 25))) + ((dh & eh) ^ (fh & (dh ^ eh))) + ((l / Z) | 0)) | 0;
      cl = l >>> 0;
      l = bl + ((((gl >>> 14) | (gh << 18)) ^ ((gl >>> 18) | (gh << 14)) ^ ((gh >>> 9) | (gl << 23))) >>> 0) + ((al ^ (gl & (hl ^ al))) >>> 0) + K[i + 13] + w[i + 13];
      bh += (((gh >>> 14) | (gl << 18)) ^ ((gh >>> 18) | (gl << 14)) ^ ((gl >>> 9) | (gh << 23))) + (ah ^ (gh & (hh ^ ah))) + K[i + 12] + w[i + 12] + ((l / Z) | 0);
      bl = l >>> 0;
      l = fl + bl;
      fh = (fh + bh + ((l / Z) | 0)) | 0;
      fl = l >>> 0;
      l = bl + ((((cl >>> 28) | (ch << 4)) ^ ((ch >>> 2) | (cl << 30)) ^ ((ch >>> 7) | (cl << 25))) >>> 0) + (((cl & dl) ^ (el & (cl ^ dl))) >>> 0);
      bh = (bh + (((ch >>> 28) | (cl << 4)) ^ ((cl >>> 2) | (ch << 30)) ^ ((cl >>> 7) | (ch << 25))) + ((ch & dh) ^ (eh & (ch ^ dh))) + ((l / Z) | 0)) | 0;
      bl = l >>> 0;
      l = al + ((((fl >>> 14) | (fh << 18)) ^ ((fl >>> 18) | (fh << 14)) ^ ((fh >>> 9) | (fl << 23))) >>> 0) + ((hl ^ (fl & (gl ^ hl))) >>> 0) + K[i + 15] + w[i + 15];
      ah += (((fh >>> 14) | (fl << 18)) ^ ((fh >>> 18) | (fl << 14)) ^ ((fl >>> 9) | (fh << 23))) + (hh ^ (fh & (gh ^ hh))) + K[i + 14] + w[i + 14] + ((l / Z) | 0);
      al = l >>> 0;
      l = el + al;
      eh = (eh + ah + ((l / Z) | 0)) | 0;
      el = l >>> 0;
      l = al + ((((bl >>> 28) | (bh << 4)) ^ ((bh >>> 2) | (bl << 30)) ^ ((bh >>> 7) | (bl << 25))) >>> 0) + (((bl & cl) ^ (dl & (bl ^ cl))) >>> 0);
      ah = (ah + (((bh >>> 28) | (bl << 4)) ^ ((bl >>> 2) | (bh << 30)) ^ ((bl >>> 7) | (bh << 25))) + ((bh & ch) ^ (dh & (bh ^ ch))) + ((l / Z) | 0)) | 0;
      al = l >>> 0;
  }
  add64(h, 0, ah, al); add64(h, 2, bh, bl); add64(h, 4, ch, cl); add64(h, 6, dh, dl);
  add64(h, 8, eh, el); add64(h, 10, fh, fl); add64(h, 12, gh, gl); add64(h, 14, hh, hl);
}

/** h[i..i+1] += (xh, xl) modulo 2^64 (xl unsigned; the stores wrap to 32 bits). */
function add64(h: Uint32Array, i: number, xh: number, xl: number): void {
  const lo = h[i + 1] + xl;
  h[i] = h[i] + xh + ((lo / 4294967296) | 0);
  h[i + 1] = lo;
}
