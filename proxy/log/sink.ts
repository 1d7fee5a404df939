/**
 * Where traffic log lines go: the `log <target> [len <n>] [format <f>] <facility> [<level>
 * [<minlevel>]]` lines of the configuration (HAProxy configuration manual 4.2 "log", 3.1 "log").
 *
 * - targets: `stdout` / `stderr` (one line per message), `udp@host:port` / `host:port` (one
 *   datagram per message, RFC 5426) and UNIX datagram sockets (`/dev/log`, `unix@<path>`), reached
 *   through a util-linux `logger` child (./logger-child.ts: Node has no datagram UNIX sockets);
 *   like HAProxy's, every message ends with `\n` (except through `logger`, which sends none);
 * - formats (./syslog.ts): `raw` (the message only), `rfc3164` (`<PRI>Mmm dd hh:mm:ss haproxy[pid]: `,
 *   RFC 3164 §4.1; like HAProxy, no hostname unless asked for) and `rfc5424` (`<PRI>1 TIMESTAMP
 *   HOSTNAME haproxy PID - - `, RFC 5424 §6);
 * - `len`: the whole message (header and final `\n` included) is cut to that many bytes;
 * - `level` drops less severe messages, `minlevel` caps more severe ones to that level.
 *
 * Sending never blocks the request path and never throws into the proxy: messages are queued and
 * flushed on the next turn of the event loop; a target that is slow (more than MAX_PENDING bytes
 * queued) or failing (send errors, a `logger` child that died) loses messages, which are counted in
 * `drops`.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { hostname as osHostname } from 'node:os';
import { isIPv6 } from 'node:net';
import type { LogConfig, SyslogLevel } from '../config/config.types.ts';
import { createLoggerChild, loggerLine, type LineTarget, type LoggerChildOptions } from './logger-child.ts';
import { formatSyslog, type SyslogIdentity } from './syslog.ts';

export { formatSyslog, type SyslogIdentity } from './syslog.ts';

/** Bytes queued for one target beyond which new messages are dropped (and counted). */
export const MAX_PENDING = 1 << 20;

/** One configured `log` target. */
export interface LogSink {
  /** Queues `msg` at `severity` (HAProxy logs traffic at `info`); never throws, never blocks. */
  send(msg: string, severity?: SyslogLevel, now?: number): void;
  /** Messages lost so far (target too slow, or failing). */
  readonly drops: number;
  /** Messages handed to the target so far. */
  readonly sent: number;
  /** Flushes what is queued, then releases the target (UDP socket, `logger` child). */
  close(): void;
}

/** This process's syslog identity: tag `haproxy` (as HAProxy's default `log-tag`), pid and host name. */
export function defaultIdentity(): SyslogIdentity {
  return { tag: 'haproxy', pid: process.pid, hostname: osHostname() };
}

/**
 * Creates the sink of one `log` line. `id` defaults to {@link defaultIdentity}; `unix` tunes the
 * `logger` child of a UNIX socket target (tests).
 */
export function createSink(cfg: LogConfig, id: SyslogIdentity = defaultIdentity(), unix: LoggerChildOptions = {}): LogSink {
  let queue: Buffer[] = [];
  let queued = 0;
  let scheduled = false;
  let drops = 0;
  let sent = 0;
  let udp: DgramSocket | undefined;
  const addr = cfg.address;
  const child: LineTarget | undefined = addr.kind === 'unix' ? createLoggerChild(cfg, addr.path, id, { maxPending: MAX_PENDING, ...unix }) : undefined;
  const frame = child ? loggerLine : formatSyslog;

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
    else child!.write(lines);
  }

  return {
    send(msg, severity = 'info', now = Date.now()) {
      try {
        const b = frame(cfg, msg, severity, now, id);
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
      return drops + (child?.drops ?? 0);
    },
    get sent() {
      return sent + (child?.sent ?? 0);
    },
    close() {
      flush();
      child?.close();
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
export function createLogger(logs: readonly LogConfig[], id?: SyslogIdentity, unix?: LoggerChildOptions): Logger | undefined {
  if (logs.length === 0) return undefined;
  const sinks = logs.map((l) => createSink(l, id, unix));
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
