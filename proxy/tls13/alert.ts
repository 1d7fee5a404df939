/**
 * TLS alerts as handshake outcomes, and their QUIC error codes.
 *
 * QUIC does not send TLS alerts in records: an alert becomes a CONNECTION_CLOSE whose error code is
 * CRYPTO_ERROR, 0x0100 plus the alert description (RFC 9001 section 4.8; RFC 9000 section 20.1).
 */
import { ALERT } from './tls13.types.ts';
import type { AlertName, TlsAlert, TlsResult } from './tls13.types.ts';

/** First QUIC CRYPTO_ERROR code (RFC 9000 section 20.1: 0x0100-0x01ff). */
export const QUIC_CRYPTO_ERROR_BASE = 0x100;

/** The QUIC transport error code for an alert: 0x100 + its description (RFC 9001 section 4.8). */
export function cryptoErrorCode(alert: AlertName): number {
  return QUIC_CRYPTO_ERROR_BASE + ALERT[alert];
}

const NAMES: ReadonlyMap<number, AlertName> = new Map(
  (Object.entries(ALERT) as [AlertName, number][]).map(([name, code]) => [code, name]),
);

/** The name of an alert description code, or undefined for a code RFC 8446 does not define. */
export function alertName(code: number): AlertName | undefined {
  return NAMES.get(code);
}

/** A failed outcome: `alert`, with a sentence saying what was wrong at byte `offset`. */
export function fail<T = never>(alert: AlertName, message: string, offset: number): TlsResult<T> {
  const error: TlsAlert = { alert, message, offset };
  return { ok: false, error };
}

/** A successful outcome. */
export function ok<T>(value: T): TlsResult<T> {
  return { ok: true, value };
}

/** `alert (code)` plus message and offset, for traces and error text. */
export function describeAlert(e: TlsAlert): string {
  return `${e.alert} (${ALERT[e.alert]}, QUIC error 0x${cryptoErrorCode(e.alert).toString(16)}) at byte ${e.offset}: ${e.message}`;
}
