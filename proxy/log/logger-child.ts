/**
 * UNIX datagram log targets (`log /dev/log local0`, `log unix@<path> ...`; HAProxy configuration
 * manual 4.2 "log") through util-linux `logger`: Node has no AF_UNIX SOCK_DGRAM sockets, and
 * `logger` (package bsdutils, Essential on Debian) sends datagrams to a UNIX socket.
 *
 * One long-lived child per target and worker thread:
 *
 *   logger --socket=<path> -d --prio-prefix --socket-errors=on -s --tag=haproxy --id=<pid>
 *          --size <len> [--rfc5424=notq]
 *
 * fed one `<PRI>message\n` line per message on its stdin. For a local socket `logger` writes
 * `<PRI>Mmm dd hh:mm:ss haproxy[pid]: message`, HAProxy's rfc3164 header for UNIX targets, and with
 * `--rfc5424=notq` `<PRI>1 TIMESTAMP HOSTNAME haproxy PID - - message`, HAProxy's rfc5424 one.
 * Differences from HAProxy: the time is taken by `logger` when it sends, the datagram has no final
 * `\n`, and `format raw` cannot be sent (`logger` always writes a header; the configuration check
 * refuses that combination). `len` cuts as for other targets: header plus message fit in `len - 1`
 * bytes (`--size` is set so that `logger` never splits a message).
 *
 * Accounting: `-s` makes `logger` echo each message on its stderr once it handed it to the socket,
 * so `sent` counts those echoes; a `send message failed` warning turns the next echo into a drop.
 * When the child exits (the socket is gone, `logger` missing, killed) the lines it had not echoed
 * are counted in `drops`, as are lines offered while it is down or while its pipe holds more than
 * `maxPending` bytes. A dead child is replaced on the next message once its backoff (doubling from
 * `backoffMin` to `backoffMax`, reset by a delivered message) has passed. Nothing here throws into
 * the caller. `close()` ends the child's stdin: `logger` sends what it has read and exits; one still
 * running a second later is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { LogConfig, SyslogLevel } from '../config/config.types.ts';
import { syslogHeader, syslogPri, type SyslogIdentity } from './syslog.ts';

/** First delay before replacing a dead `logger`, ms. */
export const LOGGER_BACKOFF_MIN = 100;
/** Longest delay before replacing a dead `logger`, ms. */
export const LOGGER_BACKOFF_MAX = 10_000;
/** How long `close()` waits for `logger` to exit after the end of its input before killing it, ms. */
const CLOSE_GRACE = 1000;
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * The `logger` executable found in `pathEnv` (a PATH value, default this process's), or undefined
 * when there is none (the configuration check reports UNIX log targets then).
 */
export function findLogger(pathEnv: string = process.env.PATH ?? DEFAULT_PATH): string | undefined {
  for (const dir of pathEnv.split(':')) {
    if (dir === '') continue;
    const f = join(dir, 'logger');
    try {
      accessSync(f, constants.X_OK);
      if (statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The arguments `logger` runs with for `cfg`'s UNIX socket `path`. */
export function loggerArgs(cfg: LogConfig, path: string, id: SyslogIdentity): string[] {
  const args = [`--socket=${path}`, '-d', '--prio-prefix', '--socket-errors=on', '-s', `--tag=${id.tag}`, `--id=${id.pid}`, '--size', String(cfg.len)];
  if (cfg.format === 'rfc5424') args.push('--rfc5424=notq');
  return args;
}

/**
 * The stdin line for `logger` of `msg` at `severity`: `<PRI>` then the message, cut so that the
 * header `logger` adds (same length as {@link syslogHeader}'s) and the message fit in `cfg.len - 1`
 * bytes, then `\n`. Line feeds inside the message become spaces (a line is one message). Undefined
 * when the level filters the message out.
 */
export function loggerLine(cfg: LogConfig, msg: string, severity: SyslogLevel, now: number, id: SyslogIdentity): Buffer | undefined {
  const pri = syslogPri(cfg, severity);
  if (pri === undefined) return undefined;
  const header = Buffer.byteLength(syslogHeader(cfg, pri, now, id), 'latin1');
  const body = Buffer.from(msg, 'latin1');
  const max = Math.max(0, cfg.len - 1 - header);
  const cut = body.length > max ? body.subarray(0, max) : body;
  for (let i = 0; i < cut.length; i++) if (cut[i] === 0x0a) cut[i] = 0x20;
  return Buffer.concat([Buffer.from(`<${pri}>`, 'latin1'), cut, Buffer.from('\n')]);
}

/** Tuning of a `logger` child (tests shorten the backoff or point at another executable). */
export interface LoggerChildOptions {
  /** The executable; default: `logger` found in PATH. */
  command?: string;
  backoffMin?: number;
  backoffMax?: number;
  /** Bytes queued in the child's stdin beyond which new lines are dropped. */
  maxPending?: number;
  /** Where a failure streak is reported once (default: a `[WARNING]` line on stderr). */
  warn?: (msg: string) => void;
}

/** A target that takes whole lines (already framed by {@link loggerLine}). */
export interface LineTarget {
  /** Hands `lines` to the child; never throws, never blocks. */
  write(lines: readonly Buffer[]): void;
  /** Lines lost so far. */
  readonly drops: number;
  /** Lines `logger` reported as sent to the socket. */
  readonly sent: number;
  /** The running child's pid, undefined while there is none. */
  readonly pid: number | undefined;
  /** Ends the child's input (it sends what it read, then exits) and never starts another. */
  close(): void;
}

interface Child {
  proc: ChildProcess;
  /** Lines written to it. */
  written: number;
  /** Lines it echoed (sent or failed). */
  processed: number;
  /** `send message failed` warnings not yet matched with their echo. */
  failed: number;
  lastError: string;
  dead: boolean;
}

/** The `logger` child of one UNIX log target (`path`), spawned on the first line. */
export function createLoggerChild(cfg: LogConfig, path: string, id: SyslogIdentity, opts: LoggerChildOptions = {}): LineTarget {
  const command = opts.command ?? findLogger() ?? 'logger';
  const min = opts.backoffMin ?? LOGGER_BACKOFF_MIN;
  const max = opts.backoffMax ?? LOGGER_BACKOFF_MAX;
  const maxPending = opts.maxPending ?? 1 << 20;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`[WARNING]  (${process.pid}) : ${m}\n`));
  const where = `log ${path} (${cfg.file}:${cfg.line})`;
  let child: Child | undefined;
  let drops = 0;
  let sent = 0;
  let backoff = min;
  let respawnAt = 0;
  let closed = false;
  /** A failure was reported and nothing was delivered since: stay quiet. */
  let failing = false;

  function onStderr(c: Child, text: string): void {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('<')) {
        c.processed++;
        if (c.failed > 0) {
          c.failed--;
          drops++;
        } else {
          sent++;
          failing = false;
          backoff = min;
        }
      } else {
        c.lastError = line;
        if (line.includes('send message failed')) c.failed++;
      }
    }
  }

  /** A child stopped (or could not start) having lost `lost` lines: schedule the next one. */
  function stopped(lost: number, why: string): void {
    drops += lost;
    if (closed) return;
    respawnAt = performance.now() + backoff;
    if (!failing) {
      failing = true;
      warn(`${where}: '${command}' stopped (${why}); ${lost} log line(s) lost, restarting it in ${backoff} ms.`);
    }
    backoff = Math.min(backoff * 2, max);
  }

  function onClose(c: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.dead) return;
    c.dead = true;
    if (child === c) child = undefined;
    stopped(Math.max(0, c.written - c.processed), c.lastError || (signal ? `killed by ${signal}` : `exit code ${code}`));
  }

  function start(): Child | undefined {
    let proc: ChildProcess;
    try {
      proc = spawn(command, loggerArgs(cfg, path, id), { stdio: ['pipe', 'ignore', 'pipe'] });
    } catch (err) {
      stopped(0, (err as Error).message);
      return undefined;
    }
    const c: Child = { proc, written: 0, processed: 0, failed: 0, lastError: '', dead: false };
    proc.on('error', (err) => {
      c.lastError = err.message;
    });
    proc.on('close', (code, signal) => onClose(c, code, signal));
    proc.stdin!.on('error', () => {
      // EPIPE once logger is gone: its 'close' accounts for the lost lines.
    });
    proc.stderr!.setEncoding('latin1');
    let partial = '';
    proc.stderr!.on('data', (d: string) => {
      const text = partial + d;
      const end = text.lastIndexOf('\n');
      partial = text.slice(end + 1);
      if (end >= 0) onStderr(c, text.slice(0, end));
    });
    // The target must not keep a stopping worker alive: its stdin is ended by close().
    proc.unref();
    (proc.stdin as Socket).unref?.();
    (proc.stderr as Socket).unref?.();
    return c;
  }

  return {
    write(lines) {
      if (lines.length === 0) return;
      if (closed) {
        drops += lines.length;
        return;
      }
      if (!child) {
        if (performance.now() < respawnAt) {
          drops += lines.length;
          return;
        }
        child = start();
        if (!child) {
          drops += lines.length;
          return;
        }
      }
      const stdin = child.proc.stdin!;
      if (child.dead || stdin.destroyed || stdin.writableLength > maxPending) {
        drops += lines.length;
        return;
      }
      try {
        stdin.write(Buffer.concat(lines));
        child.written += lines.length;
      } catch {
        drops += lines.length;
      }
    },
    get drops() {
      return drops;
    },
    get sent() {
      return sent;
    },
    get pid() {
      return child && !child.dead ? child.proc.pid : undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      const c = child;
      if (!c || c.dead) return;
      try {
        c.proc.stdin!.end();
      } catch {
        // already gone
      }
      setTimeout(() => {
        if (!c.dead) c.proc.kill('SIGTERM');
      }, CLOSE_GRACE).unref();
    },
  };
}
