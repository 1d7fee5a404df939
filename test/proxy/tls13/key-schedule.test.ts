/**
 * The key schedule against every value of RFC 8448 section 3 ("Simple 1-RTT Handshake"): the
 * secrets are derived from the x25519 private keys and the handshake messages of the trace, never
 * from the intermediate values.
 */
import { describe, expect, it } from 'vitest';
import { cipherSuite } from '../../../proxy/tls13/cipher-suites.ts';
import { emptyHash, hkdfLabel } from '../../../proxy/tls13/hkdf.ts';
import {
  applicationSecrets,
  derivedSalt,
  earlySecret,
  finishedKey,
  finishedVerifyData,
  handshakeSecret,
  handshakeTrafficSecrets,
  masterSecret,
  resumptionMasterSecret,
  resumptionPsk,
  trafficKeyAndIv,
} from '../../../proxy/tls13/key-schedule.ts';
import { acceptClientKeyShare, generateClientKeyShare } from '../../../proxy/tls13/key-share.ts';
import { Transcript, transcriptHash } from '../../../proxy/tls13/transcript.ts';
import { RFC8448_1RTT as V, traceBytes } from './rfc8448-1rtt.vectors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const want = (v: { hex: string; octets: number }): string => hex(traceBytes(v));
const suite = cipherSuite(0x1301)!;
const H = suite.hash;

/** Splits the server's second flight (EE, Certificate, CertificateVerify, Finished) as the RFC prints it. */
const serverFlight = traceBytes(V.serverFlight);

describe('RFC 8448 section 3: key exchange from the trace private keys', () => {
  it('derives both public keys and the same x25519 shared secret on each side', () => {
    const client = generateClientKeyShare('x25519', { x25519PrivateKey: traceBytes(V.clientPrivate) });
    expect(hex(client.keyExchange)).toBe(want(V.clientPublic));
    const server = acceptClientKeyShare('x25519', client.keyExchange, { x25519PrivateKey: traceBytes(V.serverPrivate) });
    expect(server.ok).toBe(true);
    if (!server.ok) return;
    expect(hex(server.value.keyExchange)).toBe(want(V.serverPublic));
    expect(hex(server.value.sharedSecret)).toBe(want(V.ecdheSecret));
    const back = client.complete(server.value.keyExchange);
    expect(back.ok && hex(back.value)).toBe(want(V.ecdheSecret));
  });
});

describe('RFC 8448 section 3: HKDF labels', () => {
  it('builds the HkdfLabel info of "derived", "c hs traffic", "key", "iv" and "finished" byte for byte', () => {
    expect(hex(hkdfLabel('derived', emptyHash(H), 32))).toBe(want(V.derivedInfo));
    expect(hex(hkdfLabel('c hs traffic', traceBytes(V.transcriptHelloHash), 32))).toBe(want(V.clientHsTrafficInfo));
    expect(hex(hkdfLabel('key', new Uint8Array(0), 16))).toBe(want(V.keyInfo));
    expect(hex(hkdfLabel('iv', new Uint8Array(0), 12))).toBe(want(V.ivInfo));
    expect(hex(hkdfLabel('finished', new Uint8Array(0), 32))).toBe(want(V.finishedInfo));
    expect(hex(emptyHash(H))).toBe(want(V.emptyHash));
  });
});

