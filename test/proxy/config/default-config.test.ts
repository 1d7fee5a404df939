import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_ENV, DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TEXT } from '../../../proxy/config/default-config.ts';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { checkEngineSupport } from '../../../proxy/config/engine-support.ts';

describe('embedded default configuration', () => {
  const r = parseConfigText(DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TEXT, { env: {}, cwd: '/work/x' });

  it('parses without any alert or warning, and the engine supports all of it', () => {
    expect(r.alerts.map((a) => a.formatted)).toEqual([]);
    expect(r.warnings.map((a) => a.formatted)).toEqual([]);
    expect(checkEngineSupport(r.config!).map((a) => a.formatted)).toEqual([]);
    expect(DEFAULT_CONFIG_NAME).toBe('<embedded>');
    expect(r.sources).toEqual([{ name: '<embedded>', text: DEFAULT_CONFIG_TEXT }]);
  });
  it('serves a frontend on 127.0.0.1:8080 that answers /flightbox itself and forwards the rest to backend demo', () => {
    const fe = r.config!.frontends;
    expect(fe).toHaveLength(1);
    expect(fe[0].binds).toMatchObject([{ host: '127.0.0.1', port: 8080 }]);
    expect(fe[0].defaultBackend).toMatchObject({ backend: 'demo' });
    expect(fe[0].forwardfor).toMatchObject({ header: 'X-Forwarded-For' });
    const rule = fe[0].httpRequestRules[0];
    expect(rule).toMatchObject({ kind: 'return', status: 200, contentType: 'text/plain; charset=utf-8' });
    expect(rule.cond).toMatchObject({ kind: 'if', tokens: ['{', 'path', '/flightbox', '}'] });
    if (rule.kind !== 'return') throw new Error(`expected a return rule, got ${rule.kind}`);
    const body = rule.body.toString();
    expect(body).toMatch(/^Flightbox is running\.\n/);
    expect(body).toContain('socat stdio /tmp/flightbox.sock');
    expect(body).toContain('127.0.0.1:8081');
    expect(rule.body.length).toBeLessThanOrEqual(r.config!.global.tune.bufsize);
  });
  it('runs the demo origin on 127.0.0.1:8081 as the health-checked server of backend demo', () => {
    const c = r.config!;
    expect(c.global.demoOrigin).toMatchObject({ host: '127.0.0.1', port: 8081 });
    expect(c.backends).toHaveLength(1);
    const be = c.backends[0];
    expect(be.name).toBe('demo');
    expect(be.servers).toMatchObject([{ name: 'demo1', host: '127.0.0.1', port: 8081, check: true }]);
    expect(be.httpchk).toMatchObject({ method: 'GET', uri: '/health' });
  });
  it('has an admin runtime socket, the buf0 ring and ./snapshots', () => {
    const c = r.config!;
    expect(c.global.statsSockets).toMatchObject([{ path: '/tmp/flightbox.sock', mode: 0o600, level: 'admin' }]);
    expect(c.rings).toMatchObject([{ name: 'buf0', size: 1024 * 1024 }]);
    expect(c.global.snapshotDir).toBe('/work/x/snapshots');
  });
  it('moves its ports and socket with FLIGHTBOX_PORT, FLIGHTBOX_DEMO_PORT and FLIGHTBOX_SOCKET', () => {
    expect(DEFAULT_CONFIG_ENV).toEqual({ FLIGHTBOX_PORT: '8080', FLIGHTBOX_DEMO_PORT: '8081', FLIGHTBOX_SOCKET: '/tmp/flightbox.sock' });
    const env = { FLIGHTBOX_PORT: '18080', FLIGHTBOX_DEMO_PORT: '18081', FLIGHTBOX_SOCKET: '/tmp/fb-other.sock' };
    const m = parseConfigText(DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TEXT, { env, cwd: '/work/x' });
    expect(m.alerts.concat(m.warnings)).toEqual([]);
    const c = m.config!;
    expect(c.frontends[0].binds).toMatchObject([{ host: '127.0.0.1', port: 18080 }]);
    expect(c.global.demoOrigin).toMatchObject({ port: 18081 });
    expect(c.backends[0].servers).toMatchObject([{ port: 18081 }]);
    expect(c.global.statsSockets).toMatchObject([{ path: '/tmp/fb-other.sock' }]);
    const rule = c.frontends[0].httpRequestRules[0];
    if (rule.kind !== 'return') throw new Error(`expected a return rule, got ${rule.kind}`);
    expect(rule.body.toString()).toContain('socat stdio /tmp/fb-other.sock');
    expect(rule.body.toString()).toContain('127.0.0.1:18081');
  });
});
