import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { alerts, FRONTEND, parse, parseOk, warnings } from '../helpers.ts';

/** `text` then a valid frontend; the peers lines start at line 1. */
const cfg = (text: string) => `${text}${FRONTEND}`;
const L = { localPeer: 'me' };

describe('peers section: peer lines', () => {
  it('lists the peers, marks the local one, takes ssl settings and tables named <peers>/<table>', () => {
    const c = parseOk(
      cfg(
        'peers mine\n  peer me 127.0.0.1:10000\n  peer other 10.0.0.2:10000 ssl crt /etc/p.pem ca-file /etc/ca.pem verify none\n' +
          '  table t1 type ip size 1k expire 1m store gpc0\n  table t2 type string len 8 size 10\n',
      ),
      L,
    );
    expect(c.peers).toEqual([
      {
        name: 'mine', file: 't.cfg', line: 1, bind: undefined,
        peers: [
          { name: 'me', host: '127.0.0.1', port: 10000, local: true, keyword: 'peer', ssl: undefined, file: 't.cfg', line: 2 },
          { name: 'other', host: '10.0.0.2', port: 10000, local: false, keyword: 'peer', ssl: { crt: '/etc/p.pem', caFile: '/etc/ca.pem', verify: 'none' }, file: 't.cfg', line: 3 },
        ],
        tables: [
          { name: 'mine/t1', type: 'ip', keySize: 4, size: 1024, expire: 60_000, nopurge: false, peers: 'mine', store: [{ type: 'gpc0', period: 0 }], file: 't.cfg', line: 4 },
          { name: 'mine/t2', type: 'string', keySize: 9, size: 10, expire: 0, nopurge: false, peers: 'mine', store: [], file: 't.cfg', line: 5 },
        ],
      },
    ]);
    expect(c.stickTables.map((t) => t.name)).toEqual(['mine/t1', 'mine/t2']);
  });

  it.each([
    ['peer me', "'peer' : missing argument, expected 'peer <peername> <addr>:<port> [ssl [crt <pem>] [ca-file <pem>] [verify none|required]]'."],
    ['peer x 127.0.0.1', "'peer' : missing port in '127.0.0.1', expected '<address>:<port>' (e.g. '10.0.0.1:10000')."],
    ['peer b@d 127.0.0.1:1', "'peer' : invalid peer name 'b@d', use letters, digits, '-', '_', '.' and ':'."],
    ['peer x 127.0.0.1:1 crt a.pem', "'peer' : 'crt', 'ca-file' and 'verify' need 'ssl' on the same line."],
    ['peer x 127.0.0.1:1 ssl verify maybe', "'peer' : invalid value 'maybe' for 'verify', expected 'none' or 'required'."],
    ['peer x 127.0.0.1:1 weight 3', "'peer' : unknown setting 'weight', expected 'ssl', 'crt <pem>', 'ca-file <pem>' or 'verify none|required'."],
    ['peer me 127.0.0.1:2', "'peer' : peer 'me' is already declared at t.cfg:2 in peers section 'p'; each peer appears once."],
    ['bind :10001', "'bind' : mixing 'peer' and 'bind' lines is forbidden ('peer me' is at t.cfg:2); use either 'peer' lines or 'bind' + 'server' lines."],
    ['server x 127.0.0.1:1', "'server' : mixing 'peer' and 'server' lines is forbidden ('peer me' is at t.cfg:2); use either 'peer' lines or 'bind' + 'server' lines."],
    ['table t type ip', "'table' : missing size, add 'size <entries>' (e.g. 'size 100k')."],
    ['table t type ip size 1 peers other', "'table' : 'peers' is not allowed in a peers section (the table is already synchronised by 'p')."],
    ['localpeer me', "'localpeer' belongs in the 'global' section (or pass '-L <name>' on the command line); it names this instance among the peers."],
    ['stick-table type ip size 1', "'stick-table' is written 'table <name> type ... size ...' in a 'peers' section."],
    ['frobnicate', "unknown keyword 'frobnicate' in 'peers' section"],
  ])('reports %s at its line', (line, message) => {
    expect(alerts(parse(cfg(`peers p\n  peer me 127.0.0.1:1000\n  ${line}\n`), L))).toEqual([`[ALERT] config : parsing [t.cfg:3] : ${message}`]);
  });

  it('a table declared twice is an alert', () => {
    expect(alerts(parse(cfg('peers p\n  peer me 127.0.0.1:1\n  table t type ip size 1\n  table t type integer size 1\n'), L))).toEqual([
      "[ALERT] config : parsing [t.cfg:4] : 'table' : table 't' is already declared at t.cfg:3 in peers section 'p'; rename one of them.",
    ]);
  });
});

