import { describe, expect, it } from 'vitest';
import { fieldNameIs, isDigits, isFieldText, isToken } from '../../../proxy/h1/chars.ts';

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

describe('isToken, isFieldText, isDigits', () => {
  // The regular expressions they replace, character by character.
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const FIELD_TEXT = /^[\t\x20-\x7e\x80-\xff]*$/;
  const chars = [...Array(0x101).keys()].map((c) => String.fromCharCode(c)).concat(['\u2028', '\ud83d']);

  it('agree with the grammar on every Latin-1 character and beyond', () => {
    for (const ch of chars) {
      expect(isToken(ch), `token ${ch.charCodeAt(0)}`).toBe(TOKEN.test(ch));
      expect(isToken(`a${ch}b`), `token a.b ${ch.charCodeAt(0)}`).toBe(TOKEN.test(`a${ch}b`));
      expect(isFieldText(`x ${ch}`), `field ${ch.charCodeAt(0)}`).toBe(FIELD_TEXT.test(`x ${ch}`));
      expect(isDigits(`1${ch}`), `digits ${ch.charCodeAt(0)}`).toBe(/^[0-9]+$/.test(`1${ch}`));
    }
  });

  it('treat the empty string as the grammar does', () => {
    expect(isToken('')).toBe(false);
    expect(isDigits('')).toBe(false);
    expect(isFieldText('')).toBe(true);
  });
});
