/**
 * The eb32 stand-in (proxy/lb/keylist.ts): sorted by key, duplicates in insertion order.
 */
import { describe, expect, it } from 'vitest';
import { KeyList } from '../../../proxy/lb/keylist.ts';

function items(l: KeyList<string>): string[] {
  return Array.from({ length: l.size }, (_, i) => l.itemAt(i));
}

describe('KeyList', () => {
  it('keeps keys sorted and equal keys in insertion order', () => {
    const l = new KeyList<string>();
    l.insert(5, 'a');
    l.insert(1, 'b');
    l.insert(5, 'c');
    l.insert(3, 'd');
    l.insert(5, 'e');
    expect(items(l)).toEqual(['b', 'd', 'a', 'c', 'e']);
    expect(Array.from({ length: l.size }, (_, i) => l.keyAt(i))).toEqual([1, 3, 5, 5, 5]);
  });

  it('removes a given (key, item) among duplicates, and reports absent ones', () => {
    const l = new KeyList<string>();
    for (const x of ['a', 'b', 'c']) l.insert(7, x);
    expect(l.remove(7, 'b')).toBe(true);
    expect(l.remove(7, 'b')).toBe(false);
    expect(l.remove(8, 'a')).toBe(false);
    l.insert(7, 'b');
    expect(items(l)).toEqual(['a', 'c', 'b']);
  });

  it('lowerBound finds the first key >= the one asked, or the size', () => {
    const l = new KeyList<string>();
    for (const k of [10, 20, 20, 30]) l.insert(k, String(k));
    expect([0, 10, 11, 20, 21, 30, 31].map((k) => l.lowerBound(k))).toEqual([0, 0, 1, 1, 3, 3, 4]);
  });
});
