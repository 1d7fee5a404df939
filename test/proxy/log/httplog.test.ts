import { describe, expect, it } from 'vitest';
import { escapeLogString, formatAcceptDate, formatClfDate, formatClfLog, formatConnectLog, formatHttpLog, type StreamLog } from '../../../proxy/log/httplog.ts';

// Local-time constructor: the accept date is local time (as HAProxy's), so the test holds in any TZ.
const T0 = new Date(2009, 1, 6, 12, 14, 14, 655).getTime();

const base: StreamLog = {
  clientIp: '10.0.1.2',
  clientPort: 33317,
  start: T0,
  frontend: 'http-in',
  ssl: false,
  backend: 'static',
  server: 'srv1',
  tR: 10,
  tw: 0,
  tc: 30,
  tr: 69,
  ta: 109,
  status: 200,
  bytes: 2750,
  termination: '--',
  actconn: 1,
  feconn: 1,
  beconn: 1,
  srvConn: 1,
  retries: 0,
  redispatched: false,
  srvQueue: 0,
  backendQueue: 0,
  requestLine: 'GET /index.html HTTP/1.1',
};

describe('HAProxy HTTP log line (option httplog, manual 8.2.3)', () => {
  it("reproduces the manual's example line field for field", () => {
    expect(formatHttpLog(base)).toBe(
      '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"',
    );
  });

  it('answered by the proxy: frontend as backend, <NOSRV>, -1 timers, the termination code padded to 4', () => {
    const line = formatHttpLog({ ...base, backend: undefined, server: undefined, tw: -1, tc: -1, tr: -1, status: 403, bytes: 192, termination: 'PR', beconn: 0, srvConn: 0 });
    expect(line).toBe('10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in http-in/<NOSRV> 10/-1/-1/-1/109 403 192 - - PR-- 1/1/0/0/0 0/0 "GET /index.html HTTP/1.1"');
  });

  it('marks SSL frontends with ~, redispatches with +, unparsable requests as <BADREQ>, status -1 when none', () => {
    const line = formatHttpLog({ ...base, ssl: true, retries: 2, redispatched: true, requestLine: undefined, status: -1, termination: 'CR' });
    expect(line).toContain(' http-in~ static/srv1 ');
    expect(line).toContain(' 1/1/1/1/+2 0/0 ');
    expect(line).toContain(' -1 2750 - - CR-- ');
    expect(line.endsWith('"<BADREQ>"')).toBe(true);
  });

  it('escapes quotes, # and control characters in the request line so it cannot break the line', () => {
    expect(escapeLogString('GET /a"b#c\r\nd HTTP/1.1')).toBe('GET /a#22b#23c#0D#0Ad HTTP/1.1');
    expect(formatHttpLog({ ...base, requestLine: 'GET /"x" HTTP/1.1' })).toMatch(/"GET \/#22x#22 HTTP\/1\.1"$/);
  });

  it('formats accept dates with zero-padded fields and milliseconds', () => {
    expect(formatAcceptDate(new Date(2026, 0, 2, 3, 4, 5, 7).getTime())).toBe('02/Jan/2026:03:04:05.007');
  });

  it("writes HAProxy's default (no option) connect line", () => {
    expect(formatConnectLog('10.0.1.2', 33312, '10.0.3.31', 8012, 'www')).toBe('Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)');
  });
});

describe('HAProxy CLF HTTP log line (option httplog clf, manual 8.2.3 / 8.2.4)', () => {
  // 10 Oct 2000 13:55:36.978 UTC: %trg is UTC, so this holds in any TZ.
  const T = Date.UTC(2000, 9, 10, 13, 55, 36, 978);
  const r: StreamLog = { ...base, clientIp: '127.0.0.1', clientPort: 49754, start: T, frontend: 'fe', backend: 'be', server: 's1', tR: 0, tw: 0, tc: 0, tr: 13, ta: 13, bytes: 129, requestLine: 'GET /foo?x=1 HTTP/1.1', beconn: 0, srvConn: 0 };

  it('writes %trg as the Common Log Format date, in UTC', () => {
    expect(formatClfDate(T)).toBe('10/Oct/2000:13:55:36 +0000');
    expect(formatClfDate(Date.UTC(2026, 0, 2, 3, 4, 5, 7))).toBe('02/Jan/2026:03:04:05 +0000');
  });

  it("matches HAProxy 2.6's line field for field: quoted strings but %ci, bare numbers, the trailing separator", () => {
    // The shape HAProxy 2.6.12 wrote for the same exchange with 'option httplog clf' and 'log stdout format raw'.
    const line = '127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /foo?x=1 HTTP/1.1" 200 129 "" "" 49754 978 "fe" "be" "s1" 0 0 0 13 13 ---- 1 1 0 0 0 0 0 "" "" ';
    expect(formatClfLog(r)).toBe(line);
    expect(formatHttpLog(r, 'clf')).toBe(line);
    // The default format is unchanged by the second argument.
    expect(formatHttpLog(r, 'httplog')).toBe(formatHttpLog(r));
  });

  it('answered by the proxy or unparsable: the frontend as backend, "<NOSRV>", "<BADREQ>", -1 timers', () => {
    const line = formatClfLog({ ...r, backend: undefined, server: undefined, tR: -1, tw: -1, tc: -1, tr: -1, ta: 0, status: 400, bytes: 0, termination: 'CR', requestLine: undefined, start: T + 32 - 978 });
    expect(line).toBe('127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "<BADREQ>" 400 0 "" "" 49754 032 "fe" "fe" "<NOSRV>" -1 -1 -1 -1 0 CR-- 1 1 0 0 0 0 0 "" "" ');
  });

  it('marks SSL frontends inside the quotes, redispatches with +, and escapes the request line', () => {
    const line = formatClfLog({ ...r, ssl: true, retries: 1, redispatched: true, requestLine: 'GET /"a" HTTP/1.1' });
    expect(line).toContain(' "GET /#22a#22 HTTP/1.1" ');
    expect(line).toContain(' "fe~" "be" "s1" ');
    expect(line).toContain(' 1 1 0 0 +1 0 0 ');
  });
});
