/**
 * End to end: headless Chromium (Debian `chromium`, /work/shared/interop-quic.md §2) through Flightbox
 * over HTTP/3 to a node:http origin. Flightbox binds `quic4@127.0.0.1:<port> ssl crt <pem> alpn h3` with
 * a CA-signed ECDSA P-256 leaf and its chain; Chromium is told to speak QUIC to that origin
 * (`--origin-to-force-quic-on`) and to accept the leaf by its SPKI pin
 * (`--ignore-certificate-errors-spki-list`), so HTTP/3 is the only way it can load anything.
 *
 * What Chromium sends is what makes this test worth having (interop-quic.md §6): a 1.9 KB ClientHello
 * over two Initial datagrams, its CRYPTO frames fragmented and shuffled, an X25519MLKEM768 key share
 * first, a zero-length source connection id, no Ed25519 in signature_algorithms.
 *
 * Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: it reads
 * NUL-terminated JSON on fd 3 and writes on fd 4; a small client below). The page is loaded, then the
 * tests run `fetch()` in it and assert what the page itself sees: statuses, SHA-256 of the bodies
 * (computed by `crypto.subtle` in the page), and `performance` entries whose `nextHopProtocol` is
 * `h3`; on the proxy side, httplog lines with `HTTP/3.0`, all from one client address (one QUIC
 * connection), and the TLS 1.3 trace of the handshake (hybrid group, AES-128-GCM, ALPN h3).
 *
 * FLIGHTBOX_CHROMIUM_NETLOG=<file> makes Chromium write its NetLog there (QUIC_SESSION_* events, close
 * reasons: what to read when a handshake fails).
 *
 * The whole file is skipped, with the reason, when /usr/bin/chromium is not installed
 * (`apt-get install chromium`). Every browser run is bounded; the browser's process group is killed
 * and its temporary profile removed in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pollUntil, type Proxy } from './harness.ts';
import { INTEROP_FRONTEND, startH3Proxy } from './h3-harness.ts';
import { listen } from './origins.ts';
import { createPki, type Pki } from '../proxy/tls/pki.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`test/e2e/h3-chromium.test.ts skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);

/** How long one DevTools command may take before the test fails with what was pending. */
const CDP_TIMEOUT_MS = 20_000;
/** The longest a browser started here may live: it is killed then. */
const BROWSER_LIFETIME_MS = 180_000;

/**
 * A minimal DevTools protocol client over Chromium's `--remote-debugging-pipe`: messages are JSON
 * texts each followed by a NUL byte, commands carry an `id` that the answer repeats, events carry a
 * `method`. With flattened sessions (`Target.attachToTarget {flatten: true}`) a command for a page
 * carries its `sessionId`.
 */
class Cdp {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; what: string }>();
  private waiters: { method: string; sessionId?: string; resolve: (p: Record<string, unknown>) => void }[] = [];
  private buf = '';
  /** Every event received, in order (method and params), for failure messages. */
  readonly events: { method: string; params: Record<string, unknown> }[] = [];

  private readonly out: Writable;

  constructor(out: Writable, input: Readable) {
    this.out = out;
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let nul = this.buf.indexOf('\0'); nul >= 0; nul = this.buf.indexOf('\0')) {
        const text = this.buf.slice(0, nul);
        this.buf = this.buf.slice(nul + 1);
        this.dispatch(JSON.parse(text) as Record<string, unknown>);
      }
    });
    input.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium closed the DevTools pipe while ${p.what} was pending`));
      this.pending.clear();
    });
  }

  private dispatch(msg: Record<string, unknown>): void {
    if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.what}: ${JSON.stringify(msg.error)}`));
      else p.resolve((msg.result ?? {}) as Record<string, unknown>);
      return;
    }
    const method = msg.method as string;
    const params = (msg.params ?? {}) as Record<string, unknown>;
    this.events.push({ method, params });
    this.waiters = this.waiters.filter((w) => {
      if (w.method !== method || (w.sessionId !== undefined && w.sessionId !== msg.sessionId)) return true;
      w.resolve(params);
      return false;
    });
  }

  /** Sends `method` (to the page session `sessionId` when given) and resolves with its result; rejects on a protocol error or after `timeoutMs`. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = CDP_TIMEOUT_MS): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const what = `${method} ${JSON.stringify(params).slice(0, 200)}`;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer from chromium to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        what,
        resolve: (v) => (clearTimeout(t), resolve(v)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      this.out.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  /** Resolves with the params of the next event `method` (of `sessionId` when given); rejects after `timeoutMs`. Register before causing it. */
  next(method: string, sessionId?: string, timeoutMs = CDP_TIMEOUT_MS): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${method} event from chromium within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ method, sessionId, resolve: (p) => (clearTimeout(t), resolve(p)) });
    });
  }
}

