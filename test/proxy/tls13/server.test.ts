/**
 * ServerHandshake: the RFC 8448 section 3 "Simple 1-RTT Handshake" replayed into the server (its
 * random, x25519 key and RSA-PSS signature injected) gives the trace's ServerHello and server flight
 * byte for byte and accepts the trace's client Finished; hostile input (wrong order, wrong level,
 * truncated, modified Finished, QUIC rule violations) ends in the RFC 8446 / RFC 9001 alert as an
 * `error` event, never an exception.
 */
import { constants, createPrivateKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ServerHandshake } from '../../../proxy/tls13/server.ts';
import type { ServerHandshakeConfig } from '../../../proxy/tls13/server.ts';
import { ClientHandshake } from '../../../proxy/tls13/client.ts';
import { ext } from '../../../proxy/tls13/extensions.ts';
import { decodeCertificate, decodeCertificateVerify } from '../../../proxy/tls13/messages.ts';
import { decodeClientHello, encodeClientHello } from '../../../proxy/tls13/hello.ts';
import type { HandshakeEvent } from '../../../proxy/tls13/handshake.types.ts';
import { X509Certificate } from 'node:crypto';
import { RFC8448_1RTT as V, RFC8448_RSA_KEY as K, traceBytes } from './rfc8448-1rtt.vectors.ts';
import { alertIn, credentials, secretOf, testCa } from './handshake-pair.ts';

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
const b64u = (hexText: string): string => Buffer.from(hexText.replace(/\s+/g, ''), 'hex').toString('base64url');

const ch = traceBytes(V.clientHello);
const sh = traceBytes(V.serverHello);
const certMsg = traceBytes(V.certificate);
const rfcCv = decodeCertificateVerify(traceBytes(V.certificateVerify));
const certDer = (() => {
  const d = decodeCertificate(certMsg);
  if (!d.ok) throw new Error('RFC 8448 Certificate does not decode');
  return d.value.entries[0].certData;
})();
const rsaKey = createPrivateKey({
  key: { kty: 'RSA', n: b64u(K.n), e: b64u(K.e), d: b64u(K.d), p: b64u(K.p), q: b64u(K.q), dp: b64u(K.dp), dq: b64u(K.dq), qi: b64u(K.qi) },
  format: 'jwk',
});

/** The RFC 8448 server: no QUIC, EncryptedExtensions as in the trace (supported_groups, record_size_limit, server_name). */
const rfcConfig: ServerHandshakeConfig = {
  credentials: { chain: [certDer], privateKey: rsaKey },
  alpn: [],
  quic: false,
  groups: ['x25519', 'secp256r1'],
  extraEncryptedExtensions: [
    ext.supportedGroups([0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104]),
    { type: 28, data: Uint8Array.of(0x40, 0x01) },
  ],
};

let signedContent: Uint8Array | undefined;
function rfcServer(): ServerHandshake {
  return new ServerHandshake(rfcConfig, {
    random: sh.subarray(6, 38),
    x25519PrivateKey: traceBytes(V.serverPrivate),
    sign: (scheme, content) => {
      if (!rfcCv.ok) throw new Error('RFC 8448 CertificateVerify does not decode');
      signedContent = content;
      expect(scheme).toBe(0x0804);
      return rfcCv.value.signature;
    },
  });
}

const sends = (events: readonly HandshakeEvent[], level: string): string =>
  events.filter((e) => e.kind === 'send' && e.level === level).map((e) => (e.kind === 'send' ? hex(e.bytes) : '')).join('');

