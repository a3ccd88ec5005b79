/**
 * Wire schemas: each message layout is defined once as a list of typed fields; the
 * TypeScript type, the encoder, the decoder and the layout table in docs/protocol.md
 * all derive from it (STYLE rule 3). Portable ES5: the lock decodes with the same code.
 */
import { asciiBytes, codedError } from './bytes';
import {
  type ByteReader, type ByteWriter, expectEnd, expectTag, readBytes, readI16, readU16, readU32, readU8,
  reader, writeBytes, writeFixed, writeI16, writeU16, writeU32, writeU8, writer, written
} from './codec';

export interface Codec<T> {
  /** Type as written in docs/protocol.md. */
  readonly label: string;
  /** Fixed size in bytes, or -1 when variable. */
  readonly size: number;
  read(r: ByteReader): T;
  write(w: ByteWriter, v: T): void;
}

export type Field = readonly [string, Codec<any>];
export type Schema = readonly Field[];
export type Infer<S extends Schema> = { [F in S[number] as F[0]]: F[1] extends Codec<infer T> ? T : never };

export const u8: Codec<number> = { label: 'u8', size: 1, read: readU8, write: writeU8 };
export const u16: Codec<number> = { label: 'u16', size: 2, read: readU16, write: writeU16 };
export const i16: Codec<number> = { label: 'i16', size: 2, read: readI16, write: writeI16 };
export const u32: Codec<number> = { label: 'u32', size: 4, read: readU32, write: writeU32 };

export function fixedBytes(n: number): Codec<Uint8Array> {
  return {
    label: 'bytes[' + n + ']',
    size: n,
    read: function (r) { return readBytes(r, n); },
    write: function (w, v) { writeFixed(w, v, n, 'field'); }
  };
}

/** An integer field whose value must lie in [min, max] on both encode and decode. */
export function ranged(c: Codec<number>, min: number, max: number): Codec<number> {
  function check(v: number): number {
    if (v < min || v > max) throw codedError('BAD_FORMAT', 'value ' + v + ' outside ' + min + '..' + max);
    return v;
  }
  return {
    label: c.label + ' ' + min + '..' + max,
    size: c.size,
    read: function (r) { return check(c.read(r)); },
    write: function (w, v) { c.write(w, check(v)); }
  };
}

/** u8 count followed by that many items; at most `max`. */
export function listOf<T>(item: Codec<T>, max: number): Codec<T[]> {
  return {
    label: 'u8 count (0..' + max + ') + count x ' + item.label,
    size: -1,
    read: function (r) {
      const n = readU8(r);
      if (n > max) throw codedError('BAD_FORMAT', 'list longer than ' + max);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(item.read(r));
      return out;
    },
    write: function (w, v) {
      if (!v || v.length > max) throw codedError('BAD_VALUE', 'list longer than ' + max);
      writeU8(w, v.length);
      for (let i = 0; i < v.length; i++) item.write(w, v[i]);
    }
  };
}

/** u8 or u16 length followed by that many bytes; at most `max`. */
export function varBytes(max: number): Codec<Uint8Array> {
  const wide = max > 255;
  return {
    label: (wide ? 'u16' : 'u8') + ' length (0..' + max + ') + bytes',
    size: -1,
    read: function (r) {
      const n = wide ? readU16(r) : readU8(r);
      if (n > max) throw codedError('BAD_LENGTH', 'field longer than ' + max);
      return readBytes(r, n);
    },
    write: function (w, v) {
      if (!(v instanceof Uint8Array) || v.length > max) throw codedError('BAD_VALUE', 'field longer than ' + max);
      if (wide) writeU16(w, v.length);
      else writeU8(w, v.length);
      writeBytes(w, v);
    }
  };
}

export interface StructCodec<S extends Schema> extends Codec<Infer<S>> {
  readonly fields: S;
  /** Optional cross-field rule, run after reading and before writing. */
  readonly check?: (v: Infer<S>) => void;
}

export function struct<S extends Schema>(fields: S, check?: (v: Infer<S>) => void): StructCodec<S> {
  let size = 0;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i][1].size < 0 || size < 0) size = -1;
    else size += fields[i][1].size;
  }
  return {
    label: 'struct',
    size: size,
    fields: fields,
    check: check,
    read: function (r) {
      const v: { [k: string]: unknown } = {};
      for (let i = 0; i < fields.length; i++) v[fields[i][0]] = fields[i][1].read(r);
      if (check) check(v as Infer<S>);
      return v as Infer<S>;
    },
    write: function (w, v) {
      if (check) check(v);
      const o = v as unknown as { [k: string]: unknown };
      for (let i = 0; i < fields.length; i++) {
        if (o[fields[i][0]] === undefined) throw codedError('BAD_VALUE', 'missing field ' + fields[i][0]);
        fields[i][1].write(w, o[fields[i][0]]);
      }
    }
  };
}

/** A top-level message: 8-byte tag, version byte, then the struct; nothing after it. */
export interface MessageCodec<S extends Schema> {
  readonly tag: string;
  readonly body: StructCodec<S>;
  encode(v: Infer<S>): Uint8Array;
  decode(bytes: Uint8Array): Infer<S>;
}

export function message<S extends Schema>(tag: string, version: number, body: StructCodec<S>): MessageCodec<S> {
  const tagBytes = asciiBytes(tag);
  return {
    tag: tag,
    body: body,
    encode: function (v) {
      const w = writer(body.size > 0 ? body.size + 9 : 128);
      writeBytes(w, tagBytes);
      writeU8(w, version);
      body.write(w, v);
      return written(w);
    },
    decode: function (bytes) {
      const r = reader(bytes);
      readHeader(r, tagBytes, version);
      const v = body.read(r);
      expectEnd(r);
      return v;
    }
  };
}

export function readHeader(r: ByteReader, tagBytes: Uint8Array, version: number): void {
  expectTag(r, tagBytes);
  const v = readU8(r);
  if (v !== version) throw codedError('BAD_VERSION', 'unsupported version ' + v);
}
