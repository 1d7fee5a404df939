/**
 * `show sess` and `show conns`, over a RecorderSource (live process or snapshot), in the spirit of
 * HAProxy's `show sess` (management.txt "show sess [<id> | all]") and `show fd`: one line per object,
 * or every detail of one object with its termination log. Also the small formatting helpers the
 * other renderers share (ids, ages, dates).
 */
import type { LiveObject } from '../lifecycle.types.ts';
import { RenderError } from '../views.ts';
import type { RecorderSource } from '../views.types.ts';

/** An object id as the views print it: `0x` and lowercase hex (HAProxy prints stream pointers so). */
export function hexId(id: number): string {
  return `0x${id.toString(16)}`;
}

/**
 * HAProxy's human_time(): `42s`, `3m05s`, `2h07m`, `4d03h` (seconds rounded down).
 */
export function humanTime(sec: number): string {
  const t = Math.max(0, Math.floor(sec));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h${String(Math.floor(t / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(t / 86400)}d${String(Math.floor(t / 3600) % 24).padStart(2, '0')}h`;
}

/** A duration in milliseconds: `12ms` below a second, `3.4s` below a minute, then {@link humanTime}. */
export function formatMs(ms: number): string {
  const v = Math.max(0, Math.round(ms));
  if (v < 1000) return `${v}ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)}s`;
  return humanTime(v / 1000);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** HAProxy's log date, in UTC: `[21/Mar/2025:10:00:00.123]`. */
export function formatLogDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `[${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}]`
  );
}

/** Epoch ms of a date as {@link formatLogDate} prints it, without brackets (`21/Mar/2025:10:00:00.123`), or undefined. */
export function parseLogDate(s: string): number | undefined {
  const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\.(\d{3})$/.exec(s);
  const month = m ? MONTHS.indexOf(m[2]) : -1;
  if (!m || month < 0) return undefined;
  return Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]));
}

/** Seconds with millisecond precision and a sign: `+1.234s`. */
function relSec(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)}s`;
}

/** Kinds `show sess` lists (the others are connections, listed by `show conns`). */
const SESS_KINDS = new Set(['stream', 'appctx']);
/** Kinds `show conns` lists. */
const CONN_KINDS = new Set(['conn', 'quic_conn', 'peer']);

/** `proto=<kind> ` unless the object's description already names its protocol. */
function protoField(o: LiveObject): string {
  return /(^|\s)proto=/.test(o.info) ? '' : `proto=${o.kind} `;
}

function lastEvent(o: LiveObject, now: number): string {
  const e = o.log[o.log.length - 1];
  if (!e) return 'last=none';
  return `last=${e.event}${e.arg ? `(${e.arg})` : ''} ${formatMs(now - e.time)} ago`;
}

/**
 * Time left on a timer, as HAProxy's `exp=` prints it: `850ms` below a second, then
 * {@link humanTime} (`29s`, `3m05s`); an overdue timer gets a minus sign (`-1s`), which is worth a look.
 */
export function timeLeft(ms: number): string {
  const v = Math.round(ms);
  const a = Math.abs(v);
  return `${v < 0 ? '-' : ''}${a < 1000 ? `${a}ms` : humanTime(a / 1000)}`;
}

/**
 * `state=<name> exp=<timer>:<left> ` (or `exp=none `) for objects that record them, '' for objects
 * read from a table or snapshot written before they were recorded.
 */
export function stateFields(o: LiveObject, now: number): string {
  if (o.state === undefined) return '';
  const exp = o.timer && o.timer !== 'none' ? `${o.timer}:${timeLeft((o.expires ?? 0) - now)}` : 'none';
  return `state=${o.state} exp=${exp} `;
}

/**
 * One `show sess` line:
 * `0x1f: proto=stream tid=1 <info> age=2s calls=17 state=waiting-response exp=server:29s last=response(200) 12ms ago parent=0x1e`.
 */
export function sessLine(o: LiveObject, now: number): string {
  const info = o.info ? `${o.info} ` : '';
  const parent = o.parentId ? ` parent=${hexId(o.parentId)}` : '';
  const age = humanTime(((o.live ? now : o.lastEvent) - o.created) / 1000);
  return `${hexId(o.id)}: ${protoField(o)}tid=${o.thread} ${info}age=${age} calls=${o.totalEvents} ${stateFields(o, now)}${lastEvent(o, now)}${parent}${o.live ? '' : ' freed'}`;
}

/** One `show conns` line, `show fd` style: `     0x1e : kind=conn tid=1 streams=2 age=2s calls=5 state=... exp=... last=... info=...`. */
export function connLine(o: LiveObject, children: number, now: number): string {
  const age = humanTime(((o.live ? now : o.lastEvent) - o.created) / 1000);
  return (
    `${hexId(o.id).padStart(10)} : kind=${o.kind} tid=${o.thread} streams=${children} age=${age} ` +
    `calls=${o.totalEvents} ${stateFields(o, now)}${lastEvent(o, now)}${o.info ? ` info=${o.info}` : ''}${o.live ? '' : ' freed'}`
  );
}

