/**
 * The rows of each list view, computed from the model and the state (pure, shared by the views,
 * the key handling that needs row counts, and search): the lines of the Overview, the frames, the
 * selected timeline entries, the sorted pools, the objects, the threads.
 */
import type { LiveObject } from '../../../diag/lifecycle.types.ts';
import { formatFrame } from '../../../diag/symbolicate.ts';
import { formatUptime } from '../../../diag/render/info.ts';
import { hexId, objectDetail } from '../../../diag/render/sess.ts';
import type { ThreadView } from '../../../diag/views.types.ts';
import type { PoolRow, TuiModel } from '../data/model.ts';
import type { TimelineEvent } from '../data/timeline.ts';
import type { TuiState, ViewId } from '../state/types.ts';
import { liveStatusText } from '../data/live-model.ts';

/** How many events of the context object the Overview lists. */
export const OVERVIEW_EVENTS = 8;

/** `HH:MM:SS.mmm` (UTC) of an epoch-ms time. */
export function clock(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().slice(11, 23) : '--:--:--.---';
}

/** One timeline row as the Timeline and the Overview print it. */
export function eventLine(e: TimelineEvent): string {
  const ids = e.connId || e.streamId ? ` c=${hexId(e.connId)} s=${hexId(e.streamId)}` : '';
  return `${clock(e.time)} t${e.thread} ${e.source}/${e.level}${ids} ${e.message}`;
}

/** A line of the Overview with how to show it. */
export interface OverviewLine {
  text: string;
  style?: 'heading' | 'alert' | 'dim';
}

