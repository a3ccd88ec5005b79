/**
 * Decodes QR codes the way a scanner does, with jsQR (a second, independent implementation):
 * from RGBA pixels (a Chromium canvas), or from the relay's SVG by rasterizing its module runs.
 */
import jsQR from 'jsqr';

const SCALE = 6;

/** Text in an RGBA image, or null when no QR code is found. */
export function decodePixels(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  const r = jsQR(rgba, width, height, { inversionAttempts: 'dontInvert' });
  return r ? r.data : null;
}

/**
 * Rasterizes the qrcode package's SVG: a viewBox of N×N modules, and dark modules as one path of
 * horizontal runs (`M x y` / `m dx dy` moves, `h n` runs along the row at y − 0.5).
 */
export function svgToPixels(svg: string): { rgba: Uint8ClampedArray; width: number; height: number } {
  const vb = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  const dark = /<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/.exec(svg);
  if (!vb || !dark) throw new Error('not a qrcode SVG');
  const n = Number(vb[1]);
  const width = n * SCALE;
  const rgba = new Uint8ClampedArray(width * width * 4).fill(255);
  let x = 0;
  let y = 0;
  const tokens = dark[1].match(/[Mmh]|-?\d+(?:\.\d+)?/g) ?? [];
  for (let i = 0; i < tokens.length; ) {
    const op = tokens[i++];
    if (op === 'M' || op === 'm') {
      const dx = Number(tokens[i++]);
      const dy = Number(tokens[i++]);
      x = op === 'M' ? dx : x + dx;
      y = op === 'M' ? dy : y + dy;
    } else if (op === 'h') {
      const len = Number(tokens[i++]);
      const row = Math.floor(y);
      for (let col = x; col < x + len; col++) {
        for (let py = row * SCALE; py < (row + 1) * SCALE; py++) {
          for (let px = col * SCALE; px < (col + 1) * SCALE; px++) {
            const o = (py * width + px) * 4;
            rgba[o] = rgba[o + 1] = rgba[o + 2] = 0;
          }
        }
      }
      x += len;
    } else {
      throw new Error('unexpected path token ' + op);
    }
  }
  return { rgba, width, height: width };
}

export function decodeSvg(svg: string): string | null {
  const p = svgToPixels(svg);
  return decodePixels(p.rgba, p.width, p.height);
}
