/**
 * Cuts the in-order CRYPTO stream of one encryption level into handshake messages (RFC 9001 section
 * 4.1.3: QUIC carries handshake messages, not records; one message may span several CRYPTO frames and
 * packets, and one frame may hold several messages). Feed it contiguous bytes as the CRYPTO reassembly
 * releases them; take messages with `next()` until it says `need-more`.
 *
 * A message whose length exceeds `maxMessageSize` is refused before its body arrives, with
 * illegal_parameter (what OpenSSL answers for an excessive message size); errors are sticky.
 */
import type { HandshakeMessage, TlsAlert } from './tls13.types.ts';

/** Default largest handshake message accepted: room for certificate chains, far below 2^24. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 64 * 1024;

/** One step of the framer. */
export type FramerOutcome =
  | { readonly kind: 'message'; readonly message: HandshakeMessage }
  | { readonly kind: 'need-more' }
  | { readonly kind: 'error'; readonly error: TlsAlert };

/** Incremental handshake message framer over one CRYPTO stream. */
export class HandshakeFramer {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  /** Stream offset of buf[start]. */
  private base = 0;
  private error: TlsAlert | undefined;
  readonly maxMessageSize: number;

  constructor(opts: { readonly maxMessageSize?: number } = {}) {
    this.maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_HANDSHAKE_MESSAGE;
  }

  /** Bytes received and not yet returned as a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Stream offset of the next message's first byte. */
  get offset(): number {
    return this.base;
  }

  /** Appends the next contiguous bytes of the stream (copied; the caller may reuse `bytes`). */
  push(bytes: Uint8Array): void {
    if (this.error || bytes.length === 0) return;
    if (this.end + bytes.length > this.buf.length) {
      const live = this.end - this.start;
      const grown = new Uint8Array(Math.max(live + bytes.length, this.buf.length * 2, 256));
      grown.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = grown;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** The next complete message, `need-more`, or the error that ended the stream. */
  next(): FramerOutcome {
    if (this.error) return { kind: 'error', error: this.error };
    const avail = this.end - this.start;
    if (avail < 4) return { kind: 'need-more' };
    const b = this.buf;
    const s = this.start;
    const len = (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3];
    if (len > this.maxMessageSize) {
      this.error = {
        alert: 'illegal_parameter',
        message: `handshake message type ${b[s]} of ${len} bytes exceeds the ${this.maxMessageSize}-byte limit`,
        offset: this.base + 1,
      };
      return { kind: 'error', error: this.error };
    }
    if (avail < 4 + len) return { kind: 'need-more' };
    const raw = b.slice(s, s + 4 + len);
    const message: HandshakeMessage = { type: raw[0], body: raw.subarray(4), raw, offset: this.base };
    this.start += 4 + len;
    this.base += 4 + len;
    if (this.start === this.end) this.start = this.end = 0;
    return { kind: 'message', message };
  }
}
