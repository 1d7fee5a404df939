import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { alerts, FRONTEND, parse, parseOk, warnings } from '../helpers.ts';

const global = (...lines: string[]) => `global\n${lines.map((l) => `  ${l}\n`).join('')}${FRONTEND}`;

describe('global defaults', () => {
  it('resolves every setting when the section is empty', () => {
    const g = parseOk(global()).global;
    expect(g).toEqual({
      nbthread: undefined,
      maxconn: undefined,
      statsSockets: [],
      tune: { bufsize: 16384, maxhdr: 101, failAlloc: 0 },
      snapshotDir: '/srv/fb/snapshots',
      snapshotMaxSize: 64 * 1024 * 1024,
      sslServerVerify: 'required',
      watchdogTimeout: 2000,
      workerOnDeath: 'respawn',
      workerMemoryLimit: undefined,
      hardStopAfter: 10_000,
      redactHeaders: [],
      redactQueries: [],
      poolMemoryLimit: undefined,
      logs: [],
      demoOrigin: undefined,
      localPeer: hostname(),
    });
  });
});

describe('global keywords accepted', () => {
  it('reads every keyword', () => {
    const g = parseOk(
      global(
        'nbthread 64',
        'maxconn 5000',
        'tune.bufsize 512k',
        'tune.maxhdr 200',
        'tune.fail-alloc 2.5',
        'snapshot-dir /var/lib/flightbox',
        'snapshot-max-size 16m',
        'watchdog-timeout 500ms',
        'worker-on-death exit',
        'worker-memory-limit 256m',
        'hard-stop-after 1m',
        'redact-header X-Api-Key x-token',
        'redact-header x-api-key Proxy-Secret',
        'redact-query token',
        'redact-query sig api_key',
        'pool-memory-limit 900m',
      ),
    ).global;
    expect(g).toMatchObject({
      nbthread: 64,
      maxconn: 5000,
      tune: { bufsize: 524288, maxhdr: 200, failAlloc: 2.5 },
      snapshotDir: '/var/lib/flightbox',
      snapshotMaxSize: 16 * 1024 * 1024,
      watchdogTimeout: 500,
      workerOnDeath: 'exit',
      workerMemoryLimit: 256 * 1024 * 1024,
      hardStopAfter: 60_000,
      redactHeaders: ['x-api-key', 'x-token', 'proxy-secret'],
      redactQueries: ['token', 'sig', 'api_key'],
      poolMemoryLimit: 900 * 1024 * 1024,
    });
  });
  it('reads demo-origin <addr>:<port> (Flightbox-specific) with the line that set it', () => {
    expect(parseOk(global('demo-origin 127.0.0.1:8081')).global.demoOrigin).toEqual({ host: '127.0.0.1', port: 8081, file: 't.cfg', line: 2 });
    expect(parseOk(global('demo-origin [::1]:9000')).global.demoOrigin).toMatchObject({ host: '::1', port: 9000 });
    expect(parseOk(global('demo-origin :9001')).global.demoOrigin).toMatchObject({ host: '0.0.0.0', port: 9001 });
    expect(parseOk(global('demo-origin "127.0.0.1:${DEMO-8082}"'), { env: { DEMO: '9002' } }).global.demoOrigin).toMatchObject({ port: 9002 });
  });
  it('warns when demo-origin is set twice, the last one winning', () => {
    const r = parse(global('demo-origin 127.0.0.1:8081', 'demo-origin 127.0.0.1:8082'));
    expect(r.config?.global.demoOrigin).toMatchObject({ port: 8082, line: 3 });
    expect(warnings(r)).toContain(
      "[WARNING] config : parsing [t.cfg:3] : 'demo-origin' was already set at t.cfg:2; this later value replaces it",
    );
  });
  it('reads cluster-secret (HAProxy 2.6+), quoted or from the environment; unset without it', () => {
    expect(parseOk(global('cluster-secret s3cr3t')).global.clusterSecret).toBe('s3cr3t');
    expect(parseOk(global('cluster-secret "two words"')).global.clusterSecret).toBe('two words');
    expect(parseOk(global('cluster-secret "${QS}"'), { env: { QS: 'from-env' } }).global.clusterSecret).toBe('from-env');
    expect(parseOk(global()).global.clusterSecret).toBeUndefined();
  });
  it('warns when cluster-secret is set twice without repeating either value', () => {
    const r = parse(global('cluster-secret first-secret', 'cluster-secret second-secret'));
    expect(r.config?.global.clusterSecret).toBe('second-secret');
    const mine = warnings(r).filter((w) => w.includes('cluster-secret'));
    expect(mine).toEqual(["[WARNING] config : parsing [t.cfg:3] : 'cluster-secret' was already set at t.cfg:2; this later value replaces it"]);
    expect(warnings(r).join('\n')).not.toMatch(/first-secret|second-secret/);
  });
  it('resolves a relative snapshot-dir against the cwd', () => {
    expect(parseOk(global('snapshot-dir ./snaps'), { cwd: '/opt/app' }).global.snapshotDir).toBe('/opt/app/snaps');
  });
  it('reads stats sockets with HAProxy defaults (mode 0600, level operator) and options', () => {
    const g = parseOk(
      global('stats socket /tmp/a.sock', 'stats socket unix@/tmp/b.sock mode 660 level admin', 'stats socket /tmp/c.sock level user'),
    ).global;
    expect(g.statsSockets).toEqual([
      { path: '/tmp/a.sock', mode: 0o600, level: 'operator', file: 't.cfg', line: 2 },
      { path: '/tmp/b.sock', mode: 0o660, level: 'admin', file: 't.cfg', line: 3 },
      { path: '/tmp/c.sock', mode: 0o600, level: 'user', file: 't.cfg', line: 4 },
    ]);
  });
  it('warns when a single-valued keyword is set twice, the last value winning', () => {
    const r = parse(global('nbthread 2', 'nbthread 4'));
    expect(r.config?.global.nbthread).toBe(4);
    expect(warnings(r)).toContain(
      "[WARNING] config : parsing [t.cfg:3] : 'nbthread' was already set at t.cfg:2; this later value replaces it",
    );
  });
});

