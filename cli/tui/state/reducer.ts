/**
 * The TUI reducer: a pure function from state and action to the next state (no I/O, no data
 * access: counts and search hits come with the actions). Tested without rendering.
 */
import { parseObjectId } from '../../../diag/render/sess.ts';
import { TRACE_LEVELS, type TraceLevel } from '../../../diag/trace.types.ts';
import type { TimelineFilter } from '../data/timeline.ts';
import { FILTER_FIELDS, POOL_SORT_COLUMNS, VIEWS, type Action, type FilterField, type TuiState, type ViewId } from './types.ts';

/** The state the TUI opens with: Overview, nothing selected, no filter, pools by used items, largest first. */
export function initialState(view: ViewId = 'overview'): TuiState {
  return {
    view,
    selected: { overview: 0, callchain: 0, timeline: 0, pools: 0, sessions: 0, threads: 0 },
    mode: 'normal',
    input: '',
    search: '',
    filterDraft: { conn: '', stream: '', source: '', level: '', text: '' },
    filterField: 0,
    filter: {},
    sort: { column: 'used', desc: true },
    quit: false,
  };
}

/** The draft of a filter form for an applied filter (ids in hex, as the views print them). */
export function draftOf(f: TimelineFilter): Record<FilterField, string> {
  return {
    conn: f.conn !== undefined ? `0x${f.conn.toString(16)}` : '',
    stream: f.stream !== undefined ? `0x${f.stream.toString(16)}` : '',
    source: f.source ?? '',
    level: f.level ?? '',
    text: f.text ?? '',
  };
}

/**
 * Parses a filter form: ids as `0x1f` or decimal, a level among HAProxy's trace levels, source and
 * text as typed (empty = any). Returns the filter, or an error saying which field is wrong and what
 * it expects.
 */
export function parseFilterDraft(d: Record<FilterField, string>): { filter: TimelineFilter } | { error: string } {
  const f: TimelineFilter = {};
  for (const key of ['conn', 'stream'] as const) {
    const v = d[key].trim();
    if (v === '') continue;
    const id = parseObjectId(v);
    if (id === undefined) return { error: `${key}: '${v}' is not an id; give it as 0x1f or in decimal` };
    f[key] = id;
  }
  const level = d.level.trim();
  if (level !== '') {
    if (!(TRACE_LEVELS as readonly string[]).includes(level)) return { error: `level: '${level}' is not a level; use one of ${TRACE_LEVELS.join(', ')}` };
    f.level = level as TraceLevel;
  }
  if (d.source.trim() !== '') f.source = d.source.trim();
  if (d.text !== '') f.text = d.text;
  return { filter: f };
}

const clamp = (i: number, count: number) => (count <= 0 ? 0 : Math.max(0, Math.min(count - 1, i)));

/** Applies `a` to `s`; returns `s` itself when nothing changes. */
export function reduce(s: TuiState, a: Action): TuiState {
  switch (a.type) {
    case 'view':
      return s.view === a.view && s.mode === 'normal' ? s : { ...s, view: a.view, mode: 'normal', message: undefined };
    case 'cycleView': {
      const i = (VIEWS.indexOf(s.view) + a.delta + VIEWS.length) % VIEWS.length;
      return { ...s, view: VIEWS[i], message: undefined };
    }
    case 'move': {
      const cur = s.selected[s.view];
      const next = clamp(cur + a.delta, a.count);
      return next === cur ? s : { ...s, selected: { ...s.selected, [s.view]: next } };
    }
    case 'select':
      return { ...s, selected: { ...s.selected, [s.view]: Math.max(0, a.index) } };
    case 'openSearch':
      return { ...s, mode: 'search', input: '', message: undefined };
    case 'openFilter':
      return { ...s, view: 'timeline', mode: 'filter', filterDraft: draftOf(s.filter), filterField: 0, message: undefined };
    case 'type':
      if (s.mode === 'search') return { ...s, input: s.input + a.text };
      if (s.mode === 'filter') {
        const field = FILTER_FIELDS[s.filterField];
        return { ...s, filterDraft: { ...s.filterDraft, [field]: s.filterDraft[field] + a.text } };
      }
      return s;
    case 'erase':
      if (s.mode === 'search') return { ...s, input: s.input.slice(0, -1) };
      if (s.mode === 'filter') {
        const field = FILTER_FIELDS[s.filterField];
        return { ...s, filterDraft: { ...s.filterDraft, [field]: s.filterDraft[field].slice(0, -1) } };
      }
      return s;
    case 'filterField':
      return s.mode !== 'filter' ? s : { ...s, filterField: (s.filterField + a.delta + FILTER_FIELDS.length) % FILTER_FIELDS.length };
    case 'applyFilter': {
      const r = parseFilterDraft(s.filterDraft);
      if ('error' in r) return { ...s, message: r.error };
      return { ...s, mode: 'normal', filter: r.filter, selected: { ...s.selected, timeline: 0 }, message: undefined };
    }
    case 'clearFilter':
      return { ...s, filter: {}, selected: { ...s.selected, timeline: 0 }, message: undefined };
    case 'searchResult': {
      const base = { ...s, mode: 'normal' as const, search: a.query, input: '' };
      if (a.index === undefined) return { ...base, message: `not found: ${a.query}` };
      return { ...base, selected: { ...s.selected, [s.view]: a.index }, message: undefined };
    }
    case 'cancel':
      if (s.mode !== 'normal') return { ...s, mode: 'normal', input: '', message: undefined };
      return { ...s, quit: true };
    case 'sort': {
      const i = (POOL_SORT_COLUMNS.indexOf(s.sort.column) + 1) % POOL_SORT_COLUMNS.length;
      const column = POOL_SORT_COLUMNS[i];
      // Names and threads read best ascending, figures largest first.
      return { ...s, sort: { column, desc: column !== 'name' && column !== 'thread' }, selected: { ...s.selected, pools: 0 } };
    }
    case 'reverse':
      return { ...s, sort: { ...s.sort, desc: !s.sort.desc } };
    case 'help':
      return { ...s, mode: s.mode === 'help' ? 'normal' : 'help' };
    case 'quit':
      return { ...s, quit: true };
    case 'jump': {
      const next: TuiState = { ...s, view: a.view, mode: 'normal', message: a.message };
      if (a.filter) next.filter = a.filter;
      const index = a.index ?? (a.filter ? 0 : undefined);
      if (index !== undefined) next.selected = { ...s.selected, [a.view]: Math.max(0, index) };
      return next;
    }
    case 'message':
      return { ...s, message: a.text };
  }
}
