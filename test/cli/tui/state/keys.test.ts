import { describe, expect, test } from 'vitest';
import { findRow, keyToIntent, splitInput } from '../../../../cli/tui/state/keys.ts';
import { initialState, reduce } from '../../../../cli/tui/state/reducer.ts';

const ctx = { count: 10, page: 5 };

describe('tui keys', () => {
  test('view keys: 1..6, tab and shift-tab', () => {
    const s = initialState();
    expect(keyToIntent(s, '3', {}, ctx)).toEqual({ type: 'action', action: { type: 'view', view: 'timeline' } });
    expect(keyToIntent(s, '', { tab: true }, ctx)).toEqual({ type: 'action', action: { type: 'cycleView', delta: 1 } });
    expect(keyToIntent(s, '', { tab: true, shift: true }, ctx)).toEqual({ type: 'action', action: { type: 'cycleView', delta: -1 } });
    expect(keyToIntent(s, '7', {}, ctx)).toBeUndefined();
  });

  test('movement keys carry the row count and page', () => {
    const s = initialState();
    expect(keyToIntent(s, 'j', {}, ctx)).toEqual({ type: 'action', action: { type: 'move', delta: 1, count: 10 } });
    expect(keyToIntent(s, '', { upArrow: true }, ctx)).toEqual({ type: 'action', action: { type: 'move', delta: -1, count: 10 } });
    expect(keyToIntent(s, '', { pageDown: true }, ctx)).toEqual({ type: 'action', action: { type: 'move', delta: 5, count: 10 } });
    expect(keyToIntent(s, 'G', {}, ctx)).toEqual({ type: 'action', action: { type: 'move', delta: Infinity, count: 10 } });
    expect(keyToIntent(s, '', { return: true }, ctx)).toEqual({ type: 'activate' });
  });

  test('in search mode letters are typed (q does not quit) and enter searches', () => {
    const s = reduce(initialState(), { type: 'openSearch' });
    expect(keyToIntent(s, 'q', {}, ctx)).toEqual({ type: 'action', action: { type: 'type', text: 'q' } });
    const typed = reduce(s, { type: 'type', text: 'GET' });
    expect(keyToIntent(typed, '', { return: true }, ctx)).toEqual({ type: 'search', query: 'GET', again: false });
    expect(keyToIntent(typed, '', { backspace: true }, ctx)).toEqual({ type: 'action', action: { type: 'erase' } });
    expect(keyToIntent(typed, '', { escape: true }, ctx)).toEqual({ type: 'action', action: { type: 'cancel' } });
  });

  test('n repeats the last search; s and r sort only in Pools; help closes with ? or esc', () => {
    const s = reduce(initialState(), { type: 'searchResult', query: 'h1', index: 1 });
    expect(keyToIntent(s, 'n', {}, ctx)).toEqual({ type: 'search', query: 'h1', again: true });
    expect(keyToIntent(initialState(), 's', {}, ctx)).toBeUndefined();
    expect(keyToIntent(initialState('pools'), 's', {}, ctx)).toEqual({ type: 'action', action: { type: 'sort' } });
    const h = reduce(initialState(), { type: 'help' });
    expect(keyToIntent(h, '?', {}, ctx)).toEqual({ type: 'action', action: { type: 'help' } });
    expect(keyToIntent(h, 'j', {}, ctx)).toBeUndefined();
  });

  test('findRow searches case-insensitively from the selection and wraps', () => {
    const rows = ['alpha', 'Beta', 'gamma', 'beta2'];
    const text = (i: number) => rows[i];
    expect(findRow(4, text, 'beta', 0, false)).toBe(1);
    expect(findRow(4, text, 'beta', 1, true)).toBe(3);
    expect(findRow(4, text, 'beta', 3, true)).toBe(1);
    expect(findRow(4, text, 'delta', 0, false)).toBeUndefined();
  });

  test('splitInput turns a chunk of typed keys into single presses', () => {
    expect(splitInput('q', {})).toEqual([{ input: 'q', key: {} }]);
    expect(splitInput('0x4\r', {})).toEqual([
      { input: '0', key: {} },
      { input: 'x', key: {} },
      { input: '4', key: {} },
      { input: '', key: { return: true } },
    ]);
    expect(splitInput('a\tb\x7f', {}).map((p) => p.key)).toEqual([{}, { tab: true }, {}, { backspace: true }]);
    expect(splitInput('ab', { ctrl: true })).toEqual([{ input: 'ab', key: { ctrl: true } }]);
  });
});
