/**
 * Retry address-validation tokens (proxy/quic/address-token.ts, RFC 9000 §8.1.2, §8.1.3): a token
 * opens only under the same key, for the same client address and Retry connection id, within its
 * lifetime, and gives back the original DCID.
 */
import { describe, expect, it } from 'vitest';
import { openRetryToken, RETRY_TOKEN_LIFETIME_MS, RETRY_TOKEN_TYPE, retryTokenKey, sealRetryToken } from '../../../proxy/quic/address-token.ts';

const secret = new Uint8Array(32).fill(7);
const key = retryTokenKey(secret);
const odcid = Uint8Array.from(Buffer.from('8394c8f03e515708', 'hex'));
const retryScid = Uint8Array.from(Buffer.from('01aabbccddeeff00', 'hex'));
const binding = { address: '127.0.0.1', retryScid };
const T0 = 1_700_000_000_000;

describe('Retry tokens', () => {
  it('round trip: the original DCID and the issue time come back', () => {
    const t = sealRetryToken(key, binding, odcid, T0);
    expect(t[0]).toBe(RETRY_TOKEN_TYPE);
    expect(t.length).toBe(1 + 12 + 8 + 1 + odcid.length + 16);
    const c = openRetryToken(key, t, binding, T0 + 50);
    expect(c).toEqual({ ok: true, odcid, issuedAt: T0 });
    // The same secret on another thread derives the same key (workers share the supervisor's secret).
    expect(openRetryToken(retryTokenKey(new Uint8Array(32).fill(7)), t, binding, T0 + 50).ok).toBe(true);
    // A 20-byte and an empty ODCID too.
    const long = new Uint8Array(20).fill(0xee);
    expect(openRetryToken(key, sealRetryToken(key, binding, long, T0), binding, T0)).toMatchObject({ ok: true, odcid: long });
    expect(openRetryToken(key, sealRetryToken(key, binding, new Uint8Array(0), T0), binding, T0)).toMatchObject({ ok: true, odcid: new Uint8Array(0) });
  });

  it('two tokens for the same client differ (random nonce)', () => {
    expect(Buffer.from(sealRetryToken(key, binding, odcid, T0)).equals(Buffer.from(sealRetryToken(key, binding, odcid, T0)))).toBe(false);
  });

  it('refuses every single flipped bit as invalid (or malformed for the type byte)', () => {
    const t = sealRetryToken(key, binding, odcid, T0);
    for (let i = 0; i < t.length; i++) {
      const bad = t.slice();
      bad[i] ^= 0x01;
      const c = openRetryToken(key, bad, binding, T0);
      expect(c, `byte ${i}`).toEqual({ ok: false, why: i === 0 ? 'malformed' : 'invalid' });
    }
  });

  it('refuses a token from another address, for another Retry connection id, or under another key', () => {
    const t = sealRetryToken(key, binding, odcid, T0);
    expect(openRetryToken(key, t, { address: '127.0.0.2', retryScid }, T0)).toEqual({ ok: false, why: 'invalid' });
    expect(openRetryToken(key, t, { address: '::ffff:127.0.0.1', retryScid }, T0)).toEqual({ ok: false, why: 'invalid' });
    expect(openRetryToken(key, t, { address: '127.0.0.1', retryScid: odcid }, T0)).toEqual({ ok: false, why: 'invalid' });
    expect(openRetryToken(retryTokenKey(new Uint8Array(32).fill(8)), t, binding, T0)).toEqual({ ok: false, why: 'invalid' });
  });

  it('refuses an expired token and one issued in the future', () => {
    const t = sealRetryToken(key, binding, odcid, T0);
    expect(openRetryToken(key, t, binding, T0 + RETRY_TOKEN_LIFETIME_MS).ok).toBe(true);
    expect(openRetryToken(key, t, binding, T0 + RETRY_TOKEN_LIFETIME_MS + 1)).toEqual({ ok: false, why: 'expired' });
    expect(openRetryToken(key, t, binding, T0 + 2_000, 1_000)).toEqual({ ok: false, why: 'expired' });
    expect(openRetryToken(key, t, binding, T0 - 60_000)).toEqual({ ok: false, why: 'expired' });
  });

  it('refuses truncated, empty and oversized tokens without throwing', () => {
    const t = sealRetryToken(key, binding, odcid, T0);
    for (const bad of [new Uint8Array(0), t.subarray(0, 1), t.subarray(0, t.length - 1), new Uint8Array(200).fill(RETRY_TOKEN_TYPE)]) {
      const c = openRetryToken(key, bad, binding, T0);
      expect(c.ok).toBe(false);
    }
    expect(() => sealRetryToken(key, binding, new Uint8Array(21), T0)).toThrow(RangeError);
  });
});
