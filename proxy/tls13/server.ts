/**
 * The server side of the TLS 1.3 handshake as QUIC uses it (RFC 8446 sections 2, 4; RFC 9001 sections
 * 4 and 8), sans-IO: feed it the CRYPTO stream bytes of each encryption level with `receive`, act on
 * the returned events in order (send bytes at a level, install keys, transport parameters, complete,
 * error).
 *
 *     Initial:    ClientHello  ->  [HelloRetryRequest <- ClientHello]  ServerHello
 *     Handshake:  EncryptedExtensions, Certificate, CertificateVerify, Finished  ->  <- Finished
 *
 * No PSK, 0-RTT or client authentication: a pre_shared_key offer is ignored (full handshake), no
 * NewSessionTicket is sent. Randomness (random, x25519 key, signature) can be injected for replaying
 * published traces (RFC 8448).
 */
import { randomBytes } from 'node:crypto';
import { certificateVerifyContent, selectSignatureScheme, signCertificateVerify } from './certificate-verify.ts';
import { cipherSuite, CIPHER_SUITES } from './cipher-suites.ts';
import { checkClientHello, selectAlpn, selectCipherSuite, selectKeyShare } from './client-hello-check.ts';
import type { ServerCredentials } from './certificate-chain.ts';
import { ext } from './extensions.ts';
import { AlertStop, HandshakeEngine, QUIC_PROTOCOL_VIOLATION, handshakeTypeName, must, stop } from './handshake-engine.ts';
import type { EncryptionLevel, HandshakeSummary } from './handshake.types.ts';
import { HELLO_RETRY_REQUEST_RANDOM, decodeClientHello, encodeServerHello } from './hello.ts';
import { bytesEqualConstantTime } from './hmac.ts';
import { acceptClientKeyShare, supportedGroupName } from './key-share.ts';
import { applicationSecrets, earlySecret, finishedVerifyData, handshakeSecret, handshakeTrafficSecrets, masterSecret } from './key-schedule.ts';
import { decodeFinished, encodeCertificate, encodeCertificateVerify, encodeEncryptedExtensions, encodeFinished } from './messages.ts';
import { HANDSHAKE_TYPE, NAMED_GROUP, TLS13_VERSION } from './tls13.types.ts';
import type { ClientHello, HandshakeMessage, RawExtension, SupportedGroupName } from './tls13.types.ts';
import type { CipherSuiteInfo } from './cipher-suites.ts';
import { T13 } from './trace.ts';

/** What a server offers; one object can serve many connections. */
export interface ServerHandshakeConfig {
  readonly credentials: ServerCredentials;
  /** ALPN protocols served, in preference order (RFC 7301 section 3.2). Required over QUIC. */
  readonly alpn: readonly string[];
  /** This server's quic_transport_parameters, opaque (RFC 9001 section 8.2). Required over QUIC. */
  readonly transportParameters?: Uint8Array;
  /** Cipher suite codes in preference order; default all three of CIPHER_SUITES. */
  readonly cipherSuites?: readonly number[];
  /** Key exchange groups in preference order; default X25519MLKEM768, x25519, secp256r1. */
  readonly groups?: readonly SupportedGroupName[];
  /** Cookie to put in a HelloRetryRequest (RFC 8446 section 4.2.2); the second ClientHello must echo it. */
  readonly retryCookie?: Uint8Array;
  /** Extensions added to EncryptedExtensions after ALPN and before the server_name acknowledgement. */
  readonly extraEncryptedExtensions?: readonly RawExtension[];
  /** TLS over QUIC (default true): quic_transport_parameters and ALPN are required, legacy_session_id must be empty. */
  readonly quic?: boolean;
  /** Largest handshake message accepted (framer limit). */
  readonly maxMessageSize?: number;
}

