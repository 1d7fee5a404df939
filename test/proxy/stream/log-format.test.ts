import { describe, expect, it } from 'vitest';
import { compileLogFormat, type LogFormat } from '../../../proxy/stream/log-format.ts';
import { requestContext } from '../../../proxy/acl/context.ts';

const ok = (text: string, scope: 'request' | 'response' = 'request'): LogFormat => {
  const f = compileLogFormat(text, scope);
  if ('error' in f) throw new Error(f.error);
  return f;
};
const err = (text: string, scope: 'request' | 'response' = 'request'): string => {
  const f = compileLogFormat(text, scope);
  if (!('error' in f)) throw new Error(`expected ${text} to be refused`);
  return f.error;
};

const req = requestContext({
  method: 'POST',
  target: '/api/v1?x=1',
  headers: [
    ['Host', 'example.com'],
    ['X-Forwarded-For', '10.0.0.1, 10.0.0.2'],
    ['X-Forwarded-For', '10.0.0.3'],
    ['X-Empty', ''],
  ],
  src: '::ffff:192.0.2.7',
  srcPort: 40001,
  dstPort: 8443,
});

describe('log-format strings', () => {
  it('plain text is constant and %% is a percent sign', () => {
    const f = ok('100%% plain');
    expect(f.constant).toBe(true);
    expect(f.render({ req })).toBe('100% plain');
  });

  it('renders src (IPv4-mapped as IPv4), ports, method, path, query and url', () => {
    expect(ok('%[src]:%[src_port] -> %[dst_port]').render({ req })).toBe('192.0.2.7:40001 -> 8443');
    expect(ok('%[method] %[path] ? %[query] = %[url]').render({ req })).toBe('POST /api/v1 ? x=1 = /api/v1?x=1');
  });

  it('req.hdr gives the last comma-separated value by default, or the given occurrence; req.fhdr whole lines', () => {
    expect(ok('%[req.hdr(x-forwarded-for)]').render({ req })).toBe('10.0.0.3');
    expect(ok('%[req.hdr(X-Forwarded-For,1)]').render({ req })).toBe('10.0.0.1');
    expect(ok('%[hdr(host)]').render({ req })).toBe('example.com');
    expect(ok('%[req.fhdr(x-forwarded-for,1)]').render({ req })).toBe('10.0.0.1, 10.0.0.2');
  });

  it('a missing or empty sample renders as "-" as HAProxy does', () => {
    expect(ok('[%[req.hdr(x-none)]][%[req.hdr(x-empty)]]').render({ req })).toBe('[-][-]');
  });

  it('status and res.hdr only in response rules', () => {
    const f = ok('%[status] %[res.hdr(server)]', 'response');
    expect(f.render({ req, res: { status: 404, headers: [['Server', 'nginx']] } })).toBe('404 nginx');
    expect(err('%[status]')).toMatch(/only available in 'http-response' rules/);
    expect(err('%[res.hdr(server)]')).toMatch(/only available in 'http-response' rules/);
  });

  it('renders ssl_fc and ssl_fc_sni from the connection (1/0, the SNI or "-")', () => {
    const f = compileLogFormat('%[ssl_fc] %[ssl_fc_sni]', 'request');
    if (typeof f === 'string') throw new Error(f);
    expect(f.render({ req: { ...req, ssl: true, sni: 'a.example' } })).toBe('1 a.example');
    expect(f.render({ req: { ...req, ssl: false, sni: undefined } })).toBe('0 -');
  });

  it('refuses what it does not support, saying so, instead of sending it literally', () => {
    expect(err('%ci')).toMatch(/'%ci' is not supported yet/);
    expect(err('%{+Q}[src]')).toMatch(/options .* not supported yet/);
    expect(err('%[src,nosuch(24)]')).toBe("failed to parse sample expression <src,nosuch(24)> : unknown conv method 'nosuch'");
    expect(err('%[ssl_c_s_dn]')).toMatch(/sample fetch 'ssl_c_s_dn' is not supported yet/);
    expect(err('%[req.hdr]')).toMatch(/needs a header name/);
    expect(err('%[src')).toMatch(/missing closing '\]'/);
    expect(err('50%')).toMatch(/write '%%' for a literal '%'/);
    expect(err('%[src(1)]')).toMatch(/takes no argument/);
  });
});

describe('log-format sample expressions with converters', () => {
  it('applies the chain to the fetched sample, typed as the fetch declares it', () => {
    const res = { status: 404, headers: [] };
    expect(ok('%[req.hdr(host),upper]').render({ req })).toBe('EXAMPLE.COM');
    expect(ok('%[src,ipmask(24)]').render({ req })).toBe('192.0.2.0');
    expect(ok('%[path,field(2,/),length]').render({ req })).toBe('3');
    expect(ok('%[dst_port,add(1)] %[src_port,div(0)]').render({ req })).toBe('8444 9223372036854775807');
    expect(ok('%[status,sub(4),div(100)]', 'response').render({ req, res })).toBe('4');
    expect(ok('%[method,lower]').render({ req })).toBe('post');
    expect(ok('%[req.hdr(host),hex]').render({ req })).toBe('6578616D706C652E636F6D');
  });

  it('a converter giving no sample renders "-"', () => {
    expect(ok('[%[path,field(9,/)]]').render({ req })).toBe('[-]');
    expect(ok('[%[req.hdr(x-none),lower]]').render({ req })).toBe('[-]');
  });

  it('refuses unknown converters and type mismatches at compile time, in HAProxy wording', () => {
    expect(err('%[src,nosuch]')).toBe("failed to parse sample expression <src,nosuch> : unknown conv method 'nosuch'");
    expect(err('%[ssl_fc,hex]')).toBe("failed to parse sample expression <ssl_fc,hex> : conv method 'hex' cannot be applied");
    expect(err('%[req.hdr(host),field(1)]')).toMatch(/invalid arg 2 in conv method 'field' : missing arguments/);
  });
});
