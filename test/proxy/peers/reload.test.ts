/**
 * Reload hand-over through the local peer (proxy/peers/sync.ts localLink, syncLocalLearnState,
 * connectLocal; proxy/peers/session.ts holdTeach/caughtUp; proxy/peers/runtime.ts
 * startHandOver/finishHandOver; proxy/peers/show.ts local lines):
 *
 * - sans-IO, virtual clock: the old process's session to its own name teaches on request only,
 *   the successor asks it before any remote peer, learns every entry with its expiry, then asks a
 *   remote peer; the successor's wait for the old process ends after PEERS_RESYNC_TIMEOUT_MS;
 * - real sockets on 127.0.0.1: two PeersRuntime on the same local peer address (SO_REUSEPORT),
 *   the old one hands its tables over and reports `complete` (plain TCP, and mutual TLS with the
 *   local peer line's crt and ca-file); with nothing at the address, `failed`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createStickTable, StickTable } from '../../../proxy/stick/table.ts';
import { dump, peersTableDef, put } from './table-fixture.ts';
import { createStickTableBuffers, StickTableRegistry } from '../../../proxy/stick/registry.ts';
import { PeerSession } from '../../../proxy/peers/session.ts';
import { PEERS_RESYNC_TIMEOUT_MS, PeersSection } from '../../../proxy/peers/sync.ts';
import { formatShowPeers } from '../../../proxy/peers/show.ts';
import { PeersRuntime } from '../../../proxy/peers/runtime.ts';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { createPki } from '../tls/pki.ts';
import { freePort } from '../../e2e/harness.ts';

const DEF = peersTableDef();

let clock = 5_000_000;
const now = () => clock;
const newTable = () => new StickTable(createStickTable(DEF), DEF, now);

/** One process of instance `me` (same name on both sides of a reload). */
function proc(me: string, remotes: string[], opts: { waitLocal?: boolean; table?: StickTable } = {}) {
  const table = opts.table ?? newTable();
  const sec = new PeersSection({
    name: 'p',
    localPeer: me,
    remotes: remotes.map((r, i) => ({ name: r, host: '127.0.0.1', port: 20000 + i })),
    tables: [{ name: 't', table }],
    pid: 1,
    now: clock,
    random: () => 0,
    clock: now,
    local: { host: '127.0.0.1', port: 19999 },
    waitLocal: opts.waitLocal,
  });
  return { sec, table };
}

/** Moves bytes both ways (events to the sections, polls, learn steps) until quiet. */
function pump(a: PeerSession, b: PeerSession, sa: PeersSection, sb: PeersSection): void {
  for (let i = 0; i < 100; i++) {
    const x = a.takeOutput();
    const y = b.takeOutput();
    if (x.length) b.receive(x, clock);
    if (y.length) a.receive(y, clock);
    for (const [s, sec] of [[a, sa], [b, sb]] as const) for (const ev of s.takeEvents()) sec.onEvent(s, ev, clock);
    sa.step(clock);
    sb.step(clock);
    a.poll(clock);
    b.poll(clock);
    if (x.length === 0 && y.length === 0 && i > 2) break;
  }
}

/** The old process connects to its own address, reached by the successor. */
function handOverPair(old: ReturnType<typeof proc>, next: ReturnType<typeof proc>) {
  old.sec.handingOver = true;
  const ini = old.sec.connectLocal(clock);
  const acc = next.sec.incoming(clock);
  ini.connected(clock);
  return { ini, acc };
}

