/**
 * proxy/peers/session.ts and proxy/peers/sync.ts: peer sessions exchanging bytes in memory over real
 * stick-tables (shared memory made by createStickTable), under a virtual clock: handshake, teaching
 * with definitions and acks, full resync with finished/partial/confirm, no echo of learned
 * updates, heartbeats and the 5 s silence timeout, protocol errors, reconnect back-off, and the
 * seed-3 cut in the middle of a full resync (reset and reconvergence; with the fault site, the
 * BUG_ON naming the released session).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createStickTable, StickTable } from '../../../proxy/stick/table.ts';
import { dump, ipKey, peersTableDef, put } from './table-fixture.ts';
import { PeerSession, PEER_HEARTBEAT_MS, PEER_TIMEOUT_MS } from '../../../proxy/peers/session.ts';
import { FS_LEARN_RELEASED_SESSION, PeersSection, syncPeerLearnState } from '../../../proxy/peers/sync.ts';
import { PeerDecoder } from '../../../proxy/peers/codec.ts';
import { PanicError } from '../../../diag/invariants.ts';
import type { PeerMessage } from '../../../proxy/peers/peers.types.ts';

const DEF = peersTableDef([{ type: 'http_req_rate', period: 10_000 }]);

let clock = 1_000_000;
const now = () => clock;
const newTable = () => new StickTable(createStickTable(DEF), DEF, now);

/** One section per instance, each with its own table. */
function instance(name: string, remotes: string[], table = newTable()) {
  const sec = new PeersSection({
    name: 'p',
    localPeer: name,
    remotes: remotes.map((r, i) => ({ name: r, host: '127.0.0.1', port: 10000 + i })),
    tables: [{ name: 't', table }],
    pid: 1,
    now: clock,
    random: () => 0,
    clock: now,
  });
  return { sec, table };
}

/** Moves bytes both ways until both sessions are quiet; returns what went a -> b, decoded. */
function pump(a: PeerSession, b: PeerSession, sa?: PeersSection, sb?: PeersSection, cut?: number): { ab: number } {
  let ab = 0;
  for (let i = 0; i < 100; i++) {
    let x = a.takeOutput();
    if (cut !== undefined && ab + x.length > cut) x = x.subarray(0, Math.max(0, cut - ab));
    ab += x.length;
    const y = b.takeOutput();
    if (x.length) b.receive(x, clock);
    if (y.length) a.receive(y, clock);
    for (const [s, sec] of [[a, sa], [b, sb]] as const) for (const ev of s.takeEvents()) sec?.onEvent(s, ev, clock);
    if (cut !== undefined && ab >= cut) return { ab };
    a.poll(clock);
    b.poll(clock);
    if (x.length === 0 && y.length === 0 && i > 2) break;
  }
  return { ab };
}

/** Connects a's link to b: initiator on a, acceptor on b. */
function connectPair(a: ReturnType<typeof instance>, b: ReturnType<typeof instance>, remoteOfA: string) {
  const due = a.sec.dueConnects(clock + 10_000, remoteOfA)[0]!;
  const acc = b.sec.incoming(clock);
  due.session.connected(clock);
  return { ini: due.session, acc };
}

function decodeAll(bytes: Uint8Array): PeerMessage[] {
  const d = new PeerDecoder();
  d.push(bytes);
  const out: PeerMessage[] = [];
  for (let o = d.next(); o.kind === 'message'; o = d.next()) out.push(o.message);
  return out;
}

afterEach(() => FS_LEARN_RELEASED_SESSION.disarm());

