import { describe, expect, it } from 'vitest';
import { alerts, parse, parseOk } from '../helpers.ts';

describe('ring section', () => {
  it('reads size, description, format and maxlen, with format raw by default', () => {
    const c = parseOk('ring buf0\n  size 1m\n  description "main ring" of traces\n  format iso\n  maxlen 2048\nring small\n  size 4k\n');
    expect(c.rings).toEqual([
      { name: 'buf0', file: 't.cfg', line: 1, size: 1024 * 1024, description: 'main ring of traces', format: 'iso', maxlen: 2048 },
      { name: 'small', file: 't.cfg', line: 6, size: 4096, description: undefined, format: 'raw', maxlen: undefined },
    ]);
  });
  it('accepts every HAProxy format', () => {
    for (const f of ['raw', 'short', 'timed', 'iso', 'rfc3164', 'rfc5424']) {
      expect(parseOk(`ring r\n size 1m\n format ${f}\n`).rings[0].format).toBe(f);
    }
  });
  it.each([
    ['size 12q', "'size' : invalid size '12q', expected an integer number of bytes optionally followed by k, m or g (1024-based, e.g. '16k')."],
    ['size 100', "'size' : size '100' is too small, expected at least 1k."],
    ['format json', "'format' : unknown format 'json', expected one of raw, short, timed, iso, rfc3164, rfc5424."],
    ['maxlen 0', "'maxlen' : value '0' is out of range, expected an integer >= 1."],
    ['description', "'description' : missing argument, expected 'description <text>'."],
  ])('rejects %s', (line, message) => {
    expect(alerts(parse(`ring r\n size 1m\n ${line}\n`))).toEqual([`[ALERT] config : parsing [t.cfg:3] : ${message}`]);
  });
});
