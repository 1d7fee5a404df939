/**
 * Keys to intents, as the issue lists them: tab / shift-tab and 1..6 switch views; arrows, j/k,
 * page up/down, g/G (home/end) move; enter acts on the selected row; `/` searches and `n` repeats;
 * `f` edits the timeline filter and `F` clears it; `s` cycles the pools sort column and `r`
 * reverses it; `?` toggles help; `q` quits; esc closes what is open, and quits otherwise.
 * Pure: the caller passes the row count and page height of the current view.
 */
import type { Key } from 'ink';
import { VIEWS, type Action, type Intent, type TuiState } from './types.ts';

/** The subset of ink's Key the mapping reads (so tests can build keys by hand). */
export type KeyLike = Partial<Pick<Key, 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'return' | 'escape' | 'tab' | 'shift' | 'ctrl' | 'meta' | 'backspace' | 'delete'>>;

/** Row count and visible height of the view the key acts on. */
export interface KeyContext {
  count: number;
  page: number;
}

const act = (action: Action): Intent => ({ type: 'action', action });

/** The intent of one key press in state `s`, or undefined when the key does nothing there. */
export function keyToIntent(s: TuiState, input: string, key: KeyLike, ctx: KeyContext): Intent | undefined {
  if (s.mode === 'help') {
    if (key.escape || input === '?' || input === 'q') return act({ type: 'help' });
    return undefined;
  }
  if (s.mode === 'search' || s.mode === 'filter') {
    if (key.escape) return act({ type: 'cancel' });
    if (key.return) return s.mode === 'search' ? { type: 'search', query: s.input, again: false } : act({ type: 'applyFilter' });
    if (key.backspace || key.delete) return act({ type: 'erase' });
    if (s.mode === 'filter' && (key.tab || key.downArrow || key.upArrow)) return act({ type: 'filterField', delta: key.upArrow || key.shift ? -1 : 1 });
    if (input && !key.ctrl && !key.meta) return act({ type: 'type', text: input });
    return undefined;
  }
  const { count, page } = ctx;
  if (key.tab) return act({ type: 'cycleView', delta: key.shift ? -1 : 1 });
  if (key.escape) return act({ type: 'cancel' });
  if (key.return) return { type: 'activate' };
  if (key.upArrow || input === 'k') return act({ type: 'move', delta: -1, count });
  if (key.downArrow || input === 'j') return act({ type: 'move', delta: 1, count });
  if (key.pageUp) return act({ type: 'move', delta: -Math.max(1, page), count });
  if (key.pageDown || input === ' ') return act({ type: 'move', delta: Math.max(1, page), count });
  if (key.home || input === 'g') return act({ type: 'move', delta: -Infinity, count });
  if (key.end || input === 'G') return act({ type: 'move', delta: Infinity, count });
  if (key.ctrl || key.meta) return undefined;
  if (/^[1-6]$/.test(input)) return act({ type: 'view', view: VIEWS[Number(input) - 1] });
  switch (input) {
    case 'q':
      return act({ type: 'quit' });
    case '?':
      return act({ type: 'help' });
    case '/':
      return act({ type: 'openSearch' });
    case 'n':
      return s.search ? { type: 'search', query: s.search, again: true } : undefined;
    case 'f':
      return act({ type: 'openFilter' });
    case 'F':
      return act({ type: 'clearFilter' });
    case 's':
      return s.view === 'pools' ? act({ type: 'sort' }) : undefined;
    case 'r':
      return s.view === 'pools' ? act({ type: 'reverse' }) : undefined;
    default:
      return undefined;
  }
}

/**
 * The row after `from` (wrapping) whose text contains `query` (case-insensitive), searching `count`
 * rows through `text(i)`; `again` starts after the selection, otherwise at it. Undefined when none.
 */
export function findRow(count: number, text: (i: number) => string, query: string, from: number, again: boolean): number | undefined {
  const q = query.toLowerCase();
  if (q === '' || count === 0) return undefined;
  const start = again ? from + 1 : from;
  for (let k = 0; k < count; k++) {
    const i = (start + k) % count;
    if (text(i).toLowerCase().includes(q)) return i;
  }
  return undefined;
}

/**
 * Splits what ink delivered as one input into single key presses. Keys typed faster than the
 * terminal is read (or pasted) arrive as one string (`3f`, `0x4\r`): each character becomes its own
 * press, with carriage return / newline as enter, tab as tab and DEL / backspace as backspace.
 * A single key, or one with ctrl/meta, is returned as it came.
 */
export function splitInput(input: string, key: KeyLike): { input: string; key: KeyLike }[] {
  if (input.length <= 1 || key.ctrl || key.meta) return [{ input, key }];
  return [...input].map((ch) => {
    if (ch === '\r' || ch === '\n') return { input: '', key: { return: true } };
    if (ch === '\t') return { input: '', key: { tab: true } };
    if (ch === '\x7f' || ch === '\b') return { input: '', key: { backspace: true } };
    return { input: ch, key: {} };
  });
}
