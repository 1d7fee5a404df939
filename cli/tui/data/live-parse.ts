/**
 * Parsers of the runtime socket's text answers (proxy/supervisor/commands.ts, rendered by
 * diag/render/*), so that the live TUI can show a running process with the snapshot views:
 * `show info` (HAProxy's `Name: value` lines), `show threads` (diag/render/threads.ts blocks),
 * `show pools` (HAProxy's `  - Pool <name> (<size> bytes) : ...` lines, summed over threads),
 * `show sess` / `show conns all` (diag/render/sess.ts lines) and `show events <ring>` (trace lines,
 * diag/render/trace-line.ts), and `show sess <id>` (one object in detail). Each parser skips lines
 * it does not recognise rather than failing, so a newer proxy with more fields still shows what is known.
 */
import type { LcLogEntry, LiveObject, ObjKind } from '../../../diag/lifecycle.types.ts';
import type { RingRecord } from '../../../diag/ring.types.ts';
import { TRACE_LEVELS, type TraceLevel, type TracePointInfo } from '../../../diag/trace.types.ts';
import { parseLogDate } from '../../../diag/render/sess.ts';
import type { ThreadView } from '../../../diag/views.types.ts';
import type { PoolRow } from './model.ts';

/** `show info` as a map of field name to value text. */
export function parseShowInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+): ?(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** Milliseconds of a diag/render/sess.ts formatMs / humanTime text (`12ms`, `3.4s`, `3m05s`, `2h07m`, `4d03h`). */
export function parseDuration(s: string): number | undefined {
  const neg = s.startsWith('-');
  const t = neg ? s.slice(1) : s;
  let ms: number | undefined;
  let m: RegExpExecArray | null;
  if ((m = /^(\d+)ms$/.exec(t))) ms = Number(m[1]);
  else if ((m = /^(\d+(?:\.\d+)?)s$/.exec(t))) ms = Number(m[1]) * 1000;
  else if ((m = /^(\d+)m(\d+)s$/.exec(t))) ms = (Number(m[1]) * 60 + Number(m[2])) * 1000;
  else if ((m = /^(\d+)h(\d+)m$/.exec(t))) ms = (Number(m[1]) * 3600 + Number(m[2]) * 60) * 1000;
  else if ((m = /^(\d+)d(\d+)h$/.exec(t))) ms = (Number(m[1]) * 86400 + Number(m[2]) * 3600) * 1000;
  return ms === undefined ? undefined : neg ? -ms : ms;
}

/** `show threads` blocks as ThreadViews (current objects from the `handling:` line). */
export function parseShowThreads(text: string): ThreadView[] {
  const out: ThreadView[] = [];
  let cur: ThreadView | undefined;
  for (const line of text.split('\n')) {
    let m = /^(?:Thread (\d+)|Supervisor) : status=(\S+) heartbeat=(\d+) last_beat=(never|\S+ ago)/.exec(line);
    if (m) {
      const ago = m[4] === 'never' ? -1 : (parseDuration(m[4].slice(0, -4)) ?? -1);
      cur = {
        thread: m[1] === undefined ? 0 : Number(m[1]),
        status: m[2],
        heartbeat: Number(m[3]),
        lastBeatAgoMs: ago,
        connsCur: 0,
        connsTotal: 0,
        reqsTotal: 0,
        heapUsed: 0,
        curConn: 0,
        curStream: 0,
        restarts: 0,
      };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if ((m = /^\s+conns=(\d+) conns_total=(\d+) reqs_total=(\d+) heap_used=([\d.]+)MB restarts=(\d+)/.exec(line))) {
      cur.connsCur = Number(m[1]);
      cur.connsTotal = Number(m[2]);
      cur.reqsTotal = Number(m[3]);
      cur.heapUsed = Math.round(Number(m[4]) * 1048576);
      cur.restarts = Number(m[5]);
    } else if ((m = /^\s+handling: (.*)$/.exec(line))) {
      const s = /\bstream (0x[0-9a-f]+)/.exec(m[1]);
      const c = /\b(?:conn|quic_conn|peer) (0x[0-9a-f]+)/.exec(m[1]);
      cur.curStream = s ? parseInt(s[1].slice(2), 16) : 0;
      cur.curConn = c ? parseInt(c[1].slice(2), 16) : 0;
    }
  }
  return out;
}

/**
 * `show pools` lines as pool rows. The runtime sums every pool over the worker threads, so the rows
 * carry thread 0 (all threads); a pool with failed allocations is an offender.
 */
export function parseShowPools(text: string): PoolRow[] {
  const out: PoolRow[] = [];
  const re =
    /^\s+- Pool (\S+) \((\d+) bytes\) : (\d+) allocated \(\d+ bytes\), (\d+) used \(~(\d+) by thread caches\), needed_avg \d+, (\d+) failures, (\d+) users/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const failures = Number(m[6]);
    out.push({
      thread: 0,
      name: m[1],
      kind: /buf/.test(m[1]) ? 'buffer' : 'object',
      size: Number(m[2]),
      allocated: Number(m[3]),
      used: Number(m[4]),
      cached: Number(m[5]),
      failures,
      users: Number(m[7]),
      offender: failures > 0,
    });
  }
  return out;
}

const KINDS = new Set<string>(['stream', 'appctx', 'conn', 'quic_conn', 'peer']);

/** The `state=... exp=timer:left ` fields shared by sess and conns lines. */
function stateOf(line: string, now: number): Pick<LiveObject, 'state' | 'timer' | 'expires'> {
  const m = / state=(\S+) exp=(none|(\w+):(-?\S+))/.exec(line);
  if (!m) return {};
  if (m[2] === 'none') return { state: m[1], timer: 'none' as LiveObject['timer'], expires: 0 };
  return { state: m[1], timer: m[3] as LiveObject['timer'], expires: now + (parseDuration(m[4]) ?? 0) };
}

/** Common fields of an object line: age, calls, last event. */
function objectOf(id: number, kind: string, thread: number, info: string, line: string, now: number): LiveObject {
  const freed = / freed$/.test(line);
  const age = parseDuration(/ age=(\S+)/.exec(line)?.[1] ?? '') ?? 0;
  const calls = Number(/ calls=(\d+)/.exec(line)?.[1] ?? 0);
  const last = / last=(none|(\S+?)(?:\((.*?)\))? (\S+) ago)/.exec(line);
  const lastAgo = last && last[4] ? (parseDuration(last[4]) ?? 0) : 0;
  const lastEvent = now - lastAgo;
  const o: LiveObject = {
    id,
    kind: (KINDS.has(kind) ? kind : 'conn') as ObjKind,
    parentId: 0,
    thread,
    live: !freed,
    // A freed object's age is its lifetime (up to its last event).
    created: (freed ? lastEvent : now) - age,
    lastEvent,
    info,
    totalEvents: calls,
    log: last && last[2] ? [{ time: lastEvent, event: last[2] as LcLogEntry['event'], arg: Number(last[3] ?? 0) || 0 }] : [],
    ...stateOf(line, now),
  };
  return o;
}

/**
 * `show sess` lines (`0x1f: proto=stream tid=1 <info> age=2s calls=17 state=... last=... parent=0x1e`)
 * as objects, ages relative to `now`. Only the last event of the termination log is known.
 */
export function parseShowSess(text: string, now: number): LiveObject[] {
  const out: LiveObject[] = [];
  for (const line of text.split('\n')) {
    const m = /^(0x[0-9a-f]+): (?:proto=(\S+) )?tid=(\d+) (.*?)\s*age=/.exec(line);
    if (!m) continue;
    const kind = m[2] ?? /(?:^|\s)proto=(\S+)/.exec(m[4])?.[1] ?? 'stream';
    const o = objectOf(parseInt(m[1].slice(2), 16), kind, Number(m[3]), m[4], line, now);
    const parent = / parent=(0x[0-9a-f]+)/.exec(line);
    if (parent) o.parentId = parseInt(parent[1].slice(2), 16);
    out.push(o);
  }
  return out;
}

/** `show conns [all]` lines (`     0x1e : kind=conn tid=1 streams=2 age=... info=...`) as objects. */
export function parseShowConns(text: string, now: number): LiveObject[] {
  const out: LiveObject[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(0x[0-9a-f]+) : kind=(\S+) tid=(\d+) /.exec(line);
    if (!m) continue;
    const info = / info=(.*?)(?: freed)?$/.exec(line)?.[1] ?? '';
    out.push(objectOf(parseInt(m[1].slice(2), 16), m[2], Number(m[3]), info, line, now));
  }
  return out;
}

/** Trace records of `show events <ring>`, with the point registry they need (one point per distinct location). */
export interface ParsedEvents {
  rings: { ring: string; thread: number; records: RingRecord[] }[];
  points: Map<number, TracePointInfo[]>;
}

/**
 * `show events <ring>` trace lines (`<iso date> [tt|source|level|file:line] fn(): message c=<n> s=<n>`)
 * as records of one ring per thread; each distinct (source, level, place, function) becomes a point
 * whose template is the message itself (`{s}`), so the timeline decodes them as the proxy printed them.
 */
export function parseShowEvents(text: string, ring: string): ParsedEvents {
  const byThread = new Map<number, RingRecord[]>();
  const points = new Map<number, TracePointInfo[]>();
  const pointIds = new Map<string, number>();
  const re = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\+00:00 \[(\d+)\|([^|]*)\|([^|]*)\|([^\]]*)\] (?:(\S+?)\(\): )?(.*?)(?: c=(\d+) s=(\d+))?$/;
  let seq = 0;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const time = Date.parse(`${m[1]}Z`) + Number(m[2]) / 1000;
    const thread = Number(m[3]);
    const level = ((TRACE_LEVELS as readonly string[]).includes(m[5]) ? m[5] : 'developer') as TraceLevel;
    const where = m[6];
    const colon = where.lastIndexOf(':');
    const fn = m[7] ?? '?';
    const key = `${m[4]}|${level}|${where}|${fn}`;
    let list = points.get(thread);
    if (!list) points.set(thread, (list = []));
    let point = pointIds.get(`${thread}|${key}`);
    if (point === undefined) {
      point = list.length;
      pointIds.set(`${thread}|${key}`, point);
      list.push({ id: point, source: m[4], event: fn.replace(/^[a-z0-9]+_/, ''), level, fn, file: colon > 0 ? where.slice(0, colon) : where, line: colon > 0 ? Number(where.slice(colon + 1)) : 0, msg: '{s}' });
    }
    let recs = byThread.get(thread);
    if (!recs) byThread.set(thread, (recs = []));
    recs.push({ seq: seq++, time, thread, point, connId: Number(m[9] ?? 0), streamId: Number(m[10] ?? 0), args: [0, 0, 0], text: m[8] });
  }
  return { rings: [...byThread.entries()].sort((a, b) => a[0] - b[0]).map(([thread, records]) => ({ ring, thread, records })), points };
}

