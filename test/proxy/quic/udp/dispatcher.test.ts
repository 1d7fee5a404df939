/**
 * The QUIC datagram dispatcher (proxy/quic/udp/dispatcher.ts): connection ids carry their owning
 * thread; a datagram for a connection owned by thread 2 that arrives at thread 1 (a client whose
 * 4-tuple changed: the kernel's SO_REUSEPORT hash sends it elsewhere) is handed to thread 2 and
 * processed there, thread 1 never holding the connection; a handed-over datagram is never handed
 * over again; one arriving after its connection ended is dropped, not dereferenced (seed crash 2).
 *
 * Two dispatchers play threads 1 and 2 with real QuicConnection engines (client and server, TLS
 * 1.3 with the tls13 fixture chain) on a simulated network: datagrams go through `route()` as the
 * listener sends them.
 */
import { describe, expect, it } from 'vitest';
import { QuicConnection } from '../../../../proxy/quic/connection.ts';
import type { QuicPath } from '../../../../proxy/quic/connection.types.ts';
import { cidOwner, datagramDcid, QuicDispatcher, threadCidSource } from '../../../../proxy/quic/udp/dispatcher.ts';
import { seededRandom } from '../../../../proxy/quic/cid.ts';
import { credentials, testCa } from '../../tls13/handshake-pair.ts';

const ecdsa = credentials('ecdsa-chain.pem', 'ecdsa-leaf.key');
const SERVER_LOCAL = '10.0.0.2:443';

/** One simulated worker thread: its dispatcher and the server connections it owns. */
interface Thread {
  readonly n: number;
  readonly d: QuicDispatcher<QuicConnection>;
  readonly conns: QuicConnection[];
  /** Datagrams each of its connections processed. */
  processed: number;
}

function thread(n: number): Thread {
  return { n, d: new QuicDispatcher<QuicConnection>(n, 2), conns: [], processed: 0 };
}

/**
 * Delivers a client datagram to thread `at` as the listener would: route, then process locally,
 * create, or hand over to the other thread (which routes it with `forwarded`). Returns the thread
 * whose connection processed it (0: none).
 */
function deliver(threads: Record<number, Thread>, at: number, data: Uint8Array, remote: string, now: number, forwarded = false): number {
  const t = threads[at];
  const r = t.d.route(data, forwarded);
  const path: QuicPath = { local: SERVER_LOCAL, remote };
  if (r.kind === 'local') {
    r.conn.receive(now, data, path);
    t.processed++;
    return t.n;
  }
  if (r.kind === 'new') {
    const c = new QuicConnection({ tls: { role: 'server', config: { credentials: ecdsa, alpn: ['h3'] } }, path, now, random: threadCidSource(t.n, seededRandom(t.n)) });
    t.d.add(r.odcid, c);
    t.d.add(c.localCid, c);
    t.conns.push(c);
    c.receive(now, data, path);
    t.processed++;
    return t.n;
  }
  if (r.kind === 'forward') {
    expect(forwarded).toBe(false); // never handed over twice
    return deliver(threads, r.thread, data.slice(), remote, now, true);
  }
  return 0;
}

function client(now: number): QuicConnection {
  return new QuicConnection({
    tls: { role: 'client', config: { serverName: 'localhost', alpn: ['h3'], verify: { mode: 'ca', ca: [testCa()] } } },
    path: { local: '10.0.0.1:50000', remote: SERVER_LOCAL },
    now,
    random: seededRandom(7),
  });
}

describe('connection ids carry their thread', () => {
  it('threadCidSource puts the thread in the first byte and keeps the rest random', () => {
    const src = threadCidSource(2, seededRandom(1));
    const a = src(8);
    const b = src(8);
    expect(a[0]).toBe(2);
    expect(b[0]).toBe(2);
    expect(Buffer.from(a.subarray(1)).equals(Buffer.from(b.subarray(1)))).toBe(false);
    expect(cidOwner(a)).toBe(2);
    expect(cidOwner(new Uint8Array(18))).toBe(0); // not one of ours: wrong length
    expect(() => threadCidSource(0)).toThrow(RangeError);
    expect(() => threadCidSource(256)).toThrow(RangeError);
  });

  it('datagramDcid reads the DCID of long and short headers and refuses what cannot be QUIC', () => {
    const short = new Uint8Array([0x40, 2, 1, 2, 3, 4, 5, 6, 7, 0xaa, 0xbb]);
    expect(datagramDcid(short)).toEqual({ dcid: new Uint8Array([2, 1, 2, 3, 4, 5, 6, 7]), long: false });
    const long = new Uint8Array([0xc0, 0, 0, 0, 1, 3, 9, 8, 7, 0]);
    expect(datagramDcid(long)).toEqual({ dcid: new Uint8Array([9, 8, 7]), long: true });
    expect(datagramDcid(new Uint8Array([0xc0, 0, 0, 0, 1, 21, ...new Array(30).fill(0)]))).toBeNull(); // DCID length > 20
    expect(datagramDcid(new Uint8Array([0xc0, 0, 0, 0, 1, 9, 1]))).toBeNull(); // truncated
    expect(datagramDcid(new Uint8Array(3))).toBeNull();
  });
});

