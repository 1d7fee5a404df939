/**
 * The model of a live process (cli/tui/data/live-source.ts samples) in the shape the snapshot views
 * read ({@link TuiModel}): the summary says `live` with the process figures of `show info`, there is
 * no call chain, context or known issue, threads, pools, objects and the timeline come from the
 * runtime's answers, and `live` carries the connection status and the pool histories. The object
 * selected in Sessions (LiveSource.select) comes with its whole termination log, state and timer
 * from `show sess <id>`: it replaces the one-line version `show sess` / `show conns` gave.
 */
import type { Explanation } from '../../../diag/snapshot/explain.ts';
import type { LiveObject } from '../../../diag/lifecycle.types.ts';
import type { LiveDetail, LiveSample, LiveStatus, PoolHistory } from './live-source.ts';
import type { TuiModel } from './model.ts';
import { createTimeline } from './timeline.ts';

/** What the views show only in live mode. */
export interface LiveInfo {
  socket: string;
  status: LiveStatus;
  /** `show info` fields of the last poll, in the order the process printed them. */
  info: [string, string][];
  /** Time of the last successful poll (0 before the first). */
  at: number;
  /** Pool history for the sparklines. */
  history: (pool: string) => PoolHistory;
  /** The selected object's detail as of the last poll: its id, and the process's answer when it has none. */
  detail?: { id: number; error?: string; at: number };
}

/** `objects` with the detailed version of the selected object in place of its one-line version. */
export function withDetail(objects: readonly LiveObject[], detail: LiveDetail | undefined): LiveObject[] {
  const d = detail?.object;
  if (!d) return [...objects];
  return objects.map((o) => (o.id === d.id ? { ...d, parentId: d.parentId || o.parentId } : o));
}

const num = (info: Map<string, string>, k: string) => Number(info.get(k) ?? 0) || 0;

/** Builds the model of the last sample of a live source (an empty one before the first poll). */
export function buildLiveModel(socket: string, sample: LiveSample | undefined, status: LiveStatus, history: (pool: string) => PoolHistory): TuiModel {
  const info = sample?.info ?? new Map<string, string>();
  const now = sample?.at ?? Date.now();
  const uptimeSec = num(info, 'Uptime_sec');
  const explanation: Explanation = {
    bytes: 0,
    formatVersion: 0,
    complete: true,
    now,
    summary: {
      reason: 'live',
      message: sample
        ? `pid ${info.get('Pid') ?? '?'}, up ${info.get('Uptime') ?? '?'}, ${num(info, 'CurrConns')} connections now, ${num(info, 'CumReq')} requests`
        : `waiting for the first answer of ${socket}`,
      thread: 0,
      time: now,
      version: info.get('Version') ?? '?',
      buildId: info.get('Build_id') ?? '?',
      node: info.get('Node_version') ?? '?',
      os: '',
      pid: num(info, 'Pid'),
      startedAt: now - uptimeSec * 1000,
      uptimeSec,
      argv: [],
    },
    callChain: { frames: [], mapped: false, warnings: [] },
    events: { selection: '', total: 0, shown: [] },
    pools: [],
    threads: sample?.threads ?? [],
    objects: withDetail(sample?.objects ?? [], sample?.detail),
    checks: [],
    sections: [],
    problems: [],
    knownIssue: { matches: [], fingerprint: '-', fingerprintInputs: [] },
  };
  const ev = sample?.events ?? { rings: [], points: new Map() };
  return {
    explanation,
    timeline: createTimeline(ev.rings, ev.points, []),
    objects: explanation.objects,
    pools: sample?.pools ?? [],
    knownIssue: { matched: false, title: 'live process', fingerprint: '-', details: [] },
    sourceRoots: [],
    live: {
      socket,
      status,
      info: [...info.entries()],
      at: sample?.at ?? 0,
      history,
      ...(sample?.detail ? { detail: { id: sample.detail.id, at: sample.at, ...(sample.detail.error !== undefined ? { error: sample.detail.error } : {}) } } : {}),
    },
  };
}

/** `▁▂▃▄▅▆▇█` sparkline of the last `width` values, scaled from 0 to their maximum. */
export function sparkline(values: readonly number[], width: number): string {
  const bars = '▁▂▃▄▅▆▇█';
  const v = values.slice(Math.max(0, values.length - width));
  const max = Math.max(0, ...v);
  return v.map((x) => (max <= 0 ? bars[0] : bars[Math.min(7, Math.round((x / max) * 7))])).join('');
}

/** The status line text of a live model (the title names the socket): connected, with the age of the data, or disconnected, retrying in N s, and why. */
export function liveStatusText(l: LiveInfo, now = Date.now()): string {
  const s = l.status;
  switch (s.state) {
    case 'connecting':
      return `live: connecting to ${l.socket}...`;
    case 'connected':
      return `live: connected, updated ${Math.max(0, Math.round((now - l.at) / 1000))}s ago  (S: snapshot, ? help, q quit)`;
    case 'disconnected':
      return `live: disconnected, retrying in ${Math.max(0, Math.ceil((s.retryAt - now) / 1000))}s: ${s.error}`;
    case 'stopped':
      return `live: stopped (${l.socket})`;
  }
}
