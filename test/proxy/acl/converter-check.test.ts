import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { checkEngineSupport } from '../../../proxy/config/engine-support.ts';
import { checkConverterTables } from '../../../proxy/acl/converter-check.ts';

const parse = (text: string) => {
  const r = parseConfigText('t.cfg', text, { env: {}, cwd: process.cwd() });
  expect(r.alerts.map((a) => a.formatted)).toEqual([]);
  return r.config!;
};

const CONFIG = [
  'defaults',
  '    mode http',
  '    timeout client 5s',
  '    timeout connect 5s',
  '    timeout server 5s',
  'frontend fe', // 6
  '    bind 127.0.0.1:8080',
  '    acl abuse src,table_http_req_rate(nosuch) gt 3', // 8
  '    http-request deny deny_status 429 if { src,table_http_req_rate(rl) gt 3 }', // 9
  '    http-request deny if { src,in_table(ghost) }', // 10
  '    http-request track-sc1 src,ipmask(24) table rl', // 11
  '    http-response set-header x-rate %[src,table_conn_cur(missing)]', // 12
  '    default_backend rl',
  'backend rl', // 14
  '    stick-table type ip size 1k expire 10s store http_req_rate(10s),conn_cur',
  '    http-request track-sc0 req.hdr(host),lower,table_gpc0(nope)', // 16
  '    server s1 127.0.0.1:1',
  '',
].join('\n');

describe('flightbox check: tables named by converters', () => {
  it('reports each converter naming a table that does not exist, at its line, like the tracking rules', () => {
    const errors = checkConverterTables(parse(CONFIG));
    expect(errors.map((e) => [e.ref.line, e.message])).toEqual([
      [8, "unable to find table 'nosuch' referenced in arg 1 of conversion keyword 'table_http_req_rate' in frontend 'fe'; declare 'stick-table' in a backend named 'nosuch' (or a 'table nosuch' line in a peers section) or fix the name."],
      [10, expect.stringContaining("unable to find table 'ghost' referenced in arg 1 of conversion keyword 'in_table' in frontend 'fe'")],
      [12, expect.stringContaining("unable to find table 'missing' referenced in arg 1 of conversion keyword 'table_conn_cur'")],
      [16, expect.stringContaining("unable to find table 'nope' referenced in arg 1 of conversion keyword 'table_gpc0' in backend 'rl'")],
    ]);
  });

  it('is part of the engine check (alerts with file:line), and a config whose tables exist passes', () => {
    const alerts = checkEngineSupport(parse(CONFIG)).map((a) => a.formatted);
    expect(alerts).toContain(
      "[ALERT] config : parsing [t.cfg:10] : unable to find table 'ghost' referenced in arg 1 of conversion keyword 'in_table' in frontend 'fe'; declare 'stick-table' in a backend named 'ghost' (or a 'table ghost' line in a peers section) or fix the name.",
    );
    const good = CONFIG.replace(/nosuch|ghost|missing|nope/g, 'rl');
    expect(checkConverterTables(parse(good))).toEqual([]);
    expect(checkEngineSupport(parse(good))).toEqual([]);
  });
});