/**
 * The answer of `show sess <id>` (diag/render/sess.ts objectDetail: identity line, `info:`, ages,
 * `state=... exp=...`, `parent:`, `termination log: N events`, then one `+1.234s <event> [arg]` line
 * per kept event) as the object with its whole termination log, times relative to `now`; undefined
 * when the text is not such an answer (`Session not found: ...`).
 */
export function parseSessDetail(text: string, now: number): LiveObject | undefined {
  const lines = text.split('\n');
  const head = /^(0x[0-9a-f]+): \[([^\]]*)\] id=\d+ kind=(\S+) tid=(\d+) (live|freed)$/.exec(lines[0] ?? '');
  if (!head) return undefined;
  // The creation date the proxy printed (UTC, to the millisecond); the ages below are relative to
  // when it answered, which the poll's latency puts some milliseconds before `now`.
  const born = parseLogDate(head[2]);
  const live = head[5] === 'live';
  let info = '';
  let created = now;
  let lastEvent = now;
  let parentId = 0;
  let totalEvents = 0;
  let state: Pick<LiveObject, 'state' | 'timer' | 'expires'> = {};
  const rel: { sec: number; event: string; arg: number }[] = [];
  for (const line of lines.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = /^ {2}info: (.*)$/.exec(line))) info = m[1];
    else if ((m = /^ {2}age=(\S+) calls=(\d+)/.exec(line))) {
      created = now - (parseDuration(m[1]) ?? 0);
      totalEvents = Number(m[2]);
    } else if ((m = /^ {2}lived=(\S+) freed=(\S+) ago calls=(\d+)/.exec(line))) {
      lastEvent = now - (parseDuration(m[2]) ?? 0);
      created = lastEvent - (parseDuration(m[1]) ?? 0);
      totalEvents = Number(m[3]);
    } else if (/^ {2}state=/.test(line)) state = stateOf(line.replace(/ \(expires .*\)$/, ''), now);
    else if ((m = /^ {2}parent: (0x[0-9a-f]+)/.exec(line))) parentId = parseInt(m[1].slice(2), 16);
    else if ((m = /^ {2}termination log: (\d+) event/.exec(line))) totalEvents = Number(m[1]);
    else if ((m = /^ {4}([+-]\d+\.\d{3})s (\S+)(?: (-?\d+))?$/.exec(line))) rel.push({ sec: Number(m[1]), event: m[2], arg: Number(m[3] ?? 0) });
  }
  if (born !== undefined) {
    lastEvent += born - created;
    created = born;
  }
  const log: LcLogEntry[] = rel.map((e) => ({ time: created + e.sec * 1000, event: e.event as LcLogEntry['event'], arg: e.arg }));
  if (live && log.length > 0) lastEvent = log[log.length - 1].time;
  return {
    id: parseInt(head[1].slice(2), 16),
    kind: (KINDS.has(head[3]) ? head[3] : 'conn') as ObjKind,
    parentId,
    thread: Number(head[4]),
    live,
    created,
    lastEvent,
    info,
    totalEvents,
    log,
    ...state,
  };
}
