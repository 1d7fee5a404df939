/**
 * The client side of the TLS 1.3 handshake as QUIC uses it (RFC 8446 sections 2, 4; RFC 9001 sections
 * 4 and 8), sans-IO like server.ts: `start()` gives the ClientHello, `receive` takes the server's
 * CRYPTO bytes per level. Handles one HelloRetryRequest (section 4.1.4), checks the server's chain
 * against CAs (or not, `verify none`), its CertificateVerify and Finished, then sends Finished.
 * No PSK, 0-RTT or client certificates; a NewSessionTicket after the handshake is ignored.
 */
import { randomBytes } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import { verifyCertificateVerify } from './certificate-verify.ts';
import { verifyServerChain } from './certificate-chain.ts';
import type { ChainVerification } from './certificate-chain.ts';
import { cipherSuite, CIPHER_SUITES } from './cipher-suites.ts';
import type { CipherSuiteInfo } from './cipher-suites.ts';
import { ext } from './extensions.ts';
import { HandshakeEngine, handshakeTypeName, must, stop } from './handshake-engine.ts';
import type { EncryptionLevel, HandshakeSummary } from './handshake.types.ts';
import { decodeServerHello, encodeClientHello } from './hello.ts';
import { bytesEqualConstantTime } from './hmac.ts';
import { generateClientKeyShare, supportedGroupName } from './key-share.ts';
import type { ClientKeyShare } from './key-share.ts';
import { applicationSecrets, earlySecret, finishedVerifyData, handshakeSecret, handshakeTrafficSecrets, masterSecret } from './key-schedule.ts';
import { decodeCertificate, decodeCertificateVerify, decodeEncryptedExtensions, decodeFinished, encodeFinished } from './messages.ts';
import { HANDSHAKE_TYPE, NAMED_GROUP, PSK_MODE, SIGNATURE_SCHEME, TLS13_VERSION } from './tls13.types.ts';
import type { HandshakeMessage, RawExtension, ServerHello, SupportedGroupName } from './tls13.types.ts';
import { T13 } from './trace.ts';

/** What the client offers. */
export interface ClientHandshakeConfig {
  /** server_name to send and to check the certificate against (RFC 6066 section 3). */
  readonly serverName?: string;
  /** ALPN protocols offered, in preference order. Required over QUIC. */
  readonly alpn: readonly string[];
  /** The client's quic_transport_parameters, opaque. Required over QUIC. */
  readonly transportParameters?: Uint8Array;
  /** Cipher suite codes offered, in order; default all three. */
  readonly cipherSuites?: readonly number[];
  /** Groups listed in supported_groups, in order; default X25519MLKEM768, x25519, secp256r1. */
  readonly groups?: readonly SupportedGroupName[];
  /** Groups to send a key share for in the first ClientHello; default the first of `groups`. [] forces a HelloRetryRequest. */
  readonly keyShareGroups?: readonly SupportedGroupName[];
  /** Signature schemes offered; default ECDSA P-256/384, RSA-PSS (rsae, pss), Ed25519. */
  readonly signatureAlgorithms?: readonly number[];
  /** How the server's chain is checked. */
  readonly verify: ChainVerification;
  /** TLS over QUIC (default true). */
  readonly quic?: boolean;
  readonly maxMessageSize?: number;
}

/** Per-connection options: trace connection id, clock for certificate validity, injected random. */
export interface ClientHandshakeOptions {
  readonly conn?: number;
  readonly now?: Date;
  readonly random?: Uint8Array;
}

type ClientState = 'start' | 'wait-server-hello' | 'wait-ee' | 'wait-certificate' | 'wait-cv' | 'wait-finished' | 'done';

const S = SIGNATURE_SCHEME;
const DEFAULT_SCHEMES = [
  S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512,
  S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512, S.ed25519,
];

