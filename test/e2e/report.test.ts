/**
 * End to end: `flightbox report` on a real snapshot of a real proxy. Known secrets are planted in
 * traffic (Authorization, Cookie, a Set-Cookie from the origin, a redact-query parameter, a
 * redact-header header), in the configuration (a comment and a header value holding a token only
 * `--redact` knows) and in the proxy's environment (a variable the configuration uses as
 * "${VAR}", whose value the origin receives), a snapshot is taken on demand through the runtime
 * socket, and the report is run with --redact. The proof: none of the secrets is in any byte of the
 * Markdown or of the redacted snapshot, compressed sections decompressed, while the context (paths,
 * request lines, status codes, configuration) is still there.
 *
 * The report runs from the TypeScript sources (Node runs them as they are), so this test does not
 * depend on a fresh build of dist/; the proxy runs from dist/ like in every e2e test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildConfig, ROOT, run, startProxy, type Proxy } from './harness.ts';
import { httpOrigin, type Origin } from './origins.ts';
import { decodeSnapshot } from '../../diag/snapshot/container.ts';

const SECRET = {
  bearer: 'Bearer e2e-SECRET-BEARER-4c1d9a7e',
  cookie: 'sid=e2e-SECRET-COOKIE-77e1',
  setCookie: 'e2e-SECRET-SETCOOKIE-0b5f',
  query: 'e2e-SECRET-QUERY-9d2c',
  apiKey: 'e2e-SECRET-APIKEY-31aa',
  token: 'tok_live_9f8e7d6c5b4a3928',
  env: 'e2e-SECRET-ENV-5eafb0d3',
} as const;
/** What only the secret's own rule can find: the parts that are not generic words. */
const NEEDLES = Object.values(SECRET).map((v) => v.replace(/^Bearer /, '').replace(/^sid=/, ''));
const ENV_NAME = 'FB_E2E_REPORT_SECRET';
/** The report runs with the TypeScript sources: `node cli/main.ts report ...`. */
const CLI_SRC = join(ROOT, 'cli', 'main.ts');

/** Runs `flightbox report` from the sources, in an environment without the proxy's secret. */
function report(args: string[]) {
  const env = { ...process.env };
  delete env[ENV_NAME];
  return run(process.execPath, [CLI_SRC, 'report', ...args], { env, timeoutMs: 60_000 });
}

/** Every byte of a snapshot file and of each of its sections decompressed, as latin1 text. */
function everyByte(image: Buffer): string {
  const c = decodeSnapshot(image);
  expect(c.sections.every((s) => s.status === 'ok')).toBe(true);
  return [image, ...c.sections.map((s) => Buffer.from(s.data!))].map((b) => b.toString('latin1')).join('\n');
}

