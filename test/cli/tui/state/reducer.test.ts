import { describe, expect, test } from 'vitest';
import { draftOf, initialState, parseFilterDraft, reduce } from '../../../../cli/tui/state/reducer.ts';
import type { Action, TuiState } from '../../../../cli/tui/state/types.ts';

const run = (actions: Action[], s: TuiState = initialState()) => actions.reduce(reduce, s);

describe('tui reducer', () => {
  test('opens on the Overview with nothing selected, no filter, pools by used items descending', () => {
    const s = initialState();
    expect(s.view).toBe('overview');
    expect(s.mode).toBe('normal');
    expect(s.filter).toEqual({});
    expect(s.sort).toEqual({ column: 'used', desc: true });
    expect(s.quit).toBe(false);
  });

  test('number keys and tab switch views; tab wraps both ways', () => {
    expect(run([{ type: 'view', view: 'pools' }]).view).toBe('pools');
    expect(run([{ type: 'cycleView', delta: 1 }]).view).toBe('callchain');
    expect(run([{ type: 'cycleView', delta: -1 }]).view).toBe('threads');
    expect(run([{ type: 'view', view: 'threads' }, { type: 'cycleView', delta: 1 }]).view).toBe('overview');
  });

  test('moves keep the selection per view and inside the list', () => {
    let s = run([{ type: 'view', view: 'timeline' }, { type: 'move', delta: 5, count: 3 }]);
    expect(s.selected.timeline).toBe(2);
    s = reduce(s, { type: 'move', delta: -Infinity, count: 3 });
    expect(s.selected.timeline).toBe(0);
    s = reduce(s, { type: 'move', delta: Infinity, count: 10 });
    expect(s.selected.timeline).toBe(9);
    s = reduce(s, { type: 'view', view: 'pools' });
    expect(s.selected.pools).toBe(0);
    expect(reduce(s, { type: 'move', delta: 1, count: 0 }).selected.pools).toBe(0);
    expect(reduce(s, { type: 'view', view: 'timeline' }).selected.timeline).toBe(9);
  });

  test('search: typing, erasing, a hit selects the row, a miss says so, esc cancels', () => {
    let s = run([{ type: 'view', view: 'sessions' }, { type: 'openSearch' }, { type: 'type', text: 'GEX' }, { type: 'erase' }, { type: 'type', text: 'T' }]);
    expect(s.mode).toBe('search');
    expect(s.input).toBe('GET');
    const hit = reduce(s, { type: 'searchResult', query: 'GET', index: 3 });
    expect(hit.mode).toBe('normal');
    expect(hit.selected.sessions).toBe(3);
    expect(hit.search).toBe('GET');
    const miss = reduce(s, { type: 'searchResult', query: 'nope', index: undefined });
    expect(miss.message).toBe('not found: nope');
    expect(miss.selected.sessions).toBe(0);
    const cancelled = reduce(s, { type: 'cancel' });
    expect(cancelled.mode).toBe('normal');
    expect(cancelled.quit).toBe(false);
  });

  test('filter form: fields cycle, values are parsed on apply, errors keep the form open', () => {
    let s = run([{ type: 'openFilter' }, { type: 'type', text: '0x3' }, { type: 'filterField', delta: 1 }, { type: 'filterField', delta: 1 }, { type: 'type', text: 'fixture' }]);
    expect(s.view).toBe('timeline');
    expect(s.filterDraft).toMatchObject({ conn: '0x3', source: 'fixture' });
    s = reduce(s, { type: 'filterField', delta: 1 });
    s = reduce(s, { type: 'type', text: 'loud' });
    const bad = reduce(s, { type: 'applyFilter' });
    expect(bad.mode).toBe('filter');
    expect(bad.message).toMatch(/^level: 'loud' is not a level; use one of error, user, proto/);
    s = reduce(reduce(reduce(reduce(reduce(s, { type: 'erase' }), { type: 'erase' }), { type: 'erase' }), { type: 'erase' }), { type: 'type', text: 'proto' });
    const ok = reduce({ ...s, selected: { ...s.selected, timeline: 7 } }, { type: 'applyFilter' });
    expect(ok.mode).toBe('normal');
    expect(ok.filter).toEqual({ conn: 3, source: 'fixture', level: 'proto' });
    expect(ok.selected.timeline).toBe(0);
    expect(reduce(ok, { type: 'openFilter' }).filterDraft).toEqual({ conn: '0x3', stream: '', source: 'fixture', level: 'proto', text: '' });
    expect(reduce(ok, { type: 'clearFilter' }).filter).toEqual({});
  });

  test('parseFilterDraft rejects a bad id and names the field', () => {
    expect(parseFilterDraft({ ...draftOf({}), stream: 'zz' })).toEqual({ error: "stream: 'zz' is not an id; give it as 0x1f or in decimal" });
    expect(parseFilterDraft({ ...draftOf({}), stream: '31', text: 'GET /' })).toEqual({ filter: { stream: 31, text: 'GET /' } });
  });

  test('sort cycles the pools column (figures descending, names ascending) and reverse flips it', () => {
    let s = reduce(initialState('pools'), { type: 'sort' });
    expect(s.sort).toEqual({ column: 'allocated', desc: true });
    s = run([{ type: 'sort' }, { type: 'sort' }, { type: 'sort' }], s);
    expect(s.sort).toEqual({ column: 'name', desc: false });
    expect(reduce(s, { type: 'reverse' }).sort).toEqual({ column: 'name', desc: true });
  });

  test('help toggles; esc closes it first and quits only from the normal mode; q quits', () => {
    const h = run([{ type: 'help' }]);
    expect(h.mode).toBe('help');
    const closed = reduce(h, { type: 'cancel' });
    expect(closed.mode).toBe('normal');
    expect(closed.quit).toBe(false);
    expect(reduce(closed, { type: 'cancel' }).quit).toBe(true);
    expect(run([{ type: 'quit' }]).quit).toBe(true);
  });

  test('jump switches view, applies a filter and selects a row', () => {
    const s = run([{ type: 'jump', view: 'timeline', filter: { stream: 4 } }]);
    expect(s).toMatchObject({ view: 'timeline', filter: { stream: 4 } });
    expect(s.selected.timeline).toBe(0);
    expect(run([{ type: 'jump', view: 'sessions', index: 2 }]).selected.sessions).toBe(2);
  });
});