/** A TLS 1.3 client handshake for one connection. */
export class ClientHandshake extends HandshakeEngine {
  private readonly config: ClientHandshakeConfig;
  private readonly opts: ClientHandshakeOptions;
  private state: ClientState = 'start';
  private readonly random: Uint8Array;
  private shares: ClientKeyShare[] = [];
  private retried = false;
  private retrySuite: number | undefined;
  private suite: CipherSuiteInfo | undefined;
  private group = '';
  private alpn: string | undefined;
  private hs: Uint8Array | undefined;
  private traffic: { client: Uint8Array; server: Uint8Array } | undefined;
  private leaf: X509Certificate | undefined;
  private scheme = 0;
  private peerParams: Uint8Array | undefined;
  private summaryValue: HandshakeSummary | undefined;

  /** Throws if a QUIC config lacks ALPN or transport parameters (the caller's configuration bug). */
  constructor(config: ClientHandshakeConfig, opts: ClientHandshakeOptions = {}) {
    super('client', opts.conn ?? 0, config.maxMessageSize);
    if ((config.quic ?? true) && (!config.transportParameters || config.alpn.length === 0)) {
      throw new Error('a QUIC client handshake needs transportParameters and at least one ALPN protocol');
    }
    this.config = config;
    this.opts = opts;
    this.random = opts.random ?? new Uint8Array(randomBytes(32));
  }

  /** The server's quic_transport_parameters, once EncryptedExtensions was accepted. */
  get peerTransportParameters(): Uint8Array | undefined {
    return this.peerParams;
  }

  /** What was negotiated, once complete. */
  get summary(): HandshakeSummary | undefined {
    return this.summaryValue;
  }

  /** Builds the first ClientHello: one `send` event at the Initial level. Throws if called twice. */
  start(): ReturnType<HandshakeEngine['receive']> {
    if (this.state !== 'start') throw new Error('ClientHandshake.start called twice');
    const groups = this.config.groups ?? ['X25519MLKEM768', 'x25519', 'secp256r1'];
    this.shares = (this.config.keyShareGroups ?? groups.slice(0, 1)).map((g) => generateClientKeyShare(g));
    this.send('initial', [this.clientHello()]);
    this.state = 'wait-server-hello';
    return this.take();
  }

  private clientHello(cookie?: Uint8Array): Uint8Array {
    const c = this.config;
    const groups = c.groups ?? ['X25519MLKEM768', 'x25519', 'secp256r1'];
    const extensions: RawExtension[] = [];
    if (c.serverName) extensions.push(ext.serverName(c.serverName));
    extensions.push(ext.supportedGroups(groups.map((g) => NAMED_GROUP[g])));
    extensions.push(ext.signatureAlgorithms(c.signatureAlgorithms ?? DEFAULT_SCHEMES));
    if (c.alpn.length > 0) extensions.push(ext.alpn(c.alpn));
    extensions.push(ext.supportedVersionsClient([TLS13_VERSION]));
    extensions.push(ext.keyShareClient(this.shares.map((s) => ({ group: s.group, keyExchange: s.keyExchange }))));
    extensions.push(ext.pskKeyExchangeModes([PSK_MODE.psk_dhe_ke]));
    if (cookie) extensions.push(ext.cookie(cookie));
    if (c.quic ?? true) extensions.push(ext.quicTransportParameters(c.transportParameters!));
    return encodeClientHello({ random: this.random, cipherSuites: c.cipherSuites ?? CIPHER_SUITES.map((s) => s.code), extensions });
  }

  protected expectedLevel(): EncryptionLevel {
    if (this.state === 'start' || this.state === 'wait-server-hello') return 'initial';
    if (this.state === 'done') return 'application';
    return 'handshake';
  }

