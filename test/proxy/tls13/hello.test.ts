/**
 * ClientHello / ServerHello / HelloRetryRequest codecs against RFC 8448 section 3 (decode, then
 * re-encode byte for byte, from the raw extension list and from the typed builders), and the alerts
 * of hostile inputs.
 */
import { describe, expect, it } from 'vitest';
import { ext } from '../../../proxy/tls13/extensions.ts';
import {
  HELLO_RETRY_REQUEST_RANDOM,
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
} from '../../../proxy/tls13/hello.ts';
import type { TlsResult } from '../../../proxy/tls13/tls13.types.ts';
import { RFC8448_1RTT as V, traceBytes } from './rfc8448-1rtt.vectors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function value<T>(r: TlsResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.alert}: ${r.error.message}`);
  return r.value;
}

function alertOf<T>(r: TlsResult<T>): string {
  return r.ok ? 'ok' : r.error.alert;
}

/** Rebuilds a message with its 24-bit length fixed after editing the body. */
function withBody(type: number, body: Uint8Array): Uint8Array {
  return Uint8Array.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body]);
}

describe('ClientHello of RFC 8448 section 3', () => {
  const bytes = traceBytes(V.clientHello);
  const ch = value(decodeClientHello(bytes));

  it('decodes the fixed fields', () => {
    expect(ch.legacyVersion).toBe(0x0303);
    expect(hex(ch.random)).toBe('6660261ff947cea49cce6cfad687f457cf1b14531ba14131a0e8f309a1d0b9c4');
    expect(ch.legacySessionId.length).toBe(0);
    expect(ch.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect([...ch.legacyCompressionMethods]).toEqual([0]);
  });

  it('decodes the extensions it interprets and keeps all nine in wire order', () => {
    expect(ch.extensions.map((e) => e.type)).toEqual([0, 0xff01, 10, 0x23, 51, 43, 13, 45, 28]);
    expect(ch.ext.serverName).toBe('server');
    expect(ch.ext.supportedGroups).toEqual([0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]);
    expect(ch.ext.keyShares?.map((k) => [k.group, hex(k.keyExchange)])).toEqual([[0x1d, hex(traceBytes(V.clientPublic))]]);
    expect(ch.ext.supportedVersions).toEqual([0x0304]);
    expect(ch.ext.signatureAlgorithms).toEqual([
      0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202,
    ]);
    expect(ch.ext.pskKeyExchangeModes).toEqual([1]);
    expect(ch.ext.quicTransportParameters).toBeUndefined();
    expect(hex(ch.extensions[8].data)).toBe('4001'); // record_size_limit, kept raw
  });

  it('re-encodes byte for byte from the decoded message', () => {
    expect(hex(encodeClientHello(ch))).toBe(hex(bytes));
  });

  it('re-encodes byte for byte from the typed extension builders', () => {
    const rebuilt = encodeClientHello({
      random: ch.random,
      cipherSuites: ch.cipherSuites,
      extensions: [
        ext.serverName('server'),
        ch.extensions[1], // renegotiation_info, not built by this stack
        ext.supportedGroups(ch.ext.supportedGroups!),
        ch.extensions[3], // session_ticket
        ext.keyShareClient(ch.ext.keyShares!),
        ext.supportedVersionsClient([0x0304]),
        ext.signatureAlgorithms(ch.ext.signatureAlgorithms!),
        ext.pskKeyExchangeModes([1]),
        ch.extensions[8],
      ],
    });
    expect(hex(rebuilt)).toBe(hex(bytes));
  });

  it('a QUIC ClientHello with ALPN h3 and transport parameters round-trips', () => {
    const tp = h('0104 80007530 0f08 0011223344556677');
    const out = encodeClientHello({
      random: new Uint8Array(32).fill(7),
      cipherSuites: [0x1301, 0x1302, 0x1303],
      extensions: [
        ext.alpn(['h3', 'h3-29']),
        ext.quicTransportParameters(tp),
        ext.keyShareClient([{ group: 0x11ec, keyExchange: new Uint8Array(1216).fill(1) }, { group: 0x1d, keyExchange: new Uint8Array(32).fill(2) }]),
        ext.cookie(h('c0ffee')),
        ext.earlyData(),
      ],
    });
    const back = value(decodeClientHello(out));
    expect(back.ext.alpn).toEqual(['h3', 'h3-29']);
    expect(hex(back.ext.quicTransportParameters!)).toBe(hex(tp));
    expect(back.ext.keyShares?.map((k) => [k.group, k.keyExchange.length])).toEqual([[0x11ec, 1216], [0x1d, 32]]);
    expect(hex(back.ext.cookie!)).toBe('c0ffee');
    expect(back.ext.earlyData).toBe(true);
    expect(hex(encodeClientHello(back))).toBe(hex(out));
  });
});

describe('ServerHello of RFC 8448 section 3', () => {
  const bytes = traceBytes(V.serverHello);
  const sh = value(decodeServerHello(bytes));

  it('decodes a ServerHello (not a retry) with its key share and version', () => {
    expect(sh.kind).toBe('server_hello');
    expect(sh.cipherSuite).toBe(0x1301);
    expect(sh.ext.supportedVersion).toBe(0x0304);
    expect(sh.ext.keyShare?.group).toBe(0x1d);
    expect(hex(sh.ext.keyShare!.keyExchange)).toBe(hex(traceBytes(V.serverPublic)));
  });

  it('re-encodes byte for byte, from the decoded message and from the builders', () => {
    expect(hex(encodeServerHello(sh))).toBe(hex(bytes));
    const rebuilt = encodeServerHello({
      random: sh.random,
      cipherSuite: 0x1301,
      extensions: [ext.keyShareServer(sh.ext.keyShare!), ext.supportedVersionServer(0x0304)],
    });
    expect(hex(rebuilt)).toBe(hex(bytes));
  });
});

describe('HelloRetryRequest', () => {
  it('HELLO_RETRY_REQUEST_RANDOM is the value printed in RFC 8446 section 4.1.3', () => {
    expect(hex(HELLO_RETRY_REQUEST_RANDOM)).toBe(
      hex(h('CF 21 AD 74 E5 9A 61 11 BE 1D 8C 02 1E 65 B8 91 C2 A2 11 16 7A BB 8C 5E 07 9E 09 E2 C8 A8 33 9C')),
    );
  });

  it('is recognised by its random and carries the selected group and a cookie', () => {
    const hrr = encodeServerHello({
      random: HELLO_RETRY_REQUEST_RANDOM,
      cipherSuite: 0x1302,
      extensions: [ext.supportedVersionServer(0x0304), ext.keyShareRetry(0x17), ext.cookie(h('0102'))],
    });
    const d = value(decodeServerHello(hrr));
    expect(d.kind).toBe('hello_retry_request');
    expect(d.ext.selectedGroup).toBe(0x17);
    expect(d.ext.keyShare).toBeUndefined();
    expect(hex(d.ext.cookie!)).toBe('0102');
    expect(hex(encodeServerHello(d))).toBe(hex(hrr));
  });

  it('a cookie in a ServerHello that is not a retry is illegal_parameter', () => {
    const sh = encodeServerHello({ random: new Uint8Array(32), cipherSuite: 0x1301, extensions: [ext.cookie(h('01'))] });
    const r = decodeServerHello(sh);
    expect(alertOf(r)).toBe('illegal_parameter');
    expect(!r.ok && r.error.message).toMatch(/cookie is not allowed in server_hello/);
  });
});

describe('hostile ClientHello bytes end in an alert, never an exception', () => {
  const bytes = traceBytes(V.clientHello);

  it('every truncation of the body is decode_error (header length fixed up)', () => {
    for (let n = 0; n < bytes.length - 4; n++) {
      const r = decodeClientHello(withBody(1, bytes.subarray(4, 4 + n)));
      // Cut exactly before the extensions (version, random, session id, 3 suites, compression): a
      // valid extension-less hello of TLS 1.2 style, which checkClientHello refuses later.
      if (n === 2 + 32 + 1 + 8 + 2) {
        expect(r.ok && r.value.extensions.length).toBe(0);
        continue;
      }
      expect(alertOf(r), `body cut at ${n}`).toBe('decode_error');
    }
  });

  it('a header length that disagrees with the bytes is decode_error at byte 1', () => {
    const r = decodeClientHello(bytes.subarray(0, 100));
    expect(alertOf(r)).toBe('decode_error');
    expect(!r.ok && r.error.offset).toBe(1);
  });

  it('a message of another type is unexpected_message', () => {
    expect(alertOf(decodeClientHello(traceBytes(V.serverHello)))).toBe('unexpected_message');
  });

  it('a duplicated extension is illegal_parameter at its offset', () => {
    const ch = value(decodeClientHello(bytes));
    const dup = encodeClientHello({ ...ch, extensions: [...ch.extensions, ch.extensions[0]] });
    const r = decodeClientHello(dup);
    expect(alertOf(r)).toBe('illegal_parameter');
    expect(!r.ok && r.error.message).toMatch(/server_name appears twice/);
    expect(!r.ok && r.error.offset).toBe(bytes.length + 0); // the duplicate starts where the original message ended
  });

  it('pre_shared_key that is not last is illegal_parameter (RFC 8446 section 4.2.11)', () => {
    const ch = value(decodeClientHello(bytes));
    const psk = { type: 41, data: h('0000') };
    expect(alertOf(decodeClientHello(encodeClientHello({ ...ch, extensions: [...ch.extensions, psk] })))).toBe('ok');
    const r = decodeClientHello(encodeClientHello({ ...ch, extensions: [psk, ...ch.extensions] }));
    expect(alertOf(r)).toBe('illegal_parameter');
    expect(!r.ok && r.error.message).toMatch(/pre_shared_key is not the last/);
  });

  it('a key share group offered twice is illegal_parameter (section 4.2.8)', () => {
    const k = { group: 0x1d, keyExchange: new Uint8Array(32) };
    const r = decodeClientHello(encodeClientHello({ random: new Uint8Array(32), cipherSuites: [0x1301], extensions: [ext.keyShareClient([k, k])] }));
    expect(alertOf(r)).toBe('illegal_parameter');
  });

  it('an odd-length cipher_suites, an empty key_exchange or a bad SNI are decode_error', () => {
    const base = { random: new Uint8Array(32), cipherSuites: [0x1301] };
    const oddSuites = value(decodeClientHello(encodeClientHello({ ...base, extensions: [] })));
    const body = Uint8Array.from(encodeClientHello(oddSuites).subarray(4));
    body[2 + 32 + 1 + 1] = 3; // cipher_suites length 3
    expect(alertOf(decodeClientHello(withBody(1, body)))).toBe('decode_error');
    const emptyKx = encodeClientHello({ ...base, extensions: [{ type: 51, data: h('0004 001d 0000') }] });
    expect(alertOf(decodeClientHello(emptyKx))).toBe('decode_error');
    const nulSni = encodeClientHello({ ...base, extensions: [{ type: 0, data: h('0006 00 0003 610062') }] });
    expect(alertOf(decodeClientHello(nulSni))).toBe('decode_error');
    const trailing = encodeClientHello({ ...base, extensions: [{ type: 43, data: h('02 0304 00') }] });
    expect(alertOf(decodeClientHello(trailing))).toBe('decode_error');
  });

  it('10,000 random single-byte mutations and truncations never throw', () => {
    let seed = 0x9e3779b9;
    const rand = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const alerts = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const m = Uint8Array.from(bytes);
      const flips = 1 + Math.floor(rand() * 3);
      for (let f = 0; f < flips; f++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? m.subarray(0, Math.floor(rand() * m.length)) : m;
      alerts.add(alertOf(decodeClientHello(cut)));
      alerts.add(alertOf(decodeServerHello(cut)));
    }
    expect(alerts.has('decode_error')).toBe(true);
    expect(alerts.has('unexpected_message')).toBe(true);
  });
});

describe('hostile ServerHello bytes', () => {
  it('a non-zero compression method is illegal_parameter at its offset', () => {
    const bytes = Uint8Array.from(traceBytes(V.serverHello));
    bytes[4 + 2 + 32 + 1 + 2] = 1;
    const r = decodeServerHello(bytes);
    expect(alertOf(r)).toBe('illegal_parameter');
    expect(!r.ok && r.error.offset).toBe(41);
  });

  it('an extension the client never offers (unknown type) is unsupported_extension', () => {
    const r = decodeServerHello(encodeServerHello({ random: new Uint8Array(32), cipherSuite: 0x1301, extensions: [{ type: 0x1234, data: h('') }] }));
    expect(alertOf(r)).toBe('unsupported_extension');
  });
});
