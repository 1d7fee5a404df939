import { describe, expect, it } from 'vitest';
import { FieldScanner } from '../../../proxy/h1/field-scanner.ts';
import { createRequestParser } from '../../../proxy/h1/parser.ts';
import { createResponseParser } from '../../../proxy/h1/response-parser.ts';
import { bytes } from './feed.ts';
import { sameEverySplit } from './every-split.ts';

interface Scanned {
  fields: [string, string][];
  tabs: number[];
  nameStarts: number[];
  endAt: number;
  next: number;
}

/** Scans `pieces` as a section's field lines (no start line) until done or refused. */
function scan(pieces: Uint8Array[], trailers = false, maxBytes = 1024): Scanned | { code: string; at: number } {
  const fs = new FieldScanner(maxBytes, 8);
  fs.begin(trailers);
  let base = 0;
  for (const chunk of pieces) {
    const next = fs.scan(chunk, 0);
    if (fs.error !== undefined) return { code: fs.error, at: base + fs.errorAt };
    if (fs.done) {
      const n = fs.count;
      return {
        fields: fs.fields(),
        tabs: Array.from(fs.tabs.subarray(0, n)),
        nameStarts: Array.from({ length: n }, (_, k) => fs.nameStart(k)),
        endAt: fs.endAt,
        next: base + next,
      };
    }
    base += chunk.length;
  }
  throw new Error('section not complete');
}

/** scan() every way the input can be split (see sameEverySplit). */
function scanAllWays(input: string, trailers = false): ReturnType<typeof scan> {
  return sameEverySplit(input, (pieces) => scan(pieces, trailers));
}

describe('FieldScanner', () => {
  it('gives each field its name and value without OWS, and flags per field an HTAB in its OWS or value', () => {
    const input = 'A:\tx\r\nBb: y z \r\nC: w\t\r\nD:\r\n\r\nnext';
    expect(scanAllWays(input)).toEqual({
      fields: [
        ['A', 'x'],
        ['Bb', 'y z'],
        ['C', 'w'],
        ['D', ''],
      ],
      tabs: [1, 0, 1, 0],
      nameStarts: ['A:', 'Bb:', 'C:', 'D:'].map((name) => input.indexOf(name)),
      endAt: input.indexOf('\r\n\r\n') + 2,
      next: input.indexOf('next'),
    });
  });

  it('starts every section afresh: nothing of the previous section (fields, HTAB flags) is kept', () => {
    const fs = new FieldScanner(1024, 8);
    fs.begin(false);
    const first = bytes('A:\tx\r\nB: y\r\n\r\n');
    expect(fs.scan(first, 0)).toBe(first.length);
    expect([fs.done, fs.count, fs.tabs[0]]).toEqual([true, 2, 1]);
    fs.begin(true);
    expect(fs.done).toBe(false);
    const second = bytes('C: z\r\n\r\n');
    expect(fs.scan(second, 0)).toBe(second.length);
    expect(fs.fields()).toEqual([['C', 'z']]);
    expect(fs.tabs[0]).toBe(0);
  });

  it('calls whitespace before the first field header-leading-whitespace in a head, obs-fold in trailers', () => {
    expect(scanAllWays(' X: y\r\n\r\n')).toEqual({ code: 'header-leading-whitespace', at: 0 });
    expect(scanAllWays(' X: y\r\n\r\n', true)).toEqual({ code: 'obs-fold', at: 0 });
    expect(scanAllWays('A: 1\r\n\tX: y\r\n\r\n')).toEqual({ code: 'obs-fold', at: 6 });
  });

  it('refuses the byte that makes the section larger than maxBytes, naming the section', () => {
    const input = `X: ${'v'.repeat(20)}\r\n\r\n`; // 27 bytes
    expect(scan([bytes(input)], false, 27)).toMatchObject({ fields: [['X', 'v'.repeat(20)]] });
    expect(scan([bytes(input)], false, 26)).toEqual({ code: 'headers-too-large', at: 26 });
    expect(scan([bytes(input)], true, 26)).toEqual({ code: 'trailers-too-large', at: 26 });
  });
});

describe('whitespace before the first trailer field, as each parser reports it', () => {
  // The two parsers have always differed here; the shared scanner keeps both answers.
  const trailer = ' X: y\r\n\r\n';

  it('request parser: header-leading-whitespace (400)', () => {
    const head = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n';
    const p = createRequestParser({ maxHeaderBytes: 1024 });
    const events = p.push(bytes(head + trailer));
    expect(events[events.length - 1]).toMatchObject({ type: 'error', code: 'header-leading-whitespace', offset: head.length });
  });

  it('response parser: obs-fold (502)', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n';
    const p = createResponseParser({ maxHeaderBytes: 1024 });
    p.expect('GET');
    const events = p.push(bytes(head + trailer));
    expect(events[events.length - 1]).toMatchObject({ type: 'error', code: 'obs-fold', status: 502, offset: head.length });
  });
});