/** Per-connection options: trace connection id and, for trace replays only, injected randomness. */
export interface ServerHandshakeOptions {
  readonly conn?: number;
  /** ServerHello.random instead of 32 random bytes. */
  readonly random?: Uint8Array;
  /** x25519 private key instead of a fresh one (x25519 and the X25519 half of the hybrid). */
  readonly x25519PrivateKey?: Uint8Array;
  /** Signs the CertificateVerify content (RFC 8446 section 4.4.3) instead of node:crypto (RSA-PSS is randomised). */
  readonly sign?: (scheme: number, content: Uint8Array) => Uint8Array;
}

type ServerState = 'wait-client-hello' | 'wait-client-hello-2' | 'wait-finished' | 'done';

const DEFAULT_GROUPS: readonly SupportedGroupName[] = ['X25519MLKEM768', 'x25519', 'secp256r1'];

/** A TLS 1.3 server handshake for one connection. */
export class ServerHandshake extends HandshakeEngine {
  private readonly config: ServerHandshakeConfig;
  private readonly opts: ServerHandshakeOptions;
  private state: ServerState = 'wait-client-hello';
  private suite: CipherSuiteInfo | undefined;
  private retryGroup: number | undefined;
  private clientHs: Uint8Array | undefined;
  private clientAp: Uint8Array | undefined;
  private expectedClientFinished: Uint8Array | undefined;
  private partial: Omit<HandshakeSummary, 'signatureScheme'> & { signatureScheme: number } = {
    suite: 'TLS_AES_128_GCM_SHA256', group: '', alpn: undefined, serverName: undefined, retried: false, signatureScheme: 0,
  };
  private peerParams: Uint8Array | undefined;
  private masterInput: { hs: Uint8Array; serverHs: Uint8Array } | undefined;

  /** Throws if a QUIC config lacks ALPN or transport parameters (the caller's configuration bug). */
  constructor(config: ServerHandshakeConfig, opts: ServerHandshakeOptions = {}) {
    super('server', opts.conn ?? 0, config.maxMessageSize);
    if ((config.quic ?? true) && (!config.transportParameters || config.alpn.length === 0)) {
      throw new Error('a QUIC server handshake needs transportParameters and at least one ALPN protocol');
    }
    if (opts.random && opts.random.length !== 32) throw new RangeError('injected random must be 32 bytes');
    this.config = config;
    this.opts = opts;
  }

  /** The client's quic_transport_parameters once its ClientHello was accepted. */
  get peerTransportParameters(): Uint8Array | undefined {
    return this.peerParams;
  }

  /** What was negotiated, once complete. */
  get summary(): HandshakeSummary | undefined {
    return this.completed ? { ...this.partial } : undefined;
  }

  protected expectedLevel(): EncryptionLevel {
    if (this.state === 'wait-finished') return 'handshake';
    if (this.state === 'done') return 'application';
    return 'initial';
  }

  protected handle(level: EncryptionLevel, m: HandshakeMessage): void {
    if (this.state === 'done') stop('unexpected_message', `${handshakeTypeName(m.type)} after the handshake (no post-handshake messages from a QUIC client)`);
    if (this.state === 'wait-finished') {
      if (m.type !== HANDSHAKE_TYPE.finished) stop('unexpected_message', `${handshakeTypeName(m.type)} while expecting the client Finished`);
      this.onClientFinished(m);
      return;
    }
    if (m.type !== HANDSHAKE_TYPE.client_hello) stop('unexpected_message', `${handshakeTypeName(m.type)} while expecting ClientHello`);
    this.onClientHello(m);
  }

