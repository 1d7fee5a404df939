/**
 * What the server and client handshake engines share (RFC 9001 section 4): one handshake framer per
 * encryption level, the rule that handshake bytes arrive only at the level the state expects, the
 * transcript, the ordered event list of one call, and the sticky failure that turns any alert into
 * an `error` event and silences the engine. Subclasses implement `handle(level, message)`.
 */
import { QUIC_CRYPTO_ERROR_BASE, cryptoErrorCode } from './alert.ts';
import { HandshakeFramer } from './framer.ts';
import { Transcript } from './transcript.ts';
import { ALERT } from './tls13.types.ts';
import type { AlertName, CipherSuiteName, HandshakeMessage, TlsAlert, TlsResult } from './tls13.types.ts';
import type { EncryptionLevel, HandshakeError, HandshakeEvent, KeyDirection } from './handshake.types.ts';
import { LEVEL_CODE, T13 } from './trace.ts';
import { cipherSuite } from './cipher-suites.ts';

/** QUIC PROTOCOL_VIOLATION (RFC 9000 section 20.1), used for a non-empty legacy_session_id (RFC 9001 section 8.4). */
export const QUIC_PROTOCOL_VIOLATION = 0x0a;

/** Thrown inside an engine to stop processing with an alert; never escapes `receive`. */
export class AlertStop {
  readonly alert: TlsAlert;
  readonly quicErrorCode: number;
  constructor(alert: TlsAlert, quicErrorCode = cryptoErrorCode(alert.alert)) {
    this.alert = alert;
    this.quicErrorCode = quicErrorCode;
  }
}

/** The value of an outcome, or an AlertStop carrying its alert with `context` prefixed. */
export function must<T>(r: TlsResult<T>, context?: string): T {
  if (r.ok) return r.value;
  throw new AlertStop(context ? { ...r.error, message: `${context}: ${r.error.message}` } : r.error);
}

/** Stops the handshake with `alert`. */
export function stop(alert: AlertName, message: string, offset = 0): never {
  throw new AlertStop({ alert, message, offset });
}

const TYPE_NAMES: Record<number, string> = {
  1: 'ClientHello', 2: 'ServerHello', 4: 'NewSessionTicket', 5: 'EndOfEarlyData', 8: 'EncryptedExtensions',
  11: 'Certificate', 13: 'CertificateRequest', 15: 'CertificateVerify', 20: 'Finished', 24: 'KeyUpdate',
};

/** The name of a handshake type for messages and traces. */
export function handshakeTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `handshake type ${type}`;
}

/** Base of ServerHandshake and ClientHandshake. */
export abstract class HandshakeEngine {
  protected readonly role: 'server' | 'client';
  protected readonly conn: number;
  protected readonly framers: Record<EncryptionLevel, HandshakeFramer>;
  protected readonly transcript = new Transcript();
  protected events: HandshakeEvent[] = [];
  private failure: HandshakeError | undefined;
  /** Once complete, the engine only accepts what `handle` allows at the application level. */
  protected completed = false;

  constructor(role: 'server' | 'client', conn: number, maxMessageSize?: number) {
    this.role = role;
    this.conn = conn;
    this.framers = {
      initial: new HandshakeFramer({ maxMessageSize }),
      handshake: new HandshakeFramer({ maxMessageSize }),
      application: new HandshakeFramer({ maxMessageSize }),
    };
  }

  /** The error that ended the handshake, if it failed. */
  get error(): HandshakeError | undefined {
    return this.failure;
  }

  /** True once the handshake completed for this endpoint. */
  get isComplete(): boolean {
    return this.completed;
  }

  /** The level at which the next handshake message from the peer is expected. */
  protected abstract expectedLevel(): EncryptionLevel;

  /** Processes one whole message received at `level` (the expected one). */
  protected abstract handle(level: EncryptionLevel, message: HandshakeMessage): void;