/** A running headless Chromium driven over the DevTools pipe. */
interface Browser {
  child: ChildProcess;
  cdp: Cdp;
  /** The page session every test evaluates in. */
  session: string;
  stderr(): string;
  /** Evaluates `expression` in the page, awaiting a promise; resolves with its value (JSON), rejects with the page's exception. */
  evaluate<T>(expression: string, timeoutMs?: number): Promise<T>;
  /** Browser.close, then SIGKILL to the process group if it is still there after 5 s. */
  close(): Promise<void>;
}

/** Base64 SHA-256 of the DER SubjectPublicKeyInfo of the PEM certificate `certText`: what `--ignore-certificate-errors-spki-list` takes. */
function spkiPin(certText: string): string {
  const der = createPublicKey(certText).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * Starts headless Chromium with a fresh profile in `profile`, QUIC forced to 127.0.0.1:`port`, the
 * certificate accepted by `pin`, and `extra` flags; opens a blank page and attaches to it.
 */
async function launchChromium(profile: string, port: number, pin: string, extra: string[] = []): Promise<Browser> {
  const args = [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-default-apps', '--mute-audio',
    `--user-data-dir=${profile}`,
    '--enable-quic', `--origin-to-force-quic-on=127.0.0.1:${port}`, `--ignore-certificate-errors-spki-list=${pin}`,
    '--remote-debugging-pipe', ...extra, 'about:blank',
  ];
  // For debugging a failure: Chromium's own account of the QUIC session (packets, frames, close reasons).
  const netlog = process.env.FLIGHTBOX_CHROMIUM_NETLOG;
  if (netlog && !extra.some((a) => a.startsWith('--log-net-log='))) args.splice(-1, 0, `--log-net-log=${netlog}`, '--net-log-capture-mode=Everything');
  // Its own process group (detached), so that close() can end the browser and its helpers together.
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.on('error', (e) => (err += `spawn error: ${e.message}\n`));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
  (child.stdio[3] as Writable).on('error', () => {}); // EPIPE when the browser is gone: commands then time out or reject
  const killGroup = () => {
    try {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killGroup);
  // A hard bound on the browser's life, whatever happens to the test that started it.
  const cap = setTimeout(killGroup, BROWSER_LIFETIME_MS).unref();
  const close = async () => {
    const t = setTimeout(killGroup, 5000);
    await cdp.send('Browser.close', {}, undefined, 5000).catch(() => killGroup());
    await exited;
    clearTimeout(t);
    clearTimeout(cap);
    process.off('exit', killGroup);
  };
  try {
    const { targetId } = (await cdp.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    await cdp.send('Page.enable', {}, sessionId);
    return {
      child,
      cdp,
      session: sessionId,
      stderr: () => err,
      close,
      async evaluate<T>(expression: string, timeoutMs = CDP_TIMEOUT_MS): Promise<T> {
        const r = (await cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId, timeoutMs)) as {
          result: { value?: unknown };
          exceptionDetails?: { exception?: { description?: string }; text?: string };
        };
        if (r.exceptionDetails) throw new Error(`the page threw: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
    };
  } catch (e) {
    killGroup();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    clearTimeout(cap);
    process.off('exit', killGroup);
    throw new Error(`chromium did not start: ${(e as Error).message}\nstderr:\n${err}`);
  }
}

/**
 * The events named `type` in the NetLog file `file` that Chromium wrote (`--log-net-log`; complete
 * once the browser has exited): their params. Event types are numbers mapped by `constants.logEventTypes`.
 */
function netlogEvents(file: string, type: string): Record<string, unknown>[] {
  const log = JSON.parse(readFileSync(file, 'utf8')) as { constants: { logEventTypes: Record<string, number> }; events: { type: number; params?: Record<string, unknown> }[] };
  const code = log.constants.logEventTypes[type];
  return log.events.filter((e) => e.type === code).map((e) => e.params ?? {});
}

/** What the page's `h3fetch()` (in /app.js) answers for one request. */
interface Fetched {
  status: number;
  size: number;
  sha256: string;
  text: string;
  protocol: string | null;
  contentType: string | null;
}

/**
 * The page's script: `h3fetch(path, init)` fetches without the cache, hashes the body with
 * `crypto.subtle`, and waits for the request's Resource Timing entry (it appears once the body is
 * read) to report its `nextHopProtocol`; `postRandom(path, n)` POSTs `n` random bytes and also
 * returns the SHA-256 of what it sent.
 */
const APP_JS = `
window.appLoaded = true;
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
window.h3fetch = async (path, init = {}) => {
  const r = await fetch(path, { cache: 'no-store', ...init });
  const body = await r.arrayBuffer();
  const url = new URL(path, location.href).href;
  let e;
  for (let i = 0; i < 100 && !(e = performance.getEntriesByName(url, 'resource').at(-1)); i++) await new Promise((w) => setTimeout(w, 10));
  return {
    status: r.status, size: body.byteLength, sha256: hex(await crypto.subtle.digest('SHA-256', body)),
    text: body.byteLength <= 256 ? new TextDecoder().decode(body) : '', protocol: e ? e.nextHopProtocol : null,
    contentType: r.headers.get('content-type'),
  };
};
window.postRandom = async (path, n) => {
  const body = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(body.subarray(i, Math.min(n, i + 65536)));
  const sent = hex(await crypto.subtle.digest('SHA-256', body));
  return { sent, ...(await window.h3fetch(path, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })) };
};
`;

const PAGE = `<!doctype html><html><head><title>h3 interop</title><script src="/app.js"></script></head><body><p id="p">flightbox over h3</p></body></html>`;

/** Response bodies for GET /bytes?n=<size>: the first <size> bytes of this 1 MiB. */
const BYTES = randomBytes(1024 * 1024);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What the origin saw of each request: method, url, body size and digest, forwarded-for, headers. */
const seen: { method: string; url: string; size: number; sha: string; xff?: string; headers: IncomingHttpHeaders }[] = [];

/** /drip sends DRIP_CHUNKS chunks of DRIP_CHUNK bytes; dripCut: its response was closed before the end. */
const DRIP_CHUNK = 65_536;
const DRIP_CHUNKS = 40;
let dripCut = false;

let p: Proxy;
let quicPort: number;
let pki: Pki;
let pin: string;
let browser: Browser | undefined;
let profile: string;

/** The proxy's httplog lines of HTTP/3 requests whose path (with query) starts with `prefix`. */
function logLines(prefix: string): string[] {
  return p.stdout().split('\n').filter((l) => / "[A-Z]+ (\S+) HTTP\/3\.0"$/.exec(l)?.[1]?.startsWith(prefix));
}

/** The browser's recent DevTools events and stderr, for failure messages (they say why a load failed). */
function diagnostics(): string {
  const ev = browser?.cdp.events.slice(-20).map((e) => `${e.method} ${JSON.stringify(e.params).slice(0, 300)}`).join('\n');
  return `\nlast DevTools events:\n${ev}\nchromium stderr (tail):\n${browser?.stderr().split('\n').filter((l) => !l.includes('dbus')).slice(-20).join('\n')}`;
}

describe.skipIf(!HAVE_CHROMIUM)('HTTP/3 through Flightbox with headless Chromium', () => {
  beforeAll(async () => {
    const origin = await listen(
      createServer((req, res) => {
        const h = createHash('sha256');
        let size = 0;
        req.on('data', (c: Buffer) => {
          h.update(c);
          size += c.length;
        });
        req.on('end', () => {
          const sha = h.digest('hex');
          seen.push({ method: req.method!, url: req.url!, size, sha, xff: req.headers['x-forwarded-for'] as string | undefined, headers: req.headers });
          const url = new URL(req.url!, 'http://origin');
          if (url.pathname === '/page.html') {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
          } else if (url.pathname === '/app.js') {
            res.writeHead(200, { 'content-type': 'text/javascript' }).end(APP_JS);
          } else if (url.pathname === '/bytes') {
            res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BYTES.subarray(0, Number(url.searchParams.get('n'))));
          } else if (url.pathname === '/echo' && req.method === 'POST') {
            res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ size, sha }));
          } else if (url.pathname === '/drip') {
            // 40 chunks of 64 KiB, 50 ms apart: slow enough for the page to cancel it half-way.
            res.writeHead(200, { 'content-type': 'application/octet-stream' });
            let n = 0;
            const t = setInterval(() => {
              res.write(BYTES.subarray(0, DRIP_CHUNK));
              if (++n === DRIP_CHUNKS) {
                clearInterval(t);
                res.end();
              }
            }, 50);
            res.on('close', () => {
              clearInterval(t);
              if (!res.writableFinished) dripCut = true;
            });
          } else if (url.pathname === '/favicon.ico') {
            res.writeHead(204).end();
          } else {
            res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${url.pathname} here\n`);
          }
        });
      }),
    );
    pki = createPki('Flightbox H3 Chromium CA');
    const leaf = pki.issue('localhost');
    pin = spkiPin(leaf.certText);
    p = await startH3Proxy({
      preamble: { nbthread: 2, global: ['log stdout format raw local0', 'hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '5s' } },
      pem: leaf.pem,
      frontend: INTEROP_FRONTEND,
      origin: origin.port,
    });
    quicPort = p.port;
    // What the trace assertions below read (the default already; said here so that they do not depend on it).
    await p.cli('trace tls13 level state; trace tls13 start now; trace quic level state; trace quic start now');
    profile = mkdtempSync(join(tmpdir(), 'fb-chromium-'));
    browser = await launchChromium(profile, quicPort, pin);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (p) await p.stop();
    pki?.cleanup();
  }, 30_000);

  it('loads a page and its script over h3 (nextHopProtocol, status), logged as HTTP/3.0', async () => {
    const b = browser!;
    const loaded = b.cdp.next('Page.loadEventFired', b.session);
    const nav = (await b.cdp.send('Page.navigate', { url: `https://127.0.0.1:${quicPort}/page.html` }, b.session)) as { errorText?: string };
    expect(nav.errorText, `navigation failed${diagnostics()}`).toBeUndefined();
    await loaded;
    const page = await b.evaluate<{ nav: string; status: number; script: string | null; appLoaded: boolean; text: string; secure: boolean }>(`(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const s = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/app.js'));
      return { nav: n.nextHopProtocol, status: n.responseStatus, script: s ? s.nextHopProtocol : null,
               appLoaded: window.appLoaded === true, text: document.getElementById('p').textContent, secure: isSecureContext };
    })()`);
    expect(page).toEqual({ nav: 'h3', status: 200, script: 'h3', appLoaded: true, text: 'flightbox over h3', secure: true });
    const lines = await pollUntil(() => logLines('/page.html').concat(logLines('/app.js')), (l) => l.length === 2);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/ web~ be\/s1 \d+\/\d+\/\d+\/\d+\/\d+ 200 \d+ - - ---- .*"GET \/(page\.html|app\.js) HTTP\/3\.0"$/);
    expect(seen.find((s) => s.url === '/page.html')?.xff).toBe('127.0.0.1');
  });

  it('handshakes with the hybrid X25519MLKEM768 group, AES-128-GCM and ALPN h3 (tls13 trace)', async () => {
    const done = await pollUntil(
      async () => (await p.cli('show events flight')).split('\n').filter((l) => l.includes('|tls13|') && l.includes('handshake complete')),
      (l) => l.length > 0,
    );
    // 4865 = TLS_AES_128_GCM_SHA256 (0x1301), 4588 = X25519MLKEM768 (0x11ec), no HelloRetryRequest.
    expect(done.at(-1)).toMatch(/handshake complete suite 4865 group 4588 retried 0: server alpn=h3/);
  });

  it('GETs bodies of 0 B to 1 MiB concurrently, byte-identical, each over h3', async () => {
    const sizes = [0, 1, 1199, 16_384, 100_000, 1024 * 1024];
    const got = await browser!.evaluate<Fetched[]>(`Promise.all(${JSON.stringify(sizes)}.map((n) => h3fetch('/bytes?n=' + n)))`);
    expect(got.map((g) => [g.status, g.size, g.sha256, g.protocol, g.contentType])).toEqual(
      sizes.map((n) => [200, n, sha256(BYTES.subarray(0, n)), 'h3', 'application/octet-stream']),
    );
    const lines = await pollUntil(() => logLines('/bytes?'), (l) => l.length >= sizes.length);
    expect(lines.length).toBe(sizes.length);
    for (const l of lines) expect(l).toMatch(/ 200 \d+ - - ---- .*"GET \/bytes\?n=\d+ HTTP\/3\.0"$/);
  });

  it('POSTs a 300 KB body that reaches the origin byte for byte, and a small one', async () => {
    const big = await browser!.evaluate<Fetched & { sent: string }>(`postRandom('/echo?big', 300000)`);
    expect([big.status, big.protocol]).toEqual([201, 'h3']);
    expect(JSON.parse(big.text || '{}')).toEqual({ size: 300_000, sha: big.sent });
    expect(seen.find((s) => s.url === '/echo?big')).toMatchObject({ method: 'POST', size: 300_000, sha: big.sent });
    const small = await browser!.evaluate<Fetched & { sent: string }>(`postRandom('/echo?small', 17)`);
    expect([small.status, small.protocol, JSON.parse(small.text)]).toEqual([201, 'h3', { size: 17, sha: small.sent }]);
    const lines = await pollUntil(() => logLines('/echo?'), (l) => l.length === 2);
    for (const l of lines) expect(l).toMatch(/ 201 \d+ - - ---- .*"POST \/echo\?(big|small) HTTP\/3\.0"$/);
  });

  it('passes a 404 from the origin and answers an http-request return rule, both over h3', async () => {
    const [missing, rule] = await browser!.evaluate<Fetched[]>(`Promise.all([h3fetch('/missing'), h3fetch('/rule')])`);
    expect([missing.status, missing.text, missing.protocol]).toEqual([404, 'no /missing here\n', 'h3']);
    expect([rule.status, rule.text, rule.protocol, rule.contentType]).toEqual([200, 'answered by a rule\n', 'h3', 'text/plain']);
    expect(seen.some((s) => s.url === '/rule')).toBe(false);
  });

  it('forwards large request headers and cookies that Chromium QPACK-encodes (crumbs joined, RFC 9114 §4.2.1)', async () => {
    // Chromium's QPACK encoder uses the dynamic table Flightbox's decoder advertises; an 8 KB value
    // does not fit in it, 60 small fields and a repeated request do; cookies go as separate crumbs.
    const got = await browser!.evaluate<Fetched[]>(`(async () => {
      document.cookie = 'c1=' + 'z'.repeat(3000) + '; path=/';
      document.cookie = 'c2=' + 'y'.repeat(3000) + '; path=/';
      const many = Object.fromEntries(Array.from({ length: 60 }, (_, k) => ['x-h' + k, 'value-' + k]));
      const out = [];
      for (const [path, headers] of [['/hdr?big', { 'x-big': 'a'.repeat(8000) }], ['/hdr?many', many], ['/hdr?many2', many]]) out.push(await h3fetch(path, { headers }));
      document.cookie = 'c1=; max-age=0; path=/';
      document.cookie = 'c2=; max-age=0; path=/';
      return out;
    })()`);
    expect(got.map((g) => [g.status, g.protocol])).toEqual([[404, 'h3'], [404, 'h3'], [404, 'h3']]);
    const big = seen.find((s) => s.url === '/hdr?big')!;
    expect(big.headers['x-big']).toBe('a'.repeat(8000));
    expect(big.headers.cookie).toBe(`c1=${'z'.repeat(3000)}; c2=${'y'.repeat(3000)}`);
    for (const url of ['/hdr?many', '/hdr?many2']) {
      const h = seen.find((s) => s.url === url)!.headers;
      for (let k = 0; k < 60; k++) expect(h[`x-h${k}`]).toBe(`value-${k}`);
    }
  });

  it('cancels a download half-way (the page aborts it) and goes on serving on the same connection', async () => {
    const r = await browser!.evaluate<{ got: number; after: Fetched }>(`(async () => {
      const ac = new AbortController();
      const res = await fetch('/drip', { signal: ac.signal, cache: 'no-store' });
      const reader = res.body.getReader();
      let got = 0;
      while (got < 200000) got += (await reader.read()).value.length;
      ac.abort(); // Chromium sends STOP_SENDING and RESET_STREAM (H3_REQUEST_CANCELLED)
      return { got, after: await h3fetch('/bytes?n=5000') };
    })()`);
    expect(r.got).toBeGreaterThanOrEqual(200_000);
    expect(r.got).toBeLessThan(DRIP_CHUNK * DRIP_CHUNKS);
    expect([r.after.status, r.after.size, r.after.sha256, r.after.protocol]).toEqual([200, 5000, sha256(BYTES.subarray(0, 5000)), 'h3']);
    // The cancellation reached the origin: Flightbox closed that server connection before the end.
    expect(await pollUntil(() => dripCut, (x) => x, { timeoutMs: 5000 })).toBe(true);
    // HAProxy's termination state: C (the client aborted), D (during the data phase).
    const [line] = await pollUntil(() => logLines('/drip'), (l) => l.length === 1, { timeoutMs: 5000 });
    expect(line).toMatch(/ 200 \d+ - - CD-- .*"GET \/drip HTTP\/3\.0"$/);
  });

  it('carried every request on one QUIC connection (one client address in the log)', async () => {
    const lines = p.stdout().split('\n').filter((l) => l.includes(' HTTP/3.0"'));
    expect(lines.length).toBeGreaterThanOrEqual(17);
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(1);
    expect(p.child.exitCode).toBeNull();
  });

  it('answers a QUIC v2 Initial with Version Negotiation listing v1, which Chromium reports (RFC 9000 §6)', async () => {
    // Chromium with only QUIC v2 (RFC 9369, 0x6b3343cf) enabled: Flightbox speaks v1 only.
    const dir = mkdtempSync(join(tmpdir(), 'fb-chromium-v2-'));
    const netlog = join(dir, 'netlog.json');
    try {
      const v2 = await launchChromium(join(dir, 'profile'), quicPort, pin, ['--quic-version=RFCv2', `--log-net-log=${netlog}`, '--net-log-capture-mode=Everything']);
      let nav: { errorText?: string };
      try {
        nav = (await v2.cdp.send('Page.navigate', { url: `https://127.0.0.1:${quicPort}/v2.html` }, v2.session)) as { errorText?: string };
      } finally {
        await v2.close(); // the NetLog file is complete once the browser has exited
      }
      // Chromium does not downgrade after a Version Negotiation packet: the load fails at once.
      expect(nav.errorText).toBe('net::ERR_QUIC_PROTOCOL_ERROR');
      const vn = netlogEvents(netlog, 'QUIC_SESSION_VERSION_NEGOTIATION_PACKET_RECEIVED');
      expect(vn.length).toBeGreaterThan(0);
      for (const e of vn) expect(e.versions).toEqual(['RFCv1']); // a greasing version, if any, is not listed by Chromium
      const closed = netlogEvents(netlog, 'QUIC_SESSION_CLOSED');
      expect(closed.some((e) => e.quic_error === 20 /* QUIC_INVALID_VERSION */ && e.from_peer === false)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The proxy traced it on the quic source (1798521807 = 0x6b3343cf) and served no request.
    const events = (await p.cli('show events flight')).split('\n');
    expect(events.some((l) => l.includes('|quic|') && /version.?negotiation/i.test(l) && l.includes('1798521807'))).toBe(true);
    expect(seen.some((s) => s.url === '/v2.html')).toBe(false);
    expect(p.child.exitCode).toBeNull();
  }, 45_000);
});
