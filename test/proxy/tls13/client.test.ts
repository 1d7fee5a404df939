/**
 * ClientHandshake wired to ServerHandshake in memory (handshake-pair.ts): a handshake completes for
 * every cipher suite and every group (x25519, secp256r1, X25519MLKEM768), with and without
 * HelloRetryRequest, and both ends install identical traffic secrets; the client checks the server
 * chain against a CA (RFC 8446 section 4.4.2.4) and answers tampering with the right alert.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClientHandshake } from '../../../proxy/tls13/client.ts';
import type { ClientHandshakeConfig } from '../../../proxy/tls13/client.ts';
import { ServerHandshake } from '../../../proxy/tls13/server.ts';
import type { ServerHandshakeConfig } from '../../../proxy/tls13/server.ts';
import type { HandshakeEvent } from '../../../proxy/tls13/handshake.types.ts';
import type { SupportedGroupName } from '../../../proxy/tls13/tls13.types.ts';
import { alertIn, credentials, fixture, runPair, secretOf, testCa } from './handshake-pair.ts';

const ecdsa = credentials('ecdsa-chain.pem', 'ecdsa-leaf.key');
const rsa = credentials('rsa-chain.pem', 'rsa-leaf.key');
const SUITES = [0x1301, 0x1302, 0x1303] as const;
const GROUPS: SupportedGroupName[] = ['x25519', 'secp256r1', 'X25519MLKEM768'];
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

function serverCfg(over: Partial<ServerHandshakeConfig> = {}): ServerHandshakeConfig {
  return { credentials: ecdsa, alpn: ['h3'], transportParameters: Uint8Array.of(0x0f, 0x00), ...over };
}
function clientCfg(over: Partial<ClientHandshakeConfig> = {}): ClientHandshakeConfig {
  return { serverName: 'localhost', alpn: ['h3'], transportParameters: Uint8Array.of(0x01, 0x04, 0x80, 0, 0x75, 0x30), verify: { mode: 'ca', ca: [testCa()] }, ...over };
}

/** Both sides complete and the secrets of each level and direction match across the pair. */
function expectAgreement(c: ClientHandshake, s: ServerHandshake, log: { client: HandshakeEvent[]; server: HandshakeEvent[] }): void {
  expect(alertIn(log.client)).toBe('none');
  expect(alertIn(log.server)).toBe('none');
  expect(c.isComplete && s.isComplete).toBe(true);
  for (const level of ['handshake', 'application']) {
    const cw = secretOf(log.client, level, 'write');
    const sw = secretOf(log.server, level, 'write');
    expect(cw?.length).toBeGreaterThanOrEqual(32);
    expect(hex(cw)).toBe(hex(secretOf(log.server, level, 'read')));
    expect(hex(sw)).toBe(hex(secretOf(log.client, level, 'read')));
    expect(hex(cw)).not.toBe(hex(sw));
  }
  expect(c.summary).toEqual(s.summary);
  expect(c.peerTransportParameters).toEqual(Uint8Array.of(0x0f, 0x00));
  expect(s.peerTransportParameters).toEqual(Uint8Array.of(0x01, 0x04, 0x80, 0, 0x75, 0x30));
}

describe('client and server engines in memory', () => {
  for (const suite of SUITES) {
    for (const group of GROUPS) {
      it(`complete with suite 0x${suite.toString(16)} and ${group}, without HelloRetryRequest`, () => {
        const c = new ClientHandshake(clientCfg({ cipherSuites: [suite], groups: [group] }));
        const s = new ServerHandshake(serverCfg());
        const log = runPair(c, s);
        expectAgreement(c, s, log);
        expect(s.summary).toMatchObject({ group, retried: false, alpn: 'h3', serverName: 'localhost', signatureScheme: 0x0403 });
        expect(log.client.filter((e) => e.kind === 'send').map((e) => e.kind === 'send' && e.level)).toEqual(['initial', 'handshake']);
      });
    }
  }

  for (const group of GROUPS) {
    it(`complete through a HelloRetryRequest to ${group}`, () => {
      const first: SupportedGroupName = group === 'x25519' ? 'secp256r1' : 'x25519';
      const c = new ClientHandshake(clientCfg({ groups: [first, group], keyShareGroups: [first] }));
      const s = new ServerHandshake(serverCfg({ groups: [group], cipherSuites: [0x1302] }));
      const log = runPair(c, s);
      expectAgreement(c, s, log);
      expect(s.summary).toMatchObject({ group, retried: true, suite: 'TLS_AES_256_GCM_SHA384' });
      expect(log.client.filter((e) => e.kind === 'send').map((e) => e.kind === 'send' && e.level)).toEqual(['initial', 'initial', 'handshake']);
    });
  }

  it('complete through a HelloRetryRequest with a cookie, bytes delivered 7 at a time', () => {
    const c = new ClientHandshake(clientCfg({ keyShareGroups: [] }));
    const s = new ServerHandshake(serverCfg({ retryCookie: Uint8Array.of(0xc0, 0x0c, 0x1e) }));
    expectAgreement(c, s, runPair(c, s, 7));
    expect(s.summary?.group).toBe('X25519MLKEM768');
  });

  it('complete with an RSA certificate (RSA-PSS CertificateVerify)', () => {
    const c = new ClientHandshake(clientCfg());
    const s = new ServerHandshake(serverCfg({ credentials: rsa }));
    expectAgreement(c, s, runPair(c, s));
    expect(s.summary?.signatureScheme).toBe(0x0804);
  });
});