  /**
   * Feeds the next contiguous CRYPTO stream bytes of `level` (as the CRYPTO reassembly releases them,
   * split anywhere) and returns what to do, in order. Bytes at a level the handshake is not at are
   * unexpected_message (RFC 8446 section 5.1 / RFC 9001 section 4.1.3). After an error, returns [].
   * Never throws on peer input.
   */
  receive(level: EncryptionLevel, bytes: Uint8Array): HandshakeEvent[] {
    if (this.failure) return [];
    this.events = [];
    try {
      if (bytes.length === 0) return this.take();
      if (level !== this.expectedLevel()) {
        stop('unexpected_message', `${bytes.length} handshake bytes at the ${level} level while expecting ${this.expectedLevel()} data`);
      }
      const framer = this.framers[level];
      framer.push(bytes);
      for (;;) {
        const at = this.expectedLevel();
        if (at !== level) {
          if (framer.buffered > 0) stop('unexpected_message', `${framer.buffered} bytes at the ${level} level after its last message (key change)`);
          break;
        }
        const out = framer.next();
        if (out.kind === 'need-more') break;
        if (out.kind === 'error') throw new AlertStop(out.error);
        const m = out.message;
        if (T13.rx.on) T13.rx.emit(this.conn, 0, m.type, LEVEL_CODE[level], m.raw.length, `${this.role} ${handshakeTypeName(m.type)}`);
        this.handle(level, m);
        if (this.failure) break;
      }
    } catch (e) {
      this.failWith(e, level);
    }
    return this.take();
  }

  /** Events collected during this call, emptied. */
  protected take(): HandshakeEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  /** Turns an AlertStop (or, defensively, any exception) into the sticky error event. */
  protected failWith(e: unknown, level?: EncryptionLevel): void {
    const stopped =
      e instanceof AlertStop
        ? e
        : new AlertStop({ alert: 'internal_error', message: `${this.role} handshake bug: ${(e as Error)?.message ?? String(e)}`, offset: 0 });
    this.failure = { alert: stopped.alert, quicErrorCode: stopped.quicErrorCode, level };
    this.events.push({ kind: 'error', error: this.failure });
    if (T13.alert.on) {
      const a = stopped.alert;
      T13.alert.emit(this.conn, 0, ALERT[a.alert], stopped.quicErrorCode, a.offset, `${this.role} ${a.alert}: ${a.message}`);
    }
  }

  /** Queues handshake messages to send at `level`, adding each to the transcript first unless told not to. */
  protected send(level: EncryptionLevel, messages: readonly Uint8Array[], addToTranscript = true): void {
    let len = 0;
    for (const m of messages) {
      if (addToTranscript) this.transcript.add(m);
      len += m.length;
      if (T13.tx.on) T13.tx.emit(this.conn, 0, m[0], LEVEL_CODE[level], m.length, `${this.role} ${handshakeTypeName(m[0])}`);
    }
    const bytes = new Uint8Array(len);
    let at = 0;
    for (const m of messages) {
      bytes.set(m, at);
      at += m.length;
    }
    this.events.push({ kind: 'send', level, bytes });
  }

  /** Queues an install-keys event. */
  protected install(level: 'handshake' | 'application', direction: KeyDirection, suiteCode: number, secret: Uint8Array): void {
    const suite = cipherSuite(suiteCode)!.name as CipherSuiteName;
    this.events.push({ kind: 'install-keys', level, direction, suite, secret });
    if (T13.keys.on) T13.keys.emit(this.conn, 0, LEVEL_CODE[level], direction === 'read' ? 0 : 1, suiteCode, this.role);
  }
}

/** True when `code` is a QUIC CRYPTO_ERROR (RFC 9000 section 20.1). */
export function isCryptoError(code: number): boolean {
  return code >= QUIC_CRYPTO_ERROR_BASE && code <= QUIC_CRYPTO_ERROR_BASE + 0xff;
}
