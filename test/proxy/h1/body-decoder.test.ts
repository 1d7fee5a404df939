import { describe, expect, it } from 'vitest';
import { BODY_CHUNK, BODY_DATA_END, BODY_ERROR, BODY_LAST_CHUNK, BodyDecoder } from '../../../proxy/h1/body-decoder.ts';
import type { H1DataEvent } from '../../../proxy/h1/h1.types.ts';
import { bytes } from './feed.ts';
import { sameEverySplit } from './every-split.ts';

type Seen =
  | { type: 'data'; text: string }
  | { type: 'end'; next: number }
  | { type: 'size'; size: number; lineAt: number }
  | { type: 'last'; next: number }
  | { type: 'error'; code: string; at: number };

/**
 * Drives a decoder over `pieces` as a parser does (read() while bytes remain, until the end of the
 * body or an error) and returns what it reported, adjacent data merged, offsets absolute in the whole
 * input. A Content-Length body when `length` is given, else a chunked one.
 */
function decode(pieces: Uint8Array[], maxLine: number, length?: number): Seen[] {
  const cd = new BodyDecoder(maxLine);
  if (length === undefined) cd.startChunked();
  else cd.startLength(length);
  const seen: Seen[] = [];
  let base = 0;
  for (const chunk of pieces) {
    for (let i = 0; i < chunk.length; ) {
      const data: H1DataEvent[] = [];
      const next = cd.read(chunk, i, data);
      for (const ev of data) {
        const text = Buffer.from(ev.bytes).toString('latin1');
        const last = seen[seen.length - 1];
        if (last?.type === 'data') last.text += text;
        else seen.push({ type: 'data', text });
      }
      if (cd.event === BODY_DATA_END) return [...seen, { type: 'end', next: base + next }];
      if (cd.event === BODY_CHUNK) seen.push({ type: 'size', size: cd.size, lineAt: base + next - cd.lineLength });
      else if (cd.event === BODY_LAST_CHUNK) return [...seen, { type: 'last', next: base + next }];
      else if (cd.event === BODY_ERROR) return [...seen, { type: 'error', code: cd.error!, at: base + cd.errorAt }];
      i = next;
    }
    base += chunk.length;
  }
  return seen;
}

/** decode() every way the input can be split (see sameEverySplit). */
function decodeAllWays(input: string, maxLine = 1024, length?: number): Seen[] {
  return sameEverySplit(input, (pieces) => decode(pieces, maxLine, length));
}

describe('BodyDecoder', () => {
  it('hands out exactly Content-Length bytes, then says the body is complete (RFC 9112 §6.2)', () => {
    expect(decodeAllWays('hello worldGET / HTTP/1.1', 64, 11)).toEqual([
      { type: 'data', text: 'hello world' },
      { type: 'end', next: 11 },
    ]);
    const cd = new BodyDecoder(64);
    cd.startLength(11);
    const out: H1DataEvent[] = [];
    cd.read(bytes('hell'), 0, out);
    expect(out).toHaveLength(1);
    expect(cd.lengthRemaining).toBe(7);
    cd.startChunked();
    expect(cd.lengthRemaining).toBe(0);
  });

  it('reports each chunk-size line with where it began, the data, and stops before the trailer section', () => {
    const line2 = '10;name="q\\"x";b=tok\r\n';
    const input = `3\r\nabc\r\n${line2}0123456789abcdef\r\n0;end\r\nTrailer: x\r\n\r\n`;
    expect(decodeAllWays(input)).toEqual([
      { type: 'size', size: 3, lineAt: 0 },
      { type: 'data', text: 'abc' },
      { type: 'size', size: 16, lineAt: input.indexOf(line2) },
      { type: 'data', text: '0123456789abcdef' },
      { type: 'last', next: input.indexOf('Trailer') },
    ]);
  });

  it('accepts a chunk-size line of exactly maxLine bytes (CRLF included) and refuses the byte after', () => {
    const maxLine = 40;
    const fits = `1;${'e'.repeat(maxLine - 4)}\r\n`;
    expect(fits.length).toBe(maxLine);
    expect(decodeAllWays(`${fits}x\r\n0\r\n`, maxLine)).toEqual([
      { type: 'size', size: 1, lineAt: 0 },
      { type: 'data', text: 'x' },
      { type: 'last', next: maxLine + 6 },
    ]);
    const over = `1;${'e'.repeat(maxLine - 3)}\r\nx\r\n0\r\n`;
    expect(decodeAllWays(over, maxLine)).toEqual([{ type: 'error', code: 'chunk-line-too-long', at: maxLine }]);
  });

  it('counts the line limit per line: a second line of maxLine bytes is accepted too', () => {
    const maxLine = 16;
    const line = `1;${'e'.repeat(maxLine - 4)}\r\n`;
    expect(decodeAllWays(`${line}a\r\n${line}b\r\n0\r\n`, maxLine)).toEqual([
      { type: 'size', size: 1, lineAt: 0 },
      { type: 'data', text: 'a' },
      { type: 'size', size: 1, lineAt: maxLine + 3 },
      { type: 'data', text: 'b' },
      { type: 'last', next: 2 * maxLine + 9 },
    ]);
  });

  it('reports errors at the right byte across chunk boundaries, a CR that ended the previous chunk included', () => {
    expect(decode([bytes('5\r'), bytes('X')], 64)).toEqual([{ type: 'error', code: 'bare-cr', at: 1 }]);
    expect(decode([bytes('5\r'), bytes('\nhello\r'), bytes('X')], 64)).toEqual([
      { type: 'size', size: 5, lineAt: 0 },
      { type: 'data', text: 'hello' },
      { type: 'error', code: 'chunk-data-no-crlf', at: 9 },
    ]);
  });
});