/** Short reference to an object in another object's detail: `0x1e conn (src=... ) live`. */
function objRef(o: LiveObject | undefined, id: number): string {
  if (!o) return `${hexId(id)} (not in the live-object table)`;
  return `${hexId(o.id)} ${o.kind}${o.info ? ` (${o.info})` : ''} ${o.live ? 'live' : 'freed'}`;
}

/**
 * The termination log of an object, one line per kept event, times relative to its creation; a
 * line says how many events were not kept between the first 4 and the last 12.
 */
export function terminationLog(o: LiveObject, indent = '    '): string[] {
  const base = o.created > 0 ? o.created : (o.log[0]?.time ?? 0);
  const out: string[] = [];
  const kept = o.log.length;
  const lost = o.totalEvents - kept;
  o.log.forEach((e, i) => {
    if (i === 4 && lost > 0) out.push(`${indent}... ${lost} event${lost === 1 ? '' : 's'} not kept ...`);
    out.push(`${indent}${relSec(e.time - base)} ${e.event}${e.arg ? ` ${e.arg}` : ''}`);
  });
  return out;
}

/**
 * Every detail of one object: identity, description, times, its state and timer (when recorded),
 * parent and children, and its termination log. `all` is the object table the parent and children are looked up in.
 */
export function objectDetail(o: LiveObject, all: readonly LiveObject[], now: number): string[] {
  const lines = [`${hexId(o.id)}: ${formatLogDate(o.created)} id=${o.id} kind=${o.kind} tid=${o.thread} ${o.live ? 'live' : 'freed'}`];
  if (o.info) lines.push(`  info: ${o.info}`);
  const age = o.live
    ? `age=${formatMs(now - o.created)}`
    : `lived=${formatMs(o.lastEvent - o.created)} freed=${formatMs(now - o.lastEvent)} ago`;
  lines.push(`  ${age} calls=${o.totalEvents} ${lastEvent(o, now)}`);
  if (o.state !== undefined) lines.push(`  ${stateFields(o, now).trimEnd()}${o.timer && o.timer !== 'none' ? ` (expires ${formatLogDate(o.expires ?? 0)})` : ''}`);
  if (o.parentId) lines.push(`  parent: ${objRef(all.find((x) => x.id === o.parentId), o.parentId)}`);
  const children = all.filter((x) => x.parentId === o.id);
  if (children.length > 0) lines.push(`  children: ${children.map((c) => objRef(c, c.id)).join(', ')}`);
  const kept = o.log.length < o.totalEvents ? `, first ${Math.min(4, o.log.length)} and last ${Math.max(0, o.log.length - 4)} kept` : '';
  lines.push(`  termination log: ${o.totalEvents} event${o.totalEvents === 1 ? '' : 's'}${kept}`);
  lines.push(...terminationLog(o));
  return lines;
}

/** Parses an object id as `show sess` prints it (`0x1f`) or in decimal; undefined if neither. */
export function parseObjectId(s: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^\d+$/.test(s)) return Number(s);
  return undefined;
}

/**
 * `show sess [all | <id>]`:
 *   - no argument: one line per live stream (and applet), oldest id first, with its state and the
 *     timer it waits on (`state=waiting-response exp=server:29s`);
 *   - `all`: every live object (streams, connections, ...) in detail;
 *   - `<id>` (`0x1f` or decimal): that object in detail, live or recently freed, with its
 *     termination log. Throws RenderError for an unknown or malformed id.
 */
export function renderShowSess(src: RecorderSource, args: readonly string[] = []): string {
  const now = src.now();
  const arg = args[0];
  if (arg === undefined || arg === '') {
    return src
      .objects(false)
      .filter((o) => SESS_KINDS.has(o.kind))
      .map((o) => sessLine(o, now) + '\n')
      .join('');
  }
  if (arg === 'all') {
    const all = src.objects(true);
    return all
      .filter((o) => o.live)
      .flatMap((o) => objectDetail(o, all, now))
      .map((l) => l + '\n')
      .join('');
  }
  const id = parseObjectId(arg);
  if (id === undefined) {
    throw new RenderError(`Invalid session id '${arg}': give it as 'show sess' prints it (0x1f) or in decimal, or use 'show sess all'.`);
  }
  const all = src.objects(true);
  const o = all.find((x) => x.id === id);
  if (!o) {
    throw new RenderError(
      `Session not found: no object ${hexId(id)} among the live and recently freed objects; ` +
        `'show sess' lists the live streams, 'show conns' the connections.`,
    );
  }
  return objectDetail(o, all, now).map((l) => l + '\n').join('');
}

/**
 * `show conns`: one line per live connection (HTTP, QUIC, peer), `show fd` style, with the number
 * of objects attached to it. `all` also lists recently freed ones.
 */
export function renderShowConns(src: RecorderSource, args: readonly string[] = []): string {
  const now = src.now();
  const all = src.objects(true);
  const withFreed = args[0] === 'all';
  return all
    .filter((o) => CONN_KINDS.has(o.kind) && (o.live || withFreed))
    .map((o) => connLine(o, all.filter((x) => x.parentId === o.id && x.live).length, now) + '\n')
    .join('');
}
