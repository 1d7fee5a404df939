/**
 * End to end: traffic logs (`option httplog`, `log stdout format raw`, `log <ip>:<port>` over UDP)
 * with Flightbox in front of a real node:http origin, driven by curl. Each kind of stream ending
 * (forwarded, `http-request return`, no server, denied, client abort) writes one HAProxy HTTP log
 * line with the expected fields to both targets. Then `option httplog clf`, and a UNIX datagram
 * target (reached through util-linux `logger`, received on a real socket bound by socat).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, pollUntil, startProxy, waitFor, type Proxy } from './harness.ts';
import { httpOrigin } from './origins.ts';
import { startUnixReceiver } from '../proxy/log/unix-receiver.ts';

// ip:port [date] fe be/srv TR/Tw/Tc/Tr/Ta status bytes - - term ac/fc/bc/sc/rc sq/bq "request"
const LINE =
  /^(\S+):(\d+) \[(\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (\S+) (\S+)\/(\S+) (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+) (-?\d+) (\d+) - - (\S{4}) (\d+)\/(\d+)\/(\d+)\/(\d+)\/(\+?\d+) (\d+)\/(\d+) "(.*)"$/;

interface Parsed {
  client: string;
  fe: string;
  be: string;
  srv: string;
  timers: number[];
  status: number;
  bytes: number;
  term: string;
  req: string;
}

function parse(line: string): Parsed {
  const m = LINE.exec(line);
  if (!m) throw new Error(`not an HAProxy HTTP log line: ${line}`);
  return {
    client: m[1]!,
    fe: m[4]!,
    be: m[5]!,
    srv: m[6]!,
    timers: [m[7], m[8], m[9], m[10], m[11]].map(Number),
    status: Number(m[12]),
    bytes: Number(m[13]),
    term: m[14]!,
    req: m[22]!,
  };
}

describe('traffic logs: option httplog to stdout and UDP', () => {
  let p: Proxy;
  let udp: DgramSocket;
  const datagrams: string[] = [];

  beforeAll(async () => {
    const origin = await httpOrigin((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/slow') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          return; // never ends: the client aborts
        }
        res.setHeader('content-type', 'text/plain');
        res.end('hello from origin\n');
      });
    });
    udp = createSocket('udp4');
    udp.on('message', (m) => datagrams.push(m.toString('latin1')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const udpPort = udp.address().port;
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(
          dir,
          { global: ['log stdout format raw local0', `log 127.0.0.1:${udpPort} local0`], defaults: ['log global', 'option httplog'] },
          {
            'frontend web': [
              `bind 127.0.0.1:${port}`,
              'http-request deny if { path /admin }',
              'http-request return status 200 content-type text/plain string ok if { path /ret }',
              'use_backend empty if { path /nosrv }',
              'default_backend app',
            ],
            'backend app': [`server s1 127.0.0.1:${origin.port}`],
            'backend empty': [],
          },
        ),
    });
  }, 30_000);

  afterAll(async () => {
    await p?.stop();
    udp?.close();
  });

  /** Waits for the log line of `path` on stdout and over UDP; returns both. */
  async function lineFor(path: string): Promise<{ out: Parsed; syslog: string }> {
    const [out, dg] = await pollUntil(
      () => [p.stdout().split('\n').find((l) => l.includes(` /${path.slice(1)} HTTP/1.1"`)), datagrams.find((d) => d.includes(` /${path.slice(1)} HTTP/1.1"`))],
      ([o, d]) => o !== undefined && d !== undefined,
      { timeoutMs: 5000 },
    );
    if (out && dg) return { out: parse(out), syslog: dg };
    throw new Error(`no log line for ${path}; stdout:\n${p.stdout()}\nudp:\n${datagrams.join('\n')}`);
  }

  it('a proxied request: backend/server, timers, 200, bytes, ----', async () => {
    const r = await p.get('/page');
    expect(r.status).toBe(200);
    const { out, syslog } = await lineFor('/page');
    expect(out.client).toBe('127.0.0.1');
    expect([out.fe, out.be, out.srv]).toEqual(['web', 'app', 's1']);
    expect(out.status).toBe(200);
    expect(out.term).toBe('----');
    expect(out.bytes).toBeGreaterThan('hello from origin\n'.length);
    for (const t of out.timers) expect(t).toBeGreaterThanOrEqual(0);
    expect(out.timers[4]).toBeGreaterThanOrEqual(out.timers[3]!);
    expect(out.req).toBe('GET /page HTTP/1.1');
    // The UDP copy is the same line behind an RFC 3164 header (local0.info = 134).
    expect(syslog).toMatch(/^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d haproxy\[\d+\]: 127\.0\.0\.1:\d+ \[/);
    expect(syslog.endsWith('"\n')).toBe(true);
    expect(parse(syslog.slice(syslog.indexOf(']: ') + 3, -1))).toEqual(out);
  });

  it('http-request return: answered locally, <NOSRV>, LR--', async () => {
    const r = await p.get('/ret');
    expect(r.body).toBe('ok');
    const { out } = await lineFor('/ret');
    expect([out.be, out.srv, out.status, out.term]).toEqual(['web', '<NOSRV>', 200, 'LR--']);
    expect(out.timers.slice(1, 4)).toEqual([-1, -1, -1]);
    expect(out.bytes).toBeGreaterThan(2);
  });

  it('a backend with no server: 503, <NOSRV>, SC--', async () => {
    const r = await p.get('/nosrv');
    expect(r.status).toBe(503);
    const { out } = await lineFor('/nosrv');
    expect([out.be, out.srv, out.status, out.term]).toEqual(['empty', '<NOSRV>', 503, 'SC--']);
  });

  it('a denied request: 403, PR--', async () => {
    const r = await p.get('/admin');
    expect(r.status).toBe(403);
    const { out } = await lineFor('/admin');
    expect([out.be, out.srv, out.status, out.term]).toEqual(['web', '<NOSRV>', 403, 'PR--']);
  });

  it('a client that aborts mid-response is logged too: CD--', async () => {
    const c = connect(p.port, '127.0.0.1');
    await new Promise<void>((r) => c.once('connect', () => r()));
    c.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((r) => c.once('data', () => r()));
    c.resetAndDestroy(); // RST: a FIN alone is a half-close, after which the response would go on

    const { out } = await lineFor('/slow');
    expect([out.be, out.srv, out.status, out.term]).toEqual(['app', 's1', 200, 'CD--']);
    // One line per stream: every request above was logged exactly once.
    const lines = p.stdout().split('\n').filter((l) => LINE.test(l));
    expect(lines).toHaveLength(5);
    expect(new Set(lines.map((l) => parse(l).req)).size).toBe(5);
  });
});

