/**
 * The handshake message header (RFC 8446 section 4): `HandshakeType msg_type; uint24 length;` then
 * the body. Decoders take whole messages (as the framer cuts them and the transcript hashes them);
 * encoders return whole messages.
 */
import { fail, ok } from './alert.ts';
import { WireReader, WireWriter } from './wire.ts';
import type { TlsResult } from './tls13.types.ts';

/** Largest body a 24-bit length can state. */
export const MAX_HANDSHAKE_LENGTH = 0xffffff;

/**
 * A reader over the body of `message` after checking its type and length: a type other than
 * `type` is unexpected_message, a length that disagrees with the bytes is decode_error. Offsets in the
 * reader's errors count from the first header byte.
 */
export function bodyReader(message: Uint8Array, type: number, what: string): TlsResult<WireReader> {
  if (message.length < 4) return fail('decode_error', `${what}: ${message.length} bytes, shorter than a handshake header`, 0);
  if (message[0] !== type) return fail('unexpected_message', `${what}: message type ${message[0]}, expected ${type}`, 0);
  const len = (message[1] << 16) | (message[2] << 8) | message[3];
  if (len !== message.length - 4) {
    return fail('decode_error', `${what}: header says ${len} body bytes, message has ${message.length - 4}`, 1);
  }
  return ok(new WireReader(message, 4, message.length, 0));
}

/** A whole message: header with the body's length, then the body written by `fill`. */
export function buildMessage(type: number, fill: (w: WireWriter) => void): Uint8Array {
  const w = new WireWriter();
  w.uint(1, type).begin(3);
  fill(w);
  return w.end().finish();
}

/** Ends a decode: the reader's first error as an outcome, or `value`. */
export function finishDecode<T>(r: WireReader, what: string, value: () => T): TlsResult<T> {
  r.expectEnd(what);
  if (r.error) return { ok: false, error: { ...r.error, message: `${what}: ${r.error.message}` } };
  return ok(value());
}
