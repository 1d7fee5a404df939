/**
 * Sans-IO HTTP/1.1 request writer (Flightbox forwarding a request to a server): the request line and
 * header section as bytes ready for a socket, and the chunked transfer coding for bodies of unknown
 * length (RFC 9112 §3, §5, §6, §7; RFC 9110 §7.6.1).
 *
 * The writer owns everything that is hop-by-hop: it drops the connection-specific fields a client
 * sent (RFC 9110 §7.6.1), writes the framing of the body it was told (Content-Length or
 * Transfer-Encoding: chunked, never both, RFC 9112 §6.2) and the Connection field of the server
 * connection. Framing fields given among the headers are never written, so a client cannot choose
 * how the server frames the forwarded body (the framing comes from the request parser's decision).
 */
import { encodeChunk, lastChunk } from './response.ts';
import { CLASS, fieldNameIs, isFieldText, isToken, TARGET } from './chars.ts';
import { listElements } from './response-semantics.ts';
import type { H1HeadEvent } from './h1.types.ts';

/** Why a request head could not be encoded; `code` is stable for tests and traces. */
export class RequestEncodeError extends TypeError {
  readonly code:
    | 'method-invalid'
    | 'target-invalid'
    | 'field-name-invalid'
    | 'field-value-invalid'
    | 'length-invalid'
    | 'upgrade-missing';

  constructor(code: RequestEncodeError['code'], message: string) {
    super(message);
    this.name = 'RequestEncodeError';
    this.code = code;
  }
}

/** A field line to write: [name, value], name as given. */
export type RequestHeader = readonly [name: string, value: string];

/**
 * How the forwarded body is delimited (RFC 9112 §6): no body, a Content-Length (0 included), or the
 * chunked transfer coding for a body whose length is not known in advance (RFC 9112 §7.1).
 */
export type RequestFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/**
 * Fields that only concern one connection and are never forwarded (RFC 9110 §7.6.1: Connection,
 * Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade; Trailer as RFC 2616 §13.5.1 listed
 * it). Lower case.
 */
export const HOP_BY_HOP_FIELDS: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
]);

/** Fields that a Connection option cannot remove: without Host the request no longer names its target. */
const PROTECTED_FIELDS: ReadonlySet<string> = new Set(['host']);

/** Options of writeRequestHead(). */
export interface RequestHeadInit {
  /** A token (RFC 9110 §9.1), forwarded as received. */
  method: string;
  /** The request-target as it must reach the server (RFC 9112 §3.2): visible ASCII, no space. */
  target: string;
  /** The client's fields, in order; hop-by-hop ones are dropped (see hopByHopNames()). */
  headers: readonly RequestHeader[];
  /** Framing of the body that follows the head. */
  body: RequestFraming;
  /** Keep the server connection open after the response (HTTP/1.1 default) or ask to close it. */
  keepAlive: boolean;
  /**
   * Forward a protocol upgrade (RFC 9110 §7.8): keep the Upgrade field(s) and send
   * `Connection: upgrade`. Default false: Upgrade is dropped like any hop-by-hop field.
   */
  upgrade?: boolean;
}

/** A set of field names, as hopByHopNames() answers it, matched ignoring ASCII case (RFC 9110 §5.1). */
export interface FieldNameFilter {
  /** Whether `name`, in any case, is in the set; never allocates (runs for every forwarded field). */
  has(name: string): boolean;
}

/** hopByHopFilter()'s answer: the fixed hop-by-hop names, Connection's options (`extra`), Content-Length. */
class HopByHopFilter implements FieldNameFilter {
  readonly extra: readonly string[];
  readonly keepUpgrade: boolean;
  readonly dropLength: boolean;
  constructor(extra: readonly string[], keepUpgrade: boolean, dropLength: boolean) {
    this.extra = extra;
    this.keepUpgrade = keepUpgrade;
    this.dropLength = dropLength;
  }
  has(n: string): boolean {
    for (let i = 0; i < HOP_BY_HOP_LIST.length; i++) {
      if (fieldNameIs(n, HOP_BY_HOP_LIST[i])) return !(this.keepUpgrade && i === UPGRADE_AT);
    }
    for (let i = 0; i < this.extra.length; i++) if (fieldNameIs(n, this.extra[i])) return true;
    return this.dropLength && fieldNameIs(n, 'content-length');
  }
}

const HOP_BY_HOP_LIST: readonly string[] = [...HOP_BY_HOP_FIELDS];
const UPGRADE_AT = HOP_BY_HOP_LIST.indexOf('upgrade');
const NO_EXTRA: readonly string[] = [];
const COMMON_FILTERS = [
  new HopByHopFilter(NO_EXTRA, false, false),
  new HopByHopFilter(NO_EXTRA, true, false),
  new HopByHopFilter(NO_EXTRA, false, true),
  new HopByHopFilter(NO_EXTRA, true, true),
];

/**
 * The lower-cased names of the fields that must not be copied from `headers`: HOP_BY_HOP_FIELDS and
 * every field named as an option of a Connection field (RFC 9110 §7.6.1) except Host (a client must
 * not be able to strip it that way); with `dropLength`, Content-Length too (the writer derives it
 * from the framing, RFC 9112 §6.2, §6.3). With `keepUpgrade`, Upgrade is kept even when Connection
 * names it (it must, RFC 9110 §7.8). Allocation-free for a message without Connection options.
 */
