/**
 * `bind quic4@<addr>:<port> ssl crt <pem> [alpn h3]` and `quic6@` (proxy/config/sections/bind.ts,
 * HAProxy configuration manual 11.1 and 5.1): what a QUIC bind records, and the alerts and warnings a
 * user meets at the line. Certificates are made by the openssl CLI (test/proxy/tls/pki.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, parse, parseOk, warnings } from '../../config/helpers.ts';
import { createPki, type Pki } from '../../tls/pki.ts';

let pki: Pki;
let pem: string;

beforeAll(() => {
  pki = createPki();
  pem = pki.issue('localhost', ['localhost'], 'site.pem').pem;
});
afterAll(() => pki.cleanup());

const fe = (bind: string) => `frontend f\n timeout client 1s\n ${bind}\n`;

describe('bind quic4@ / quic6@', () => {
  it('records a UDP bind with TLS and ALPN h3 (the default when alpn is absent)', () => {
    const c = parseOk(fe(`bind quic4@127.0.0.1:8443 ssl crt ${pem}`));
    expect(c.frontends[0].binds).toEqual([{ host: '127.0.0.1', port: 8443, name: undefined, file: 't.cfg', line: 3, quic: 'quic4', ssl: { crt: [pem], alpn: ['h3'] } }]);
    const six = parseOk(fe(`bind quic6@[::1]:8443,quic6@:::9443 ssl crt ${pem} alpn h3`.replace(',quic6@', ',')));
    expect(six.frontends[0].binds.map((b) => [b.quic, b.host, b.port])).toEqual([['quic6', '::1', 8443], ['quic6', '::', 9443]]);
  });

  it('keeps h3 and warns about other ALPN names', () => {
    const r = parse(fe(`bind quic4@:443 ssl crt ${pem} alpn h3,h3-29`));
    expect(alerts(r)).toEqual([]);
    expect(warnings(r).join('\n')).toContain("ALPN 'h3-29' not offered: Flightbox speaks only HTTP/3 (h3) over QUIC");
  });

  it('quic-force-retry is recorded on a QUIC bind and ignored with a warning on a TCP bind', () => {
    const q = parse(fe(`bind quic4@127.0.0.1:8443 ssl crt ${pem} alpn h3 quic-force-retry`));
    expect(alerts(q)).toEqual([]);
    expect(warnings(q).join('\n')).not.toContain('quic-force-retry');
    expect(parseOk(fe(`bind quic4@127.0.0.1:8443 ssl crt ${pem} quic-force-retry`)).frontends[0].binds[0].quicForceRetry).toBe(true);
    expect(parseOk(fe(`bind quic4@127.0.0.1:8443 ssl crt ${pem}`)).frontends[0].binds[0].quicForceRetry).toBeUndefined();
    const t = parse(fe('bind 127.0.0.1:8080 quic-force-retry'));
    expect(alerts(t)).toEqual([]);
    expect(warnings(t).join('\n')).toContain("'bind 127.0.0.1:8080' : 'quic-force-retry' applies only to QUIC binds");
    expect(parseOk(fe('bind 127.0.0.1:8080 quic-force-retry')).frontends[0].binds[0].quicForceRetry).toBeUndefined();
  });

  it.each([
    ['bind quic4@:443 crt PEM', "QUIC bind 'quic4@:443' needs 'ssl' and 'crt <pem>' (QUIC always runs TLS 1.3)"],
    ['bind quic4@:443 ssl', 'no SSL certificate specified'],
    ['bind quic4@:443 ssl crt /nonexistent/x.pem', "unable to stat SSL certificate from file '/nonexistent/x.pem'"],
    ['bind quic4@:443 ssl crt PEM alpn h2,http/1.1', "ALPN list 'h2,http/1.1' of QUIC bind 'quic4@:443' does not offer 'h3'"],
    ['bind quic4@[::1]:443 ssl crt PEM', "quic4@ needs an IPv4 address (or '*'), got '::1'; use quic6@ for IPv6"],
    ['bind quic6@127.0.0.1:443 ssl crt PEM', "quic6@ needs an IPv6 address (e.g. 'quic6@[::]:443'), got '127.0.0.1'"],
    ['bind :80,quic4@:443 ssl crt PEM', "'quic4@' must prefix the whole bind address list"],
  ])('refuses %s at its line', (line, message) => {
    const r = parse(fe(line.replace('PEM', pem)));
    // The line's alert (the frontend then also has no bind, a second alert at its own line).
    const a = alerts(r).filter((x) => x.includes('[t.cfg:3]'));
    expect(a).toHaveLength(1);
    expect(a[0]).toContain(message);
  });
});
