/**
 * HAProxy's traffic log lines, built from what a stream recorded (StreamLog):
 *
 * - `option httplog`: HAProxy configuration manual 8.2.3 "HTTP log format", i.e. the log-format
 *   `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r`
 *   (no captures here, so `%CC %CS` print `- -` and `%hr %hs` nothing);
 * - `option httplog clf`: the same facts in the Common Log Format variant (8.2.3, and 8.2.4 "the
 *   default CLF format"), i.e. the log-format
 *   `%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl`;
 * - no option (8.2.1 "Default log format"): one `Connect from <ip>:<port> to <ip>:<port> (<fe>/HTTP)`
 *   line per accepted connection.
 *
 * Pure functions over a record and a time: the caller decides when a line is due and where it goes
 * (proxy/log/sink.ts).
 */
import type { HttpLogFormat } from '../config/config.types.ts';

/** What a stream recorded for its log line (HAProxy's log-format variables named in brackets). */
export interface StreamLog {
  /** `%ci` / `%cp`. */
  clientIp: string;
  clientPort: number;
  /** `%tr`: when the first byte of the request was received (epoch ms). */
  start: number;
  /** `%ft` (without the `~`). */
  frontend: string;
  /** `~` after the frontend name when the connection is SSL. */
  ssl: boolean;
  /** `%b`: the backend, or undefined when none was chosen (the frontend's name is logged). */
  backend: string | undefined;
  /** `%s`: the server, or undefined when none (logged `<NOSRV>`). */
  server: string | undefined;
  /** `%TR`: ms to receive the complete request head; -1 when it never was. */
  tR: number;
  /** `%Tw`: ms waiting in queues for a server slot; -1 when the stream never got one. */
  tw: number;
  /** `%Tc`: ms to establish the server connection; -1 when never connected. */
  tc: number;
  /** `%Tr`: ms from server connection to the response head; -1 when no response head came. */
  tr: number;
  /** `%Ta`: ms from `start` to the end of the stream. */
  ta: number;
  /** `%ST`: HTTP status sent to the client; -1 when none. */
  status: number;
  /** `%B`: bytes sent to the client (headers included). */
  bytes: number;
  /** First two characters of `%tsc` (cause, then stream state); HAProxy's codes, `--` when normal. */
  termination: string;
  /** `%ac` `%fc` `%bc` `%sc` `%rc`: active connections (process, frontend, backend, server), retries. */
  actconn: number;
  feconn: number;
  beconn: number;
  srvConn: number;
  retries: number;
  /** The stream was redispatched to another server: `%rc` gets a `+` prefix. */
  redispatched: boolean;
  /** `%sq` / `%bq`: requests ahead of this one in the server's / backend's queue. */
  srvQueue: number;
  backendQueue: number;
  /** `%r` as received (`METHOD target HTTP/x.y`), undefined for a request that could not be parsed (`<BADREQ>`). */
  requestLine: string | undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const p2 = (n: number) => String(n).padStart(2, '0');
const p3 = (n: number) => String(n).padStart(3, '0');

/** Month abbreviation used by HAProxy's dates and RFC 3164 timestamps (0 = Jan). */
export function monthName(m: number): string {
  return MONTHS[m]!;
}

/** HAProxy's accept date `%tr`: `06/Feb/2009:12:14:14.655`, local time. */
export function formatAcceptDate(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${p3(d.getMilliseconds())}`;
}

/**
 * Escapes a logged request line as HAProxy does for `%{+Q}r`: `"`, `#`, control characters and
 * bytes outside printable ASCII become `#XX` (hex), so a line can never be split or unquoted.
 */
export function escapeLogString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x23) out += '#' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0');
    else out += s[i];
  }
  return out;
}

/**
 * HAProxy's HTTP log line for one finished stream: `option httplog` (configuration manual 8.2.3)
 * by default, or its CLF variant ({@link formatClfLog}) when `format` is `clf`.
 */
export function formatHttpLog(r: StreamLog, format: HttpLogFormat = 'httplog'): string {
  if (format === 'clf') return formatClfLog(r);
  const be = r.backend ?? r.frontend;
  const srv = r.server ?? '<NOSRV>';
  const term = termState(r.termination);
  const req = r.requestLine === undefined ? '<BADREQ>' : escapeLogString(r.requestLine);
  return (
    `${r.clientIp}:${r.clientPort} [${formatAcceptDate(r.start)}] ${r.frontend}${r.ssl ? '~' : ''} ${be}/${srv} ` +
    `${r.tR}/${r.tw}/${r.tc}/${r.tr}/${r.ta} ${r.status} ${r.bytes} - - ${term} ` +
    `${r.actconn}/${r.feconn}/${r.beconn}/${r.srvConn}/${r.redispatched ? '+' : ''}${r.retries} ${r.srvQueue}/${r.backendQueue} "${req}"`
  );
}

/** `%tsc`: the two recorded characters (padded with `-`) and `--` for the cookie status (no cookies here). */
function termState(t: string): string {
  return (t + '--').slice(0, 2) + '--';
}

/** HAProxy's `%trg` (gmt2str_log()): `10/Oct/2000:13:55:36 +0000`, UTC, as the Common Log Format writes dates. */
export function formatClfDate(ms: number): string {
  const d = new Date(ms);
  return (
    `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`
  );
}

/**
 * HAProxy's CLF HTTP log line (`option httplog clf`, configuration manual 8.2.3; the log-format of
 * 8.2.4 "the default CLF format"):
 *
 *   `127.0.0.1 - - [22/Nov/2026:06:37:34 +0000] "GET /foo HTTP/1.1" 200 129 "" "" 49754 978 "fe" "be" "s1" 0 0 0 13 13 ---- 1 1 0 0 0 0 0 "" "" `
 *
 * `%{+Q}o` quotes every string field but `%ci` (request line, frontend, backend, server, and the
 * empty `%CC %CS` captures as `""`); numbers, `%trg` and `%tsc` are bare. `%ms` is the milliseconds
 * of the request's start (`start`), zero-padded to 3 digits. With no header captures `%hrl %hsl`
 * print nothing, and as in HAProxy 2.6 the line keeps the separator written before them: it ends
 * with one space (checked against HAProxy 2.6.12's output).
 */
export function formatClfLog(r: StreamLog): string {
  const be = r.backend ?? r.frontend;
  const srv = r.server ?? '<NOSRV>';
  const req = r.requestLine === undefined ? '<BADREQ>' : escapeLogString(r.requestLine);
  return (
    `${r.clientIp} - - [${formatClfDate(r.start)}] "${req}" ${r.status} ${r.bytes} "" "" ${r.clientPort} ` +
    `${p3(new Date(r.start).getMilliseconds())} "${r.frontend}${r.ssl ? '~' : ''}" "${be}" "${srv}" ` +
    `${r.tR} ${r.tw} ${r.tc} ${r.tr} ${r.ta} ${termState(r.termination)} ` +
    `${r.actconn} ${r.feconn} ${r.beconn} ${r.srvConn} ${r.redispatched ? '+' : ''}${r.retries} ${r.srvQueue} ${r.backendQueue} "" "" `
  );
}

/** HAProxy's default log line (configuration manual 8.2.1), emitted when a connection is accepted. */
export function formatConnectLog(client: string, clientPort: number, local: string, localPort: number, frontend: string): string {
  return `Connect from ${client}:${clientPort} to ${local}:${localPort} (${frontend}/HTTP)`;
}
