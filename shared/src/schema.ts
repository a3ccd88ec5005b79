/**
 * Wire schemas: each message layout is defined once as a list of typed fields; the
 * TypeScript type, the encoder, the decoder and the layout table in docs/protocol.md
 * all derive from it (docs/conventions.md#wire-formats). Portable ES5: the lock decodes with the same code.
 *
 * Memory matters on the lock: an Espruino function object costs ~7 variables and a closure
 * pair per field would cost thousands (measured: bench/firmware.mts). Codecs are therefore
 * small class instances whose methods live once on the prototype, and their labels (for the
 * docs) are computed on demand, never stored. The read and write methods carry Espruino's "ram"
 * directive, as the byte reader and writer do (codec.ts): the event the lock logs at the door is
 * encoded through them, and from Storage that took ~6.7 ms per event, ~1.5 ms with them in RAM.
 */
import { asciiBytes, codedError } from './bytes';
import {
  type ByteReader, type ByteWriter, expectEnd, expectTag, readBytes, readI16, readU16, readU32, readU8,
  reader, writeBytes, writeFixed, writeI16, writeU16, writeU32, writeU8, writer, written
} from './codec';

export interface Codec<T> {
  /** Fixed size in bytes, or -1 when variable. */
  readonly size: number;
  read(r: ByteReader): T;
  write(w: ByteWriter, v: T): void;
  /** Type as written in docs/protocol.md. */
  label(): string;
}

export type Field = readonly [string, Codec<any>];
export type Schema = readonly Field[];
export type Infer<S extends Schema> = { [F in S[number] as F[0]]: F[1] extends Codec<infer T> ? T : never };

/** Unsigned 8/16/32-bit or signed 16-bit integer, big-endian. */
class IntCodec implements Codec<number> {
  constructor(readonly size: number, readonly signed: boolean) {}
  read(r: ByteReader): number {
    'ram';
    if (this.size === 1) return readU8(r);
    if (this.size === 2) return this.signed ? readI16(r) : readU16(r);
    return readU32(r);
  }
  write(w: ByteWriter, v: number): void {
    'ram';
    if (this.size === 1) writeU8(w, v);
    else if (this.size === 2) {
      if (this.signed) writeI16(w, v);
      else writeU16(w, v);
    } else writeU32(w, v);
  }
  label(): string {
    return (this.signed ? 'i' : 'u') + this.size * 8;
  }
}

export const u8: Codec<number> = new IntCodec(1, false);
export const u16: Codec<number> = new IntCodec(2, false);
export const i16: Codec<number> = new IntCodec(2, true);
export const u32: Codec<number> = new IntCodec(4, false);

class FixedBytesCodec implements Codec<Uint8Array> {
  constructor(readonly size: number) {}
  read(r: ByteReader): Uint8Array {
    'ram';
    return readBytes(r, this.size);
  }
  write(w: ByteWriter, v: Uint8Array): void {
    'ram';
    writeFixed(w, v, this.size, 'field');
  }
  label(): string {
    return 'bytes[' + this.size + ']';
  }
}

const fixedCache: { [n: number]: Codec<Uint8Array> } = {};

/** Exactly n bytes. Instances are shared per size (memory on the lock). */
export function fixedBytes(n: number): Codec<Uint8Array> {
  return fixedCache[n] || (fixedCache[n] = new FixedBytesCodec(n));
}

/** An integer field whose value must lie in [min, max] on both encode and decode. */
class RangedCodec implements Codec<number> {
  readonly size: number;
  constructor(readonly inner: Codec<number>, readonly min: number, readonly max: number) {
    this.size = inner.size;
  }
  check(v: number): number {
    'ram';
    if (v < this.min || v > this.max) throw codedError('BAD_FORMAT', 'value ' + v + ' outside ' + this.min + '..' + this.max);
    return v;
  }
  read(r: ByteReader): number {
    'ram';
    return this.check(this.inner.read(r));
  }
  write(w: ByteWriter, v: number): void {
    'ram';
    this.inner.write(w, this.check(v));
  }
  label(): string {
    return this.inner.label() + ' ' + this.min + '..' + this.max;
  }
}

export function ranged(c: Codec<number>, min: number, max: number): Codec<number> {
  return new RangedCodec(c, min, max);
}

/** u8 count followed by that many items; at most `max`. */
class ListCodec<T> implements Codec<T[]> {
  readonly size = -1;
  constructor(readonly item: Codec<T>, readonly max: number) {}
  read(r: ByteReader): T[] {
    'ram';
    const n = readU8(r);
    if (n > this.max) throw codedError('BAD_FORMAT', 'list longer than ' + this.max);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(this.item.read(r));
    return out;
  }
  write(w: ByteWriter, v: T[]): void {
    'ram';
    if (!v || v.length > this.max) throw codedError('BAD_VALUE', 'list longer than ' + this.max);
    writeU8(w, v.length);
    for (let i = 0; i < v.length; i++) this.item.write(w, v[i]);
  }
  label(): string {
    return 'u8 count (0..' + this.max + ') + count x ' + this.item.label();
  }
}

export function listOf<T>(item: Codec<T>, max: number): Codec<T[]> {
  return new ListCodec(item, max);
}

