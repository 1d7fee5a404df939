/** Alerts as QUIC CRYPTO_ERROR codes (RFC 9001 section 4.8) and their descriptions. */
import { describe, expect, it } from 'vitest';
import { alertName, cryptoErrorCode, describeAlert, fail } from '../../../proxy/tls13/alert.ts';

describe('alerts', () => {
  it('maps an alert to 0x100 + its description (RFC 9001 section 4.8)', () => {
    expect(cryptoErrorCode('handshake_failure')).toBe(0x128);
    expect(cryptoErrorCode('decode_error')).toBe(0x132);
    expect(cryptoErrorCode('missing_extension')).toBe(0x16d);
    // RFC 9001 section 8.1 gives no_application_protocol as QUIC error code 0x0178.
    expect(cryptoErrorCode('no_application_protocol')).toBe(0x178);
  });

  it('names codes both ways and describes an outcome with what and where', () => {
    expect(alertName(47)).toBe('illegal_parameter');
    expect(alertName(255)).toBeUndefined();
    const r = fail('illegal_parameter', 'key_share offers group 0x1d twice', 57);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(describeAlert(r.error)).toBe('illegal_parameter (47, QUIC error 0x12f) at byte 57: key_share offers group 0x1d twice');
  });
});
