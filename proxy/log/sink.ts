/**
 * Where traffic log lines go: the `log <target> [len <n>] [format <f>] <facility> [<level>
 * [<minlevel>]]` lines of the configuration (HAProxy configuration manual 4.2 "log", 3.1 "log").
 *
 * - targets: `stdout` / `stderr` (one line per message) and `udp@host:port` / `host:port` (one
 *   datagram per message, RFC 5426); like HAProxy's, every message ends with `\n`. UNIX datagram sockets (`/dev/log`) are not supported: Node
 *   has no datagram UNIX sockets, and the configuration check reports such a line;
 * - formats: `raw` (the message only), `rfc3164` (`<PRI>Mmm dd hh:mm:ss haproxy[pid]: `, RFC 3164
 *   §4.1; like HAProxy, no hostname unless asked for) and `rfc5424` (`<PRI>1 TIMESTAMP HOSTNAME
 *   haproxy PID - - `, RFC 5424 §6);
 * - `len`: the whole message (header and final `\n` included) is cut to that many bytes;
 * - `level` drops less severe messages, `minlevel` caps more severe ones to that level.
 *
 * Sending never blocks the request path and never throws into the proxy: messages are queued and
 * flushed on the next turn of the event loop; a target that is slow (more than MAX_PENDING bytes
 * queued) or failing (send errors) loses messages, which are counted in `drops`.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { hostname as osHostname } from 'node:os';
import { isIPv6 } from 'node:net';
import type { LogConfig, SyslogFacility, SyslogLevel } from '../config/config.types.ts';
import { monthName } from './httplog.ts';

const FACILITIES: readonly SyslogFacility[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit', 'alert', 'cron2',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const NL = Buffer.from('\n');
const LEVELS: readonly SyslogLevel[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** Bytes queued for one target beyond which new messages are dropped (and counted). */
export const MAX_PENDING = 1 << 20;

/** What a syslog header needs besides the message (fixed in tests). */
export interface SyslogIdentity {
  tag: string;
  pid: number;
  hostname: string;
}

const p2 = (n: number) => String(n).padStart(2, '0');

function tzOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}:${p2(a % 60)}`;
}

/**
 * The message as sent to `cfg`'s target at `now` (epoch ms): header per `cfg.format`, cut to
 * `cfg.len - 1` bytes, and the `\n` HAProxy ends every message with. Undefined when `severity` is less severe than `cfg.level` (the message is not sent).
 */
export function formatSyslog(cfg: LogConfig, msg: string, severity: SyslogLevel, now: number, id: SyslogIdentity): Buffer | undefined {
  let sev = LEVELS.indexOf(severity);
  if (cfg.level !== undefined && sev > LEVELS.indexOf(cfg.level)) return undefined;
  if (cfg.minLevel !== undefined) sev = Math.max(sev, LEVELS.indexOf(cfg.minLevel));
  const pri = FACILITIES.indexOf(cfg.facility) * 8 + sev;
  const d = new Date(now);
  let header = '';
  if (cfg.format === 'rfc3164') {
    header =
      `<${pri}>${monthName(d.getMonth())} ${String(d.getDate()).padStart(2, ' ')} ` +
      `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${id.tag}[${id.pid}]: `;
  } else if (cfg.format === 'rfc5424') {
    const ts =
      `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}` +
      `.${String(d.getMilliseconds() * 1000).padStart(6, '0')}${tzOffset(d)}`;
    header = `<${pri}>1 ${ts} ${id.hostname || '-'} ${id.tag} ${id.pid} - - `;
  }
  const b = Buffer.from(header + msg, 'latin1');
  const max = Math.max(0, cfg.len - 1);
  return Buffer.concat([b.length > max ? b.subarray(0, max) : b, NL]);
}

/** One configured `log` target. */
export interface LogSink {
  /** Queues `msg` at `severity` (HAProxy logs traffic at `info`); never throws, never blocks. */
  send(msg: string, severity?: SyslogLevel, now?: number): void;
  /** Messages lost so far (target too slow, or failing). */
  readonly drops: number;
  /** Messages handed to the target so far. */
  readonly sent: number;
  /** Flushes what is queued, then releases the target (UDP socket). */
  close(): void;
}

/** Creates the sink of one `log` line. `id` defaults to `haproxy`, this process's pid and host name. */
export function createSink(cfg: LogConfig, id: SyslogIdentity = { tag: 'haproxy', pid: process.pid, hostname: osHostname() }): LogSink {
  let queue: Buffer[] = [];
  let queued = 0;
  let scheduled = false;
  let drops = 0;
  let sent = 0;
  let udp: DgramSocket | undefined;
  const addr = cfg.address;

  function writeStream(lines: Buffer[]): void {
    const out = addr.kind === 'stderr' ? process.stderr : process.stdout;
    if (out.writableLength > MAX_PENDING) {
      drops += lines.length;
      return;
    }
    try {
      out.write(Buffer.concat(lines));
      sent += lines.length;
    } catch {
      drops += lines.length;
    }
  }

  function sendUdp(lines: Buffer[]): void {
    if (addr.kind !== 'udp') return;
    try {
      if (!udp) {
        udp = createSocket(isIPv6(addr.host) ? 'udp6' : 'udp4');
        udp.on('error', () => {
          drops++;
        });
        udp.unref();
      }
      for (const l of lines) {
        udp.send(l, addr.port, addr.host, (err) => {
          if (err) drops++;
          else sent++;
        });
      }
    } catch {
      drops += lines.length;
    }
  }

  function flush(): void {
    scheduled = false;
    const lines = queue;
    queue = [];
    queued = 0;
    if (lines.length === 0) return;
    if (addr.kind === 'stdout' || addr.kind === 'stderr') writeStream(lines);
    else if (addr.kind === 'udp') sendUdp(lines);
    else drops += lines.length; // UNIX datagram sockets: not supported (gated by the config check)
  }

  return {
    send(msg, severity = 'info', now = Date.now()) {
      try {
        const b = formatSyslog(cfg, msg, severity, now, id);
        if (!b) return;
        if (queued + b.length > MAX_PENDING) {
          drops++;
          return;
        }
        queue.push(b);
        queued += b.length;
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      } catch {
        drops++;
      }
    },
    get drops() {
      return drops;
    },
    get sent() {
      return sent;
    },
    close() {
      flush();
      const u = udp;
      udp = undefined;
      if (u) setTimeout(() => u.close(), 100).unref();
    },
  };
}

/** The sinks of one proxy's `log` lines, sending each message to all of them. */
export interface Logger {
  send(msg: string, severity?: SyslogLevel): void;
  /** Total messages lost across the sinks. */
  drops(): number;
  close(): void;
}

/** Sinks for `logs` (one per line); undefined when there are none (nothing is logged). */
export function createLogger(logs: readonly LogConfig[], id?: SyslogIdentity): Logger | undefined {
  if (logs.length === 0) return undefined;
  const sinks = logs.map((l) => createSink(l, id));
  return {
    send(msg, severity = 'info') {
      const now = Date.now();
      for (const s of sinks) s.send(msg, severity, now);
    },
    drops: () => sinks.reduce((n, s) => n + s.drops, 0),
    close() {
      for (const s of sinks) s.close();
    },
  };
}
