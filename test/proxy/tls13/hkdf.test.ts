/** HKDF against RFC 5869 appendix A.1 and A.3 (SHA-256), and the HKDF-Expand length limit. */
import { describe, expect, it } from 'vitest';
import { hkdfExpand, hkdfExpandLabel, hkdfExtract } from '../../../proxy/tls13/hkdf.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('HKDF (RFC 5869)', () => {
  it('A.1: basic test case with SHA-256', () => {
    const prk = hkdfExtract('sha256', h('000102030405060708090a0b0c'), new Uint8Array(22).fill(0x0b));
    expect(hex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(hex(hkdfExpand('sha256', prk, h('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('A.3: zero-length salt and info', () => {
    const prk = hkdfExtract('sha256', new Uint8Array(0), new Uint8Array(22).fill(0x0b));
    expect(hex(prk)).toBe('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
    expect(hex(hkdfExpand('sha256', prk, new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('refuses more than 255 * Hash.length bytes (caller error)', () => {
    expect(() => hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1)).toThrow(RangeError);
    expect(hkdfExpand('sha384', new Uint8Array(48), new Uint8Array(0), 255 * 48).length).toBe(255 * 48);
  });

  it('HKDF-Expand-Label with the QUIC labels of RFC 9001 appendix A.1 (client Initial key, iv, hp)', () => {
    const clientInitial = h('c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea');
    expect(hex(hkdfExpandLabel('sha256', clientInitial, 'quic key', new Uint8Array(0), 16))).toBe('1f369613dd76d5467730efcbe3b1a22d');
    expect(hex(hkdfExpandLabel('sha256', clientInitial, 'quic iv', new Uint8Array(0), 12))).toBe('fa044b2f42a3fd3b46fb255c');
    expect(hex(hkdfExpandLabel('sha256', clientInitial, 'quic hp', new Uint8Array(0), 16))).toBe('9f50449e04a0e810283a1e9933adedd2');
  });
});