/** u8 or u16 length followed by that many bytes; at most `max`. */
class VarBytesCodec implements Codec<Uint8Array> {
  readonly size = -1;
  constructor(readonly max: number) {}
  read(r: ByteReader): Uint8Array {
    'ram';
    const n = this.max > 255 ? readU16(r) : readU8(r);
    if (n > this.max) throw codedError('BAD_LENGTH', 'field longer than ' + this.max);
    return readBytes(r, n);
  }
  write(w: ByteWriter, v: Uint8Array): void {
    'ram';
    if (!(v instanceof Uint8Array) || v.length > this.max) throw codedError('BAD_VALUE', 'field longer than ' + this.max);
    if (this.max > 255) writeU16(w, v.length);
    else writeU8(w, v.length);
    writeBytes(w, v);
  }
  label(): string {
    return (this.max > 255 ? 'u16' : 'u8') + ' length (0..' + this.max + ') + bytes';
  }
}

const varCache: { [n: number]: Codec<Uint8Array> } = {};

export function varBytes(max: number): Codec<Uint8Array> {
  return varCache[max] || (varCache[max] = new VarBytesCodec(max));
}

export interface StructCodec<S extends Schema> extends Codec<Infer<S>> {
  readonly fields: S;
  /** Optional cross-field rule, run after reading and before writing. */
  readonly check: ((v: Infer<S>) => void) | null;
}

/**
 * Keeps the field names as one space-separated string and the codecs as one array: the typed
 * `[name, codec]` tuples (what the TypeScript types derive from) are rebuilt only when asked.
 */
class StructCodecImpl<S extends Schema> implements StructCodec<S> {
  readonly size: number;
  readonly names: string;
  readonly codecs: Codec<any>[];
  constructor(fields: S, readonly check: ((v: Infer<S>) => void) | null) {
    let size = 0;
    const names: string[] = [];
    const codecs: Codec<any>[] = [];
    for (let i = 0; i < fields.length; i++) {
      names.push(fields[i][0]);
      codecs.push(fields[i][1]);
      if (fields[i][1].size < 0 || size < 0) size = -1;
      else size += fields[i][1].size;
    }
    this.size = size;
    this.names = names.join(' ');
    this.codecs = codecs;
  }
  get fields(): S {
    const names = this.names.split(' ');
    const out: Field[] = [];
    for (let i = 0; i < names.length; i++) out.push([names[i], this.codecs[i]]);
    return out as unknown as S;
  }
  read(r: ByteReader): Infer<S> {
    'ram';
    const names = this.names.split(' ');
    const v: { [k: string]: unknown } = {};
    for (let i = 0; i < names.length; i++) v[names[i]] = this.codecs[i].read(r);
    if (this.check) this.check(v as Infer<S>);
    return v as Infer<S>;
  }
  write(w: ByteWriter, v: Infer<S>): void {
    'ram';
    if (this.check) this.check(v);
    const names = this.names.split(' ');
    const o = v as unknown as { [k: string]: unknown };
    for (let i = 0; i < names.length; i++) {
      if (o[names[i]] === undefined) throw codedError('BAD_VALUE', 'missing field ' + names[i]);
      this.codecs[i].write(w, o[names[i]]);
    }
  }
  label(): string {
    return 'struct';
  }
}

export function struct<S extends Schema>(fields: S, check?: (v: Infer<S>) => void): StructCodec<S> {
  return new StructCodecImpl(fields, check || null);
}

/**
 * A struct the lock rarely uses (the version-2 owner payloads), built from `build` each time it
 * is used and dropped afterwards, so a lock at rest keeps one small object for it instead of
 * the field table, its range codecs and its check (docs/firmware.md#memory). Costs a rebuild of
 * a few objects per use; the types are those of the struct `build` returns.
 */
class LazyStructCodec<S extends Schema> implements StructCodec<S> {
  constructor(private readonly build: () => StructCodec<S>) {}
  get size(): number {
    return this.build().size;
  }
  get fields(): S {
    return this.build().fields;
  }
  get check(): ((v: Infer<S>) => void) | null {
    return this.build().check;
  }
  read(r: ByteReader): Infer<S> {
    return this.build().read(r);
  }
  write(w: ByteWriter, v: Infer<S>): void {
    this.build().write(w, v);
  }
  label(): string {
    return 'struct';
  }
}

export function lazyStruct<S extends Schema>(build: () => StructCodec<S>): StructCodec<S> {
  return new LazyStructCodec(build);
}

/** A top-level message: 8-byte tag, version byte, then the struct; nothing after it. */
export interface MessageCodec<S extends Schema> {
  readonly tag: string;
  readonly body: StructCodec<S>;
  encode(v: Infer<S>): Uint8Array;
  decode(bytes: Uint8Array): Infer<S>;
}

class MessageCodecImpl<S extends Schema> implements MessageCodec<S> {
  constructor(readonly tag: string, readonly version: number, readonly body: StructCodec<S>) {}
  encode(v: Infer<S>): Uint8Array {
    'ram';
    const w = writer(this.body.size > 0 ? this.body.size + 9 : 128);
    writeBytes(w, asciiBytes(this.tag));
    writeU8(w, this.version);
    this.body.write(w, v);
    return written(w);
  }
  decode(bytes: Uint8Array): Infer<S> {
    'ram';
    const r = reader(bytes);
    readHeader(r, asciiBytes(this.tag), this.version);
    const v = this.body.read(r);
    expectEnd(r);
    return v;
  }
}

export function message<S extends Schema>(tag: string, version: number, body: StructCodec<S>): MessageCodec<S> {
  return new MessageCodecImpl(tag, version, body);
}

export function readHeader(r: ByteReader, tagBytes: Uint8Array, version: number): void {
  'ram';
  expectTag(r, tagBytes);
  const v = readU8(r);
  if (v !== version) throw codedError('BAD_VERSION', 'unsupported version ' + v);
}
