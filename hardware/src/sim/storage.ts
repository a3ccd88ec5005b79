/**
 * Espruino's Storage on simulated flash, with power cuts (docs/product.md#reliability-properties). Like the real thing a
 * write replaces a file non-atomically: a cut during the n-th write leaves that file
 * missing, half-written (rest erased to 0xFF) or truncated, and nothing after it is
 * written. Files are binary strings, as on a board.
 */
import type { EspruinoStorage } from '@keyway/firmware';

export type TearMode = 'missing' | 'erased-tail' | 'truncated';

export interface SimStorage extends EspruinoStorage {
  files: { [name: string]: string };
  writes: number;
  /** Cut power during write number `cutAt` (1-based); 0 = never. */
  cutAt: number;
  tear: TearMode;
  powered: boolean;
  /** Fraction of the file written before the cut (0..1). */
  tearFraction: number;
}

export function createSimStorage(files?: { [name: string]: string }): SimStorage {
  const s: SimStorage = {
    files: {}, writes: 0, cutAt: 0, tear: 'erased-tail', powered: true, tearFraction: 0.5,
    read: function (name) {
      return Object.prototype.hasOwnProperty.call(s.files, name) ? s.files[name] : undefined;
    },
    write: function (name, data) {
      if (!s.powered) return false;
      if (typeof data !== 'string' || name.length === 0 || name.length > 28) throw new Error('Storage: bad file name or data');
      s.writes++;
      if (s.cutAt > 0 && s.writes === s.cutAt) {
        s.powered = false;
        const n = Math.floor(data.length * s.tearFraction);
        if (s.tear === 'missing') delete s.files[name];
        else if (s.tear === 'truncated') s.files[name] = data.substring(0, n);
        else {
          let tail = '';
          for (let i = n; i < data.length; i++) tail += '\u00ff';
          s.files[name] = data.substring(0, n) + tail;
        }
        return false;
      }
      s.files[name] = data;
      return true;
    },
    erase: function (name) {
      if (!s.powered) return;
      delete s.files[name];
    },
    list: function (pattern?: RegExp) {
      const out: string[] = [];
      const keys = Object.keys(s.files);
      for (let i = 0; i < keys.length; i++) if (!pattern || pattern.test(keys[i])) out.push(keys[i]);
      return out;
    }
  };
  if (files) {
    const keys = Object.keys(files);
    for (let i = 0; i < keys.length; i++) s.files[keys[i]] = files[keys[i]];
  }
  return s;
}

/** The flash contents after a power cut, to boot a fresh lock from. */
export function snapshotFiles(s: SimStorage): { [name: string]: string } {
  const out: { [name: string]: string } = {};
  const keys = Object.keys(s.files);
  for (let i = 0; i < keys.length; i++) out[keys[i]] = s.files[keys[i]];
  return out;
}
