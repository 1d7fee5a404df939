import { describe, expect, it } from 'vitest';
import { fieldNameIs } from '../../../proxy/h1/chars.ts';

describe('fieldNameIs', () => {
  it('compares ignoring ASCII case only (RFC 9110 §5.1)', () => {
    expect(fieldNameIs('Content-Length', 'content-length')).toBe(true);
    expect(fieldNameIs('CONTENT-LENGTH', 'content-length')).toBe(true);
    expect(fieldNameIs('content-length', 'content-length')).toBe(true);
    expect(fieldNameIs('X-1', 'x-1')).toBe(true);
  });

  it('refuses other lengths and bytes that only match once 0x20 is folded in', () => {
    expect(fieldNameIs('Content-Lengths', 'content-length')).toBe(false);
    expect(fieldNameIs('Content-Lengt', 'content-length')).toBe(false);
    expect(fieldNameIs('Content\rLength', 'content-length')).toBe(false); // CR | 0x20 is '-'
    expect(fieldNameIs('\x10', '0')).toBe(false); // 0x10 | 0x20 is '0'
    expect(fieldNameIs('@', '`')).toBe(false); // '@' | 0x20 is '`': only letters fold
    expect(fieldNameIs('[', '{')).toBe(false);
    expect(fieldNameIs('Host', 'hosT')).toBe(false); // `lower` must be lower case
  });

  it('agrees with toLowerCase() on every pair of token characters', () => {
    const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (const a of tchars) {
      for (const b of tchars.toLowerCase()) expect(fieldNameIs(a, b), `${a} ${b}`).toBe(a.toLowerCase() === b);
    }
  });
});