describe('RFC 8448 section 3 replayed into the server', () => {
  it('sends the trace ServerHello and EncryptedExtensions..Finished byte-exact, with the trace secrets', () => {
    const server = rfcServer();
    const out = server.receive('initial', ch);
    expect(alertIn(out)).toBe('none');
    expect(sends(out, 'initial')).toBe(hex(sh));
    expect(sends(out, 'handshake')).toBe(hex(traceBytes(V.serverFlight)));
    expect(out.map((e) => e.kind)).toEqual(['send', 'install-keys', 'install-keys', 'send', 'install-keys']);
    expect(hex(secretOf(out, 'handshake', 'write'))).toBe(hex(traceBytes(V.serverHsTraffic)));
    expect(hex(secretOf(out, 'handshake', 'read'))).toBe(hex(traceBytes(V.clientHsTraffic)));
    expect(hex(secretOf(out, 'application', 'write'))).toBe(hex(traceBytes(V.serverApTraffic)));
    // The signature injected is the trace's: it verifies over what the engine asked to sign.
    const pub = new X509Certificate(certDer).publicKey;
    const sig = rfcCv.ok ? rfcCv.value.signature : new Uint8Array();
    expect(verify('sha256', signedContent!, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);

    const done = server.receive('handshake', traceBytes(V.clientFinished));
    expect(done.map((e) => e.kind)).toEqual(['install-keys', 'complete']);
    expect(hex(secretOf(done, 'application', 'read'))).toBe(hex(traceBytes(V.clientApTraffic)));
    expect(server.summary).toMatchObject({ suite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', serverName: 'server', retried: false, signatureScheme: 0x0804 });
  });

  it('gives the same output when the ClientHello and the client Finished arrive one byte at a time', () => {
    const server = rfcServer();
    const out: HandshakeEvent[] = [];
    for (let i = 0; i < ch.length; i++) out.push(...server.receive('initial', ch.subarray(i, i + 1)));
    expect(sends(out, 'initial') + sends(out, 'handshake')).toBe(hex(sh) + hex(traceBytes(V.serverFlight)));
    const fin = traceBytes(V.clientFinished);
    const done: HandshakeEvent[] = [];
    for (let i = 0; i < fin.length; i++) done.push(...server.receive('handshake', fin.subarray(i, i + 1)));
    expect(done.at(-1)?.kind).toBe('complete');
  });

  it('answers a modified client Finished with decrypt_error and a short one with decode_error', () => {
    for (const bit of [4, 20, 35]) {
      const server = rfcServer();
      server.receive('initial', ch);
      const fin = Uint8Array.from(traceBytes(V.clientFinished));
      fin[bit] ^= 0x01;
      const out = server.receive('handshake', fin);
      expect(alertIn(out)).toBe('decrypt_error');
      expect(out.some((e) => e.kind === 'complete' || e.kind === 'install-keys')).toBe(false);
      expect(server.error?.quicErrorCode).toBe(0x133);
      expect(server.receive('handshake', traceBytes(V.clientFinished))).toEqual([]);
    }
    const server = rfcServer();
    server.receive('initial', ch);
    expect(alertIn(server.receive('handshake', Uint8Array.of(20, 0, 0, 2, 1, 2)))).toBe('decode_error');
  });
});

describe('message order and levels (unexpected_message)', () => {
  const others = [V.serverHello, V.encryptedExtensions, V.certificate, V.certificateVerify, V.serverFinished, V.clientFinished, V.newSessionTicket];

  it('refuses every message but ClientHello first', () => {
    for (const v of others) {
      const out = rfcServer().receive('initial', traceBytes(v));
      expect(alertIn(out), v.hex.slice(0, 2)).toBe('unexpected_message');
    }
  });

  it('refuses everything but Finished after the server flight, and a second ClientHello', () => {
    for (const v of [V.clientHello, ...others.filter((o) => o !== V.clientFinished && o !== V.serverFinished)]) {
      const server = rfcServer();
      server.receive('initial', ch);
      expect(alertIn(server.receive('handshake', traceBytes(v))), v.hex.slice(0, 2)).toBe('unexpected_message');
    }
  });

  it('refuses bytes at a level the handshake is not at, and bytes after ClientHello at Initial', () => {
    expect(alertIn(rfcServer().receive('handshake', ch))).toBe('unexpected_message');
    expect(alertIn(rfcServer().receive('application', ch))).toBe('unexpected_message');
    const withTail = new Uint8Array(ch.length + 2);
    withTail.set(ch);
    withTail.set([1, 0], ch.length);
    expect(alertIn(rfcServer().receive('initial', withTail))).toBe('unexpected_message');
    const server = rfcServer();
    server.receive('initial', ch);
    expect(alertIn(server.receive('initial', Uint8Array.of(1)))).toBe('unexpected_message');
    const done = rfcServer();
    done.receive('initial', ch);
    done.receive('handshake', traceBytes(V.clientFinished));
    expect(alertIn(done.receive('application', traceBytes(V.newSessionTicket)))).toBe('unexpected_message');
  });
});

describe('truncated and oversized ClientHello', () => {
  it('ends every truncation (length header consistent, body cut) in an alert, never an exception', () => {
    const body = ch.subarray(4);
    const seen = new Set<string>();
    for (let k = 0; k < body.length; k++) {
      const msg = new Uint8Array(4 + k);
      msg.set([1, 0, k >> 8, k & 0xff]);
      msg.set(body.subarray(0, k), 4);
      const a = alertIn(rfcServer().receive('initial', msg));
      seen.add(a);
      // Cut right after legacy_compression_methods: a valid TLS 1.2 ClientHello without extensions.
      expect(a, `cut at ${k}`).toBe(k === 2 + 32 + 1 + 8 + 2 ? 'protocol_version' : 'decode_error');
    }
    expect([...seen].sort()).toEqual(['decode_error', 'protocol_version']);
  });

  it('refuses a message length over the limit before its body arrives (illegal_parameter)', () => {
    expect(alertIn(rfcServer().receive('initial', Uint8Array.of(1, 0x10, 0, 0)))).toBe('illegal_parameter');
  });
});

describe('QUIC rules on the ClientHello (RFC 9001 section 8)', () => {
  const quicServer = (): ServerHandshake =>
    new ServerHandshake({ credentials: credentials('ecdsa-chain.pem', 'ecdsa-leaf.key'), alpn: ['h3'], transportParameters: Uint8Array.of(1, 2, 3) });
  const clientHello = (over: { alpn?: string[]; quic?: boolean } = {}): Uint8Array => {
    const c = new ClientHandshake({
      alpn: over.alpn ?? ['h3'], transportParameters: Uint8Array.of(9), quic: over.quic ?? true, verify: { mode: 'ca', ca: [testCa()] },
    });
    const e = c.start()[0];
    return e.kind === 'send' ? e.bytes : new Uint8Array();
  };

  it('passes the client transport parameters up and sends its own', () => {
    const out = quicServer().receive('initial', clientHello());
    expect(out.find((e) => e.kind === 'transport-parameters')).toEqual({ kind: 'transport-parameters', params: Uint8Array.of(9) });
  });

  it('requires quic_transport_parameters (missing_extension) and a common ALPN (no_application_protocol)', () => {
    const s1 = quicServer();
    expect(alertIn(s1.receive('initial', clientHello({ quic: false })))).toBe('missing_extension');
    expect(s1.error?.quicErrorCode).toBe(0x100 + 109);
    const s2 = quicServer();
    expect(alertIn(s2.receive('initial', clientHello({ alpn: ['h2', 'http/1.1'] })))).toBe('no_application_protocol');
    expect(s2.error?.quicErrorCode).toBe(0x178);
  });

  it('refuses a non-empty legacy_session_id with PROTOCOL_VIOLATION (section 8.4)', () => {
    const d = decodeClientHello(clientHello());
    if (!d.ok) throw new Error('client hello does not decode');
    const bad = encodeClientHello({ ...d.value, legacySessionId: new Uint8Array(32).fill(7) });
    const s = quicServer();
    const out = s.receive('initial', bad);
    expect(alertIn(out)).toBe('illegal_parameter');
    expect(s.error?.quicErrorCode).toBe(0x0a);
  });
});
