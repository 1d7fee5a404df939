/**
 * Stateless resets (proxy/quic/reset-token.ts, RFC 9000 §10.3): sizes (smaller than the trigger, at
 * least 21 bytes, none for 21 bytes or less), layout, the token being the one the connection
 * advertised for that id, detection, and the rate limit (§10.3.3).
 */
import { describe, expect, it } from 'vitest';
import {
  buildStatelessReset, endsWithResetToken, MIN_STATELESS_RESET, PROCESS_RESET_SECRET, resetKeyFromSecret, ResetLimiter, statelessResetSize, statelessResetToken,
} from '../../../proxy/quic/reset-token.ts';
import { confirmHandshake, makePair } from './pair-setup.ts';

const token = Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));

describe('stateless reset', () => {
  it('is always smaller than its trigger, at least 21 bytes, and none answers 21 bytes or less', () => {
    for (let n = 0; n <= 21; n++) expect(buildStatelessReset(token, n)).toBeNull();
    for (let n = 22; n <= 43; n++) expect(buildStatelessReset(token, n)!.length).toBe(n - 1);
    for (let n = 44; n <= 1500; n += 7) {
      const r = buildStatelessReset(token, n)!;
      expect(r.length).toBeLessThan(n);
      expect(r.length).toBeGreaterThanOrEqual(41);
      expect(r.length).toBeLessThanOrEqual(56);
    }
    expect(statelessResetSize(22)).toBe(MIN_STATELESS_RESET);
    expect(statelessResetSize(1200, 3)).toBe(44);
  });

  it('looks like a short header and ends with the token (RFC 9000 §10.3 Figure 10)', () => {
    const r = buildStatelessReset(token, 100, (n) => new Uint8Array(n).fill(0xff))!;
    expect(r[0] & 0xc0).toBe(0x40);
    expect(Buffer.from(r.subarray(r.length - 16)).equals(Buffer.from(token))).toBe(true);
    expect(endsWithResetToken(r, [undefined, new Uint8Array(16), token])).toBe(true);
    expect(endsWithResetToken(r, [new Uint8Array(16)])).toBe(false);
    expect(endsWithResetToken(r.subarray(r.length - 20), [token])).toBe(false); // under 21 bytes: never a reset
    expect(() => buildStatelessReset(new Uint8Array(15), 100)).toThrow(RangeError);
  });

  it('tokens derive from the connection id and the key alone (RFC 9000 §10.3.2)', () => {
    const cid = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const k1 = resetKeyFromSecret(new Uint8Array(32).fill(1));
    expect(statelessResetToken(cid, k1)).toEqual(statelessResetToken(cid, resetKeyFromSecret(new Uint8Array(32).fill(1))));
    expect(statelessResetToken(cid, k1)).not.toEqual(statelessResetToken(cid, resetKeyFromSecret(new Uint8Array(32).fill(2))));
    expect(statelessResetToken(cid, k1)).not.toEqual(statelessResetToken(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 9), k1));
    expect(statelessResetToken(cid).length).toBe(16);
  });

  it('the token of a reset for any id the server issued equals the one it advertised for it', () => {
    const p = makePair();
    expect(confirmHandshake(p)).toBe(true);
    p.runFor(200);
    const advertised = p.client.peerTransportParameters!.statelessResetToken!;
    expect(statelessResetToken(p.server.localCid, PROCESS_RESET_SECRET)).toEqual(advertised);
    const issued = p.server.activeLocalCids();
    expect(issued.length).toBeGreaterThan(1);
    for (const c of issued) {
      const reset = buildStatelessReset(statelessResetToken(c.cid), 60)!;
      expect(endsWithResetToken(reset, [c.token])).toBe(true);
    }
  });

  it('is rate-limited per address and overall (RFC 9000 §10.3.3)', () => {
    const l = new ResetLimiter(3, 5, 2);
    expect([1, 2, 3, 4].map(() => l.allow('a', 1000))).toEqual([true, true, true, false]);
    expect(l.allow('b', 1001)).toBe(true);
    expect(l.allow('c', 1002)).toBe(true); // third address shares the overflow budget
    expect(l.allow('d', 1003)).toBe(false); // overall limit of 5 reached
    expect(l.allow('a', 2000)).toBe(true); // a new second
  });
});