export function hopByHopFilter(headers: readonly (readonly [string, string])[], keepUpgrade: boolean, dropLength: boolean): FieldNameFilter {
  let extra: string[] | undefined;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    if (!fieldNameIs(name, 'connection')) continue;
    for (const el of listElements(headers[i][1])) {
      const opt = el.toLowerCase();
      if (opt !== '' && !PROTECTED_FIELDS.has(opt) && !HOP_BY_HOP_FIELDS.has(opt)) (extra ??= []).push(opt);
    }
  }
  if (extra === undefined) return COMMON_FILTERS[(keepUpgrade ? 1 : 0) + (dropLength ? 2 : 0)];
  return new HopByHopFilter(extra, keepUpgrade, dropLength);
}

/**
 * The names writeRequestHead() does not copy from `headers`: hopByHopFilter() with Content-Length
 * dropped (the writer derives it from the framing).
 */
export function hopByHopNames(headers: readonly RequestHeader[], keepUpgrade = false): FieldNameFilter {
  return hopByHopFilter(headers, keepUpgrade, true);
}

/** The framing the request parser decided for a request (RFC 9112 §6.3), to forward it unchanged. */
export function framingOf(head: Pick<H1HeadEvent, 'bodyKind' | 'contentLength'>): RequestFraming {
  if (head.bodyKind === 'chunked') return { kind: 'chunked' };
  if (head.bodyKind === 'length') return { kind: 'length', length: head.contentLength ?? 0 };
  return { kind: 'none' };
}

function checkRequestLine(method: string, target: string): void {
  if (!isToken(method)) {
    throw new RequestEncodeError('method-invalid', `cannot forward method ${JSON.stringify(method)}: not a token (RFC 9110 §9.1)`);
  }
  let ok = target.length > 0;
  for (let i = 0; ok && i < target.length; i++) ok = (CLASS[target.charCodeAt(i)] & TARGET) !== 0;
  if (!ok) {
    throw new RequestEncodeError(
      'target-invalid',
      `cannot forward request-target ${JSON.stringify(target)}: empty, or with a space, control or non-ASCII character (RFC 9112 §3.2)`,
    );
  }
}

function framingLine(body: RequestFraming): string {
  if (body.kind === 'chunked') return 'transfer-encoding: chunked\r\n';
  if (body.kind === 'none') return '';
  if (!Number.isSafeInteger(body.length) || body.length < 0) {
    throw new RequestEncodeError('length-invalid', `cannot frame a body of length ${body.length}: expected a non-negative integer`);
  }
  return `content-length: ${body.length}\r\n`;
}

/**
 * Encodes `METHOD target HTTP/1.1`, the forwarded fields and the framing and Connection fields, as
 * Latin-1 bytes ending with the empty line (RFC 9112 §3, §5). Fields are written as given, in order,
 * minus hopByHopNames(); then `content-length` or `transfer-encoding: chunked` from `body`; then
 * `connection: close` when !keepAlive, or `connection: upgrade` (`upgrade, close`) with `upgrade`.
 * Throws RequestEncodeError for anything that would put invalid or injected bytes on the wire: a
 * method that is not a token, a target with SP/CTL, a field name that is not a token, a value with
 * CR/LF/NUL or another CTL, an invalid length, or `upgrade` without an Upgrade field.
 */
export function writeRequestHead(init: RequestHeadInit): Uint8Array {
  checkRequestLine(init.method, init.target);
  const upgrade = init.upgrade === true;
  const drop = hopByHopNames(init.headers, upgrade);
  let text = `${init.method} ${init.target} HTTP/1.1\r\n`;
  let upgrades = 0;
  for (const [name, value] of init.headers) {
    if (!isToken(name)) {
      throw new RequestEncodeError('field-name-invalid', `request field name ${JSON.stringify(name)} is not a token (RFC 9110 §5.1)`);
    }
    if (!isFieldText(value)) {
      throw new RequestEncodeError(
        'field-value-invalid',
        `request field ${name} has a value with CR, LF, NUL, another control character or a non-Latin-1 character (RFC 9110 §5.5)`,
      );
    }
    if (drop.has(name)) continue;
    if (fieldNameIs(name, 'upgrade')) upgrades++;
    text += `${name}: ${value}\r\n`;
  }
  if (upgrade && upgrades === 0) {
    throw new RequestEncodeError('upgrade-missing', 'cannot forward an upgrade without an Upgrade field (RFC 9110 §7.8)');
  }
  text += framingLine(init.body);
  if (upgrade) text += init.keepAlive ? 'connection: upgrade\r\n' : 'connection: upgrade, close\r\n';
  else if (!init.keepAlive) text += 'connection: close\r\n';
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/**
 * Streams a body of unknown length in the chunked transfer coding (RFC 9112 §7.1), using
 * encodeChunk()/lastChunk() of response.ts. write() returns the pieces for writev (the data itself is
 * not copied; an empty write gives nothing, since a zero-size chunk would end the body); end() writes
 * the last chunk and the trailer section (RFC 9112 §7.1.2). Writing after end() throws.
 */
export class ChunkedEncoder {
  #ended = false;
  #bytes = 0;

  /** Content bytes encoded so far (not counting chunk framing). */
  get bytes(): number {
    return this.#bytes;
  }

  /** True once end() was called. */
  get ended(): boolean {
    return this.#ended;
  }

  write(data: Uint8Array): Uint8Array[] {
    if (this.#ended) throw new Error('chunked body already ended: write() after end()');
    this.#bytes += data.length;
    return encodeChunk(data);
  }

  /** Throws H1EncodeError (response.ts) for an invalid trailer field. */
  end(trailers: readonly RequestHeader[] = []): Uint8Array[] {
    if (this.#ended) throw new Error('chunked body already ended: end() called twice');
    const last = lastChunk(trailers);
    this.#ended = true;
    return [last];
  }
}

/** Creates a ChunkedEncoder for one request body. */
export function createChunkedEncoder(): ChunkedEncoder {
  return new ChunkedEncoder();
}
