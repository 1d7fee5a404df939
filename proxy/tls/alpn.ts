/**
 * The `alpn <list>` option of `bind ... ssl` (HAProxy configuration manual, 5.1 "alpn"; RFC 7301):
 * a comma-separated list of protocol names offered in preference order. Flightbox speaks HTTP/1.x
 * only on TCP, so it offers only `http/1.1` and `http/1.0` from the list: a list without
 * `http/1.1` cannot work (alert), other names are dropped (warning).
 */

/** The ALPN protocol names Flightbox can serve (RFC 7301 §6 registry names). */
export const SERVED_ALPN: readonly string[] = ['http/1.1', 'http/1.0'];

/** A parsed `alpn` list. */
export interface AlpnChoice {
  /** What is offered to clients, in the configured order. */
  offered: string[];
  /** Names of the list that are not offered (not served by Flightbox). */
  dropped: string[];
}

/**
 * Parses `alpn <list>`. Returns the choice, or an error message (no `http/1.1`, an empty or too
 * long name) for the caller to report at the line.
 */
export function parseAlpnList(text: string): AlpnChoice | { error: string } {
  const names = text.split(',');
  const bad = names.find((n) => n === '' || Buffer.byteLength(n) > 255 || /[\s]/.test(n));
  if (bad !== undefined) {
    return { error: `invalid ALPN list '${text}': ${bad === '' ? 'empty protocol name' : `protocol name '${bad}' is invalid (1 to 255 bytes, no spaces)`}; write e.g. 'alpn http/1.1'` };
  }
  if (!names.includes('http/1.1')) {
    return {
      error: `ALPN list '${text}' does not offer 'http/1.1': Flightbox speaks only HTTP/1.1 on TCP, so a client could negotiate nothing it serves; use 'alpn http/1.1' (or add http/1.1 to the list)`,
    };
  }
  const offered: string[] = [];
  const dropped: string[] = [];
  for (const n of names) {
    if (SERVED_ALPN.includes(n)) {
      if (!offered.includes(n)) offered.push(n);
    } else if (!dropped.includes(n)) dropped.push(n);
  }
  return { offered, dropped };
}