/** The lines of the Overview: summary and known-issue match, call chain, context object and its last events, then what the known issue says. */
export function overviewLines(m: TuiModel): OverviewLine[] {
  if (m.live) return liveOverviewLines(m);
  const ex = m.explanation;
  const s = ex.summary;
  const out: OverviewLine[] = [];
  const h = (text: string) => out.push({ text, style: 'heading' });
  const l = (text: string, style?: OverviewLine['style']) => out.push(style ? { text, style } : { text });
  l(`Reason  : ${s.reason}`, 'alert');
  l(`Message : ${s.message}`, 'alert');
  l(`Thread  : ${s.thread === 0 ? '0 (supervisor)' : s.thread}   Time: ${s.time > 0 ? new Date(s.time).toISOString() : 'unknown'}   Uptime: ${formatUptime(s.uptimeSec)}`);
  l(`Version : ${s.version} (build ${s.buildId}), Node ${s.node} on ${s.os}, pid ${s.pid}`);
  if (!ex.complete) l(`Partial snapshot: ${ex.problems.length} problem(s); first: ${ex.problems[0] ?? 'the file is incomplete'}`, 'alert');
  const ki = m.knownIssue;
  l(`Known   : [${ki.fingerprint}] ${ki.title}`, ki.matched ? 'alert' : undefined);
  h('Call chain');
  const frames = ex.callChain.frames;
  if (frames.length === 0) l('(no frames recorded)', 'dim');
  frames.slice(0, 6).forEach((f, i) => l(formatFrame(f, i), f.inApp ? undefined : 'dim'));
  if (frames.length > 6) l(`... ${frames.length - 6} more (Call chain view)`, 'dim');
  for (const w of ex.callChain.warnings) l(`warning: ${w}`, 'dim');
  h('Context object');
  const c = ex.context;
  if (!c) l('(the fault names no connection, stream or object)', 'dim');
  else {
    if (c.object) {
      l(`${c.object.kind} ${hexId(c.object.id)} on thread ${c.object.thread}:`);
      for (const x of objectDetail(c.object, ex.objects, ex.now)) l(`  ${x}`);
    } else if (c.connId || c.streamId) l(`connection ${hexId(c.connId)}, stream ${hexId(c.streamId)}: not found`);
    for (const n of c.notes) l(`note: ${n}`, 'dim');
    if (c.details) l(`details: ${Object.entries(c.details).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
    const ev = contextEvents(m);
    h(`Last events of the context (${ev.total})`);
    if (ev.total === 0) l('(none recorded)', 'dim');
    for (const e of ev.shown) l(eventLine(e));
  }
  if (ki.details.length > 0) {
    h('Known issue');
    for (const d of ki.details) l(d.startsWith(' ') ? d : `  ${d}`);
  }
  return out;
}

/** The Overview of a live process: connection status, `show info` fields, then one line per thread. */
export function liveOverviewLines(m: TuiModel): OverviewLine[] {
  const live = m.live!;
  const out: OverviewLine[] = [];
  out.push({ text: `Live    : ${m.explanation.summary.message}` });
  if (live.status.state === 'disconnected') out.push({ text: liveStatusText(live), style: 'alert' });
  out.push({ text: 'Process', style: 'heading' });
  if (live.info.length === 0) out.push({ text: '(no answer yet)', style: 'dim' });
  for (const [k, v] of live.info) out.push({ text: `  ${k.padEnd(18)} ${v}` });
  out.push({ text: 'Threads', style: 'heading' });
  if (m.explanation.threads.length === 0) out.push({ text: '(no thread figures)', style: 'dim' });
  for (const t of m.explanation.threads) out.push({ text: `  ${threadLine(t)}`, style: /dead|stall/.test(t.status) ? 'alert' : undefined });
  return out;
}

/** The last {@link OVERVIEW_EVENTS} timeline events of the context object (its stream or connection). */
export function contextEvents(m: TuiModel): { total: number; shown: TimelineEvent[] } {
  const c = m.explanation.context;
  if (!c) return { total: 0, shown: [] };
  const streamId = c.streamId || (c.object?.kind === 'stream' ? c.object.id : 0);
  const connId = c.connection?.id ?? c.connId;
  const sel = streamId ? m.timeline.select({ stream: streamId }) : connId ? m.timeline.select({ conn: connId }) : new Int32Array(0);
  const shown = Array.from(sel.subarray(Math.max(0, sel.length - OVERVIEW_EVENTS)), (i) => m.timeline.decode(i));
  return { total: sel.length, shown };
}

/** Pools sorted as the state says (ties by thread, then name). */
export function sortedPools(rows: readonly PoolRow[], sort: TuiState['sort']): PoolRow[] {
  const dir = sort.desc ? -1 : 1;
  const key = sort.column;
  return [...rows].sort((a, b) => {
    const c = key === 'name' ? a.name.localeCompare(b.name) : a[key] - b[key];
    return c * dir || a.thread - b.thread || a.name.localeCompare(b.name);
  });
}

/** One pool row: `T NAME KIND SIZE ALLOC USED FAIL`. */
export function poolLine(p: PoolRow): string {
  const n = (v: number, w: number) => String(v).padStart(w);
  return `${p.offender ? '!' : ' '}${n(p.thread, 2)} ${p.name.padEnd(22).slice(0, 22)} ${p.kind.padEnd(6)} ${n(p.size, 7)} ${n(p.allocated, 7)} ${n(p.used, 7)} ${n(p.failures, 5)}`;
}

/** Header of {@link poolLine}. */
export const POOL_HEADER = '  T NAME                   KIND      SIZE   ALLOC    USED  FAIL';

/** The objects the Sessions view lists: streams and connections, live first, then by id. */
export function sessionRows(m: TuiModel): LiveObject[] {
  return [...m.objects].sort((a, b) => Number(b.live) - Number(a.live) || a.id - b.id);
}

/** One object row. */
export function sessionLine(o: LiveObject): string {
  const state = o.state !== undefined ? ` state=${o.state}${o.timer && o.timer !== 'none' ? ` exp=${o.timer}` : ''}` : '';
  return `${hexId(o.id).padEnd(6)} ${o.kind.padEnd(6)} t${o.thread} ${o.live ? 'live ' : 'freed'}${state} ${o.info}`;
}

/** One thread row: heartbeat, loop lag (ms since the last beat), current object. */
export function threadLine(t: ThreadView): string {
  const lag = t.lastBeatAgoMs < 0 ? 'never' : `${t.lastBeatAgoMs}ms`;
  const cur = t.curStream ? `stream ${hexId(t.curStream)}` : t.curConn ? `conn ${hexId(t.curConn)}` : '-';
  return `t${t.thread}${t.thread === 0 ? ' (sup)' : ''} ${t.status.padEnd(8)} beat=${t.heartbeat} lag=${lag} conns=${t.connsCur}/${t.connsTotal} reqs=${t.reqsTotal} cur=${cur} restarts=${t.restarts}`;
}

/** Rows of a list view, counted and searchable (Overview counts its lines). */
export function viewRows(m: TuiModel, s: TuiState, view: ViewId): { count: number; text: (i: number) => string } {
  switch (view) {
    case 'overview': {
      const lines = overviewLines(m);
      return { count: lines.length, text: (i) => lines[i].text };
    }
    case 'callchain': {
      const f = m.explanation.callChain.frames;
      return { count: f.length, text: (i) => formatFrame(f[i], i) };
    }
    case 'timeline': {
      const sel = m.timeline.select(s.filter);
      return { count: sel.length, text: (i) => eventLine(m.timeline.decode(sel[i])) };
    }
    case 'pools': {
      const p = sortedPools(m.pools, s.sort);
      return { count: p.length, text: (i) => poolLine(p[i]) };
    }
    case 'sessions': {
      const o = sessionRows(m);
      return { count: o.length, text: (i) => sessionLine(o[i]) };
    }
    case 'threads': {
      const t = m.explanation.threads;
      return { count: t.length, text: (i) => threadLine(t[i]) };
    }
  }
}

/** First row to show so that `selected` is visible in `height` rows (kept near the middle). */
export function windowStart(selected: number, count: number, height: number): number {
  if (count <= height) return 0;
  return Math.max(0, Math.min(count - height, selected - Math.floor(height / 2)));
}