describe('server chain checks on the client', () => {
  const run = (over: Partial<ClientHandshakeConfig>, now?: Date): string => {
    const c = new ClientHandshake(clientCfg(over), { now });
    const log = runPair(c, new ServerHandshake(serverCfg()));
    return alertIn(log.client);
  };

  it('accepts verify none and a chain to the CA; refuses another CA (unknown_ca), a wrong name (bad_certificate), expiry', () => {
    expect(run({ verify: { mode: 'none' }, serverName: 'wrong.example' })).toBe('none');
    expect(run({ serverName: 'flightbox.test' })).toBe('none');
    expect(run({ verify: { mode: 'ca', ca: [new X509Certificate(fixture('other-ca.pem'))] } })).toBe('unknown_ca');
    expect(run({ serverName: 'wrong.example' })).toBe('bad_certificate');
    expect(run({}, new Date('2300-01-01T00:00:00Z'))).toBe('certificate_expired');
  });

  it('refuses a server that does not send the intermediate (unknown_ca)', () => {
    const leafOnly = { chain: ecdsa.chain.slice(0, 1), privateKey: ecdsa.privateKey };
    const c = new ClientHandshake(clientCfg());
    expect(alertIn(runPair(c, new ServerHandshake(serverCfg({ credentials: leafOnly }))).client)).toBe('unknown_ca');
  });
});

describe('tampered server flight', () => {
  /** Runs to the server flight, flips one byte at `from end` offset of the handshake bytes, feeds it. */
  function tamper(fromEnd: number): { alert: string; client: ClientHandshake } {
    const c = new ClientHandshake(clientCfg());
    const s = new ServerHandshake(serverCfg());
    const ch = c.start()[0];
    if (ch.kind !== 'send') throw new Error('no ClientHello');
    const out = s.receive('initial', ch.bytes);
    const events: HandshakeEvent[] = [];
    for (const e of out) {
      if (e.kind !== 'send') continue;
      const bytes = Uint8Array.from(e.bytes);
      if (e.level === 'handshake') bytes[bytes.length - fromEnd] ^= 0x40;
      events.push(...c.receive(e.level, bytes));
    }
    return { alert: alertIn(events), client: c };
  }

  it('a modified server Finished is decrypt_error; a modified CertificateVerify signature is decrypt_error', () => {
    expect(tamper(1).alert).toBe('decrypt_error');
    expect(tamper(36 + 10).alert).toBe('decrypt_error');
  });

  it('messages out of order at the client are unexpected_message, and so is a KeyUpdate after completion', () => {
    const c = new ClientHandshake(clientCfg());
    expect(alertIn(c.receive('initial', Uint8Array.of(8, 0, 0, 2, 0, 0)))).toBe('unexpected_message');
    const c2 = new ClientHandshake(clientCfg());
    c2.start();
    expect(alertIn(c2.receive('initial', Uint8Array.of(8, 0, 0, 2, 0, 0)))).toBe('unexpected_message');
    const c3 = new ClientHandshake(clientCfg());
    runPair(c3, new ServerHandshake(serverCfg()));
    expect(c3.receive('application', Uint8Array.of(4, 0, 0, 0))).toEqual([]);
    expect(alertIn(c3.receive('application', Uint8Array.of(24, 0, 0, 1, 0)))).toBe('unexpected_message');
  });
});