describe('reload: the old process teaches its successor through the local peer (sans-IO)', () => {
  it('the successor accepts its own name, asks first, learns every entry with its expiry; the old session is then caught up', () => {
    const old = proc('alpha', ['bravo']);
    for (let i = 0; i < 300; i++) put(old.table, `10.0.${i >> 8}.${i & 255}`, i);
    clock += 20_000; // the entries now expire in 40 s
    const next = proc('alpha', ['bravo'], { waitLocal: true });
    expect(next.sec.learn).toBe('local');
    const { ini, acc } = handOverPair(old, next);
    pump(ini, acc, old.sec, next.sec);

    expect(dump(next.table)).toEqual(dump(old.table));
    const e = next.table.list().find((v) => v.key === '10.0.0.7')!;
    expect(e.exp).toBeGreaterThan(39_000);
    expect(e.exp).toBeLessThanOrEqual(40_000);
    // asked once, answered with a full resync (each entry once: no incremental pass before it)
    expect(ini.resyncsAsked).toBe(1);
    expect(ini.taught).toBe(300);
    expect(ini.caughtUp()).toBe(true);
    expect(acc.learned).toBe(300);
    // the local lesson is over: the remote peer comes next; the old process asks nothing
    expect(next.sec.learn).toBe('needed');
    expect(next.sec.transitions.join('\n')).toMatch(/resync requested from the old local process alpha .*\n.*the old local process taught its tables \(300 updates, resync (finished|partial)\)/);
    expect(old.sec.learn).not.toBe('assigned');
    expect(acc.resyncsAsked).toBe(0);
    // the successor does not teach the old process (holdTeach)
    expect(acc.taught).toBe(0);
  });

  it('changes made by the draining old process after the lesson are taught incrementally; caughtUp waits for their ack', () => {
    const old = proc('alpha', []);
    put(old.table, '10.9.9.9', 1);
    const next = proc('alpha', [], { waitLocal: true });
    const { ini, acc } = handOverPair(old, next);
    pump(ini, acc, old.sec, next.sec);
    expect(next.sec.learn).toBe('finished');
    put(old.table, '10.9.9.10', 2);
    expect(ini.caughtUp()).toBe(false);
    pump(ini, acc, old.sec, next.sec);
    expect(ini.caughtUp()).toBe(true);
    expect(dump(next.table)).toEqual(['10.9.9.10 gpc0=2 http_req_cnt=1', '10.9.9.9 gpc0=1 http_req_cnt=1']);
  });

  it('remote peers are not asked while the successor waits for the old process, then are after PEERS_RESYNC_TIMEOUT_MS', () => {
    const next = proc('alpha', ['bravo'], { waitLocal: true });
    const remote = proc('bravo', ['alpha']);
    put(remote.table, '10.1.1.1', 5);
    const due = next.sec.dueConnects(clock + 10_000, 'bravo')[0]!;
    const acc = remote.sec.incoming(clock);
    due.session.connected(clock);
    pump(due.session, acc, next.sec, remote.sec);
    expect(due.session.state).toBe('established');
    expect(next.sec.learn).toBe('local');
    expect(acc.resyncsAsked).toBe(0);
    for (let waited = 0; waited < PEERS_RESYNC_TIMEOUT_MS; waited += 1000) {
      clock += 1000; // heartbeats keep the session up meanwhile
      pump(due.session, acc, next.sec, remote.sec);
      if (waited < PEERS_RESYNC_TIMEOUT_MS - 1000) expect(acc.resyncsAsked).toBe(0);
    }
    expect(next.sec.transitions.join('\n')).toMatch(/learn local -> needed: no lesson from an old local process within 5000 ms/);
    expect(acc.resyncsAsked).toBe(1);
    expect(next.sec.learn).toBe('finished');
    expect(dump(next.table)).toEqual(['10.1.1.1 gpc0=5 http_req_cnt=1']);
  });

  it('a cut in the middle of the local lesson moves on to the remote peers; the hello of another name is still refused', () => {
    const old = proc('alpha', ['bravo']);
    for (let i = 0; i < 50; i++) put(old.table, `10.2.0.${i}`, i);
    const next = proc('alpha', ['bravo'], { waitLocal: true });
    const { ini, acc } = handOverPair(old, next);
    // handshake only, then the resync request, then cut before the answer
    acc.receive(ini.takeOutput(), clock);
    ini.receive(acc.takeOutput(), clock);
    for (const ev of acc.takeEvents()) next.sec.onEvent(acc, ev, clock);
    expect(next.sec.learn).toBe('assigned');
    expect(next.sec.learner).toBe(next.sec.localLink);
    next.sec.released(acc, clock, 'connection closed by the peer or the network');
    expect(next.sec.learn).toBe('needed');
    expect(next.sec.localLink.session).toBeUndefined();
    const stranger = next.sec.incoming(clock);
    stranger.receive(new TextEncoder().encode('HAProxyS 2.1\nalpha\ncharlie 7 1\n'), clock);
    expect(new TextDecoder().decode(stranger.takeOutput())).toBe('504\n');
  });

  it('a hello with our own name is refused (504, remote peer mismatch) unless this process is a reload successor in its first seconds', () => {
    const hello = new TextEncoder().encode('HAProxyS 2.1\nalpha\nalpha 7 1\n');
    const answer = (sec: PeersSection) => {
      const s = sec.incoming(clock);
      s.receive(hello, clock);
      return new TextDecoder().decode(s.takeOutput());
    };
    // Not started by a reload: nothing may take the tables over by using our name.
    const plain = proc('alpha', ['bravo']);
    expect(answer(plain.sec)).toBe('504\n');
    // A successor accepts it early on, not once its start is long past.
    const next = proc('alpha', ['bravo'], { waitLocal: true });
    expect(answer(next.sec)).toBe('200\n');
    clock += 2 * PEERS_RESYNC_TIMEOUT_MS + 1;
    const late = answer(next.sec);
    clock -= 2 * PEERS_RESYNC_TIMEOUT_MS + 1;
    expect(late).toBe('504\n');
  });

  it('show peers: the local peer line is (local,active) with its session while taught, and keeps the learned count after', () => {
    const old = proc('alpha', []);
    for (let i = 0; i < 4; i++) put(old.table, `10.3.0.${i}`, i);
    const next = proc('alpha', [], { waitLocal: true });
    const at = new Map([[next.sec, { host: '127.0.0.1', port: 19999 }]]);
    expect(formatShowPeers([next.sec], clock, at)).toMatch(/id=alpha\(local,inactive\) addr=127\.0\.0\.1:19999 last_status=NONE last_hdshk=<NEVER>\n.*new_conn=0 .*\n        flags=0x0$/m);
    expect(formatShowPeers([next.sec], clock, at)).toMatch(/resync=local$/m);
    const { ini, acc } = handOverPair(old, next);
    pump(ini, acc, old.sec, next.sec);
    const shown = formatShowPeers([next.sec], clock, at);
    expect(shown).toMatch(/id=alpha\(local,active\) addr=127\.0\.0\.1:19999 last_status=ESTA last_hdshk=<PAST>/);
    expect(shown).toMatch(/flags=0x0 appctx:0x[0-9a-f]+ st0=established learn=none teach=incremental learned=4 taught=0/);
    next.sec.released(acc, clock, 'connection closed by the peer or the network');
    expect(formatShowPeers([next.sec], clock, at)).toMatch(/id=alpha\(local,inactive\) .*\n.*new_conn=1 .*\n        flags=0x0 learned=4 taught=0/);
  });
});