describe('peer session: handshake, teaching, acks', () => {
  it('scripted bytes: hello answered 200, then a resync request is answered by a definition, updates and resync finished', () => {
    const t = newTable();
    put(t, '10.0.0.1', 7);
    const s = new PeerSession({
      role: 'acceptor',
      localPeer: 'b',
      decide: () => 200,
      pid: 1,
      conn: 9,
      tables: [{ name: 't', table: t }],
      sourceOf: () => 1,
      teachFrom: () => 0,
      synced: () => true,
      now: clock,
    });
    s.receive(new TextEncoder().encode('HAProxyS 2.1\nb\na 42 1\n'), clock);
    expect(new TextDecoder().decode(s.takeOutput())).toBe('200\n');
    expect(s.state).toBe('established');
    s.receive(Uint8Array.of(0, 0), clock); // resync request
    expect(s.teachState).toBe('full');
    s.poll(clock);
    const msgs = decodeAll(s.takeOutput());
    expect(msgs.map((m) => m.kind + (m.kind === 'control' ? ':' + m.type : ''))).toEqual(['define', 'update', 'control:resync-finished']);
    expect(msgs[0]).toMatchObject({ kind: 'define', table: { name: 't', keyType: 'ipv4', keyLength: 4, expire: 60_000 } });
    expect(msgs[1]).toMatchObject({ kind: 'update', key: '10.0.0.1', expire: 60_000 });
    expect(s.teachState).toBe('wait-confirm');
    s.receive(Uint8Array.of(0, 3), clock); // confirm
    expect(s.teachState).toBe('incremental');
    expect(s.transitions).toEqual([
      '? sess new -> wait-hello: acceptor',
      'a sess wait-hello -> established: handshake succeeded with a (protocol 2.1)',
      'a teach incremental -> full: peer asked for a full resync',
      'a teach full -> wait-confirm: full resync sent, finished',
      'a teach wait-confirm -> incremental: peer confirmed the resync',
    ]);
  });

  it('teaches local changes incrementally, applies them on the other side, acks move the teaching origin', () => {
    const A = instance('a', ['b']);
    const B = instance('b', ['a']);
    put(A.table, '10.0.0.1', 1);
    put(A.table, '10.0.0.2', 2);
    const { ini, acc } = connectPair(A, B, 'b');
    pump(ini, acc, A.sec, B.sec);
    expect(dump(B.table)).toEqual(dump(A.table));
    expect(dump(B.table)).toEqual(['10.0.0.1 gpc0=1 http_req_cnt=1 http_req_rate=0', '10.0.0.2 gpc0=2 http_req_cnt=1 http_req_rate=0']);
    // B acknowledged the last update id A sent
    // B acknowledged the last update id A taught: 4 (each put takes two ids, creation and touch);
    // the ids after it are B's resync answer applied on A (learned, never taught back)
    expect(A.sec.link('b')!.acked.get('t')).toBe(4);
    expect(ini.tableStats()[0]).toMatchObject({ acked: 4, lastGet: 4 });
    // a later change goes over too, and only it
    const taught = ini.taught;
    put(A.table, '10.0.0.2', 5);
    clock += 100;
    pump(ini, acc, A.sec, B.sec);
    expect(ini.taught - taught).toBe(1);
    expect(dump(B.table)).toContain('10.0.0.2 gpc0=5 http_req_cnt=2 http_req_rate=0');
  });

  it('does not echo a learned update back to the peer it came from', () => {
    const A = instance('a', ['b']);
    const B = instance('b', ['a']);
    put(A.table, '10.0.0.1', 1);
    const { ini, acc } = connectPair(A, B, 'b');
    pump(ini, acc, A.sec, B.sec);
    expect(B.table.current).toBe(1);
    clock += 2000;
    acc.poll(clock);
    const back = decodeAll(acc.takeOutput());
    expect(back.filter((m) => m.kind === 'update')).toEqual([]);
    // a local change on B is taught to A
    put(B.table, '10.0.0.9', 9);
    clock += 100;
    pump(ini, acc, A.sec, B.sec);
    expect(dump(A.table)).toContain('10.0.0.9 gpc0=9 http_req_cnt=1 http_req_rate=0');
  });
});

describe('peer session: resync', () => {
  it('a fresh instance asks the first established peer for a full resync and gets learned entries too', () => {
    const A = instance('a', ['b', 'c']);
    const C = instance('c', ['a']);
    // A knows entries of its own and entries learned from c
    put(A.table, '10.0.0.1', 1);
    A.table.applyLearned(ipKey('10.0.0.3'), [{ type: 'gpc0', value: 3 }], undefined, 2);
    clock += 10_000; // A's resync timeout passed: it answers 'finished'
    const B = instance('b', ['a', 'c']);
    expect(B.sec.learn).toBe('needed');
    const { ini, acc } = connectPair(B, A, 'a');
    pump(ini, acc, B.sec, A.sec);
    expect(B.sec.learn).toBe('finished');
    expect(dump(B.table).map((l) => l.split(' ')[0])).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(B.sec.transitions).toContainEqual(expect.stringMatching(/^p: learn needed -> assigned: resync requested from a \(conn \d+\)$/));
    expect(B.sec.transitions.at(-1)).toMatch(/^p: learn assigned -> finished: a finished the resync \(3 updates\)$/); // 10.0.0.1 taught incrementally at once, then both in the resync
    void C;
  });

  it('partial answers move on to the next peer; all partial ends the round', () => {
    const B = instance('b', ['a', 'c']);
    // A and C just started and wait for another peer (x) themselves: they answer partial
    const A = instance('a', ['b', 'x']);
    const C = instance('c', ['b', 'x']);
    const p1 = connectPair(B, A, 'a');
    pump(p1.ini, p1.acc, B.sec, A.sec);
    expect(B.sec.link('a')!.partial).toBe(true);
    expect(B.sec.learn).toBe('needed');
    const p2 = connectPair(B, C, 'c');
    pump(p2.ini, p2.acc, B.sec, C.sec);
    expect(B.sec.learn).toBe('partial');
    expect(B.sec.synced(clock)).toBe(true);
  });
});