describe('flightbox report on a live snapshot with planted secrets', () => {
  let p: Proxy;
  let origin: Origin;
  let out: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    origin = await httpOrigin((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.setHeader('Set-Cookie', `session=${SECRET.setCookie}; HttpOnly`);
      res.end(req.url?.startsWith('/missing') ? 'no\n' : 'ok\n');
    });
    process.env[ENV_NAME] = SECRET.env; // the proxy inherits it; the report will not
    try {
      p = await startProxy({
        config: (dir, port) =>
          buildConfig(
            dir,
            { global: ['redact-header X-Api-Key', 'redact-query session_token', `# staging deploy token ${SECRET.token}`] },
            {
              'frontend web': [
                `bind 127.0.0.1:${port}`,
                `http-request set-header X-Internal-Key "\${${ENV_NAME}}"`,
                `http-request set-header X-Trace-Tag ${SECRET.token}`,
                'default_backend be',
              ],
              'backend be': [`server s1 127.0.0.1:${origin.port}`],
            },
          ),
      });
    } finally {
      delete process.env[ENV_NAME];
    }
    out = mkdtempSync(join(tmpdir(), 'fb-e2e-report-'));
  });

  afterAll(async () => {
    await p?.stop();
    await origin?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('plants the secrets in real traffic, snapshots on demand, and the report keeps none of them', async () => {
    const r = await p.get(`/api/items?session_token=${SECRET.query}&page=2`, [
      '-H',
      `Authorization: ${SECRET.bearer}`,
      '-H',
      `Cookie: ${SECRET.cookie}`,
      '-H',
      `X-Api-Key: ${SECRET.apiKey}`,
    ]);
    expect(r.status).toBe(200);
    expect((await p.get('/health')).status).toBe(200);
    // The secrets really travelled: the origin got the environment value and the token.
    expect(seen[0]['x-internal-key']).toBe(SECRET.env);
    expect(seen[0]['x-trace-tag']).toBe(SECRET.token);
    expect(seen[0].authorization).toBe(SECRET.bearer);

    const answer = await p.cli('snapshot');
    const m = /snapshot written to (\S+)/.exec(answer);
    expect(m, answer).not.toBeNull();
    const snap = m![1];
    // Not vacuous: the original holds the token only --redact knows (in its configuration section, deflated).
    const original = readFileSync(snap);
    expect(original.toString('latin1')).not.toContain(SECRET.token);
    expect(everyByte(original)).toContain(SECRET.token);

    const rep = await report([snap, '-o', out, '--redact', 'tok_live_[0-9a-f]+']);
    expect(rep.code, rep.stderr).toBe(0);
    const name = basename(snap).replace(/\.fbsnap$/, '');
    const mdPath = join(out, `${name}.report.md`);
    const redPath = join(out, `${name}.redacted.fbsnap`);
    expect(rep.stdout).toContain(`report written: ${mdPath}`);
    expect(rep.stdout).toContain(`redacted snapshot written: ${redPath}`);
    expect(rep.stdout).toMatch(/Attach to the issue:\n {2}1\. .*\.report\.md: paste its content.*\n {2}2\. .*\.redacted\.fbsnap: attach it/);

    const md = readFileSync(mdPath, 'utf8');
    const bytes = everyByte(readFileSync(redPath));
    for (const needle of NEEDLES) {
      expect(md.includes(needle), `Markdown holds ${needle}`).toBe(false);
      expect(bytes.includes(needle), `redacted snapshot holds ${needle}`).toBe(false);
    }
    expect(Buffer.byteLength(md)).toBeLessThan(60 * 1024);

    // The context is still there: request lines with their paths, status codes, the configuration.
    expect(md).toMatch(/GET \/api\/items\?session_token=<redacted>&page=2 HTTP\/1\.1/);
    expect(md).toContain('GET /health HTTP/1.1');
    expect(md).toContain('h1_rcv_req(): request head: GET /api/items?session_token=<redacted>&page=2 HTTP/1.1');
    expect(md).toContain('be_rcv_res(): response status 200 from be/s1');
    expect(md).toContain('# Flightbox on-demand on the supervisor: snapshot taken on demand');
    expect(md).toContain(`http-request set-header X-Internal-Key "\${${ENV_NAME}}"`);
    expect(md).toContain('http-request set-header X-Trace-Tag <redacted>');
    expect(md).toContain(`server s1 127.0.0.1:${origin.port}`);
    expect(md).toContain('## Known issue');

    // The redacted copy decodes like any snapshot, with the same context.
    const dec = await run(process.execPath, [CLI_SRC, 'decode', redPath], { timeoutMs: 60_000 });
    expect(dec.code, dec.stderr).toBe(0);
    expect(dec.stdout).toContain('Reason    : on-demand');
    expect(dec.stdout).toContain('http-request set-header X-Trace-Tag <redacted>');
    for (const needle of NEEDLES) expect(dec.stdout).not.toContain(needle);
  });

  it('rejects an invalid --redact pattern with exit 1 and writes nothing', async () => {
    const snap = p.snapshots()[0];
    const dir = join(out, 'bad-pattern');
    const r = await report([snap, '-o', dir, '--redact', 'tok_[']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flightbox report: invalid --redact pattern 'tok_\['/);
    expect(existsSync(dir)).toBe(false);
  });

  it('says why with exit 2 when the file is not a snapshot', async () => {
    const r = await report([join(ROOT, 'package.json'), '-o', join(out, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flightbox report: .*package\.json: not a Flightbox snapshot/);
  });
});
