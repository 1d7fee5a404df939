import { describe, expect, it } from 'vitest';
import { REDACTED, redactConfigText, redactHeaders, redactMatches, redactNamesFromConfig, redactText, redactUrl, redactUrlsInText } from '../../diag/redact.ts';

const R = REDACTED;

describe('redactHeaders', () => {
  it('redacts the built-in secret headers in a list of pairs, keeping names, order and other values', () => {
    const input: [string, string][] = [
      ['Host', 'example.com'],
      ['Authorization', 'Bearer abc'],
      ['Proxy-Authorization', 'Basic dXNlcjpwYXNz'],
      ['Cookie', 'sid=1'],
      ['Set-Cookie', 'sid=2; Secure'],
      ['Accept', '*/*'],
    ];
    expect(redactHeaders(input, { headers: [] })).toEqual([
      ['Host', 'example.com'],
      ['Authorization', R],
      ['Proxy-Authorization', R],
      ['Cookie', R],
      ['Set-Cookie', R],
      ['Accept', '*/*'],
    ]);
    expect(input[1][1]).toBe('Bearer abc'); // input untouched
  });

  it('matches names case-insensitively, including configured extra names, in a record', () => {
    const out = redactHeaders({ AUTHORIZATION: 'x', cOOkie: 'y', 'X-Api-Key': 'k', 'x-other': 'v' }, { headers: ['x-API-key'] });
    expect(out).toEqual({ AUTHORIZATION: R, cOOkie: R, 'X-Api-Key': R, 'x-other': 'v' });
  });

  it('redacts every occurrence of a repeated header', () => {
    expect(redactHeaders([['set-cookie', 'a=1'], ['SET-COOKIE', 'b=2']])).toEqual([
      ['set-cookie', R],
      ['SET-COOKIE', R],
    ]);
  });

  it('changes nothing when no name matches', () => {
    const input: [string, string][] = [['Host', 'h'], ['X-Cookie-Policy', 'strict'], ['Authorization-Hint', 'none']];
    expect(redactHeaders(input, { headers: ['x-token'] })).toEqual(input);
  });
});

describe('redactUrl', () => {
  it('redacts configured query parameter values, case-insensitively and after percent-decoding', () => {
    expect(redactUrl('/api?user=bob&Token=abc&tok%65n=def&x=1', { queries: ['token'] })).toBe(`/api?user=bob&Token=${R}&tok%65n=${R}&x=1`);
  });

  it('redacts the userinfo of an absolute-form target', () => {
    expect(redactUrl('https://alice:s3cret@example.com:8443/p?q=1', { queries: [] })).toBe(`https://${R}@example.com:8443/p?q=1`);
    expect(redactUrl('http://token@example.com/')).toBe(`http://${R}@example.com/`);
  });

  it('keeps the fragment, parameters without a value, and repeated names redacted each time', () => {
    expect(redactUrl('/p?sig=1&sig=2&sig&a=#sig=3', { queries: ['SIG'] })).toBe(`/p?sig=${R}&sig=${R}&sig&a=#sig=3`);
  });

  it('changes nothing without userinfo or matching parameters', () => {
    for (const t of ['/', '/a/b?c=d&e', 'http://example.com/x@y?z=1', '*', 'example.com:443', '/p?tokens=1&xtoken=2']) {
      expect(redactUrl(t, { queries: ['token'] })).toBe(t);
    }
  });
});