describe('two dispatchers (threads 1 and 2) with real engines', () => {
  it('datagrams of a connection owned by thread 2 that arrive at thread 1 reach thread 2, and only thread 2 holds it', () => {
    const threads: Record<number, Thread> = { 1: thread(1), 2: thread(2) };
    let now = 1000;
    const c = client(now);
    let streamId: number | null = null;
    const received: Uint8Array[] = [];
    let firstDone = false;
    // The client's first datagrams (its Initial) land on thread 2; after the handshake, every
    // client datagram lands on thread 1 (its address changed: a NAT rebinding).
    for (let round = 0; round < 200; round++) {
      now += 5;
      for (let d = c.transmit(now); d; d = c.transmit(now)) {
        const at = firstDone ? 1 : 2;
        deliver(threads, at, d.data, firstDone ? '10.0.0.9:40000' : '10.0.0.1:50000', now);
      }
      for (const s of threads[2].conns) {
        for (const e of s.pollEvents()) if (e.kind === 'stream-data') received.push(e.data);
        for (let d = s.transmit(now); d; d = s.transmit(now)) c.receive(now, d.data, { local: '10.0.0.1:50000', remote: SERVER_LOCAL });
      }
      for (const e of c.pollEvents()) if (e.kind === 'handshake-done') firstDone = true;
      if (firstDone && streamId === null) {
        streamId = c.openStream(true);
        if (streamId !== null) {
          c.write(streamId, new TextEncoder().encode('GET / over a new path'));
          c.finish(streamId);
        }
      }
      if (Buffer.concat(received).toString() === 'GET / over a new path') break;
    }
    expect(Buffer.concat(received).toString()).toBe('GET / over a new path');
    const [t1, t2] = [threads[1], threads[2]];
    expect(t2.conns).toHaveLength(1);
    expect(t1.conns).toHaveLength(0);
    expect(t1.d.size).toBe(0); // thread 1 never held the connection
    expect(t1.d.stats.forwarded).toBeGreaterThan(0); // what reached thread 1 was handed over...
    expect(t2.d.stats.received).toBe(t1.d.stats.forwarded); // ...and every one arrived at thread 2
    expect(t1.processed).toBe(0);
    expect(cidOwner(t2.conns[0].localCid)).toBe(2);
  });

  it('ids issued with NEW_CONNECTION_ID carry the owner thread and, registered as the listener does, route an actively migrated client to it', () => {
    const threads: Record<number, Thread> = { 1: thread(1), 2: thread(2) };
    let now = 1000;
    const c = client(now);
    /** What the listener does after each turn of a connection: follow its issued and retired ids. */
    const follow = (t: Thread) => {
      for (const s of t.conns) {
        const ch = s.pollCidChanges();
        for (const id of ch.added) t.d.add(id, s);
        for (const id of ch.removed) t.d.forget(id);
      }
    };
    let migrated = false;
    let streamId: number | null = null;
    const received: Uint8Array[] = [];
    const from = () => (migrated ? '10.0.0.9:40000' : '10.0.0.1:50000');
    for (let round = 0; round < 300; round++) {
      now += 5;
      // Before the migration the client lands on thread 2, after it on thread 1.
      for (let d = c.transmit(now); d; d = c.transmit(now)) deliver(threads, migrated ? 1 : 2, d.data, from(), now);
      follow(threads[2]);
      for (const s of threads[2].conns) {
        for (const e of s.pollEvents()) if (e.kind === 'stream-data') received.push(e.data);
        for (let d = s.transmit(now); d; d = s.transmit(now)) if (d.path.remote === from()) c.receive(now, d.data, { local: from(), remote: SERVER_LOCAL });
      }
      follow(threads[2]);
      c.pollEvents();
      if (!migrated && c.handshakeConfirmed && round > 20) {
        expect(c.migrate(now, { local: '10.0.0.9:40000', remote: SERVER_LOCAL })).toBe(true);
        migrated = true;
        streamId = c.openStream(true);
        c.write(streamId!, new TextEncoder().encode('GET / after migrating'));
        c.finish(streamId!);
      }
      if (Buffer.concat(received).toString() === 'GET / after migrating' && threads[2].conns[0].migrations.validated > 0) break;
    }
    expect(Buffer.concat(received).toString()).toBe('GET / after migrating');
    const s = threads[2].conns[0];
    expect(s.currentPath.remote).toBe('10.0.0.9:40000');
    expect(s.migrations.validated).toBe(1);
    // Every active id of the server is thread 2's and is in thread 2's table; the retired one is not.
    for (const id of s.activeLocalCids()) {
      expect(cidOwner(id.cid)).toBe(2);
      expect(threads[2].d.lookup(id.cid)).toBe(s);
    }
    expect(threads[2].d.lookup(s.localCid)).toBeUndefined(); // sequence 0, retired by the migrating client
    expect(threads[1].d.size).toBe(0);
    expect(threads[1].d.stats.forwarded).toBeGreaterThan(0);
  });

  it('a handed-over datagram for a connection that ended is dropped, never forwarded again', () => {
    const threads: Record<number, Thread> = { 1: thread(1), 2: thread(2) };
    let now = 1000;
    const c = client(now);
    // Until the client's handshake is confirmed (HANDSHAKE_DONE): it then sends only short headers.
    for (let round = 0; round < 100 && !c.handshakeConfirmed; round++) {
      now += 5;
      for (let d = c.transmit(now); d; d = c.transmit(now)) deliver(threads, 2, d.data, '10.0.0.1:50000', now);
      for (const s of threads[2].conns) for (let d = s.transmit(now); d; d = s.transmit(now)) c.receive(now, d.data, { local: '10.0.0.1:50000', remote: SERVER_LOCAL });
      c.pollEvents();
    }
    expect(c.handshakeConfirmed).toBe(true);
    const server = threads[2].conns[0];
    // Thread 2 ends the connection and forgets its ids in the same turn.
    threads[2].d.forget(server.localCid);
    threads[2].d.forget(server.originalDestinationCid);
    c.write(c.openStream(true)!, new Uint8Array([1, 2, 3]));
    const late = c.transmit(now)!.data;
    expect(late[0] & 0x80).toBe(0); // a short header: only the DCID says where it goes
    const at1 = threads[1].d.route(late);
    expect(at1).toEqual({ kind: 'forward', thread: 2 });
    const at2 = threads[2].d.route(late.slice(), true);
    expect(at2).toEqual({ kind: 'drop', why: 'owner-gone' });
    // Had thread 2 handed it back, thread 1 would not hand it over again.
    expect(threads[1].d.route(late.slice(), true).kind).toBe('drop');
  });

  it('a client Initial starts a connection on the thread that got it', () => {
    const d1 = new QuicDispatcher<string>(1, 2);
    const c = client(1000);
    const initial = c.transmit(1000)!.data;
    const r = d1.route(initial);
    expect(r.kind).toBe('new');
    if (r.kind !== 'new') return;
    d1.add(r.odcid, 'conn');
    expect(d1.route(initial)).toEqual({ kind: 'local', conn: 'conn' }); // its retransmissions stay here
    expect(d1.route(new Uint8Array(40).fill(0x41))).toEqual({ kind: 'drop', why: 'unknown-cid' });
  });

  it('a long header of another version is negotiated in 1200 bytes or more, dropped otherwise, never routed (RFC 9000 §6.1)', () => {
    const d1 = new QuicDispatcher<string>(1, 2);
    const other = client(1000).transmit(1000)!.data.slice();
    other.set([0x1a, 0x2a, 0x3a, 0x4a], 1);
    d1.add(datagramDcid(other)!.dcid, 'conn'); // even for a known DCID
    const r = d1.route(other);
    expect(r.kind === 'negotiate' && r.version).toBe(0x1a2a3a4a);
    expect(d1.route(other.subarray(0, 1199))).toEqual({ kind: 'drop', why: 'unsupported-version' });
    const vn = other.slice();
    vn.set([0, 0, 0, 0], 1);
    expect(d1.route(vn)).toEqual({ kind: 'drop', why: 'unsupported-version' });
    expect(d1.route(other, true).kind).toBe('negotiate');
  });
});