describe('peers section: the bind + server form', () => {
  it('the local peer is a server without address listening on the bind address', () => {
    const c = parseOk(cfg('peers p\n  bind 127.0.0.1:10000\n  server me\n  server other 10.0.0.2:10000 ssl\n'), L);
    expect(c.peers[0]!.bind).toEqual({ host: '127.0.0.1', port: 10000, file: 't.cfg', line: 2 });
    expect(c.peers[0]!.peers).toEqual([
      { name: 'me', host: undefined, port: undefined, local: true, keyword: 'server', ssl: undefined, file: 't.cfg', line: 3 },
      { name: 'other', host: '10.0.0.2', port: 10000, local: false, keyword: 'server', ssl: { crt: undefined, caFile: undefined, verify: 'required' }, file: 't.cfg', line: 4 },
    ]);
  });

  it.each([
    ['server other', "'server' : missing address for remote peer 'other' (this instance is 'me'), expected 'server other <addr>:<port>'; only the local peer's 'server' line has no address."],
    ['bind :2', "'bind' : peers section 'p' already has a 'bind' line at t.cfg:2; the local peer listens on one address."],
    ['peer x 127.0.0.1:1', "'peer' : mixing 'peer' and 'bind' lines is forbidden (the 'bind' is at t.cfg:2); use either 'peer' lines or 'bind' + 'server' lines."],
  ])('reports %s at its line', (line, message) => {
    expect(alerts(parse(cfg(`peers p\n  bind :1000\n  server me\n  ${line}\n`), L))).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });

  it('the local server line takes no address', () => {
    expect(alerts(parse(cfg('peers p\n  bind :1000\n  server me 127.0.0.1:1\n'), L))[0]).toBe(
      "[ALERT] config : parsing [t.cfg:3] : 'server' : 'server me' is the local peer: it listens on the section's 'bind' address, so it takes no address; remove '127.0.0.1:1'.",
    );
  });

  it('a local server line without a bind line is an alert at the server line', () => {
    expect(alerts(parse(cfg('peers p\n  server me\n  server other 10.0.0.2:1\n'), L))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : local peer 'me' of peers section 'p' has no address: its 'server' line takes none, so add 'bind <addr>:<port>' to the section.",
    ]);
  });
});

describe('the local peer: -L, localpeer, host name', () => {
  const noLocal = (name: string) =>
    `[ALERT] config : parsing [t.cfg:1] : unable to find local peer '${name}' in peers section 'p': this instance's peer name comes from '-L <name>', else the global 'localpeer <name>', else the host name; add 'peer ${name} <addr>:<port>' to the section, or name one of its peers with -L or 'localpeer'.`;

  it('a peers section without the local peer is an alert (HAProxy: unable to find local peer)', () => {
    expect(alerts(parse(cfg('peers p\n  peer a 127.0.0.1:1\n  peer b 127.0.0.1:2\n'), L))).toEqual([noLocal('me')]);
  });

  it('defaults to the host name', () => {
    expect(parseOk(cfg('')).global.localPeer).toBe(hostname());
    expect(alerts(parse(cfg('peers p\n  peer zz-not-this-host 127.0.0.1:1\n')))).toEqual([noLocal(hostname())]);
    expect(parseOk(cfg(`peers p\n  peer ${hostname()} 127.0.0.1:1\n`)).peers[0]!.peers[0]!.local).toBe(true);
  });

  it("the global 'localpeer' names it; -L wins over it with a warning", () => {
    const text = cfg('global\n  localpeer b\npeers p\n  peer a 127.0.0.1:1\n  peer b 127.0.0.1:2\n');
    const c = parseOk(text);
    expect(c.global.localPeer).toBe('b');
    expect(c.peers[0]!.peers.map((p) => p.local)).toEqual([false, true]);
    const r = parse(text, { localPeer: 'a' });
    expect(alerts(r)).toEqual([]);
    expect(r.config!.global.localPeer).toBe('a');
    expect(r.config!.peers[0]!.peers.map((p) => p.local)).toEqual([true, false]);
    expect(warnings(r)).toContain("[WARNING] config : parsing [t.cfg:2] : 'localpeer' ignored since it is already set by using the '-L' command line argument ('a')");
  });

  it("'localpeer' after a peers section is ignored with a warning, as HAProxy", () => {
    const r = parse(cfg('peers p\n  peer a 127.0.0.1:1\nglobal\n  localpeer a\n'));
    expect(warnings(r)).toContain("[WARNING] config : parsing [t.cfg:4] : 'localpeer' ignored since it is used after 'peers' section 'p' (t.cfg:1); move it before the peers sections");
    expect(alerts(r)).toEqual([noLocal(hostname())]);
  });

  it('peers section names are unique', () => {
    expect(alerts(parse(cfg('peers p\n  peer me 127.0.0.1:1\npeers p\n  peer me 127.0.0.1:2\n'), L))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : peers section 'p' has the same name as the peers section declared at t.cfg:1; rename one of them.",
    ]);
  });
});