  private onClientHello(m: HandshakeMessage): void {
    const quic = this.config.quic ?? true;
    const second = this.state === 'wait-client-hello-2';
    const ch = must(decodeClientHello(m.raw));
    if (quic && ch.legacySessionId.length > 0) {
      throw new AlertStop(
        { alert: 'illegal_parameter', message: `legacy_session_id of ${ch.legacySessionId.length} bytes; QUIC requires it empty (RFC 9001 section 8.4)`, offset: 39 },
        QUIC_PROTOCOL_VIOLATION,
      );
    }
    must(checkClientHello(ch, { quic }));
    const suiteCode = must(selectCipherSuite(ch, this.config.cipherSuites ?? CIPHER_SUITES.map((s) => s.code)));
    const suite = cipherSuite(suiteCode)!;
    const alpn = quic || (ch.ext.alpn && this.config.alpn.length > 0) ? must(selectAlpn(ch, this.config.alpn)) : undefined;
    const groups = (this.config.groups ?? DEFAULT_GROUPS).map((g) => NAMED_GROUP[g]);
    const choice = must(selectKeyShare(ch, groups));
    if (second) this.checkSecondHello(ch, suite, choice.kind === 'share' ? choice.entry.group : undefined);
    this.transcript.add(m.raw);
    if (choice.kind === 'retry') {
      this.sendRetry(suite, choice.group);
      return;
    }
    const group = supportedGroupName(choice.entry.group)!;
    const shared = must(acceptClientKeyShare(group, choice.entry.keyExchange, { x25519PrivateKey: this.opts.x25519PrivateKey }));
    this.suite = suite;
    this.partial = { ...this.partial, suite: suite.name, group, alpn, serverName: ch.ext.serverName };
    this.peerParams = ch.ext.quicTransportParameters;
    if (this.peerParams) this.events.push({ kind: 'transport-parameters', params: this.peerParams });
    this.sendServerHello(ch, suite, { group: choice.entry.group, keyExchange: shared.keyExchange }, shared.sharedSecret);
    this.sendServerFlight(ch, suite, alpn);
    this.state = 'wait-finished';
  }

  /** RFC 8446 section 4.1.2: the second ClientHello answers the HelloRetryRequest. */
  private checkSecondHello(ch: ClientHello, suite: CipherSuiteInfo, shareGroup: number | undefined): void {
    if (suite.code !== this.suite?.code) stop('illegal_parameter', 'second ClientHello leads to another cipher suite than the HelloRetryRequest');
    if (shareGroup !== this.retryGroup || ch.ext.keyShares?.length !== 1) {
      stop('illegal_parameter', `second ClientHello must carry exactly one key share, for group 0x${this.retryGroup!.toString(16)}`);
    }
    const cookie = this.config.retryCookie;
    if (cookie && !(ch.ext.cookie && bytesEqualConstantTime(ch.ext.cookie, cookie))) {
      stop('illegal_parameter', 'second ClientHello does not echo the HelloRetryRequest cookie');
    }
  }

  /** HelloRetryRequest (RFC 8446 section 4.1.4), transcript restarted with message_hash (section 4.4.1). */
  private sendRetry(suite: CipherSuiteInfo, group: number): void {
    if (this.state === 'wait-client-hello-2') stop('illegal_parameter', 'second ClientHello still has no usable key share');
    this.suite = suite;
    this.retryGroup = group;
    this.partial = { ...this.partial, retried: true };
    this.transcript.selectHash(suite.hash);
    this.transcript.replaceWithMessageHash();
    const extensions = [ext.supportedVersionServer(TLS13_VERSION), ext.keyShareRetry(group)];
    if (this.config.retryCookie) extensions.push(ext.cookie(this.config.retryCookie));
    const hrr = encodeServerHello({ random: HELLO_RETRY_REQUEST_RANDOM, cipherSuite: suite.code, extensions });
    if (T13.hrr.on) T13.hrr.emit(this.conn, 0, group, this.config.retryCookie?.length ?? 0, 0, 'server');
    this.send('initial', [hrr]);
    this.state = 'wait-client-hello-2';
  }

