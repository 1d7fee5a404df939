/**
 * proxy/qpack/static-table.ts: the static table of RFC 9204 Appendix A (Table 4), spot-checked
 * against the RFC rows, including the entries whose values wrap in the RFC's table.
 */
import { describe, expect, it } from 'vitest';
import { STATIC_TABLE, STATIC_TABLE_SIZE, staticIndexOf, staticNameIndexOf } from '../../../proxy/qpack/static-table.ts';

describe('RFC 9204 Appendix A static table', () => {
  it('has 99 entries, indices 0..98', () => {
    expect(STATIC_TABLE_SIZE).toBe(99);
  });

  it('matches Table 4 rows (first, last, wrapped values)', () => {
    expect(STATIC_TABLE[0]).toEqual([':authority', '']);
    expect(STATIC_TABLE[1]).toEqual([':path', '/']);
    expect(STATIC_TABLE[17]).toEqual([':method', 'GET']);
    expect(STATIC_TABLE[25]).toEqual([':status', '200']);
    expect(STATIC_TABLE[30]).toEqual(['accept', 'application/dns-message']);
    expect(STATIC_TABLE[41]).toEqual(['cache-control', 'public, max-age=31536000']);
    expect(STATIC_TABLE[52]).toEqual(['content-type', 'text/html; charset=utf-8']);
    expect(STATIC_TABLE[54]).toEqual(['content-type', 'text/plain;charset=utf-8']);
    expect(STATIC_TABLE[58]).toEqual(['strict-transport-security', 'max-age=31536000; includesubdomains; preload']);
    expect(STATIC_TABLE[85]).toEqual(['content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'"]);
    expect(STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
  });

  it('looks up exact entries and the lowest index of a name', () => {
    expect(staticIndexOf(':method', 'POST')).toBe(20);
    expect(staticIndexOf(':status', '418')).toBe(-1);
    expect(staticNameIndexOf(':status')).toBe(24);
    expect(staticNameIndexOf('x-unknown')).toBe(-1);
  });
});
