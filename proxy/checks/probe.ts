/**
 * One health check of one server: a TCP connect (HAProxy's default check), or with
 * `option httpchk` an HTTP request whose response status must match the `http-check expect` rules
 * (default: 2xx or 3xx). Bounded by one timeout (`timeout check`, else the server's `inter`).
 * Configuration manual 4.2 `option httpchk`, `http-check expect`; 5.2 `check`, `inter`.
 */
import { connect, type Socket } from 'node:net';
import type { HttpCheckConfig, HttpCheckExpect } from '../config/config.types.ts';
import type { CheckStatusCode } from '../stream/server-state.ts';

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
}

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
    let sock: Socket;
    const finish = (passed: boolean, status: CheckStatusCode, code: number, info: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ passed, status, code, info, durationMs: Math.round(performance.now() - t0) });
    };
    const timer = setTimeout(() => {
      if (!connected) finish(false, 'L4TOUT', 0, `at initial connection step of tcp-check`);
      else finish(false, 'L7TOUT', 0, '');
    }, t.timeoutMs);
    sock = connect({ host: t.host, port: t.port, noDelay: true });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const info = ERRNO_TEXT[e.code ?? ''] ?? e.message;
      if (!connected) finish(false, 'L4CON', 0, info);
      else finish(false, 'L7RSP', 0, info);
    });
    sock.on('connect', () => {
      connected = true;
      if (!t.http) return finish(true, 'L4OK', 0, '');
      sock.write(httpCheckRequest(t.http, t.host));
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
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      buf += d;
      if (!onLine() && buf.length > 16384) finish(false, 'L7RSP', 0, 'Response too long');
    });
    sock.on('end', () => {
      if (!onLine()) finish(false, 'L7RSP', 0, 'Connection closed before a response');
    });
  });
}