  private sendServerHello(ch: ClientHello, suite: CipherSuiteInfo, share: { group: number; keyExchange: Uint8Array }, shared: Uint8Array): void {
    const sh = encodeServerHello({
      random: this.opts.random ?? new Uint8Array(randomBytes(32)),
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: suite.code,
      extensions: [ext.keyShareServer(share), ext.supportedVersionServer(TLS13_VERSION)],
    });
    this.transcript.selectHash(suite.hash);
    this.send('initial', [sh]);
    const hs = handshakeSecret(suite.hash, earlySecret(suite.hash), shared);
    const traffic = handshakeTrafficSecrets(suite.hash, hs, this.transcript.digest());
    this.clientHs = traffic.client;
    this.install('handshake', 'write', suite.code, traffic.server);
    this.install('handshake', 'read', suite.code, traffic.client);
    this.masterInput = { hs, serverHs: traffic.server };
  }

  /** EncryptedExtensions, Certificate, CertificateVerify, Finished (RFC 8446 sections 4.3.1, 4.4). */
  private sendServerFlight(ch: ClientHello, suite: CipherSuiteInfo, alpn: string | undefined): void {
    const { hs, serverHs } = this.masterInput!;
    const { credentials } = this.config;
    const scheme = selectSignatureScheme(credentials.privateKey, ch.ext.signatureAlgorithms ?? []);
    if (scheme === undefined) stop('handshake_failure', `no offered signature scheme fits the ${credentials.privateKey.asymmetricKeyType} certificate key`);
    const extensions: RawExtension[] = [];
    if (alpn !== undefined) extensions.push(ext.alpn([alpn]));
    extensions.push(...(this.config.extraEncryptedExtensions ?? []));
    if (ch.ext.serverName) extensions.push(ext.serverNameAck());
    if (this.config.quic ?? true) extensions.push(ext.quicTransportParameters(this.config.transportParameters!));
    const ee = encodeEncryptedExtensions(extensions);
    const cert = encodeCertificate({ entries: credentials.chain.map((certData) => ({ certData, extensions: [] })) });
    this.transcript.add(ee);
    this.transcript.add(cert);
    const toSign = this.transcript.digest();
    const signature = this.opts.sign
      ? this.opts.sign(scheme, certificateVerifyContent('server', toSign))
      : signCertificateVerify(scheme, credentials.privateKey, toSign, 'server');
    const cv = encodeCertificateVerify({ scheme, signature });
    this.transcript.add(cv);
    const fin = encodeFinished(finishedVerifyData(suite.hash, serverHs, this.transcript.digest()));
    this.transcript.add(fin);
    this.send('handshake', [ee, cert, cv, fin], false);
    this.partial.signatureScheme = scheme;
    const afterServerFinished = this.transcript.digest();
    const app = applicationSecrets(suite.hash, masterSecret(suite.hash, hs), afterServerFinished);
    this.clientAp = app.client;
    this.expectedClientFinished = finishedVerifyData(suite.hash, this.clientHs!, afterServerFinished);
    this.install('application', 'write', suite.code, app.server);
  }

  /** The client Finished, compared in constant time (RFC 8446 section 4.4.4): decrypt_error on mismatch. */
  private onClientFinished(m: HandshakeMessage): void {
    const suite = this.suite!;
    const fin = must(decodeFinished(m.raw, suite.hashLength));
    if (!bytesEqualConstantTime(fin.verifyData, this.expectedClientFinished!)) stop('decrypt_error', 'client Finished verify_data does not match the transcript', 4);
    this.transcript.add(m.raw);
    this.install('application', 'read', suite.code, this.clientAp!);
    this.state = 'done';
    this.completed = true;
    this.events.push({ kind: 'complete', summary: { ...this.partial } });
    if (T13.done.on) {
      const p = this.partial;
      T13.done.emit(this.conn, 0, suite.code, NAMED_GROUP[p.group as SupportedGroupName], p.retried ? 1 : 0, `server alpn=${p.alpn ?? '-'} sni=${p.serverName ?? '-'}`);
    }
  }
}

