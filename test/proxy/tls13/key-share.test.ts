/** Key exchange on node:crypto: x25519 (RFC 7748 section 6.1 vector), secp256r1, X25519MLKEM768, and bad peer shares. */
import { describe, expect, it } from 'vitest';
import { KEY_SHARE_SIZES, acceptClientKeyShare, generateClientKeyShare, supportedGroupName } from '../../../proxy/tls13/key-share.ts';
import type { SupportedGroupName, TlsResult } from '../../../proxy/tls13/tls13.types.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
function value<T>(r: TlsResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.alert}: ${r.error.message}`);
  return r.value;
}
const alertOf = <T>(r: TlsResult<T>): string => (r.ok ? 'ok' : r.error.alert);

describe('x25519', () => {
  it('matches the Diffie-Hellman example of RFC 7748 section 6.1', () => {
    // Alice's and Bob's private keys, public keys and shared secret from RFC 7748 section 6.1.
    const alice = generateClientKeyShare('x25519', {
      x25519PrivateKey: h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
    });
    expect(hex(alice.keyExchange)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const bob = value(
      acceptClientKeyShare('x25519', alice.keyExchange, {
        x25519PrivateKey: h('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
      }),
    );
    expect(hex(bob.keyExchange)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(hex(bob.sharedSecret)).toBe(shared);
    expect(hex(value(alice.complete(bob.keyExchange)))).toBe(shared);
  });

  it('refuses a low-order point (all-zero secret) and a wrong length with illegal_parameter', () => {
    expect(alertOf(acceptClientKeyShare('x25519', new Uint8Array(32)))).toBe('illegal_parameter');
    expect(alertOf(acceptClientKeyShare('x25519', h('01' + '00'.repeat(31))))).toBe('illegal_parameter');
    expect(alertOf(acceptClientKeyShare('x25519', new Uint8Array(31).fill(9)))).toBe('illegal_parameter');
    expect(alertOf(generateClientKeyShare('x25519').complete(new Uint8Array(32)))).toBe('illegal_parameter');
  });
});

describe('secp256r1', () => {
  it('agrees on a 32-byte secret with 65-byte uncompressed shares', () => {
    const c = generateClientKeyShare('secp256r1');
    expect(c.keyExchange.length).toBe(65);
    expect(c.keyExchange[0]).toBe(4);
    const s = value(acceptClientKeyShare('secp256r1', c.keyExchange));
    expect(s.sharedSecret.length).toBe(32);
    expect(hex(value(c.complete(s.keyExchange)))).toBe(hex(s.sharedSecret));
  });

  it('refuses compressed points, points off the curve and short shares', () => {
    const c = generateClientKeyShare('secp256r1');
    const compressed = Uint8Array.from([2, ...c.keyExchange.subarray(1, 33)]);
    expect(alertOf(acceptClientKeyShare('secp256r1', compressed))).toBe('illegal_parameter');
    const off = Uint8Array.from(c.keyExchange);
    off[64] ^= 1;
    const r = acceptClientKeyShare('secp256r1', off);
    expect(alertOf(r)).toBe('illegal_parameter');
    expect(!r.ok && r.error.message).toMatch(/not a point on the curve/);
    expect(alertOf(c.complete(new Uint8Array(65)))).toBe('illegal_parameter');
  });
});

describe('X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem)', () => {
  it('client share is 1184 + 32 bytes, server share 1088 + 32, secret ML-KEM || X25519 (64 bytes)', () => {
    const c = generateClientKeyShare('X25519MLKEM768');
    expect(c.group).toBe(0x11ec);
    expect(c.keyExchange.length).toBe(1216);
    const s = value(acceptClientKeyShare('X25519MLKEM768', c.keyExchange));
    expect(s.keyExchange.length).toBe(1120);
    expect(s.sharedSecret.length).toBe(64);
    expect(hex(value(c.complete(s.keyExchange)))).toBe(hex(s.sharedSecret));
  });

  it('the X25519 half is the last 32 bytes of each share and the last 32 of the secret', () => {
    const xPriv = h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const c = generateClientKeyShare('X25519MLKEM768', { x25519PrivateKey: xPriv });
    expect(hex(c.keyExchange.subarray(1184))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const s = value(
      acceptClientKeyShare('X25519MLKEM768', c.keyExchange, {
        x25519PrivateKey: h('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
      }),
    );
    expect(hex(s.keyExchange.subarray(1088))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(hex(s.sharedSecret.subarray(32))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  it('refuses an encapsulation key failing the modulus check, wrong sizes and a low-order X25519 half', () => {
    const bad = new Uint8Array(1216).fill(0xff);
    const r = acceptClientKeyShare('X25519MLKEM768', bad);
    expect(alertOf(r)).toBe('illegal_parameter');
    expect(!r.ok && r.error.message).toMatch(/modulus check/);
    expect(alertOf(acceptClientKeyShare('X25519MLKEM768', new Uint8Array(1215)))).toBe('illegal_parameter');
    const c = generateClientKeyShare('X25519MLKEM768');
    const lowOrder = Uint8Array.from(c.keyExchange);
    lowOrder.fill(0, 1184);
    expect(alertOf(acceptClientKeyShare('X25519MLKEM768', lowOrder))).toBe('illegal_parameter');
    expect(alertOf(c.complete(new Uint8Array(1119)))).toBe('illegal_parameter');
  });

  it('a tampered ciphertext decapsulates to another secret (implicit rejection), not an exception', () => {
    const c = generateClientKeyShare('X25519MLKEM768');
    const s = value(acceptClientKeyShare('X25519MLKEM768', c.keyExchange));
    const t = Uint8Array.from(s.keyExchange);
    t[0] ^= 1;
    const got = value(c.complete(t));
    expect(hex(got.subarray(0, 32))).not.toBe(hex(s.sharedSecret.subarray(0, 32)));
    expect(hex(got.subarray(32))).toBe(hex(s.sharedSecret.subarray(32)));
  });
});

describe('group table', () => {
  it('names the three groups by code and gives their sizes', () => {
    const names: (SupportedGroupName | undefined)[] = [0x1d, 0x17, 0x11ec, 0x18].map(supportedGroupName);
    expect(names).toEqual(['x25519', 'secp256r1', 'X25519MLKEM768', undefined]);
    expect(KEY_SHARE_SIZES.X25519MLKEM768).toEqual({ client: 1216, server: 1120, secret: 64 });
  });
});