describe('traffic logs without option httplog', () => {
  it("log HAProxy's default line per connection (manual 8.2.1), and no HTTP line", async () => {
    const p = await startProxy({ global: ['log stdout format raw local0'], frontend: ['log global'] });
    try {
      const r = await p.get('/');
      expect(r.status).toBe(200);
      await pollUntil(() => p.stdout().includes('Connect from'), (seen) => seen, { timeoutMs: 5000 });
      const lines = p.stdout().split('\n').filter((l) => l.startsWith('Connect from'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^Connect from 127\\.0\\.0\\.1:\\d+ to 127\\.0\\.0\\.1:${p.port} \\(web/HTTP\\)$`));
      expect(p.stdout()).not.toContain('<NOSRV>');
    } finally {
      await p.stop();
    }
  });
});

/** Pids of running `logger` children writing to the UNIX socket `path`. */
function loggerPids(path: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0');
      if (/(^|\/)logger$/.test(argv[0] ?? '') && argv.includes(`--socket=${path}`)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('traffic logs to a UNIX datagram socket (through logger), and option httplog clf', () => {
  let originPort = 0;

  beforeAll(async () => {
    const origin = await httpOrigin((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'text/plain');
        res.end('hello from origin\n');
      });
    });
    originPort = origin.port;
  });

  const config = (httplog: string, logs: (dir: string) => string[]) => (dir: string, port: number) =>
    buildConfig(
      dir,
      { global: logs(dir), defaults: ['log global', httplog] },
      { 'frontend web': [`bind 127.0.0.1:${port}`, 'default_backend app'], 'backend app': [`server s1 127.0.0.1:${originPort}`] },
    );

  it("option httplog to 'log <unix socket>': HAProxy's local rfc3164 header, the line, and no logger left after stop", async () => {
    const sockDir = mkdtempSync(join(tmpdir(), 'fb-e2e-sock-'));
    const sock = join(sockDir, 'log.sock');
    const rx = await startUnixReceiver(sock);
    const p = await startProxy({ config: config('option httplog', () => [`log ${sock} local0`]) });
    try {
      expect((await p.get('/via-unix')).status).toBe(200);
      const [m] = await rx.waitFor(1);
      // '<134>Nov 22 10:00:00 haproxy[pid]: ' then the HTTP log line (no final newline: logger sends none).
      expect(m).toMatch(new RegExp(`^<134>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d haproxy\\[${p.child.pid}\\]: `));
      const parsed = parse(m!.slice(m!.indexOf(']: ') + 3));
      expect([parsed.fe, parsed.be, parsed.srv, parsed.status, parsed.term, parsed.req]).toEqual(['web', 'app', 's1', 200, '----', 'GET /via-unix HTTP/1.1']);
      expect(loggerPids(sock)).toHaveLength(1);
      await p.stop();
      // The worker ended logger's input when it stopped: logger exits.
      await waitFor(() => loggerPids(sock).length === 0, { tries: 102, everyMs: 20, what: 'logger to exit after the proxy stopped' });
    } finally {
      await p.stop();
      await rx.stop();
      rmSync(sockDir, { recursive: true, force: true });
    }
  });

  it("option httplog clf: HAProxy's CLF line on stdout and through logger", async () => {
    const sockDir = mkdtempSync(join(tmpdir(), 'fb-e2e-sock-'));
    const sock = join(sockDir, 'log.sock');
    const rx = await startUnixReceiver(sock);
    const p = await startProxy({ config: config('option httplog clf', () => ['log stdout format raw local0', `log ${sock} format rfc5424 local1`]) });
    try {
      const before = Date.now();
      expect((await p.get('/clf/page?x=1')).status).toBe(200);
      const line = await pollUntil(() => p.stdout().split('\n').find((l) => l.includes('/clf/page')), (l) => l !== undefined, { timeoutMs: 5000 });
      if (line === undefined) throw new Error(`no CLF line; stdout:\n${p.stdout()}`);
      // %{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl
      const m = /^127\.0\.0\.1 - - \[(\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d) \+0000\] "GET \/clf\/page\?x=1 HTTP\/1\.1" 200 (\d+) "" "" (\d+) (\d{3}) "web" "app" "s1" (\d+) (\d+) (\d+) (\d+) (\d+) ---- (\d+) (\d+) (\d+) (\d+) 0 0 0 "" "" $/.exec(line);
      if (!m) throw new Error(`not an HAProxy CLF line: ${JSON.stringify(line)}`);
      const date = new Date(m[1]!.replace(/^(\d\d)\/(\w{3})\/(\d{4}):/, '$2 $1 $3 ') + ' UTC').getTime();
      expect(Math.abs(date - before)).toBeLessThan(5000);
      expect(Number(m[2])).toBeGreaterThan('hello from origin\n'.length);
      // TR Tw Tc Tr Ta: every phase happened (no -1), and Ta covers the response time.
      const timers = [m[5], m[6], m[7], m[8], m[9]].map(Number);
      for (const t of timers) expect(t).toBeGreaterThanOrEqual(0);
      expect(timers[4]).toBeGreaterThanOrEqual(timers[3]!);
      // The same line, behind HAProxy's rfc5424 header (local1.info = 142), through logger.
      const [syslog] = await rx.waitFor(1);
      expect(syslog).toMatch(new RegExp(`^<142>1 \\d{4}-\\d\\d-\\d\\dT[\\d:.]+[+-]\\d\\d:\\d\\d \\S+ haproxy ${p.child.pid} - - 127\\.0\\.0\\.1 - - \\[`));
      expect(syslog!.slice(syslog!.indexOf(' - - 127.0.0.1') + 5)).toBe(line);
    } finally {
      await p.stop();
      await rx.stop();
      rmSync(sockDir, { recursive: true, force: true });
    }
  });
});