  protected handle(_level: EncryptionLevel, m: HandshakeMessage): void {
    const expect = (type: number, what: string): void => {
      if (m.type !== type) stop('unexpected_message', `${handshakeTypeName(m.type)} while expecting ${what}`);
    };
    switch (this.state) {
      case 'start':
        stop('unexpected_message', `${handshakeTypeName(m.type)} before the ClientHello was sent`);
        break;
      case 'wait-server-hello':
        expect(HANDSHAKE_TYPE.server_hello, 'ServerHello');
        return this.onServerHello(m);
      case 'wait-ee':
        expect(HANDSHAKE_TYPE.encrypted_extensions, 'EncryptedExtensions');
        return this.onEncryptedExtensions(m);
      case 'wait-certificate':
        if (m.type === HANDSHAKE_TYPE.certificate_request) stop('unexpected_message', 'CertificateRequest: client certificates are not supported');
        expect(HANDSHAKE_TYPE.certificate, 'Certificate');
        return this.onCertificate(m);
      case 'wait-cv':
        expect(HANDSHAKE_TYPE.certificate_verify, 'CertificateVerify');
        return this.onCertificateVerify(m);
      case 'wait-finished':
        expect(HANDSHAKE_TYPE.finished, 'the server Finished');
        return this.onServerFinished(m);
      case 'done':
        // RFC 9001 section 6: a TLS KeyUpdate is forbidden in QUIC; NewSessionTicket is ignored (no resumption).
        expect(HANDSHAKE_TYPE.new_session_ticket, 'NewSessionTicket (the only post-handshake message allowed)');
        return;
    }
  }

  private onServerHello(m: HandshakeMessage): void {
    const sh = must(decodeServerHello(m.raw));
    const offered = this.config.cipherSuites ?? CIPHER_SUITES.map((s) => s.code);
    const suite = cipherSuite(sh.cipherSuite);
    if (!suite || !offered.includes(sh.cipherSuite)) stop('illegal_parameter', `server selected cipher suite 0x${sh.cipherSuite.toString(16)}, which was not offered`, 38);
    if (sh.ext.supportedVersion !== TLS13_VERSION) stop('protocol_version', 'server did not select TLS 1.3 in supported_versions');
    if (sh.legacySessionIdEcho.length !== 0) stop('illegal_parameter', 'legacy_session_id_echo differs from the empty legacy_session_id sent', 38);
    if (this.retrySuite !== undefined && sh.cipherSuite !== this.retrySuite) stop('illegal_parameter', 'ServerHello cipher suite differs from the HelloRetryRequest one');
    if (sh.kind === 'hello_retry_request') return this.onRetry(m, sh, suite);
    const share = this.shares.find((s) => s.group === sh.ext.keyShare?.group);
    if (!sh.ext.keyShare || !share) stop('illegal_parameter', 'ServerHello key_share is missing or for a group the client sent no share for');
    const shared = must(share.complete(sh.ext.keyShare.keyExchange));
    this.suite = suite;
    this.group = supportedGroupName(share.group) ?? String(share.group);
    this.transcript.add(m.raw);
    this.transcript.selectHash(suite.hash);
    this.hs = handshakeSecret(suite.hash, earlySecret(suite.hash), shared);
    this.traffic = handshakeTrafficSecrets(suite.hash, this.hs, this.transcript.digest());
    this.install('handshake', 'read', suite.code, this.traffic.server);
    this.install('handshake', 'write', suite.code, this.traffic.client);
    this.state = 'wait-ee';
  }

  /** HelloRetryRequest (RFC 8446 section 4.1.4): one only, for a group offered without a share. */
  private onRetry(m: HandshakeMessage, hrr: ServerHello, suite: CipherSuiteInfo): void {
    if (this.retried) stop('unexpected_message', 'a second HelloRetryRequest');
    const g = hrr.ext.selectedGroup;
    const name = g === undefined ? undefined : supportedGroupName(g);
    const groups = this.config.groups ?? ['X25519MLKEM768', 'x25519', 'secp256r1'];
    if (!name || !groups.includes(name) || this.shares.some((s) => s.group === g)) {
      stop('illegal_parameter', `HelloRetryRequest selects group ${g === undefined ? 'none' : `0x${g.toString(16)}`}, not offered or already shared`);
    }
    if (!hrr.ext.cookie && hrr.extensions.length <= 1) stop('illegal_parameter', 'HelloRetryRequest would not change the ClientHello');
    this.retried = true;
    this.retrySuite = suite.code;
    this.transcript.selectHash(suite.hash);
    this.transcript.replaceWithMessageHash();
    this.transcript.add(m.raw);
    if (T13.hrr.on) T13.hrr.emit(this.conn, 0, g!, hrr.ext.cookie?.length ?? 0, 0, 'client');
    this.shares = [generateClientKeyShare(name)];
    this.send('initial', [this.clientHello(hrr.ext.cookie)]);
  }

