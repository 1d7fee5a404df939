/**
 * What the HTTP/3 end-to-end tests share, on top of test/e2e/harness.ts: the gtlsclient runner
 * (Debian `ngtcp2-client`, ngtcp2 + nghttp3; /work/shared/interop-quic.md §1) and the reading of what
 * it prints, a self-signed certificate for a `quic4` bind, and a proxy whose frontend listens on TCP
 * and QUIC on the same port number.
 *
 * gtlsclient exits 0 even when it fails: the tests assert on what it prints (`Negotiated ALPN is
 * h3`, `http: stream 0x0 [:status: 200]`, the body hexdump) or on the files it downloads.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig, run, startProxy, trackChild, type Preamble, type Proxy } from './harness.ts';

/** Where the tests expect gtlsclient (`apt-get install ngtcp2-client`). */
export const GTLSCLIENT = '/usr/bin/gtlsclient';

/**
 * Whether gtlsclient is missing; when it is, warns once that `file` (its path, as in
 * `test/e2e/h3.test.ts`) is skipped and how to install the client. For `describe.skipIf(...)`.
 */
export function gtlsclientMissing(file: string): boolean {
  if (existsSync(GTLSCLIENT)) return false;
  console.warn(`${file} skipped: ${GTLSCLIENT} is not installed (apt-get install ngtcp2-client)`);
  return true;
}

/** How gtlsclient is run; every field is optional. */
export interface GtlsOptions {
  /** gtlsclient options after the common ones (a later option wins, e.g. `--timeout=10s`). */
  extra?: readonly string[];
  /** `--timeout=<idle>` (its idle timeout, e.g. `'8s'`); `'10s'` unless given. */
  idle?: string;
  /** Keep ngtcp2's packet and frame log (`pkt rx ...`, `frm tx ...`): no `--no-quic-dump`. Default false. */
  quicDump?: boolean;
  /** The port the URIs name (their authority), when it is not the one connected to (a relay in between). */
  authority?: number;
  /** Kill bound of `gtls()` (the run's `timeoutMs`); 20 s unless given. */
  timeoutMs?: number;
}

/**
 * gtlsclient's arguments for `uris` (paths, `/x?y`) on 127.0.0.1:`port`: `--no-quic-dump` (unless
 * `quicDump`), `--exit-on-all-streams-close` (unless `extra` holds `--exit-on-first-stream-close`),
 * `--handshake-timeout=3s`, `--timeout=<idle>`, then `extra`, the address, the port and one
 * `https://127.0.0.1:<authority ?? port><uri>` per URI (one stream each, in order: 0x0, 0x4, ...).
 */
export function gtlsArgs(port: number, uris: readonly string[], o: GtlsOptions = {}): string[] {
  const extra = o.extra ?? [];
  const exit = extra.includes('--exit-on-first-stream-close') ? [] : ['--exit-on-all-streams-close'];
  return [
    ...(o.quicDump ? [] : ['--no-quic-dump']),
    ...exit,
    '--handshake-timeout=3s',
    `--timeout=${o.idle ?? '10s'}`,
    ...extra,
    '127.0.0.1',
    String(port),
    ...uris.map((u) => `https://127.0.0.1:${o.authority ?? port}${u}`),
  ];
}

/** Runs gtlsclient (`gtlsArgs`) to completion or for `timeoutMs`; resolves with everything it printed (stdout then stderr). */
export async function gtls(port: number, uris: readonly string[], o: GtlsOptions = {}): Promise<string> {
  const r = await run(GTLSCLIENT, gtlsArgs(port, uris, o), { timeoutMs: o.timeoutMs ?? 20_000 });
  return r.stdout + r.stderr;
}

/** A gtlsclient started in the background by `startGtls`. */
export interface GtlsRun {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr as they came). */
  output(): string;
  /** Resolves when it exited (by itself or killed). */
  readonly exited: Promise<void>;
}

/**
 * Starts gtlsclient (`gtlsArgs`) in the background, for tests that act while it runs (e.g. with
 * `--delay-stream`). It is tracked by the harness (killed when the test process exits) and killed
 * with SIGKILL after `killAfterMs` unless it exited before.
 */
