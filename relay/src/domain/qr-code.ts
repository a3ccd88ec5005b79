/**
 * QR codes as SVG (the `qrcode` package): the guest invitation link on the owner page and the
 * offline scan codes on the guest page, for the door's scanner. Rendered on the relay so the
 * pages stay free of third-party scripts (their CSP allows only their own).
 */
import { toString } from 'qrcode';

/** Longest text the pages ask to encode: an invitation link is about 90 characters. */
export const MAX_QR_TEXT = 512;
/** Quiet zone in modules; scanners need at least 4. */
const QUIET_ZONE = 4;

/** SVG of `text` as a QR code, error correction M (15 % of the symbol may be unreadable). */
export function qrSvg(text: string): Promise<string> {
  return toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: QUIET_ZONE, color: { dark: '#000000', light: '#ffffff' } });
}
