/**
 * Test helpers for the HTTP/1.1 codec: a seeded generator of valid requests and responses, a
 * mutator that turns them into the known smuggling shapes (and random byte damage), and the
 * response-parser counterpart of feed.ts (every split of the input must give the same events).
 *
 * Everything is a pure function of a seed (mulberry32 from feed.ts), so a failing case is replayed
 * from the seed printed with it. Messages are Latin-1 strings: one character per byte.
 */
import { expect } from 'vitest';
import { createResponseParser } from '../../../proxy/h1/response-parser.ts';
import type { H1ResponseEvent, H1ResponseParserOptions } from '../../../proxy/h1/response.types.ts';
import { bytes, prng, randomSplits } from './feed.ts';

export { prng };

export type Rnd = () => number;

export function pick<T>(rnd: Rnd, items: ArrayLike<T>): T {
  return items[Math.floor(rnd() * items.length)];
}

/** An integer in [lo, hi]. */
export function int(rnd: Rnd, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

// ---- valid messages -------------------------------------------------------------------------------

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const NAMES = ['Accept', 'User-Agent', 'X-Trace-Id', 'Cache-Control', 'Cookie', 'X-A', 'Via', 'Link', 'ETag'];

function word(rnd: Rnd, min = 1, max = 8): string {
  let s = '';
  for (let n = int(rnd, min, max); n > 0; n--) s += pick(rnd, LETTERS);
  return s;
}

function fieldValue(rnd: Rnd): string {
  switch (int(rnd, 0, 5)) {
    case 0:
      return '';
    case 1:
      return `${word(rnd)} ${word(rnd)}\t${word(rnd)}`;
    case 2:
      return `"${word(rnd)}, ${word(rnd)}"; q=0.${int(rnd, 0, 9)}`;
    case 3:
      return `caf\xe9-${word(rnd)}`; // obs-text (RFC 9110 §5.5)
    default:
      return word(rnd, 1, 20);
  }
}

function extraHeaders(rnd: Rnd): string {
  let s = '';
  for (let n = int(rnd, 0, 3); n > 0; n--) s += `${pick(rnd, NAMES)}: ${fieldValue(rnd)}\r\n`;
  return s;
}

/** Body text, sometimes shaped like HTTP to make misframing visible as a phantom message. */
function bodyText(rnd: Rnd): string {
  switch (int(rnd, 0, 4)) {
    case 0:
      return '';
    case 1:
      return 'GET /smuggled HTTP/1.1\r\nHost: evil\r\n\r\n';
    case 2:
      return '0\r\n\r\n';
    default:
      return word(rnd, 1, 40);
  }
}

/** The chunked transfer coding of `body` (RFC 9112 §7.1) with random sizes, extensions and trailers. */
export function chunk(rnd: Rnd, body: string): string {
  let s = '';
  for (let i = 0; i < body.length; ) {
    const n = Math.min(body.length - i, int(rnd, 1, 16));
    let size = n.toString(16);
    if (rnd() < 0.2) size = size.toUpperCase();
    if (rnd() < 0.1) size = `00${size}`;
    const ext = rnd() < 0.15 ? pick(rnd, [';a=b', ';name', ';q="x y"', ' ;k=v']) : '';
    s += `${size}${ext}\r\n${body.slice(i, i + n)}\r\n`;
    i += n;
  }
  const trailers = rnd() < 0.2 ? `X-Checksum: ${word(rnd)}\r\n` : '';
  return `${s}0\r\n${trailers}\r\n`;
}

/** One valid request (RFC 9112 §3); `last` may carry Connection: close. */
export function genRequest(rnd: Rnd, last: boolean): string {
  const v10 = rnd() < 0.1;
  const method = pick(rnd, ['GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
  let target = '/';
  for (let n = int(rnd, 0, 3); n > 0; n--) target += `${word(rnd)}/`;
  if (rnd() < 0.3) target += `?${word(rnd)}=${word(rnd)}`;
  const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH' || rnd() < 0.1;
  const body = withBody ? bodyText(rnd) : '';
  let framing = '';
  let content = '';
  if (withBody) {
    if (!v10 && rnd() < 0.5) {
      framing = 'Transfer-Encoding: chunked\r\n';
      content = chunk(rnd, body);
    } else {
      framing = `Content-Length: ${body.length}\r\n`;
      content = body;
    }
  }
  let conn = '';
  if (last && rnd() < 0.3) conn = 'Connection: close\r\n';
  else if (v10 && !last) conn = 'Connection: keep-alive\r\n';
  const host = `Host: ${pick(rnd, ['a.example', 'b.example:8080', '127.0.0.1'])}\r\n`;
  const head = rnd() < 0.5 ? host + extraHeaders(rnd) + framing : extraHeaders(rnd) + framing + host;
  return `${method} ${target} HTTP/1.${v10 ? 0 : 1}\r\n${head}${conn}\r\n${content}`;
}

/** 1..3 pipelined valid requests. */
export function genRequests(rnd: Rnd): string {
  let s = '';
  const n = int(rnd, 1, 3);
  for (let k = 0; k < n; k++) s += genRequest(rnd, k === n - 1);
  return s;
}

/** A request the server answers: its method, and whether it offered an Upgrade. */
export interface Exchange {
  method: string;
  upgrade: boolean;
}

/** One valid response to `ex` (RFC 9112 §4, §6.3), with possible interim responses before it. */
export function genResponse(rnd: Rnd, ex: Exchange, last: boolean): string {
  let interim = '';
  if (rnd() < 0.15) interim += 'HTTP/1.1 100 Continue\r\n\r\n';
  if (rnd() < 0.1) interim += 'HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n';
  // Node's http client takes any answer to CONNECT, 1xx included, as the tunnel's (a known
  // disagreement pinned in differential.test.ts), so CONNECT gets no interim response here.
  if (ex.method === 'CONNECT') return `HTTP/1.1 200 Connection established\r\n\r\n${word(rnd, 0, 30)}`;
  if (ex.upgrade) {
    return `${interim}HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n${word(rnd, 0, 30)}`;
  }
  const v10 = rnd() < 0.1;
  const status = pick(rnd, [200, 200, 200, 201, 204, 206, 301, 304, 404, 500, 503]);
  const reason = rnd() < 0.1 ? '' : ` ${pick(rnd, ['OK', 'Whatever', 'Not Found', 'R\xe9ponse', 'a\tb'])}`;
  const noContent = ex.method === 'HEAD' || status === 204 || status === 304;
  const body = bodyText(rnd);
  let framing = '';
  let content = '';
  const mode = int(rnd, 0, last ? 2 : 1);
  if (mode === 0 || (v10 && mode === 1)) {
    framing = status === 204 && rnd() < 0.7 ? '' : `Content-Length: ${body.length}\r\n`;
    content = body;
  } else if (mode === 1) {
    framing = 'Transfer-Encoding: chunked\r\n';
    content = chunk(rnd, body);
  } else content = body; // close-delimited (RFC 9112 §6.3 item 8): must be the last response
  if (noContent) content = '';
  let conn = '';
  if (last && rnd() < 0.3) conn = 'Connection: close\r\n';
  else if (v10 && !last) conn = 'Connection: keep-alive\r\n';
  return `${interim}HTTP/1.${v10 ? 0 : 1} ${status}${reason}\r\n${extraHeaders(rnd)}${framing}${conn}\r\n${content}`;
}

/** 1..3 exchanges: the requests (what the parser is told to expect) and the server's bytes. */
export function genResponses(rnd: Rnd): { exchanges: Exchange[]; text: string } {
  const exchanges: Exchange[] = [];
  let text = '';
  const n = int(rnd, 1, 3);
  for (let k = 0; k < n; k++) {
    const last = k === n - 1;
    const r = rnd();
    const ex: Exchange =
      last && r < 0.06
        ? { method: 'CONNECT', upgrade: false }
        : last && r < 0.12
          ? { method: 'GET', upgrade: true }
          : { method: pick(rnd, ['GET', 'GET', 'HEAD', 'POST']), upgrade: false };
    exchanges.push(ex);
    text += genResponse(rnd, ex, last);
  }
  return { exchanges, text };
}

// ---- mutations: the smuggling shapes, then random damage -----------------------------------------

/** Inserts `line` (CRLF included) after the first start line of `text`. */
function addField(text: string, line: string): string {
  const eol = text.indexOf('\r\n');
  return eol < 0 ? text : text.slice(0, eol + 2) + line + text.slice(eol + 2);
}

/** Replaces the first match of `re` (or does `fallback` when there is none). */
function sub(text: string, re: RegExp, by: string | ((m: string) => string), fallback?: () => string): string {
  if (!re.test(text)) return fallback ? fallback() : text;
  return text.replace(re, by as string);
}

/** Positions of every CRLF in `text`. */
function crlfs(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf('\r\n'); i >= 0; i = text.indexOf('\r\n', i + 1)) out.push(i);
  return out;
}

const INTERESTING = ['\r', '\n', ' ', '\t', '\0', ':', ',', ';', '0', 'a', '\x7f', '\xff', '"', '\x0b', '-', '+'];

/**
 * Named mutations, each one of the shapes request smuggling and response splitting are made of
 * (CL.TE / TE.CL desync, obs-fold, TE obfuscation, duplicate CL, lenient numbers, bare line
 * endings, whitespace before the colon, NUL, oversized lines) or random damage.
 */
export const MUTATIONS: Readonly<Record<string, (t: string, rnd: Rnd) => string>> = {
  'cl+te': (t, rnd) =>
    sub(
      t,
      /Transfer-Encoding: chunked\r\n/i,
      (m) => (rnd() < 0.5 ? `Content-Length: ${int(rnd, 0, 9)}\r\n${m}` : `${m}Content-Length: ${int(rnd, 0, 9)}\r\n`),
      () => addField(t, 'Transfer-Encoding: chunked\r\n'),
    ),
  'te-obs-fold': (t, rnd) =>
    sub(
      t,
      /Transfer-Encoding: chunked\r\n/i,
      pick(rnd, ['Transfer-Encoding:\r\n chunked\r\n', 'Transfer-Encoding: gzip\r\n\tchunked\r\n', 'X-Pad: x\r\n Transfer-Encoding: chunked\r\n']),
      () => addField(t, 'Transfer-Encoding:\r\n chunked\r\n'),
    ),
  'te-chunked-identity': (t) =>
    sub(t, /Transfer-Encoding: chunked\r\n/i, 'Transfer-Encoding: chunked, identity\r\n', () =>
      addField(t, 'Transfer-Encoding: chunked, identity\r\n'),
    ),
  'te-variant': (t, rnd) => {
    const v = pick(rnd, [
      'Chunked',
      ' chunked ',
      'chunked\x0b',
      '\tchunked',
      'chunked\t',
      'gzip,\tchunked',
      'chunked \t',
      'xchunked',
      'chunked;q=1',
      'identity',
      'gzip, chunked',
      'chunked, chunked',
      'chunked,',
      ', chunked',
      '"chunked"',
      'chunk',
      'gzip',
    ]);
    return sub(t, /Transfer-Encoding: chunked\r\n/i, `Transfer-Encoding: ${v}\r\n`, () => addField(t, `Transfer-Encoding: ${v}\r\n`));
  },
  'framing-whitespace': (t, rnd) => {
    // SP or HTAB somewhere around or inside the value of a framing field (OWS is SP / HTAB)
    const m = /(?:Transfer-Encoding|Content-Length|Connection): ([^\r\n]*)\r\n/i.exec(t);
    if (!m) return addField(t, `Transfer-Encoding:${pick(rnd, [' ', '\t'])}chunked${pick(rnd, [' ', '\t', ''])}\r\n`);
    const from = m.index + m[0].length - m[1].length - 3; // the colon
    const i = int(rnd, from + 1, m.index + m[0].length - 2);
    return t.slice(0, i) + pick(rnd, [' ', '\t', ' \t', '\t ']) + t.slice(i);
  },
  'te-twice': (t, rnd) => addField(t, `Transfer-Encoding: ${pick(rnd, ['chunked', 'gzip', 'identity', ''])}\r\n`),
  'cl-dup': (t, rnd) =>
    sub(
      t,
      /Content-Length: (\d+)\r\n/i,
      (m) => `${m}Content-Length: ${rnd() < 0.5 ? m.slice(16, -2) : int(rnd, 0, 50)}\r\n`,
      () => addField(t, 'Content-Length: 0\r\nContent-Length: 3\r\n'),
    ),
  'cl-lenient-number': (t, rnd) => {
    const form = pick(rnd, ['+$', ' $', '$ ', '0x$', '-$', '$.0', '$, $', '$,$', '$ $', '0$', '$e0', '99999999999999999999', '\t$']);
    return sub(
      t,
      /Content-Length: (\d+)\r\n/i,
      (m) => `Content-Length: ${form.replaceAll('$', m.slice(16, -2))}\r\n`,
      () => addField(t, `Content-Length: ${form.replaceAll('$', '3')}\r\n`),
    );
  },
  'chunk-size-lenient': (t, rnd) => {
    const form = pick(rnd, ['0x$', '-$', '+$', ' $', '$ ', 'ffffffffffffffffffff$', '$\t', '$;', '$;a="x', '$;\0']);
    return sub(t, /\r\n\r\n([0-9a-fA-F]+)\r\n/, (m) => `\r\n\r\n${form.replaceAll('$', m.slice(4, -2))}\r\n`);
  },
  'bare-lf': (t, rnd) => {
    const at = crlfs(t);
    if (at.length === 0) return t;
    const i = pick(rnd, at);
    return t.slice(0, i) + t.slice(i + 1);
  },
  'bare-cr': (t, rnd) => {
    const at = crlfs(t);
    if (at.length === 0) return t;
    const i = pick(rnd, at);
    return t.slice(0, i + 1) + t.slice(i + 2);
  },
  'space-before-colon': (t, rnd) =>
    sub(t, pick(rnd, [/Content-Length:/i, /Transfer-Encoding:/i, /Host:/i]), (m) => `${m.slice(0, -1)}${pick(rnd, [' ', '\t'])}:`, () =>
      addField(t, 'Content-Length : 3\r\n'),
    ),
  nul: (t, rnd) => {
    const head = Math.max(1, t.indexOf('\r\n\r\n'));
    const i = int(rnd, 0, head);
    return `${t.slice(0, i)}\0${t.slice(i)}`;
  },
  'long-line': (t, rnd) => addField(t, `X-Long: ${'a'.repeat(int(rnd, 7000, 9000))}\r\n`),
  'cl-list': (t, rnd) =>
    sub(t, /Content-Length: (\d+)\r\n/i, (m) => `Content-Length: ${m.slice(16, -2)}, ${rnd() < 0.5 ? m.slice(16, -2) : '7'}\r\n`),
  'leading-whitespace-field': (t) => addField(t, ' X-Fold: y\r\n'),
  'version-variant': (t, rnd) =>
    sub(t, /HTTP\/1\.[01]/, pick(rnd, ['HTTP/1.2', 'HTTP/2.0', 'http/1.1', 'HTTP/1.10', 'HTTP/1.1 ', 'HTTP/01.1', 'HTTP/0.9'])),
  'te-http10': (t) => addField(t.replace(/HTTP\/1\.1/, 'HTTP/1.0'), 'Transfer-Encoding: chunked\r\n'),
  'trailer-smuggle': (t, rnd) =>
    sub(t, /\r\n0\r\n/, `\r\n0\r\n${pick(rnd, ['Content-Length: 5\r\n', 'X: a\r\n b\r\n', 'Transfer-Encoding: chunked\r\n', 'Bad Name: x\r\n'])}`),
  'chunk-data-no-crlf': (t, rnd) => {
    const m = /\r\n\r\n([0-9a-fA-F]+)\r\n/.exec(t);
    if (!m) return t;
    const at = m.index + m[0].length + parseInt(m[1], 16);
    return t.slice(0, at) + pick(rnd, ['XX', '\n', 'X\r\n', '']) + t.slice(at + 2);
  },
  'no-colon': (t) => addField(t, 'X-No-Colon\r\n'),
  'empty-name': (t) => addField(t, ': empty\r\n'),
  'leading-crlf': (t) => `\r\n${t}`,
  'status-variant': (t, rnd) =>
    sub(t, /^HTTP\/1\.[01] \d{3}/, (m) => m.slice(0, 9) + pick(rnd, ['2000', '099', '600', ' 200', '20', '2x0', '200\t', '200 \0'])),
  'random-bytes': (t, rnd) => {
    let s = t;
    for (let n = int(rnd, 1, 3); n > 0; n--) {
      const i = int(rnd, 0, s.length);
      const op = int(rnd, 0, 2);
      const c = pick(rnd, INTERESTING);
      s = op === 0 ? s.slice(0, i) + c + s.slice(i) : op === 1 ? s.slice(0, i) + c + s.slice(i + 1) : s.slice(0, i) + s.slice(i + 1);
    }
    return s;
  },
};

/** Applies 1..2 random mutations to `text`; returns the result and their names. */
export function mutate(rnd: Rnd, text: string): { text: string; names: string[] } {
  const keys = Object.keys(MUTATIONS);
  const names: string[] = [];
  let t = text;
  for (let n = rnd() < 0.8 ? 1 : 2; n > 0; n--) {
    const name = pick(rnd, keys);
    names.push(name);
    t = MUTATIONS[name](t, rnd);
  }
  return { text: t, names };
}

// ---- the response-parser counterpart of feed.ts ---------------------------------------------------

export type RNorm =
  | { type: 'data'; text: string }
  | { type: 'tunnel-data'; text: string }
  | { type: 'end' }
  | { type: 'upgrade'; status: number }
  | { type: 'trailers'; headers: [string, string][] }
  | { type: 'error'; status: number; code: string; reason: string; offset: number }
  | ({ type: 'head' } & Record<string, unknown>);

export const ROPTS: H1ResponseParserOptions = { maxHeaderBytes: 16384, maxHeaders: 101 };

/** Merges adjacent data (and tunnel-data) events and turns events into plain comparable objects. */
export function normalizeResponse(events: H1ResponseEvent[]): RNorm[] {
  const out: RNorm[] = [];
  for (const ev of events) {
    if (ev.type === 'data' || ev.type === 'tunnel-data') {
      const text = Buffer.from(ev.bytes.buffer, ev.bytes.byteOffset, ev.bytes.byteLength).toString('latin1');
      const last = out[out.length - 1];
      if (last && last.type === ev.type) last.text += text;
      else out.push({ type: ev.type, text });
    } else out.push({ ...ev } as RNorm);
  }
  return out;
}

export interface ResponseFeedOptions {
  opts?: H1ResponseParserOptions;
  /** Call end() after the input (the server closed). */
  end?: boolean;
}

/** A request announced with expect(): a method, or a method and its options. */
export type Expectation = string | Exchange;

function runResponse(chunks: Uint8Array[], expects: readonly Expectation[], f: ResponseFeedOptions) {
  const p = createResponseParser(f.opts ?? ROPTS);
  for (const e of expects) {
    if (typeof e === 'string') p.expect(e);
    else p.expect(e.method, { upgrade: e.upgrade });
  }
  const events: H1ResponseEvent[] = [];
  for (const c of chunks) events.push(...p.push(c));
  if (f.end) events.push(...p.end());
  return { events: normalizeResponse(events), state: p.state, pending: p.pending };
}

/**
 * Parses `input` as the server's bytes for the requests `expects`, whole, byte by byte and in 6
 * seeded random splittings; asserts identical events, state and pending count, and returns those
 * of the whole-input run.
 */
export function feedResponse(
  input: string | Uint8Array,
  expects: readonly Expectation[],
  f: ResponseFeedOptions = {},
): { events: RNorm[]; state: string; pending: number } {
  const buf = bytes(input);
  const whole = runResponse([buf], expects, f);
  const oneByOne = runResponse(
    Array.from(buf, (b) => Uint8Array.of(b)),
    expects,
    f,
  );
  expect(oneByOne, 'one byte at a time').toEqual(whole);
  for (let seed = 1; seed <= 6; seed++) {
    expect(runResponse(randomSplits(buf, seed, seed * 7), expects, f), `random splits, seed ${seed}`).toEqual(whole);
  }
  return whole;
}

/** Feeds `input` (all ways) and returns the single error event it must produce, last. */
export function feedResponseError(
  input: string | Uint8Array,
  expects: readonly Expectation[],
  f: ResponseFeedOptions = {},
): Extract<RNorm, { type: 'error' }> {
  const { events, state } = feedResponse(input, expects, f);
  const last = events[events.length - 1];
  expect(last?.type, `events: ${JSON.stringify(events)}`).toBe('error');
  expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
  expect(state).toBe('error');
  return last as Extract<RNorm, { type: 'error' }>;
}
