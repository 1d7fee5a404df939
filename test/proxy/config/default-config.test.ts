import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TEXT } from '../../../proxy/config/default-config.ts';
import { parseConfigText } from '../../../proxy/config/parser.ts';

describe('embedded default configuration', () => {
  const r = parseConfigText(DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TEXT, { env: {}, cwd: '/work/x' });

  it('parses without any alert or warning', () => {
    expect(r.alerts.map((a) => a.formatted)).toEqual([]);
    expect(r.warnings.map((a) => a.formatted)).toEqual([]);
    expect(DEFAULT_CONFIG_NAME).toBe('<embedded>');
    expect(r.sources).toEqual([{ name: '<embedded>', text: DEFAULT_CONFIG_TEXT }]);
  });
  it('serves a frontend on 127.0.0.1:8080 that answers a page about Flightbox', () => {
    const fe = r.config!.frontends;
    expect(fe).toHaveLength(1);
    expect(fe[0].binds).toMatchObject([{ host: '127.0.0.1', port: 8080 }]);
    const rule = fe[0].httpRequestRules[0];
    expect(rule).toMatchObject({ kind: 'return', status: 200, contentType: 'text/plain; charset=utf-8' });
    if (rule.kind !== 'return') throw new Error(`expected a return rule, got ${rule.kind}`);
    const body = rule.body.toString();
    expect(body).toMatch(/^Flightbox is running\.\n/);
    expect(body).toContain('socat stdio /tmp/flightbox.sock');
    expect(rule.body.length).toBeLessThanOrEqual(r.config!.global.tune.bufsize);
  });
  it('has an admin runtime socket, the buf0 ring and ./snapshots', () => {
    const c = r.config!;
    expect(c.global.statsSockets).toMatchObject([{ path: '/tmp/flightbox.sock', mode: 0o600, level: 'admin' }]);
    expect(c.rings).toMatchObject([{ name: 'buf0', size: 1024 * 1024 }]);
    expect(c.global.snapshotDir).toBe('/work/x/snapshots');
  });
});
