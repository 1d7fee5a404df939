/** Server-side requirements on a ClientHello over QUIC, and the suite / ALPN / key share choices. */
import { describe, expect, it } from 'vitest';
import { checkClientHello, selectAlpn, selectCipherSuite, selectKeyShare } from '../../../proxy/tls13/client-hello-check.ts';
import { ext } from '../../../proxy/tls13/extensions.ts';
import { decodeClientHello, encodeClientHello } from '../../../proxy/tls13/hello.ts';
import type { ClientHello, RawExtension, TlsResult } from '../../../proxy/tls13/tls13.types.ts';
import { RFC8448_1RTT as V, traceBytes } from './rfc8448-1rtt.vectors.ts';

function value<T>(r: TlsResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.alert}: ${r.error.message}`);
  return r.value;
}
const alertOf = <T>(r: TlsResult<T>): string => (r.ok ? 'ok' : r.error.alert);

const x25519Share = { group: 0x1d, keyExchange: new Uint8Array(32).fill(9) };
const base: Record<string, RawExtension> = {
  versions: ext.supportedVersionsClient([0x0304]),
  sigalgs: ext.signatureAlgorithms([0x0403, 0x0804]),
  groups: ext.supportedGroups([0x11ec, 0x1d, 0x17]),
  shares: ext.keyShareClient([x25519Share]),
  alpn: ext.alpn(['h3']),
  tp: ext.quicTransportParameters(Uint8Array.of(1, 1, 0)),
};

function hello(overrides: Record<string, RawExtension | undefined> = {}, suites = [0x1301, 0x1302, 0x1303]): ClientHello {
  const all = { ...base, ...overrides };
  const extensions = Object.values(all).filter((e): e is RawExtension => e !== undefined);
  return value(decodeClientHello(encodeClientHello({ random: new Uint8Array(32), cipherSuites: suites, extensions })));
}

describe('checkClientHello', () => {
  it('accepts a complete QUIC ClientHello', () => {
    expect(alertOf(checkClientHello(hello()))).toBe('ok');
  });

  it('the RFC 8448 ClientHello is valid TLS 1.3 but not QUIC (no transport parameters)', () => {
    const ch = value(decodeClientHello(traceBytes(V.clientHello)));
    expect(alertOf(checkClientHello(ch, { quic: false }))).toBe('ok');
    expect(alertOf(checkClientHello(ch))).toBe('missing_extension');
  });

  it('names the alert of each missing or inconsistent piece', () => {
    expect(alertOf(checkClientHello(hello({ versions: undefined })))).toBe('protocol_version');
    expect(alertOf(checkClientHello(hello({ versions: ext.supportedVersionsClient([0x0303]) })))).toBe('protocol_version');
    expect(alertOf(checkClientHello(hello({ sigalgs: undefined })))).toBe('missing_extension');
    expect(alertOf(checkClientHello(hello({ groups: undefined })))).toBe('missing_extension');
    expect(alertOf(checkClientHello(hello({ shares: undefined })))).toBe('missing_extension');
    expect(alertOf(checkClientHello(hello({ tp: undefined })))).toBe('missing_extension');
    expect(alertOf(checkClientHello(hello({ alpn: undefined })))).toBe('no_application_protocol');
    const stray = hello({ shares: ext.keyShareClient([{ group: 0x18, keyExchange: new Uint8Array(97) }]) });
    expect(alertOf(checkClientHello(stray))).toBe('illegal_parameter');
    const compressed = { ...hello(), legacyCompressionMethods: Uint8Array.of(1, 0) };
    expect(alertOf(checkClientHello(compressed))).toBe('illegal_parameter');
  });
});

describe('negotiation', () => {
  it('selects the server-preferred suite and ALPN, or fails with the RFC alert', () => {
    expect(value(selectCipherSuite(hello({}, [0x1303, 0x1301]), [0x1301, 0x1302, 0x1303]))).toBe(0x1301);
    expect(alertOf(selectCipherSuite(hello({}, [0x1304]), [0x1301]))).toBe('handshake_failure');
    expect(value(selectAlpn(hello({ alpn: ext.alpn(['h3-29', 'h3']) }), ['h3']))).toBe('h3');
    expect(alertOf(selectAlpn(hello({ alpn: ext.alpn(['hq-interop']) }), ['h3']))).toBe('no_application_protocol');
  });

  it('uses an offered share, asks for a retry when none fits, fails when no group is common', () => {
    const ch = hello();
    expect(value(selectKeyShare(ch, [0x1d, 0x17]))).toEqual({ kind: 'share', entry: ch.ext.keyShares![0] });
    // A share the server accepts beats a preferred group that would cost a round trip.
    expect(value(selectKeyShare(ch, [0x11ec, 0x1d]))).toEqual({ kind: 'share', entry: ch.ext.keyShares![0] });
    expect(value(selectKeyShare(ch, [0x11ec, 0x17]))).toEqual({ kind: 'retry', group: 0x11ec });
    expect(value(selectKeyShare(hello({ shares: ext.keyShareClient([]) }), [0x17]))).toEqual({ kind: 'retry', group: 0x17 });
    expect(alertOf(selectKeyShare(ch, [0x18]))).toBe('handshake_failure');
    const shortShare = hello({ shares: ext.keyShareClient([{ group: 0x1d, keyExchange: new Uint8Array(31) }]) });
    expect(alertOf(selectKeyShare(shortShare, [0x1d]))).toBe('illegal_parameter');
  });
});
