// This browser's owner key (docs/protocol.md §11): an Ed25519 key pair made with WebCrypto,
// the private half not extractable, kept in IndexedDB so it survives reloads and never leaves
// the browser. It signs owner statements over the exact bytes the lock checks.

const DB_NAME = 'keyway-owner';
const STORE = 'keys';
const RECORD = 'device-key';
const TAG_OWNER = 'KWY-OWN\0';
const TAG_KEY_ID = 'KWY-KID\0';
const OWNER_VERSION = 2;
const MAX_PAYLOAD = 160;

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function openDb() {
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

async function read(key) {
  const db = await openDb();
  try {
    return await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(key));
  } finally {
    db.close();
  }
}

async function write(key, value) {
  const db = await openDb();
  try {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, key);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export function toHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromHex(h) {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}

function ascii(s) {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Big-endian writer for the wire layouts of docs/protocol.md. */
export class Bytes {
  constructor() {
    this.parts = [];
  }
  u8(v) {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v) {
    return this.u8(v >> 8).u8(v);
  }
  i16(v) {
    return this.u16(v < 0 ? v + 0x10000 : v);
  }
  u32(v) {
    return this.u8(Math.floor(v / 0x1000000)).u8(v >> 16).u8(v >> 8).u8(v);
  }
  bytes(b) {
    for (const x of b) this.parts.push(x);
    return this;
  }
  done() {
    return Uint8Array.from(this.parts);
  }
}

/** The key id the lock derives: the first 4 bytes of SHA-512("KWY-KID\0" ‖ public key). */
async function keyIdOf(pub) {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-512', new Bytes().bytes(ascii(TAG_KEY_ID)).bytes(pub).done()));
  return ((h[0] << 24) >>> 0) + (h[1] << 16) + (h[2] << 8) + h[3];
}

/** This browser's key, made on first use: { privateKey (CryptoKey, not extractable), publicKey (raw bytes), keyId }. */
export async function deviceKey() {
  let rec = await read(RECORD);
  if (!rec) {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    rec = { privateKey: pair.privateKey, publicKey: pub, seq: 0, enrolled: [] };
    await write(RECORD, rec);
  }
  return { privateKey: rec.privateKey, publicKey: new Uint8Array(rec.publicKey), keyId: await keyIdOf(new Uint8Array(rec.publicKey)), enrolled: rec.enrolled || [] };
}

/** Whether this browser's key was enrolled on a lock (remembered here after the lock confirmed it). */
export async function rememberEnrolled(deviceId) {
  const rec = await read(RECORD);
  if (!rec) return;
  rec.enrolled = Array.from(new Set([...(rec.enrolled || []), deviceId]));
  await write(RECORD, rec);
}

/** The next sequence number: above every one this browser used, and at least the current second. */
async function nextSeq() {
  const rec = await read(RECORD);
  const seq = Math.max(Math.floor(Date.now() / 1000), (rec.seq || 0) + 1);
  rec.seq = seq;
  await write(RECORD, rec);
  return seq;
}

/**
 * Signs an owner statement for a lock: tag, version 2, device id, key id, sequence number, the
 * last second it may be used, the action and its payload bytes; returns it with the signature, in hex.
 */
export async function signStatement(deviceIdHex, action, payload, validForS) {
  if (payload.length > MAX_PAYLOAD) throw new Error('payload too long');
  const key = await deviceKey();
  const seq = await nextSeq();
  const body = new Bytes().bytes(ascii(TAG_OWNER)).u8(OWNER_VERSION).bytes(fromHex(deviceIdHex)).u32(key.keyId).u32(seq)
    .u32(Math.floor(Date.now() / 1000) + validForS).u8(action).u8(payload.length).bytes(payload).done();
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, body));
  return toHex(body) + toHex(sig);
}
