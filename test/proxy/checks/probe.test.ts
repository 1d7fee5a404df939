import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { probe, statusMatches, httpCheckRequest } from '../../../proxy/checks/probe.ts';
import type { HttpCheckConfig, HttpCheckExpect } from '../../../proxy/config/config.types.ts';

const ref = { file: 't.cfg', line: 1 };
const httpchk = (over: Partial<HttpCheckConfig> = {}): HttpCheckConfig => ({ ...ref, method: 'GET', uri: '/health', version: 'HTTP/1.0', headers: [], expects: [], ...over });

/** A raw TCP origin answering each connection with `answer(requestText)` (undefined: never answer). */
async function origin(answer: (req: string) => string | undefined): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const socks = new Set<Socket>();
  const srv: Server = createServer((s) => {
    socks.add(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      seen.push(buf);
      const a = answer(buf);
      if (a !== undefined) s.end(a);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    seen,
    close: () => new Promise<void>((r) => {
      for (const s of socks) s.destroy();
      srv.close(() => r());
    }),
  };
}

let ok: Awaited<ReturnType<typeof origin>>;
let unavailable: Awaited<ReturnType<typeof origin>>;
let silent: Awaited<ReturnType<typeof origin>>;
let closedPort: number;

beforeAll(async () => {
  ok = await origin(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  unavailable = await origin(() => 'HTTP/1.0 503 Service Unavailable\r\n\r\n');
  silent = await origin(() => undefined);
  const tmp = await origin(() => undefined);
  closedPort = tmp.port;
  await tmp.close();
});
afterAll(async () => {
  await Promise.all([ok.close(), unavailable.close(), silent.close()]);
});

describe('TCP connect check', () => {
  it('passes (L4OK) when the port accepts', async () => {
    const r = await probe({ host: '127.0.0.1', port: ok.port, timeoutMs: 1000 });
    expect(r).toMatchObject({ passed: true, status: 'L4OK', code: 0 });
  });

  it('fails with L4CON "Connection refused" on a closed port', async () => {
    const r = await probe({ host: '127.0.0.1', port: closedPort, timeoutMs: 1000 });
    expect(r).toMatchObject({ passed: false, status: 'L4CON', info: 'Connection refused' });
  });

  it('a stalled event loop does not turn a connection that completed in time into L4TOUT', async () => {
    // The connect is issued on the next tick; the loop then stalls for three timeouts (as under
    // GC or CPU starvation). When it resumes, the expired timer and the completed connect are
    // both pending: the connect must win, or healthy servers flap DOWN on a loaded machine.
    for (let i = 0; i < 3; i++) {
      const r = probe({ host: '127.0.0.1', port: ok.port, timeoutMs: 50 });
      process.nextTick(() => {
        const until = performance.now() + 150;
        while (performance.now() < until);
      });
      expect(await r).toMatchObject({ passed: true, status: 'L4OK' });
    }
  });
});

describe('HTTP check (option httpchk)', () => {
  it('sends the configured request line and headers, and passes on 2xx (L7OK)', async () => {
    const r = await probe({ host: '127.0.0.1', port: ok.port, timeoutMs: 1000, http: httpchk({ headers: [['X-Check', 'yes']] }) });
    expect(r).toMatchObject({ passed: true, status: 'L7OK', code: 200, info: 'OK' });
    expect(ok.seen.at(-1)).toBe('GET /health HTTP/1.0\r\nX-Check: yes\r\nConnection: close\r\n\r\n');
  });

  it('fails on 5xx by default (L7STS with the reason phrase)', async () => {
    const r = await probe({ host: '127.0.0.1', port: unavailable.port, timeoutMs: 1000, http: httpchk() });
    expect(r).toMatchObject({ passed: false, status: 'L7STS', code: 503, info: 'Service Unavailable' });
  });

  it('follows http-check expect status', async () => {
    const expects: HttpCheckExpect[] = [{ ...ref, negate: false, match: 'status', ranges: [[503, 503]] }];
    const r = await probe({ host: '127.0.0.1', port: unavailable.port, timeoutMs: 1000, http: httpchk({ expects }) });
    expect(r).toMatchObject({ passed: true, status: 'L7OK', code: 503 });
  });

  it('times out (L7TOUT) when the server accepts but never answers', async () => {
    const t0 = Date.now();
    const r = await probe({ host: '127.0.0.1', port: silent.port, timeoutMs: 150, http: httpchk() });
    expect(r).toMatchObject({ passed: false, status: 'L7TOUT' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('adds Host for HTTP/1.1 unless configured', () => {
    expect(httpCheckRequest(httpchk({ version: 'HTTP/1.1' }), '10.0.0.1')).toBe('GET /health HTTP/1.1\r\nHost: 10.0.0.1\r\nConnection: close\r\n\r\n');
    expect(httpCheckRequest(httpchk({ version: 'HTTP/1.1', headers: [['Host', 'a']] }), 'x')).toBe('GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  });
});

describe('statusMatches (http-check expect)', () => {
  const st = (ranges: [number, number][], negate = false): HttpCheckExpect => ({ ...ref, negate, match: 'status', ranges });
  const rs = (regex: string, negate = false): HttpCheckExpect => ({ ...ref, negate, match: 'rstatus', regex });
  it.each([
    [[], 200, true],
    [[], 302, true],
    [[], 404, false],
    [[st([[200, 201], [300, 310]])], 305, true],
    [[st([[200, 200]])], 204, false],
    [[rs('^2')], 204, true],
    [[rs('^5', true)], 503, false],
    [[rs('^5', true), st([[404, 404]], true)], 404, false],
    [[rs('^5', true), st([[404, 404]], true)], 200, true],
  ] as [HttpCheckExpect[], number, boolean][])('%j with %i -> %s', (expects, code, want) => {
    expect(statusMatches(expects, code)).toBe(want);
  });
});
