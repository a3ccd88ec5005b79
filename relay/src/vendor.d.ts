/** aedes-persistence-redis ships no type declarations (CommonJS: module.exports = factory). */
declare module 'aedes-persistence-redis' {
  function factory(opts?: Record<string, unknown>): unknown;
  export = factory;
}

/** qrcode ships no type declarations; only the SVG string renderer is used (relay/src/domain/qr-code.ts). */
declare module 'qrcode' {
  interface ToStringOptions {
    type: 'svg';
    errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
    margin?: number;
    color?: { dark?: string; light?: string };
  }
  export function toString(text: string, options: ToStringOptions): Promise<string>;
}
