/**
 * The TUI application: title, view tabs, the current view, and a status line (search prompt,
 * filter form, message or key hints). State lives in the reducer (state/reducer.ts); this component
 * turns keys into actions, resolves the intents that need the data (search, enter), and exits
 * through ink's `exit()` when the state says quit. Size comes from the props (tests) or the terminal
 * (useWindowSize: re-renders on resize).
 */
import { Box, useApp, useInput, useWindowSize } from 'ink';
import { useEffect, useMemo, useReducer, type ReactNode } from 'react';
import { hexId } from '../../diag/render/sess.ts';
import type { TuiModel } from './data/model.ts';
import { findRow, keyToIntent, splitInput } from './state/keys.ts';
import { initialState, reduce } from './state/reducer.ts';
import { FILTER_FIELDS, VIEWS, VIEW_TITLES, type Action, type Intent, type TuiState, type ViewId } from './state/types.ts';
import { CallChain } from './views/callchain.tsx';
import { Line, type Theme } from './views/common.tsx';
import { Help } from './views/help.tsx';
import { Overview } from './views/overview.tsx';
import { Pools } from './views/pools.tsx';
import { sessionRows, viewRows } from './views/rows.ts';
import { Sessions } from './views/sessions.tsx';
import { Threads } from './views/threads.tsx';
import { Timeline } from './views/timeline.tsx';

/** Props of {@link App}. */
export interface AppProps {
  model: TuiModel;
  /** Fixed size (tests); default: the terminal's, following resizes. */
  columns?: number;
  rows?: number;
  /** Colours (false under NO_COLOR). */
  color: boolean;
  /** View to open on. */
  view?: ViewId;
  /** Live mode: called on `S` (normal mode) to take a snapshot; cli/tui/live-app.tsx passes it. */
  onSnapshotKey?: () => void;
  /** Live mode: the status line when no message or prompt is shown (connection state), and whether it is an alert. */
  status?: { text: string; alert: boolean };
  /**
   * Live mode: called with the id of the object selected in Sessions whenever it changes, and with
   * undefined when Sessions is left, so that the source polls its detail (LiveSource.select).
   */
  onSelectObject?: (id: number | undefined) => void;
}

/** Lines the frame uses besides the view: title, tabs, status; one spare so the terminal never scrolls. */
const CHROME = 4;

/** Resolves an intent that needs the data into an action (see state/types.ts Intent). */
export function resolveIntent(m: TuiModel, s: TuiState, intent: Intent): Action | undefined {
  if (intent.type === 'action') return intent.action;
  if (intent.type === 'search') {
    const rows = viewRows(m, s, s.view);
    return { type: 'searchResult', query: intent.query, index: findRow(rows.count, rows.text, intent.query, s.selected[s.view], intent.again) };
  }
  const objectIndex = (id: number) => sessionRows(m).findIndex((o) => o.id === id);
  const toObject = (ids: number[]): Action => {
    for (const id of ids) {
      if (!id) continue;
      const i = objectIndex(id);
      if (i >= 0) return { type: 'jump', view: 'sessions', index: i };
    }
    const named = ids.filter(Boolean);
    return { type: 'message', text: named.length ? `${hexId(named[0])} is not in the live-object table` : 'no object here' };
  };
  switch (s.view) {
    case 'overview': {
      const c = m.explanation.context;
      return toObject([c?.object?.id ?? 0, c?.streamId ?? 0, c?.connId ?? 0]);
    }
    case 'timeline': {
      const sel = m.timeline.select(s.filter);
      const i = sel[s.selected.timeline];
      if (i === undefined) return undefined;
      const e = m.timeline.entry(i);
      return toObject([e.obj?.id ?? 0, e.streamId, e.connId]);
    }
    case 'sessions': {
      const o = sessionRows(m)[s.selected.sessions];
      if (!o) return undefined;
      const filter = o.kind === 'stream' ? { stream: o.id } : { conn: o.id };
      return { type: 'jump', view: 'timeline', filter };
    }
    case 'threads': {
      const t = m.explanation.threads[s.selected.threads];
      return t ? toObject([t.curStream, t.curConn]) : undefined;
    }
    default:
      return undefined;
  }
}