export function startGtls(port: number, uris: readonly string[], o: GtlsOptions & { killAfterMs: number }): GtlsRun {
  let out = '';
  const child = trackChild(spawn(GTLSCLIENT, gtlsArgs(port, uris, o), { stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const kill = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs);
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      clearTimeout(kill);
      r();
    }),
  );
  return { child, output: () => out, exited };
}

/**
 * The body of stream `streamHex` (`0x0`, `0x4`, ...) read back from gtlsclient's hexdump lines
 * (`00000000  68 65 ...  |hel...|`) after `http: stream <id> body`, as latin1 text (one character
 * per byte); empty when the stream printed no body.
 */
export function bodyOf(out: string, streamHex: string): string {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`http: stream ${streamHex} body`));
  if (at < 0) return '';
  let text = '';
  for (const l of lines.slice(at + 1)) {
    const m = /^[0-9a-f]{8} {2}((?:[0-9a-f]{2} {1,2})+)/.exec(l);
    if (!m) break;
    text += Buffer.from(m[1].replace(/\s+/g, ''), 'hex').toString('latin1');
  }
  return text;
}

/**
 * Writes a self-signed P-256 certificate for `localhost` and 127.0.0.1 (openssl, valid two days) and
 * its key into `dir` (cert.pem, key.pem); returns the path of site.pem, the two concatenated, as
 * `ssl crt` takes them.
 */
export function makeCert(dir: string): string {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const pem = join(dir, 'site.pem');
  writeFileSync(pem, readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'));
  return pem;
}

/**
 * The frontend lines of the interop tests (gtlsclient in h3.test.ts, Chromium in h3-chromium.test.ts),
 * after the binds: httplog lines (`log global`, `option httplog`; the global section logs to stdout),
 * X-Forwarded-For to the origin (`option forwardfor`), and `/rule` answered by the proxy itself
 * (`http-request return`, 200 text/plain `answered by a rule\n`) without reaching the backend.
 */
export const INTEROP_FRONTEND: readonly string[] = [
  'log global',
  'option httplog',
  'option forwardfor',
  'http-request return status 200 content-type text/plain string "answered by a rule\\n" if { path /rule }',
];

/** What `startH3Proxy` configures beyond the two binds. */
export interface H3ProxyOptions {
  /** The `global`/`defaults` of the configuration (harness.ts `Preamble`). */
  preamble: Preamble;
  /** Words appended to the `quic4` bind line (e.g. `quic-force-retry`). */
  bindOptions?: string;
  /** The `quic4` bind's port when it is not the TCP bind's (`Proxy.port`). */
  quicPort?: number;
  /** Frontend lines after the binds (given the PEM path, for further `quic4` binds). */
  frontend?: readonly string[] | ((pem: string) => readonly string[]);
  /** An origin's port: the frontend ends with `default_backend be`, and backend `be` has `server s1 127.0.0.1:<origin>`. */
  origin?: number;
  /** The PEM (cert, chain, key) of the binds; a `makeCert` one in the proxy's dir unless given. */
  pem?: string;
  /** Further `flightbox run` arguments (harness `startProxy`). */
  args?: string[];
}

/**
 * Starts Flightbox (harness `startProxy`) with frontend `web` bound to `127.0.0.1:<port>` over TCP
 * (the "listening on" the harness waits for) and `quic4@127.0.0.1:<port> ssl crt <pem> alpn h3` on
 * the same port number (`Proxy.port`, the one to give gtlsclient) unless `opts.quicPort`, then `opts.frontend`, then
 * `default_backend be` and backend `be` when `opts.origin` is given.
 */
export function startH3Proxy(opts: H3ProxyOptions): Promise<Proxy> {
  return startProxy({
    ...(opts.args ? { args: opts.args } : {}),
    config: (dir, port) => {
      const pem = opts.pem ?? makeCert(dir);
      const frontend = typeof opts.frontend === 'function' ? opts.frontend(pem) : (opts.frontend ?? []);
      return buildConfig(dir, opts.preamble, {
        'frontend web': [
          `bind 127.0.0.1:${port}`,
          `bind quic4@127.0.0.1:${opts.quicPort ?? port} ssl crt ${pem} alpn h3${opts.bindOptions ? ` ${opts.bindOptions}` : ''}`,
          ...frontend,
          ...(opts.origin === undefined ? [] : ['default_backend be']),
        ],
        ...(opts.origin === undefined ? {} : { 'backend be': [`server s1 127.0.0.1:${opts.origin}`] }),
      });
    },
  });
}
