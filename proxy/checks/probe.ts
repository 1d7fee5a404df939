/**
 * One health check of one server: a TCP connect (HAProxy's default check), or with
 * `option httpchk` an HTTP request whose response status must match the `http-check expect` rules
 * (default: 2xx or 3xx). Bounded by one timeout (`timeout check`, else the server's `inter`).
 * Configuration manual 4.2 `option httpchk`, `http-check expect`; 5.2 `check`, `inter`.
 *
 * A server with `ssl` is checked over TLS, as HAProxy does when the check uses the server's own
 * address and port (5.2 `check-ssl`): the connection counts once the handshake completed, with the
 * server's `verify` and `ca-file` and without SNI (HAProxy sends the `sni` expression only on
 * traffic; `check-sni` is not supported yet). A handshake failure is a connection problem whose info
 * is `SSL handshake failure (<error>)`.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { HttpCheckConfig, HttpCheckExpect, ServerConfig } from '../config/config.types.ts';
import type { CheckStatusCode } from '../stream/server-state.ts';
import { describeTlsError, serverTlsOptions } from '../tls/client.ts';

/** What one check found. */
export interface ProbeResult {
  passed: boolean;
  status: CheckStatusCode;
  /** HTTP status (0 for TCP checks or when none was read). */
  code: number;
  /** HAProxy's `info` text (the socket error, or the reason phrase). */
  info: string;
  durationMs: number;
}

/** What to check. */
export interface ProbeTarget {
  host: string;
  port: number;
  timeoutMs: number;
  /** undefined: TCP connect check. */
  http?: HttpCheckConfig;
  /** The server's TLS settings (its ServerConfig fits): the check goes over TLS when `ssl` is set. */
  tls?: ProbeTls;
}

/** What a check needs of a server's TLS settings. */
export type ProbeTls = Pick<ServerConfig, 'ssl' | 'verify' | 'caFile'>;

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EADDRNOTAVAIL: 'Cannot assign requested address',
};

/** The request line and headers of an HTTP check. `Connection: close` is added unless set. */
export function httpCheckRequest(c: HttpCheckConfig, host: string): string {
  const lines = [`${c.method} ${c.uri} ${c.version}`];
  for (const [n, v] of c.headers) lines.push(`${n}: ${v}`);
  const has = (name: string) => c.headers.some(([n]) => n.toLowerCase() === name);
  if (c.version === 'HTTP/1.1' && !has('host')) lines.push(`Host: ${host}`);
  if (!has('connection')) lines.push('Connection: close');
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * True when `status` passes every `http-check expect` rule (all must hold); with no rule, HAProxy's
 * implicit one: 2xx or 3xx.
 */
export function statusMatches(expects: readonly HttpCheckExpect[], status: number): boolean {
  if (expects.length === 0) return status >= 200 && status < 400;
  return expects.every((e) => {
    const m = e.match === 'status' ? e.ranges.some(([lo, hi]) => status >= lo && status <= hi) : new RegExp(e.regex).test(String(status));
    return m !== e.negate;
  });
}

/** Runs one check; never rejects. */
export function probe(t: ProbeTarget): Promise<ProbeResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let connected = false;
    /** TLS: the TCP connection is up, the handshake is in progress. */
    let handshaking = false;
    let sock: Socket | undefined;
    const finish = (passed: boolean, status: CheckStatusCode, code: number, info: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock?.destroy();
      resolve({ passed, status, code, info, durationMs: Math.round(performance.now() - t0) });
    };
    // The verdict waits one loop turn after the timer: Node runs expired timers before it polls
    // for I/O, so after a stall of the event loop (GC, CPU starvation under load) the timer would
    // otherwise win against a connection or response that had arrived in time. A stall longer
    // than `inter` used to put healthy servers DOWN.
    const timer = setTimeout(() => setImmediate(() => {
      if (handshaking) finish(false, 'L6TOUT', 0, 'SSL handshake timeout');
      else if (!connected) finish(false, 'L4TOUT', 0, `at initial connection step of tcp-check`);
      else finish(false, 'L7TOUT', 0, '');
    }), t.timeoutMs);
    const ssl = t.tls?.ssl === true;
    let tlsOpts: ConnectionOptions | undefined;
    if (ssl) {
      try {
        tlsOpts = serverTlsOptions(t.tls!, undefined);
      } catch (err) {
        finish(false, 'L6RSP', 0, `SSL setup failure (${(err as Error).message})`);
        return;
      }
    }
    const s = tlsOpts ? tlsConnect({ host: t.host, port: t.port, ...tlsOpts }).setNoDelay(true) : connect({ host: t.host, port: t.port, noDelay: true });
    sock = s;
    s.on('error', (e: NodeJS.ErrnoException) => {
      // HAProxy reports a failed handshake at layer 6 (L6RSP), a refused connection at layer 4.
      if (handshaking) finish(false, 'L6RSP', 0, `SSL handshake failure (${describeTlsError(e)})`);
      else if (!connected) finish(false, 'L4CON', 0, ERRNO_TEXT[e.code ?? ''] ?? e.message);
      else finish(false, 'L7RSP', 0, ERRNO_TEXT[e.code ?? ''] ?? e.message);
    });
    if (ssl) s.on('connect', () => (handshaking = true));
    s.on(ssl ? 'secureConnect' : 'connect', () => {
      handshaking = false;
      connected = true;
      if (!t.http) return finish(true, ssl ? 'L6OK' : 'L4OK', 0, '');
      s.write(httpCheckRequest(t.http, t.host));
    });
    let buf = '';
    const expects = t.http?.expects ?? [];
    const onLine = (): boolean => {
      const eol = buf.indexOf('\n');
      if (eol < 0) return false;
      const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(buf.slice(0, eol).replace(/\r$/, ''));
      if (!m) {
        finish(false, 'L7RSP', 0, 'Invalid response');
        return true;
      }
      const code = Number(m[1]);
      const reason = m[2] ?? '';
      if (statusMatches(expects, code)) finish(true, 'L7OK', code, reason);
      else finish(false, 'L7STS', code, reason);
      return true;
    };
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      if (!onLine() && buf.length > 16384) finish(false, 'L7RSP', 0, 'Response too long');
    });
    s.on('end', () => {
      if (!onLine()) finish(false, 'L7RSP', 0, 'Connection closed before a response');
    });
  });
}
