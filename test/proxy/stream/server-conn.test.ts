/**
 * Idle server connections of proxy/stream/server-conn.ts against a real node:net origin: a parked
 * connection closes IDLE_TIMEOUT after its last park, not after its first, and never while a
 * stream holds it. Timers and the recorder's clock are faked (the socket is real), so the 5 s delay
 * is stepped through instead of waited.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { createBackendRuntime, type BackendRuntime } from '../../../proxy/stream/backend-runtime.ts';
import { closeServerConn, IDLE_TIMEOUT, openServerConn, parkServerConn, takeIdle, type ServerConn, type ServerConnOwner } from '../../../proxy/stream/server-conn.ts';
import { createIdCounter, createLiveTable, Lifecycle } from '../../../diag/lifecycle.ts';
import { tickClock } from '../../../diag/ring.ts';
import { recordingOwner } from './server-conn-owner.ts';

let origin: Server;
let port: number;
const accepted: Socket[] = [];
const lifecycle = new Lifecycle(createLiveTable(64, 1), createIdCounter());

beforeAll(async () => {
  origin = createServer((s) => {
    accepted.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  port = (origin.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await new Promise<void>((r) => origin.close(() => r()));
});
afterEach(() => {
  vi.useRealTimers();
});

function backend(): BackendRuntime {
  const r = parseConfigText('t.cfg', `backend b\n timeout connect 2s\n server s1 127.0.0.1:${port}\n`, { env: {}, cwd: '/' });
  expect(r.alerts).toEqual([]);
  return createBackendRuntime(r.config!.backends[0]);
}

/** A connection to the origin, established with real timers, then timers and clock faked. */
async function connected(rt: BackendRuntime): Promise<{ c: ServerConn; o: ServerConnOwner }> {
  const { o, settled } = recordingOwner();
  const c = openServerConn(rt, rt.servers.get('s1')!, o, { lifecycle, streamId: 1, connId: 1, bufsize: 16384, maxhdr: 101 })!;
  expect(await settled).toEqual({ ok: true });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  tickClock();
  return { c, o };
}

/** Steps the faked timers and clock by `ms`. */
function advance(ms: number): void {
  vi.advanceTimersByTime(ms);
  tickClock();
}

describe('idle server connections', () => {
  it('close IDLE_TIMEOUT after their last park, not their first', async () => {
    const rt = backend();
    const { c, o } = await connected(rt);
    const sock = c.sock!;
    parkServerConn(c);
    expect(c.state).toBe('idle');
    advance(IDLE_TIMEOUT - 100);
    expect(c.state).toBe('idle');
    expect(takeIdle(rt, c.server!, false, 1, o, 2)).toBe(c);
    parkServerConn(c);
    advance(IDLE_TIMEOUT - 100); // 2 x IDLE_TIMEOUT - 200 after the first park
    expect(c.state).toBe('idle');
    advance(200);
    expect(sock.destroyed).toBe(true); // closed, and the pooled object given back
    expect(c.sock).toBeUndefined();
    expect(takeIdle(rt, rt.servers.get('s1')!, false, 1, o, 3)).toBeUndefined();
  });

  it('never close while a stream holds them', async () => {
    const rt = backend();
    const { c, o } = await connected(rt);
    parkServerConn(c);
    expect(takeIdle(rt, c.server!, false, 1, o, 2)).toBe(c);
    advance(3 * IDLE_TIMEOUT);
    expect(c.state).toBe('active');
    expect(c.sock!.destroyed).toBe(false);
    closeServerConn(c, 'test done');
  });

  it('the most recently parked is taken first, and a first request takes none (http-reuse safe)', async () => {
    const rt = backend();
    const a = await connected(rt);
    vi.useRealTimers();
    const b = await connected(rt);
    parkServerConn(a.c);
    parkServerConn(b.c);
    expect(takeIdle(rt, a.c.server!, true, 1, a.o, 2)).toBeUndefined();
    expect(takeIdle(rt, a.c.server!, false, 1, a.o, 2)).toBe(b.c);
    expect(takeIdle(rt, a.c.server!, false, 1, a.o, 3)).toBe(a.c);
    closeServerConn(a.c, 'test done');
    closeServerConn(b.c, 'test done');
  });
});