function statusText(s: TuiState, live?: { text: string; alert: boolean }): string {
  if (s.mode === 'search') return `/${s.input}_  (enter: find, esc: cancel)`;
  if (s.mode === 'filter') {
    const fields = FILTER_FIELDS.map((f, i) => (i === s.filterField ? `[${f}=${s.filterDraft[f]}_]` : `${f}=${s.filterDraft[f]}`)).join(' ');
    return `filter ${fields}${s.message ? `  ! ${s.message}` : ''}`;
  }
  if (s.message) return s.message;
  if (live) return live.text;
  return 'tab/1-6 views  j/k move  enter go  / search  f filter  s sort  ? help  q quit';
}

/** The whole TUI over one model. */
export function App(props: AppProps): ReactNode {
  const { model } = props;
  const size = useWindowSize();
  const columns = Math.max(20, props.columns ?? size.columns);
  const rows = Math.max(8, props.rows ?? size.rows);
  const width = columns;
  const height = rows - CHROME;
  const [state, dispatch] = useReducer(reduce, props.view, initialState);
  const { exit } = useApp();
  const theme: Theme = useMemo(() => ({ color: props.color }), [props.color]);

  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);

  const onSelectObject = props.onSelectObject;
  const selectedObject = state.view === 'sessions' && state.mode !== 'help' ? sessionRows(model)[state.selected.sessions]?.id : undefined;
  useEffect(() => {
    onSelectObject?.(selectedObject);
  }, [onSelectObject, selectedObject]);

  useInput((input, key) => {
    // Keys typed faster than a frame (or pasted) arrive as one string: act on each character in
    // turn, each against the state the previous one produced (the reducer is pure, so dispatching
    // the same actions in order reaches the same state).
    let s = state;
    for (const press of splitInput(input, key)) {
      if (props.onSnapshotKey && s.mode === 'normal' && press.input === 'S' && !press.key.ctrl && !press.key.meta) {
        props.onSnapshotKey();
        continue;
      }
      const count = s.mode === 'normal' ? viewRows(model, s, s.view).count : 0;
      const intent = keyToIntent(s, press.input, press.key, { count, page: Math.max(1, height - 3) });
      if (!intent) continue;
      const action = resolveIntent(model, s, intent);
      if (!action) continue;
      s = reduce(s, action);
      dispatch(action);
    }
  });

  const file = model.live ? `live ${model.live.socket}` : (model.file ?? '(buffer)');
  const title = `flightbox tui  ${file}  ${model.explanation.summary.reason}: ${model.explanation.summary.message}`;
  const tabs = VIEWS.map((v, i) => (v === state.view ? `[${i + 1} ${VIEW_TITLES[v]}]` : ` ${i + 1} ${VIEW_TITLES[v]} `)).join('');
  const vp = { width, height, theme };
  let body: ReactNode;
  if (state.mode === 'help') body = <Help {...vp} />;
  else if (state.view === 'overview') body = <Overview {...vp} model={model} selected={state.selected.overview} />;
  else if (state.view === 'callchain') body = <CallChain {...vp} model={model} selected={state.selected.callchain} />;
  else if (state.view === 'timeline') body = <Timeline {...vp} model={model} state={state} />;
  else if (state.view === 'pools') body = <Pools {...vp} model={model} state={state} />;
  else if (state.view === 'sessions') body = <Sessions {...vp} model={model} selected={state.selected.sessions} />;
  else body = <Threads {...vp} model={model} selected={state.selected.threads} />;
  return (
    <Box flexDirection="column" width={width}>
      <Line text={title} width={width} theme={theme} tone="heading" marker={false} />
      <Line text={tabs} width={width} theme={theme} marker={false} />
      <Box flexDirection="column" height={height} overflow="hidden">
        {body}
      </Box>
      <Line text={statusText(state, props.status)} width={width} theme={theme} tone={state.message || (state.mode === 'normal' && props.status?.alert) ? 'alert' : 'dim'} marker={false} />
    </Box>
  );
}