function runtimeOf(text: string, waitLocal: boolean) {
  const r = parseConfigText('reload.cfg', text, { cwd: process.cwd(), env: process.env, localPeer: 'alpha' });
  if (!r.config) throw new Error(r.alerts.map((a) => a.message).join('\n'));
  const tables = new StickTableRegistry(createStickTableBuffers(r.config.stickTables ?? []));
  const logs: string[] = [];
  const rt = new PeersRuntime({ config: r.config, tables, log: (l) => logs.push(l), tickMs: 10, waitLocal });
  return { rt, table: tables.get('p/t')!, logs };
}

const running: PeersRuntime[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe('reload: PeersRuntime hand-over over real sockets (127.0.0.1)', () => {
  it('two runtimes on the same local peer address; the old one hands 2000 entries over and reports complete', async () => {
    const port = await freePort();
    const remote = await freePort(); // nothing listens there: the remote peer is absent
    const text = `peers p\n    peer alpha 127.0.0.1:${port}\n    peer bravo 127.0.0.1:${remote}\n    table t type ip size 8k expire 10m store gpc0,http_req_cnt\n`;
    const old = runtimeOf(text, false);
    running.push(old.rt);
    await old.rt.start();
    for (let i = 0; i < 2000; i++) put(old.table, `10.4.${i >> 8}.${i & 255}`, i);
    const next = runtimeOf(text, true);
    running.push(next.rt);
    await next.rt.start(); // same address: SO_REUSEPORT
    expect(next.rt.sections[0]!.learn).toBe('local');
    old.rt.startHandOver();
    const results = await old.rt.finishHandOver(5000);
    expect(results).toEqual([expect.objectContaining({ section: 'p', outcome: 'complete', taught: 2000 })]);
    expect(next.table.list().length).toBe(2000);
    expect(dump(next.table)).toEqual(dump(old.table));
    expect(next.rt.sections[0]!.transitions.join('\n')).toMatch(/the old local process taught its tables \(2000 updates/);
    expect(old.logs.join('\n')).toMatch(/soft stop: teaching the tables to the successor at 127\.0\.0\.1:\d+ \(local peer 'alpha'\)/);
    expect(next.rt.show('p')).toMatch(/id=alpha\(local,(active|inactive)\) .*last_status=ESTA/);
  });

  it('a second instance that is not a reload successor cannot listen on the same local peer address', async () => {
    const port = await freePort();
    const text = `peers p\n    peer alpha 127.0.0.1:${port}\n    peer bravo 127.0.0.1:${await freePort()}\n    table t type ip size 8k expire 10m store gpc0,http_req_cnt\n`;
    const first = runtimeOf(text, false);
    running.push(first.rt);
    await first.rt.start();
    const second = runtimeOf(text, false);
    running.push(second.rt);
    await expect(second.rt.start()).rejects.toThrow(/peers 'p': cannot listen on 127\.0\.0\.1:\d+ for local peer 'alpha': .*EADDRINUSE.*; free that address/);
  });

  it('with nothing at the local peer address (no successor), the hand-over fails at once and the entries are lost', async () => {
    const port = await freePort();
    const text = `peers p\n    peer alpha 127.0.0.1:${port}\n    table t type ip size 1k expire 10m store gpc0\n`;
    const old = runtimeOf(text, false);
    running.push(old.rt);
    await old.rt.start();
    put(old.table, '10.5.0.1', 1);
    const t0 = Date.now();
    old.rt.startHandOver();
    const [r] = await old.rt.finishHandOver(5000);
    expect(r).toMatchObject({ section: 'p', outcome: 'failed', taught: 0 });
    expect(r!.reason).toMatch(/no successor reached at the local peer's address: connect ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('reload over TLS: the local peer line has ssl crt ca-file verify required', () => {
  it('the old process presents its crt to the successor, which verifies it; every entry is handed over', async () => {
    const pki = createPki('Reload Test CA');
    try {
      const pem = pki.issue('alpha').pem;
      const port = await freePort();
      const text = `peers p\n    peer alpha 127.0.0.1:${port} ssl crt ${pem} ca-file ${pki.caFile} verify required\n    table t type ip size 1k expire 10m store gpc0,http_req_cnt\n`;
      const old = runtimeOf(text, false);
      running.push(old.rt);
      await old.rt.start();
      for (let i = 0; i < 100; i++) put(old.table, `10.6.0.${i}`, i);
      const next = runtimeOf(text, true);
      running.push(next.rt);
      await next.rt.start();
      old.rt.startHandOver();
      const [r] = await old.rt.finishHandOver(5000);
      expect(r).toMatchObject({ section: 'p', outcome: 'complete', taught: 100 });
      expect(dump(next.table)).toEqual(dump(old.table));
      expect(next.rt.sections[0]!.tlsAcceptErrors).toBe(0);
    } finally {
      pki.cleanup();
    }
  });
});
