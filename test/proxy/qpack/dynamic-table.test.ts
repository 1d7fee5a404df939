/**
 * proxy/qpack/dynamic-table.ts: entry size (RFC 9204 §3.2.1), capacity and eviction (§3.2.2,
 * §3.2.3), absolute indexing (§3.2.4). Sizes are those of Appendix B (106, 160, 217, 215).
 */
import { describe, expect, it } from 'vitest';
import { DynamicTable, entrySize } from '../../../proxy/qpack/dynamic-table.ts';

describe('DynamicTable', () => {
  it('sizes entries as name + value + 32 and tracks the Appendix B sizes', () => {
    const t = new DynamicTable(220);
    expect(t.setCapacity(220)).toBe(true);
    t.insert(':authority', 'www.example.com');
    t.insert(':path', '/sample/path');
    expect(t.size).toBe(106);
    t.insert('custom-key', 'custom-value');
    expect(t.size).toBe(160);
    t.insert(':authority', 'www.example.com');
    expect(t.size).toBe(217);
    t.insert('custom-key', 'custom-value2'); // B.5: evicts absolute index 0
    expect(t.size).toBe(215);
    expect(t.dropped).toBe(1);
    expect(t.insertCount).toBe(5);
    expect(t.has(0)).toBe(false);
    expect(t.entries().map((e) => e.abs)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a capacity above the maximum and an entry larger than the capacity', () => {
    const t = new DynamicTable(100);
    expect(t.setCapacity(101)).toBe(false);
    expect(t.capacity).toBe(0);
    expect(t.insert('a', 'b')).toBe(false);
    t.setCapacity(40);
    expect(t.insert('abcd', 'efgh')).toBe(true);
    expect(t.insert('abcd', 'efghi')).toBe(false);
    expect(entrySize('abcd', 'efgh')).toBe(40);
  });

  it('evicts oldest entries when the capacity shrinks, and can be cleared with 0', () => {
    const t = new DynamicTable(4096);
    t.setCapacity(4096);
    for (let i = 0; i < 100; i++) t.insert(`n${i}`, `v${i}`);
    t.setCapacity(2 * entrySize('n98', 'v98'));
    expect(t.entries().map((e) => e.name)).toEqual(['n98', 'n99']);
    t.setCapacity(0);
    expect(t.length).toBe(0);
    expect(t.size).toBe(0);
    expect(t.insertCount).toBe(100);
  });

  it('keeps absolute indices stable across many evictions (internal compaction)', () => {
    const t = new DynamicTable(333); // 9 entries of 37 octets
    t.setCapacity(333);
    for (let i = 0; i < 1000; i++) t.insert('k', String(i).padStart(4, '0'));
    expect(t.length).toBe(9);
    expect(t.valueAt(999)).toBe('0999');
    expect(t.valueAt(991)).toBe('0991');
    expect(t.has(990)).toBe(false);
  });
});
