/**
 * The QUIC secret of a process (proxy/quic/cluster-secret.ts): derived from the global
 * `cluster-secret`, the same bytes, hence the same Retry and stateless reset tokens, for every
 * process configured with the same string; random per process without it.
 */
import { describe, expect, it } from 'vitest';
import { QUIC_SECRET_LENGTH, quicSecretOf } from '../../../proxy/quic/cluster-secret.ts';
import { openRetryToken, retryTokenKey, sealRetryToken } from '../../../proxy/quic/address-token.ts';
import { resetKeyFromSecret, statelessResetToken } from '../../../proxy/quic/reset-token.ts';

const cid = Uint8Array.from([0x01, 0x9a, 0x42, 0x07, 0xee, 0x10, 0x00, 0x5c]);
const odcid = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04]);
const binding = { address: '192.0.2.7', retryScid: cid };
const resetToken = (secret: Uint8Array) => statelessResetToken(cid, resetKeyFromSecret(secret));

describe('QUIC secret from cluster-secret', () => {
  it('is the same 32 bytes for the same string, every time (a restarted or sibling process)', () => {
    const a = quicSecretOf('our cluster secret');
    const b = quicSecretOf('our cluster secret');
    expect(a).toHaveLength(QUIC_SECRET_LENGTH);
    expect(b).toEqual(a);
    // Not the string itself, and a different string gives a different secret.
    expect(Buffer.from(a).toString('utf8')).not.toContain('our cluster secret');
    expect(quicSecretOf('our cluster secret ')).not.toEqual(a);
    expect(quicSecretOf('other')).not.toEqual(a);
  });

  it('is pinned: the derivation (HKDF-SHA256, salt and info) does not change between releases', () => {
    // RFC 5869 with SHA-256, salt 'flightbox cluster-secret', info 'flightbox quic secret v1' (computed independently).
    // Changing it would make every deployed cluster's tokens unrecognisable after an upgrade.
    expect(Buffer.from(quicSecretOf('flightbox')).toString('hex')).toBe('d782e3f064e1a4cc27a98584a7663658ef151201a2a8cd987352952f0659d2b2');
  });

  it('gives two processes with the same cluster-secret the same stateless reset token and Retry keys', () => {
    const first = quicSecretOf('s3cr3t');
    const restarted = quicSecretOf('s3cr3t');
    expect(resetToken(restarted)).toEqual(resetToken(first));
    const token = sealRetryToken(retryTokenKey(first), binding, odcid, Date.now());
    const opened = openRetryToken(retryTokenKey(restarted), token, binding, Date.now());
    expect(opened.ok && opened.odcid).toEqual(odcid);
    // Another cluster's secret neither recomputes the reset token nor opens the Retry token.
    const other = quicSecretOf('not ours');
    expect(resetToken(other)).not.toEqual(resetToken(first));
    expect(openRetryToken(retryTokenKey(other), token, binding, Date.now()).ok).toBe(false);
  });

  it('without cluster-secret: 32 random bytes per process, so a restarted process has other tokens', () => {
    const a = quicSecretOf(undefined);
    const b = quicSecretOf(undefined);
    expect(a).toHaveLength(QUIC_SECRET_LENGTH);
    expect(b).not.toEqual(a);
    expect(resetToken(b)).not.toEqual(resetToken(a));
    const token = sealRetryToken(retryTokenKey(a), binding, odcid, Date.now());
    expect(openRetryToken(retryTokenKey(b), token, binding, Date.now()).ok).toBe(false);
  });
});