describe('redactText', () => {
  it('redacts PEM private key bodies and keeps their BEGIN/END lines and line count', () => {
    const pem = ['before', '-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'BKcwggSjAgEAAoIBAQC7', '-----END PRIVATE KEY-----', 'after'].join('\n');
    expect(redactText(pem)).toBe(['before', '-----BEGIN PRIVATE KEY-----', R, R, '-----END PRIVATE KEY-----', 'after'].join('\n'));
    for (const kind of ['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
      expect(redactText(`-----BEGIN ${kind}-----\nAAAA\n-----END ${kind}-----`)).toBe(`-----BEGIN ${kind}-----\n${R}\n-----END ${kind}-----`);
    }
  });

  it('redacts a PEM private key cut short (no END line) to the end of the text', () => {
    expect(redactText('x\n-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB')).toBe(`x\n-----BEGIN PRIVATE KEY-----\n${R}\n${R}`);
  });

  it('keeps certificates and public keys', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';
    expect(redactText(cert)).toBe(cert);
  });

  it('redacts Authorization, Proxy-Authorization, Cookie and Set-Cookie header lines, case-insensitively', () => {
    const text = 'request failed\r\nAUTHORIZATION: Basic dXNlcjpwYXNz\r\nproxy-authorization:Digest x\r\ncookie: a=1; b=2\r\nSet-Cookie: s=3\r\nHost: h';
    expect(redactText(text)).toBe(`request failed\r\nAUTHORIZATION: ${R}\r\nproxy-authorization:${R}\r\ncookie: ${R}\r\nSet-Cookie: ${R}\r\nHost: h`);
  });

  it('redacts the same names as JSON keys and configured extra names', () => {
    expect(redactText('{"Authorization":"Bearer x","cookie" : "a\\"b","x-api-key":"k","host":"h"}', { headers: ['X-API-Key'] })).toBe(
      `{"Authorization":"${R}","cookie" : "${R}","x-api-key":"${R}","host":"h"}`,
    );
  });

  it('redacts Bearer tokens and Basic credentials anywhere in a line', () => {
    expect(redactText('upstream said 401 for bearer eyJhbGciOiJIUzI1NiJ9.e30.abc while checking')).toBe(`upstream said 401 for bearer ${R} while checking`);
    expect(redactText('sent Basic dXNlcjpwYXNz twice')).toBe(`sent Basic ${R} twice`);
  });

  it('leaves ordinary prose about auth schemes and everything else alone', () => {
    const text = 'Basic setup done; Bearer tokens are checked by the API; the cookies were fine; x-authorization-mode: strict';
    expect(redactText(text)).toBe(text);
    const trace = 'h2: stream 3 HEADERS :status=200 content-length=12 (conn 0x1f)';
    expect(redactText(trace)).toBe(trace);
  });
});

describe('redactConfigText', () => {
  const extra = { headers: ['X-Api-Key'], queries: ['token'] };

  it('redacts the value of set-header/add-header of secret headers, up to the condition', () => {
    const cfg = [
      '    http-request set-header Authorization "Bearer abc.def" if { path_beg /api }',
      '    http-request add-header x-api-key k123 unless LOCAL',
      '    http-response set-header SET-COOKIE "sid=1; Secure"',
      '    http-request replace-header Cookie (.*) \\1;\\ extra=1',
      '    http-after-response add-header set-cookie a=b',
    ].join('\n');
    expect(redactConfigText(cfg, extra)).toBe(
      [
        `    http-request set-header Authorization ${R} if { path_beg /api }`,
        `    http-request add-header x-api-key ${R} unless LOCAL`,
        `    http-response set-header SET-COOKIE ${R}`,
        `    http-request replace-header Cookie ${R} ${R}`,
        `    http-after-response add-header set-cookie ${R}`,
      ].join('\n'),
    );
  });

  it('redacts http-check send hdr values of secret headers only', () => {
    expect(redactConfigText('    http-check send meth GET uri /h hdr Authorization "Basic dXNlcjpwYXNz" hdr Host example.com', extra)).toBe(
      `    http-check send meth GET uri /h hdr Authorization ${R} hdr Host example.com`,
    );
  });

  it('redacts userlist passwords, stats auth passwords and ca-sign-pass, keeping user names', () => {
    const cfg = [
      'userlist admins',
      '    user alice password $6$salt$hash groups ops',
      '    user bob INSECURE-PASSWORD hunter2',
      'frontend fe',
      '    stats auth admin:pa55:word',
      '    bind :443 ssl crt /etc/ssl/site.pem ca-sign-pass topsecret alpn h2',
    ].join('\n');
    expect(redactConfigText(cfg, extra)).toBe(
      [
        'userlist admins',
        `    user alice password ${R} groups ops`,
        `    user bob INSECURE-PASSWORD ${R}`,
        'frontend fe',
        `    stats auth admin:${R}`,
        `    bind :443 ssl crt /etc/ssl/site.pem ca-sign-pass ${R} alpn h2`,
      ].join('\n'),
    );
  });

  it('redacts values given to setenv/presetenv', () => {
    expect(redactConfigText('global\n    setenv API_TOKEN s3cr3t\n    presetenv MODE "a b"', extra)).toBe(
      `global\n    setenv API_TOKEN ${R}\n    presetenv MODE ${R}`,
    );
  });

  it('leaves ${VAR} references as written, never expanded', () => {
    process.env.FB_REDACT_TEST_PW = 'must-not-appear';
    try {
      const cfg = [
        '    user carol insecure-password "${FB_REDACT_TEST_PW}"',
        '    stats auth admin:${FB_REDACT_TEST_PW}',
        '    http-request set-header Authorization "${FB_REDACT_TEST_PW}"',
        '    bind :8080 name "${HOSTNAME}-fe"',
      ].join('\n');
      const out = redactConfigText(cfg, extra);
      expect(out).toBe(cfg);
      expect(out).not.toContain('must-not-appear');
    } finally {
      delete process.env.FB_REDACT_TEST_PW;
    }
  });

  it('redacts URL userinfo and configured query values inside words, keeping quotes', () => {
    expect(redactConfigText('    http-request redirect location "https://u:p@example.com/x?TOKEN=abc&y=2" if { path /old }', extra)).toBe(
      `    http-request redirect location "https://${R}@example.com/x?TOKEN=${R}&y=2" if { path /old }`,
    );
  });

  it('redacts inline headers in old option httpchk strings', () => {
    expect(redactConfigText('    option httpchk GET /health HTTP/1.1\\r\\nAuthorization:\\ Basic\\ dXNlcjpwYXNz', extra)).toBe(
      `    option httpchk GET /health HTTP/1.1\\r\\nAuthorization:\\ ${R}`,
    );
  });

  it('redacts PEM private keys and Bearer credentials in comments, keeping line numbers', () => {
    const cfg = ['crt-store', '-----BEGIN EC PRIVATE KEY-----', 'MHcCAQEEI', '-----END EC PRIVATE KEY-----', '# test with Bearer 0123456789abcdef0123'].join('\n');
    const out = redactConfigText(cfg, extra);
    expect(out).toBe(['crt-store', '-----BEGIN EC PRIVATE KEY-----', R, '-----END EC PRIVATE KEY-----', `# test with Bearer ${R}`].join('\n'));
    expect(out.split('\n')).toHaveLength(cfg.split('\n').length);
  });

  it('changes nothing in a configuration without secrets', () => {
    const cfg = [
      '# Flightbox test configuration: Basic setup, Bearer tokens handled upstream',
      'global',
      '    nbthread 2',
      '    tune.bufsize 16384',
      '',
      'defaults',
      '    mode http',
      '    timeout client 30s',
      '',
      'frontend fe',
      '    bind :8080',
      '    bind :8443 ssl crt /etc/flightbox/site.pem alpn h2,http/1.1',
      '    acl has_auth req.hdr(authorization) -m found',
      '    http-request set-header X-Forwarded-Proto https if { ssl_fc }',
      '    http-request del-header Authorization',
      '    http-request deny if !has_auth',
      '    stick-table type ip size 1m expire 10s store http_req_rate(10s)',
      '    default_backend be',
      '',
      'backend be',
      '    cookie SRVID insert indirect nocache',
      '    option httpchk GET /health?verbose=1',
      '    http-request set-path "/v2%[path]"',
      '    server s1 127.0.0.1:9000 check cookie s1',
      '    server s2 [::1]:9000 check ssl verify none',
      '',
    ].join('\r\n');
    expect(redactConfigText(cfg, extra)).toBe(cfg);
  });

  it('works with no extra names at all', () => {
    expect(redactConfigText('    http-request set-header Cookie a=b\n    http-request set-header X-Api-Key k')).toBe(
      `    http-request set-header Cookie ${R}\n    http-request set-header X-Api-Key k`,
    );
  });
});

describe('redactUrlsInText', () => {
  it('redacts configured query values and URL credentials anywhere in a line, keeping the rest', () => {
    expect(redactUrlsInText('h1_rcv_req(): GET /a?x=1&Token=abc;sig=9#f HTTP/1.1 c=3', { queries: ['token', 'SIG'] })).toBe(
      `h1_rcv_req(): GET /a?x=1&Token=${R};sig=${R}#f HTTP/1.1 c=3`,
    );
    expect(redactUrlsInText('upstream https://user:pw@db.local:5432/x and ftp://anon@h/')).toBe(
      `upstream https://${R}@db.local:5432/x and ftp://${R}@h/`,
    );
    expect(redactUrlsInText('note token=abc here', { queries: ['token'] })).toBe(`note token=${R} here`);
  });

  it('leaves text without configured names or credentials unchanged', () => {
    const s = 'GET /search?q=a%20b&page=2 HTTP/1.1 status=200 a==b';
    expect(redactUrlsInText(s, { queries: ['token'] })).toBe(s);
    expect(redactUrlsInText(s)).toBe(s);
  });
});

describe('redactNamesFromConfig', () => {
  it('collects redact-header (lower-cased) and redact-query names, quotes honoured, comments ignored', () => {
    const cfg = ['global', '    redact-header X-Api-Key "X-Second" # X-Not', '    redact-query Token', '    redact-header x-api-key', '# redact-header X-Comment'].join('\n');
    expect(redactNamesFromConfig(cfg)).toEqual({ headers: ['x-api-key', 'x-second'], queries: ['Token'] });
    expect(redactNamesFromConfig('')).toEqual({ headers: [], queries: [] });
  });
});

describe('redactMatches', () => {
  it('replaces every match of each pattern, never inside an existing <redacted> mark', () => {
    expect(redactMatches(`a tok_1 b tok_22 ${R}`, [/tok_\d+/, /act/g])).toBe(`a ${R} b ${R} ${R}`);
    expect(redactMatches('abc', [])).toBe('abc');
  });
});