  private onEncryptedExtensions(m: HandshakeMessage): void {
    const ee = must(decodeEncryptedExtensions(m.raw));
    const quic = this.config.quic ?? true;
    if (ee.ext.alpn !== undefined && !this.config.alpn.includes(ee.ext.alpn)) stop('illegal_parameter', `server selected ALPN "${ee.ext.alpn}", which was not offered`);
    if (quic && ee.ext.alpn === undefined) stop('no_application_protocol', 'server selected no ALPN protocol (RFC 9001 section 8.1)');
    if (quic && !ee.ext.quicTransportParameters) stop('missing_extension', 'EncryptedExtensions without quic_transport_parameters (RFC 9001 section 8.2)');
    this.alpn = ee.ext.alpn;
    this.peerParams = ee.ext.quicTransportParameters;
    if (this.peerParams) this.events.push({ kind: 'transport-parameters', params: this.peerParams });
    this.transcript.add(m.raw);
    this.state = 'wait-certificate';
  }

  private onCertificate(m: HandshakeMessage): void {
    const cert = must(decodeCertificate(m.raw));
    if (cert.requestContext.length !== 0) stop('illegal_parameter', 'server Certificate has a non-empty certificate_request_context', 4);
    const chain = cert.entries.map((e) => e.certData);
    this.leaf = must(verifyServerChain(chain, this.config.verify, this.config.serverName, this.opts.now ?? new Date()));
    this.transcript.add(m.raw);
    this.state = 'wait-cv';
  }

  private onCertificateVerify(m: HandshakeMessage): void {
    const cv = must(decodeCertificateVerify(m.raw));
    const offered = this.config.signatureAlgorithms ?? DEFAULT_SCHEMES;
    must(verifyCertificateVerify(cv, this.leaf!.publicKey, this.transcript.digest(), 'server', offered));
    this.scheme = cv.scheme;
    this.transcript.add(m.raw);
    this.state = 'wait-finished';
  }

  private onServerFinished(m: HandshakeMessage): void {
    const suite = this.suite!;
    const fin = must(decodeFinished(m.raw, suite.hashLength));
    const expected = finishedVerifyData(suite.hash, this.traffic!.server, this.transcript.digest());
    if (!bytesEqualConstantTime(fin.verifyData, expected)) stop('decrypt_error', 'server Finished verify_data does not match the transcript', 4);
    this.transcript.add(m.raw);
    const app = applicationSecrets(suite.hash, masterSecret(suite.hash, this.hs!), this.transcript.digest());
    this.install('application', 'read', suite.code, app.server);
    const clientFin = encodeFinished(finishedVerifyData(suite.hash, this.traffic!.client, this.transcript.digest()));
    this.send('handshake', [clientFin]);
    this.install('application', 'write', suite.code, app.client);
    this.state = 'done';
    this.completed = true;
    this.summaryValue = {
      suite: suite.name, group: this.group, alpn: this.alpn, serverName: this.config.serverName, retried: this.retried, signatureScheme: this.scheme,
    };
    this.events.push({ kind: 'complete', summary: this.summaryValue });
    if (T13.done.on) {
      T13.done.emit(this.conn, 0, suite.code, NAMED_GROUP[this.group as SupportedGroupName] ?? 0, this.retried ? 1 : 0, `client alpn=${this.alpn ?? '-'} sni=${this.config.serverName ?? '-'}`);
    }
  }
}
