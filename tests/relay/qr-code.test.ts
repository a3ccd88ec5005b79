/** QR codes the relay renders decode, with an independent decoder, to exactly the text asked for. */
import { describe, expect, it } from 'vitest';
import { qrSvg } from '../../relay/src/domain/qr-code';
import { decodeSvg } from '../support/qr-decode';

describe('QR codes (SVG)', () => {
  it('an invitation link and a scan code decode to themselves', async () => {
    const texts = [
      'https://home.example.net:8443/guest#kw_guest_' + 'A1b2C3d4'.repeat(6),
      'KW1:42:' + 'c0ffee00'.repeat(8)
    ];
    for (const t of texts) expect(decodeSvg(await qrSvg(t))).toBe(t);
  });

  it('different texts give different codes, and a damaged code no longer reads as the original', async () => {
    const a = await qrSvg('KW1:1:' + '00'.repeat(32));
    const b = await qrSvg('KW1:2:' + '00'.repeat(32));
    expect(a).not.toBe(b);
    expect(decodeSvg(b)).not.toBe('KW1:1:' + '00'.repeat(32));
    // Wipe the finder patterns' runs: the decoder must then fail, proving it reads the pixels.
    const blank = a.replace(/(stroke="#000000"[^>]*d=")[^"]+/, '$1M0 0.5h1');
    expect(decodeSvg(blank)).toBeNull();
  });
});