describe('peer session: liveness and errors', () => {
  it('sends a heartbeat after 3 s of silence and closes after 5 s without input', () => {
    const A = instance('a', ['b']);
    const B = instance('b', ['a']);
    const { ini, acc } = connectPair(A, B, 'b');
    pump(ini, acc, A.sec, B.sec);
    ini.takeOutput();
    clock += PEER_HEARTBEAT_MS;
    ini.poll(clock);
    expect(decodeAll(ini.takeOutput())).toContainEqual({ kind: 'control', type: 'heartbeat' });
    clock += PEER_TIMEOUT_MS;
    ini.poll(clock);
    expect(ini.state).toBe('closed');
    expect(ini.takeEvents()).toContainEqual({ kind: 'closed', reason: `no message for ${PEER_TIMEOUT_MS} ms (peer considered dead)`, status: 'TIMEOUT' });
  });

  it('answers a protocol error with an error message and closes', () => {
    const A = instance('a', ['b']);
    const B = instance('b', ['a']);
    const { ini, acc } = connectPair(A, B, 'b');
    pump(ini, acc, A.sec, B.sec);
    acc.receive(Uint8Array.of(0xff, 0), clock); // reserved class
    expect(acc.state).toBe('closed');
    expect(decodeAll(acc.takeOutput())).toContainEqual({ kind: 'error', type: 'protocol' });
  });

  it('refuses a hello from an unknown peer with 504', () => {
    const B = instance('b', ['a']);
    const acc = B.sec.incoming(clock);
    acc.receive(new TextEncoder().encode('HAProxyS 2.1\nb\nzz 1 1\n'), clock);
    expect(new TextDecoder().decode(acc.takeOutput())).toBe('504\n');
    expect(acc.state).toBe('closed');
  });

  it('reconnects with back-off: 500 ms, doubling to 5 s after failed attempts, quickly after an established session', () => {
    const A = instance('a', ['b']);
    const link = A.sec.link('b')!;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [d] = A.sec.dueConnects(link.reconnectAt);
      const at = link.reconnectAt;
      A.sec.released(d!.session, at, 'connection refused');
      delays.push(link.reconnectAt - at);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(link.lastStatus).toBe('CONNREFUSED');
  });
});

describe('seed crash 3: a connection cut in the middle of a full resync', () => {
  /** A has 300 entries and is synced; B connects, asks for a resync and gets only the first 3000 bytes. */
  function setup() {
    const A = instance('a', ['b']);
    for (let i = 0; i < 300; i++) put(A.table, `10.0.${i >> 8}.${i & 255}`, i);
    clock += 10_000; // A is synced (its resync timeout passed)
    const B = instance('b', ['a']);
    const p = connectPair(B, A, 'a');
    p.acc.receive(p.ini.takeOutput(), clock); // hello
    p.ini.receive(p.acc.takeOutput(), clock); // 200
    for (const ev of p.ini.takeEvents()) B.sec.onEvent(p.ini, ev, clock);
    expect(B.sec.learn).toBe('assigned');
    p.acc.receive(p.ini.takeOutput(), clock); // resync request
    p.acc.poll(clock);
    p.ini.receive(p.acc.takeOutput().subarray(0, 3000), clock);
    return { A, B, ini: p.ini, acc: p.acc };
  }

  it('resets the learn state cleanly, asks again on the next session and converges, nothing lost', () => {
    const { A, B, ini } = setup();
    expect(B.table.current).toBeGreaterThan(0);
    expect(B.table.current).toBeLessThan(300);
    B.sec.released(ini, clock, 'connection reset by peer');
    expect(B.sec.learn).toBe('needed');
    expect(B.sec.learnerSession).toBeUndefined();
    expect(B.sec.transitions.at(-1)).toMatch(/learn assigned -> needed: learner a's session \(conn \d+\) was cut in the middle of the resync after \d+ updates/);
    // the next session is asked again and everything arrives
    clock += 1000;
    const q = connectPair(B, A, 'a');
    pump(q.ini, q.acc, B.sec, A.sec);
    expect(B.sec.learn).toBe('finished');
    expect(B.table.current).toBe(300);
    expect(dump(B.table)).toEqual(dump(A.table));
  });

  it('with the fault site armed, the learn step reads the released session: BUG_ON naming it', () => {
    const { B, ini } = setup();
    expect(B.sec.learnerSession).toBe(ini);
    FS_LEARN_RELEASED_SESSION.arm(1);
    let err: unknown;
    try {
      B.sec.released(ini, clock, 'connection reset by peer');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PanicError);
    const f = (err as PanicError).fault;
    expect(f.kind).toBe('bug');
    expect(f.message).toMatch(/^BUG_ON: sync_peer_learn_state: peers 'p': session with 'a' \(conn \d+\) used after its release/);
    expect(f.frames[0]!.fn).toMatch(/syncPeerLearnState$/);
    expect(f.context.connId).toBe(ini.conn);
    expect(f.context.details).toMatchObject({ peer: 'a', section: 'p', state: 'released' });
    // without the fault, the same step on the same state resets instead
    syncPeerLearnState(B.sec, B.sec.link('a')!, clock);
    expect(B.sec.learn).toBe('needed');
  });
});
