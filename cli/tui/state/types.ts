/**
 * State of the terminal UI: which view is shown, the selection in each, the mode (typing a search,
 * editing the timeline filter, help), the timeline filter, the pools sort, and whether to quit.
 * Changed only by the reducer (reducer.ts); keys become actions in keys.ts.
 */
import type { TimelineFilter } from '../data/timeline.ts';

/** The views, in tab order; number keys 1..6 select them. */
export const VIEWS = ['overview', 'callchain', 'timeline', 'pools', 'sessions', 'threads'] as const;
export type ViewId = (typeof VIEWS)[number];

/** Tab titles. */
export const VIEW_TITLES: Readonly<Record<ViewId, string>> = {
  overview: 'Overview',
  callchain: 'Call chain',
  timeline: 'Timeline',
  pools: 'Pools',
  sessions: 'Sessions',
  threads: 'Threads',
};

/** normal: keys act on the view; search: typing after `/`; filter: editing the timeline filter; help: `?`. */
export type Mode = 'normal' | 'search' | 'filter' | 'help';

/** Fields of the timeline filter form, in the order tab/arrows move through them. */
export const FILTER_FIELDS = ['conn', 'stream', 'source', 'level', 'text'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

/** Pools columns `s` cycles through. */
export const POOL_SORT_COLUMNS = ['used', 'allocated', 'failures', 'size', 'name', 'thread'] as const;
export type PoolSortColumn = (typeof POOL_SORT_COLUMNS)[number];

export interface TuiState {
  view: ViewId;
  /** Selected row of each list view (clamped by the reducer to the count given with each move). */
  selected: Record<ViewId, number>;
  mode: Mode;
  /** Text typed so far in search mode. */
  input: string;
  /** Last submitted search (`n` repeats it). */
  search: string;
  /** The filter form being edited (text of each field). */
  filterDraft: Record<FilterField, string>;
  /** Index in FILTER_FIELDS of the field being edited. */
  filterField: number;
  /** The filter applied to the timeline. */
  filter: TimelineFilter;
  sort: { column: PoolSortColumn; desc: boolean };
  /** A one-line message for the status bar (a bad filter, a search without match). */
  message?: string;
  quit: boolean;
}

/** Every change the UI can make. Data-dependent answers (search hits, jump targets) are computed by the caller. */
export type Action =
  | { type: 'view'; view: ViewId }
  | { type: 'cycleView'; delta: 1 | -1 }
  | { type: 'move'; delta: number; count: number }
  | { type: 'select'; index: number }
  | { type: 'openSearch' }
  | { type: 'openFilter' }
  | { type: 'type'; text: string }
  | { type: 'erase' }
  | { type: 'filterField'; delta: 1 | -1 }
  | { type: 'applyFilter' }
  | { type: 'clearFilter' }
  | { type: 'searchResult'; query: string; index: number | undefined }
  | { type: 'cancel' }
  | { type: 'sort' }
  | { type: 'reverse' }
  | { type: 'help' }
  | { type: 'quit' }
  | { type: 'jump'; view: ViewId; index?: number; filter?: TimelineFilter; message?: string }
  | { type: 'message'; text: string | undefined };

/** What a key asks for that needs the data (resolved by the App into actions). */
export type Intent =
  | { type: 'action'; action: Action }
  /** Enter on a row: jump from an event to its object, from an object to its events, ... */
  | { type: 'activate' }
  /** Enter in search mode, or `n`: find `query` from the row after the selection. */
  | { type: 'search'; query: string; again: boolean };
