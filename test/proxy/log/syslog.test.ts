import { describe, expect, it } from 'vitest';
import type { LogConfig } from '../../../proxy/config/config.types.ts';
import { formatSyslog, syslogHeader, syslogPri } from '../../../proxy/log/syslog.ts';

const ID = { tag: 'haproxy', pid: 14389, hostname: 'lb1' };
const T = new Date(2009, 1, 6, 12, 14, 14, 655).getTime();
const cfg = (over: Partial<LogConfig>): LogConfig => ({
  file: 't.cfg',
  line: 1,
  address: { kind: 'stdout' },
  len: 1024,
  format: 'rfc3164',
  facility: 'local0',
  level: undefined,
  minLevel: undefined,
  ...over,
});
// Every message ends with HAProxy's '\n'.
const text = (b: Buffer | undefined) => {
  const t = b?.toString('latin1');
  if (t !== undefined) expect(t.endsWith('\n')).toBe(true);
  return t?.slice(0, -1);
};

describe('syslog message formats (log ... format raw|rfc3164|rfc5424)', () => {
  it('raw sends the message only', () => {
    expect(text(formatSyslog(cfg({ format: 'raw' }), 'hello', 'info', T, ID))).toBe('hello');
  });

  it('rfc3164: <PRI>Mmm dd hh:mm:ss tag[pid]: with a space-padded day (PRI = facility*8 + severity)', () => {
    // local0 = 16, info = 6: 134.
    expect(text(formatSyslog(cfg({}), 'hello', 'info', T, ID))).toBe('<134>Feb  6 12:14:14 haproxy[14389]: hello');
    expect(text(formatSyslog(cfg({ facility: 'local7' }), 'x', 'err', T, ID))).toBe('<187>Feb  6 12:14:14 haproxy[14389]: x');
  });

  it('rfc5424: <PRI>1 TIMESTAMP HOSTNAME APP PID - - MSG with microseconds and the UTC offset', () => {
    const m = text(formatSyslog(cfg({ format: 'rfc5424' }), 'hello', 'info', T, ID))!;
    expect(m).toMatch(/^<134>1 2009-02-06T12:14:14\.655000[+-]\d\d:\d\d lb1 haproxy 14389 - - hello$/);
  });

  it('len cuts the whole message, header and final newline included', () => {
    expect(formatSyslog(cfg({ len: 80 }), 'x'.repeat(200), 'info', T, ID)!.length).toBe(80);
    expect(text(formatSyslog(cfg({ format: 'raw', len: 80 }), 'y'.repeat(100), 'info', T, ID))).toBe('y'.repeat(79));
    expect(text(formatSyslog(cfg({ format: 'raw', len: 80 }), 'short', 'info', T, ID))).toBe('short');
  });

  it('level drops less severe messages; minlevel caps more severe ones', () => {
    expect(formatSyslog(cfg({ level: 'notice' }), 'm', 'info', T, ID)).toBeUndefined();
    expect(formatSyslog(cfg({ level: 'notice' }), 'm', 'err', T, ID)).toBeDefined();
    // err (3) capped to notice (5): local0 -> 133.
    expect(text(formatSyslog(cfg({ minLevel: 'notice', format: 'rfc3164' }), 'm', 'err', T, ID))).toBe('<133>Feb  6 12:14:14 haproxy[14389]: m');
  });
});

describe('syslog priority and header', () => {
  it('PRI is facility * 8 + severity, after level filtering and minlevel capping', () => {
    expect(syslogPri(cfg({}), 'info')).toBe(134);
    expect(syslogPri(cfg({ facility: 'kern' }), 'emerg')).toBe(0);
    expect(syslogPri(cfg({ facility: 'local7' }), 'debug')).toBe(191);
    expect(syslogPri(cfg({ level: 'err' }), 'info')).toBeUndefined();
    expect(syslogPri(cfg({ minLevel: 'warning' }), 'emerg')).toBe(132);
  });

  it('the header of each format, empty for raw', () => {
    expect(syslogHeader(cfg({}), 134, T, ID)).toBe('<134>Feb  6 12:14:14 haproxy[14389]: ');
    expect(syslogHeader(cfg({ format: 'raw' }), 134, T, ID)).toBe('');
    expect(syslogHeader(cfg({ format: 'rfc5424' }), 134, T, { ...ID, hostname: '' })).toMatch(/^<134>1 2009-02-06T12:14:14\.655000[+-]\d\d:\d\d - haproxy 14389 - - $/);
  });
});