describe('RFC 8448 section 3: every secret of the 1-RTT key schedule', () => {
  const ch = traceBytes(V.clientHello);
  const sh = traceBytes(V.serverHello);
  const ee = traceBytes(V.encryptedExtensions);
  const cert = traceBytes(V.certificate);
  const cv = traceBytes(V.certificateVerify);
  const sfin = traceBytes(V.serverFinished);
  const cfin = traceBytes(V.clientFinished);
  const shared = acceptClientKeyShare('x25519', traceBytes(V.clientPublic), { x25519PrivateKey: traceBytes(V.serverPrivate) });
  const ecdhe = shared.ok ? shared.value.sharedSecret : new Uint8Array(0);

  const early = earlySecret(H);
  const hs = handshakeSecret(H, early, ecdhe);
  const master = masterSecret(H, hs);
  const helloHash = transcriptHash(H, [ch, sh]);
  const hsTraffic = handshakeTrafficSecrets(H, hs, helloHash);
  const sfHash = transcriptHash(H, [ch, sh, ee, cert, cv, sfin]);
  const app = applicationSecrets(H, master, sfHash);
  const cfHash = transcriptHash(H, [ch, sh, ee, cert, cv, sfin, cfin]);

  it('the second server flight of the trace is EE || Certificate || CertificateVerify || Finished', () => {
    expect(hex(serverFlight)).toBe(hex(Buffer.concat([ee, cert, cv, sfin])));
  });

  it('early secret, derived salts, handshake and master secrets', () => {
    expect(hex(early)).toBe(want(V.earlySecret));
    expect(hex(derivedSalt(H, early))).toBe(want(V.derivedForHandshake));
    expect(hex(hs)).toBe(want(V.handshakeSecret));
    expect(hex(derivedSalt(H, hs))).toBe(want(V.derivedForMaster));
    expect(hex(master)).toBe(want(V.masterSecret));
  });

  it('transcript hashes at ServerHello, server Finished and client Finished', () => {
    expect(hex(helloHash)).toBe(want(V.transcriptHelloHash));
    expect(hex(sfHash)).toBe(want(V.transcriptServerFinishedHash));
    expect(hex(cfHash)).toBe(want(V.transcriptClientFinishedHash));
  });

  it('handshake traffic secrets and their record keys and IVs', () => {
    expect(hex(hsTraffic.client)).toBe(want(V.clientHsTraffic));
    expect(hex(hsTraffic.server)).toBe(want(V.serverHsTraffic));
    const s = trafficKeyAndIv(suite, hsTraffic.server);
    expect([hex(s.key), hex(s.iv)]).toEqual([want(V.serverHsKey), want(V.serverHsIv)]);
    const c = trafficKeyAndIv(suite, hsTraffic.client);
    expect([hex(c.key), hex(c.iv)]).toEqual([want(V.clientHsKey), want(V.clientHsIv)]);
  });

  it('Finished keys and verify_data of both sides (section 4.4.4)', () => {
    expect(hex(finishedKey(H, hsTraffic.server))).toBe(want(V.serverFinishedKey));
    const serverVd = finishedVerifyData(H, hsTraffic.server, transcriptHash(H, [ch, sh, ee, cert, cv]));
    expect(hex(serverVd)).toBe(want(V.serverVerifyData));
    expect(hex(finishedKey(H, hsTraffic.client))).toBe(want(V.clientFinishedKey));
    expect(hex(finishedVerifyData(H, hsTraffic.client, sfHash))).toBe(want(V.clientVerifyData));
  });

  it('application traffic secrets, exporter master, their keys and IVs', () => {
    expect(hex(app.client)).toBe(want(V.clientApTraffic));
    expect(hex(app.server)).toBe(want(V.serverApTraffic));
    expect(hex(app.exporter)).toBe(want(V.exporterMaster));
    const s = trafficKeyAndIv(suite, app.server);
    expect([hex(s.key), hex(s.iv)]).toEqual([want(V.serverApKey), want(V.serverApIv)]);
    const c = trafficKeyAndIv(suite, app.client);
    expect([hex(c.key), hex(c.iv)]).toEqual([want(V.clientApKey), want(V.clientApIv)]);
  });

  it('resumption master secret and the ticket PSK', () => {
    const res = resumptionMasterSecret(H, master, cfHash);
    expect(hex(res)).toBe(want(V.resumptionMaster));
    expect(hex(resumptionPsk(H, res, traceBytes(V.ticketNonce)))).toBe(want(V.resumptionPsk));
  });
});

describe('Transcript', () => {
  const ch = traceBytes(V.clientHello);
  const sh = traceBytes(V.serverHello);

  it('buffers messages until the hash is selected, then matches Transcript-Hash(CH, SH) of the trace', () => {
    const t = new Transcript();
    t.add(ch);
    t.add(sh);
    expect(() => t.digest()).toThrow(/before the hash/);
    t.selectHash('sha256');
    expect(hex(t.digest())).toBe(want(V.transcriptHelloHash));
    t.add(traceBytes(V.serverFlight));
    expect(hex(t.digest())).toBe(want(V.transcriptServerFinishedHash));
    t.add(traceBytes(V.clientFinished));
    expect(hex(t.digest())).toBe(want(V.transcriptClientFinishedHash));
  });

  it('replaces ClientHello1 by message_hash after a HelloRetryRequest (section 4.4.1)', () => {
    const t = new Transcript();
    t.add(ch);
    t.selectHash('sha384');
    t.replaceWithMessageHash();
    const inner = transcriptHash('sha384', [ch]);
    const synthetic = Buffer.concat([Buffer.from([254, 0, 0, 48]), inner]);
    expect(hex(t.digest())).toBe(hex(transcriptHash('sha384', [synthetic])));
    expect(() => t.replaceWithMessageHash()).toThrow(/exactly ClientHello1/);
  });
});

describe('SHA-384 suites', () => {
  it('TLS_AES_256_GCM_SHA384 uses 48-byte secrets, a 32-byte key and a 12-byte IV', () => {
    const s384 = cipherSuite(0x1302)!;
    const early = earlySecret('sha384');
    expect(early.length).toBe(48);
    // HKDF-Extract(48 zeros, 48 zeros) = HMAC-SHA384(48 zeros, 48 zeros), computed independently with
    // Python's hmac module (RFC 8448 has no SHA-384 trace).
    expect(hex(early)).toBe(
      '7ee8206f5570023e6dc7519eb1073bc4e791ad37b5c382aa10ba18e2357e716971f9362f2c2fe2a76bfd78dfec4ea9b5',
    );
    const hs = handshakeSecret('sha384', early, new Uint8Array(32));
    const k = trafficKeyAndIv(s384, handshakeTrafficSecrets('sha384', hs, emptyHash('sha384')).server);
    expect([k.key.length, k.iv.length]).toEqual([32, 12]);
    expect(finishedVerifyData('sha384', hs, emptyHash('sha384')).length).toBe(48);
  });
});
