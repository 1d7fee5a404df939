import { describe, expect, it } from 'vitest';
import { parseAlpnList } from '../../../proxy/tls/alpn.ts';

describe('parseAlpnList', () => {
  it.each([
    ['http/1.1', ['http/1.1'], []],
    ['h2,http/1.1', ['http/1.1'], ['h2']],
    ['http/1.0,http/1.1,h2,h2', ['http/1.0', 'http/1.1'], ['h2']],
  ])('%s offers %j and drops %j', (text, offered, dropped) => {
    expect(parseAlpnList(text)).toEqual({ offered, dropped });
  });
  it.each([
    ['h2', /does not offer 'http\/1\.1': Flightbox speaks only HTTP\/1\.1 on TCP/],
    ['http/1.0', /does not offer 'http\/1\.1'/],
    ['http/1.1,', /empty protocol name/],
    [`http/1.1,${'x'.repeat(256)}`, /is invalid \(1 to 255 bytes, no spaces\)/],
  ])('refuses %s', (text, message) => {
    const r = parseAlpnList(text);
    expect('error' in r && r.error).toMatch(message);
  });
});