describe('global keywords: bad values are alerts at file:line', () => {
  it.each([
    ['nbthread 65', "'nbthread' : value '65' is out of range, expected an integer between 1 and 64."],
    ['nbthread', "'nbthread' : missing argument, expected 'nbthread <1..64>'."],
    ['nbthread 2 3', "'nbthread' : unexpected argument '3', expected 'nbthread <1..64>'."],
    ['maxconn -1', "'maxconn' : value '-1' is out of range, expected an integer >= 1."],
    ['tune.bufsize 16x', "'tune.bufsize' : invalid size '16x', expected an integer number of bytes optionally followed by k, m or g (1024-based, e.g. '16k')."],
    ['tune.bufsize 512', "'tune.bufsize' : size '512' is too small, expected at least 1k."],
    ['tune.bufsize 2g', "'tune.bufsize' : size '2g' is too large, expected at most 1g."],
    ['tune.maxhdr 0', "'tune.maxhdr' : value '0' is out of range, expected an integer between 1 and 32767."],
    ['tune.fail-alloc 101', "'tune.fail-alloc' : percentage '101' is out of range, expected a number between 0 and 100."],
    ['snapshot-dir ""', "'snapshot-dir' : empty path, expected a directory such as ./snapshots."],
    ['snapshot-max-size 1k', "'snapshot-max-size' : size '1k' is too small, expected at least 64k."],
    ['watchdog-timeout 0', "'watchdog-timeout' : time '0' must be greater than zero."],
    ['watchdog-timeout 2 s', "'watchdog-timeout' : unexpected argument 's', expected 'watchdog-timeout <time>'."],
    ['worker-on-death restart', "'worker-on-death' : invalid value 'restart', expected 'respawn' or 'exit'."],
    ['worker-memory-limit 512k', "'worker-memory-limit' : size '512k' is too small, expected at least 1m."],
    ['hard-stop-after soon', "'hard-stop-after' : invalid time 'soon', expected an integer optionally followed by us, ms, s, m, h or d (default unit: ms, e.g. '5s')."],
    ['redact-header', "'redact-header' : missing argument, expected 'redact-header <name> [<name>...]'."],
    ['redact-header "x y"', "'redact-header' : 'x y' is not a valid header name (RFC 9110 5.1)."],
    ['redact-query', "'redact-query' : missing argument, expected 'redact-query <name> [<name>...]'."],
    ['pool-memory-limit lots', "'pool-memory-limit' : invalid size 'lots', expected an integer number of bytes optionally followed by k, m or g (1024-based, e.g. '16k')."],
    ['cluster-secret', "'cluster-secret' : missing argument, expected 'cluster-secret <secret>'."],
    ['cluster-secret ""', "'cluster-secret' : empty secret, expected a string shared by every instance of the cluster (e.g. the output of `openssl rand -hex 32`)."],
    // no word of a secret is echoed
    ['cluster-secret a b', "'cluster-secret' : unexpected argument (1 more word(s), not shown: quote a secret holding spaces), expected 'cluster-secret <secret>'."],
    ['demo-origin', "'demo-origin' : missing argument, expected 'demo-origin <address>:<port>'."],
    ['demo-origin 127.0.0.1', "'demo-origin' : missing port in '127.0.0.1', expected '<address>:<port>' (e.g. ':8080')."],
    ['demo-origin 127.0.0.1:70000', "'demo-origin' : port 70000 in '127.0.0.1:70000' is out of range, expected 1..65535."],
    ['demo-origin localhost:8081', "'demo-origin' : invalid address 'localhost' in 'localhost:8081', expected '*', an IPv4 or an IPv6 address (host names are not supported)."],
    ['demo-origin 127.0.0.1:8081 extra', "'demo-origin' : unexpected argument 'extra', expected 'demo-origin <address>:<port>'."],
    ['stats timeout 10s', "'stats' : expected 'stats socket <path> [mode <octal>] [level <level>]' but got 'timeout' after 'stats'."],
    ['stats socket', "'stats socket' : missing socket path, expected 'stats socket <path> [mode <octal>] [level user|operator|admin]'."],
    ['stats socket /tmp/s mode 999', "'stats socket' : invalid mode '999', expected octal permissions such as '600' or '0660'."],
    ['stats socket /tmp/s level root', "'stats socket' : invalid value 'root', expected 'user' or 'operator' or 'admin'."],
    ['stats socket /tmp/s level', "'stats socket' : missing value after 'level'."],
    ['stats socket /tmp/s expose-fd listeners', "'stats socket' : unknown option 'expose-fd', expected 'mode <octal>' or 'level user|operator|admin'."],
    ['stats socket ipv4@127.0.0.1:9999', "'stats socket' : address 'ipv4@127.0.0.1:9999' is not supported, only UNIX socket paths are (e.g. '/tmp/flightbox.sock')."],
    [`stats socket /${'x'.repeat(120)}`, `'stats socket' : socket path '/${'x'.repeat(120)}' is longer than 107 bytes, the limit of UNIX socket paths; use a shorter path.`],
  ])('%s', (line, message) => {
    const r = parse(global(line));
    expect(alerts(r)).toEqual([`[ALERT] config : parsing [t.cfg:2] : ${message}`]);
    expect(r.config).toBeUndefined();
  });
  it('rejects a stats socket path used twice, naming the first line', () => {
    expect(alerts(parse(global('stats socket /tmp/s', 'stats socket /tmp/s')))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : 'stats socket' : socket path '/tmp/s' is already used at t.cfg:2.",
    ]);
  });
});
