/** CRC-32 (IEEE 802.3) for storage records; Espruino's native E.CRC32 is used when installed. */
let table: Int32Array | null = null;
let native: ((m: Uint8Array) => number) | null = null;

export function setCrc32Native(fn: ((m: Uint8Array) => number) | null): void {
  native = fn;
}

export function crc32(data: Uint8Array): number {
  if (native) return native(data) >>> 0;
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
