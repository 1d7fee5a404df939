import { describe, expect, it } from 'vitest';
import { parseLogAddress } from '../../../../proxy/config/sections/log.ts';
import { alerts, FRONTEND, parse, parseOk, warnings } from '../helpers.ts';

const D = 'defaults\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n';
const glob = (...lines: string[]) => `global\n${lines.map((l) => ` ${l}\n`).join('')}${FRONTEND}`;
const bad = (line: string) => alerts(parse(glob(line)));

describe('log in the global section', () => {
  it('reads address, len, format, facility and levels, with defaults', () => {
    const logs = parseOk(glob('log 127.0.0.1 local0', 'log stdout len 4096 format raw daemon', 'log /dev/log format rfc5424 user notice err')).global.logs;
    expect(logs).toEqual([
      { address: { kind: 'udp', host: '127.0.0.1', port: 514 }, len: 1024, format: 'rfc3164', facility: 'local0', level: undefined, minLevel: undefined, file: 't.cfg', line: 2 },
      { address: { kind: 'stdout' }, len: 4096, format: 'raw', facility: 'daemon', level: undefined, minLevel: undefined, file: 't.cfg', line: 3 },
      { address: { kind: 'unix', path: '/dev/log' }, len: 1024, format: 'rfc5424', facility: 'user', level: 'notice', minLevel: 'err', file: 't.cfg', line: 4 },
    ]);
  });
  it.each([
    ['log global', "'log' : 'log global' is only valid in proxy sections, where it copies the global section's log lines."],
    ['log', "'log' : missing address, expected 'log <address> [len <length>] [format rfc3164|rfc5424|raw] <facility> [<level> [<minlevel>]]'."],
    ['log stdout', "'log' : missing facility after 'stdout', expected 'log <address> [len <length>] [format rfc3164|rfc5424|raw] <facility> [<level> [<minlevel>]]' (e.g. 'log stdout format raw local0')."],
    ['log stdout local8', "'log' : unknown facility 'local8', expected one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, auth2, ftp, ntp, audit, alert, cron2, local0, local1, local2, local3, local4, local5, local6, local7."],
    ['log stdout local0 verbose', "'log' : unknown level 'verbose', expected one of emerg, alert, crit, err, warning, notice, info, debug."],
    ['log stdout local0 info err debug', "'log' : unexpected argument 'debug', expected 'log <address> [len <length>] [format rfc3164|rfc5424|raw] <facility> [<level> [<minlevel>]]'."],
    ['log stdout len 79 local0', "'log' : len: value '79' is out of range, expected an integer between 80 and 65535."],
    ['log stdout len local0', "'log' : len: invalid number 'local0', expected an integer between 80 and 65535."],
    ['log stdout format local0', "'log' : unknown format 'local0', expected one of rfc3164, rfc5424, raw."],
    ['log stdout format short local0', "'log' : format 'short' is not supported yet, expected rfc3164, rfc5424, raw."],
    ['log stdout format', "'log' : missing value after 'format'."],
    ['log stdout sample 1:2 local0', "'log' : 'sample' is not supported yet."],
    ['log ring@buf0 local0', "'log' : log address 'ring@buf0' is not supported yet, use stdout, stderr, a UNIX socket path or [udp@]<host>[:<port>]."],
    ['log tcp@10.0.0.1:514 local0', "'log' : log address 'tcp@10.0.0.1:514' is not supported yet, use stdout, stderr, a UNIX socket path or [udp@]<host>[:<port>]."],
    ['log 10.0.0.1:99999 local0', "'log' : port 99999 in '10.0.0.1:99999' is out of range, expected 1..65535."],
    ['log unix@ local0', "'log' : missing socket path after 'unix@'."],
  ])('rejects %s', (line, message) => {
    expect(bad(line)).toEqual([`[ALERT] config : parsing [t.cfg:2] : ${message}`]);
  });
});

describe('parseLogAddress', () => {
  it.each([
    ['stdout', { kind: 'stdout' }],
    ['fd@1', { kind: 'stdout' }],
    ['stderr', { kind: 'stderr' }],
    ['fd@2', { kind: 'stderr' }],
    ['/dev/log', { kind: 'unix', path: '/dev/log' }],
    ['unix@/run/syslog.sock', { kind: 'unix', path: '/run/syslog.sock' }],
    ['10.0.0.1', { kind: 'udp', host: '10.0.0.1', port: 514 }],
    ['udp@10.0.0.1:1514', { kind: 'udp', host: '10.0.0.1', port: 1514 }],
    ['udp6@[::1]:1514', { kind: 'udp', host: '::1', port: 1514 }],
    ['::1:', { kind: 'udp', host: '::1', port: 514 }],
    ['logs.example.com', { kind: 'udp', host: 'logs.example.com', port: 514 }],
  ])('%s', (text, address) => {
    expect(parseLogAddress(text)).toEqual(address);
  });
  it('rejects a socket path longer than sun_path', () => {
    expect(() => parseLogAddress(`/${'a'.repeat(107)}`)).toThrow(/is longer than 107 bytes/);
  });
});

describe('log in proxies', () => {
  it("'log global' is replaced by the global section's lines, wherever that section is", () => {
    const c = parseOk(`${D}frontend f\n bind :80\n log global\n log stderr local1\n default_backend b\nbackend b\n log global\nglobal\n log stdout local0\n`);
    expect(c.frontends[0].logs.map((l) => [l.address.kind, l.facility, l.line])).toEqual([
      ['stdout', 'local0', 13],
      ['stderr', 'local1', 8],
    ]);
    expect(c.backends[0].logs.map((l) => l.address.kind)).toEqual(['stdout']);
  });
  it("are inherited from defaults; 'no log' forgets them", () => {
    const c = parseOk(`${D} log stdout local0\nfrontend a\n bind :80\n default_backend b\nfrontend n\n bind :81\n no log\n log stderr local2\n default_backend b\nbackend b\n`);
    expect(c.frontends.map((f) => f.logs.map((l) => l.address.kind))).toEqual([['stdout'], ['stderr']]);
  });
  it("a second 'log global' in effect is ignored with a warning", () => {
    const r = parse(`${D} log global\nfrontend f\n bind :80\n log global\n default_backend b\nbackend b\nglobal\n log stdout local0\n`);
    expect(warnings(r)).toEqual(["[WARNING] config : parsing [t.cfg:8] : 'log global' is already in effect (set at t.cfg:5); this line is ignored"]);
    expect(r.config?.frontends[0].logs).toHaveLength(1);
  });
  it("'log global' takes no argument", () => {
    expect(alerts(parse(`frontend f\n bind :80\n log global local0\n`))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : 'log' : unexpected argument 'local0', 'log global' takes none.",
    ]);
  });
});
