/**
 * Syslog message framing of one `log` line (HAProxy configuration manual 4.2 "log"): priority,
 * header per `format`, and the `len` cut. Pure functions: the sinks (./sink.ts, ./logger-child.ts)
 * decide where the bytes go.
 *
 * - `raw`: the message only;
 * - `rfc3164`: `<PRI>Mmm dd hh:mm:ss tag[pid]: ` (RFC 3164 §4.1; like HAProxy, no hostname unless
 *   asked for);
 * - `rfc5424`: `<PRI>1 TIMESTAMP HOSTNAME tag PID - - ` (RFC 5424 §6).
 */
import type { LogConfig, SyslogFacility, SyslogLevel } from '../config/config.types.ts';
import { monthName } from './httplog.ts';

const FACILITIES: readonly SyslogFacility[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit', 'alert', 'cron2',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const LEVELS: readonly SyslogLevel[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const NL = Buffer.from('\n');

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
 * The PRI value (facility * 8 + severity, RFC 5424 §6.2.1) of a message at `severity` sent through
 * `cfg`: `minlevel` caps more severe messages; undefined when `severity` is less severe than
 * `cfg.level` (the message is not sent).
 */
export function syslogPri(cfg: LogConfig, severity: SyslogLevel): number | undefined {
  let sev = LEVELS.indexOf(severity);
  if (cfg.level !== undefined && sev > LEVELS.indexOf(cfg.level)) return undefined;
  if (cfg.minLevel !== undefined) sev = Math.max(sev, LEVELS.indexOf(cfg.minLevel));
  return FACILITIES.indexOf(cfg.facility) * 8 + sev;
}

/** The header `cfg.format` puts before a message with priority `pri` at `now` (epoch ms); empty for `raw`. */
export function syslogHeader(cfg: LogConfig, pri: number, now: number, id: SyslogIdentity): string {
  const d = new Date(now);
  if (cfg.format === 'rfc3164') {
    return (
      `<${pri}>${monthName(d.getMonth())} ${String(d.getDate()).padStart(2, ' ')} ` +
      `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${id.tag}[${id.pid}]: `
    );
  }
  if (cfg.format === 'rfc5424') {
    const ts =
      `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}` +
      `.${String(d.getMilliseconds() * 1000).padStart(6, '0')}${tzOffset(d)}`;
    return `<${pri}>1 ${ts} ${id.hostname || '-'} ${id.tag} ${id.pid} - - `;
  }
  return '';
}

/**
 * The message as sent to `cfg`'s target at `now` (epoch ms): header per `cfg.format`, cut to
 * `cfg.len - 1` bytes, and the `\n` HAProxy ends every message with. Undefined when `severity` is
 * less severe than `cfg.level` (the message is not sent).
 */
export function formatSyslog(cfg: LogConfig, msg: string, severity: SyslogLevel, now: number, id: SyslogIdentity): Buffer | undefined {
  const pri = syslogPri(cfg, severity);
  if (pri === undefined) return undefined;
  const b = Buffer.from(syslogHeader(cfg, pri, now, id) + msg, 'latin1');
  const max = Math.max(0, cfg.len - 1);
  return Buffer.concat([b.length > max ? b.subarray(0, max) : b, NL]);
}
