/**
 * Write batching (proxy/stream/write-batch.ts) on real loopback sockets: what is written in a turn
 * is held until the check phase, then leaves in order; flushWrites() sends it before a destroy;
 * end() and a second batch in the same turn leave the cork count balanced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { batchWrites, flushWrites, isBatched } from '../../../proxy/stream/write-batch.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A connected pair on 127.0.0.1: `client` (ours, written) and what its peer received so far. */
async function pair(): Promise<{ client: Socket; received: () => Buffer; peerEnded: Promise<unknown>; peerClosed: Promise<unknown> }> {
  const server = createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection');
  const client = connect(port, '127.0.0.1');
  sockets.push(client);
  await once(client, 'connect');
  const [peer] = (await accepted) as [Socket];
  sockets.push(peer);
  const chunks: Buffer[] = [];
  peer.on('data', (c: Buffer) => chunks.push(c));
  peer.on('error', () => {});
  return {
    client,
    received: () => Buffer.concat(chunks),
    peerEnded: once(peer, 'end'),
    peerClosed: once(peer, 'close'),
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Waits until `f()` holds (polling each turn), at most 2 s. */
async function until(f: () => boolean): Promise<void> {
  const end = Date.now() + 2000;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met within 2 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('batchWrites', () => {
  it('holds the writes of a turn and sends them, in order, at the end of the turn', async () => {
    const { client, received } = await pair();
    batchWrites(client);
    client.write('HTTP/1.1 200 OK\r\n');
    batchWrites(client); // idempotent within the turn
    client.write('content-length: 2\r\n\r\n');
    client.write('ok');
    expect(isBatched(client)).toBe(true);
    expect(client.writableCorked).toBe(1);
    expect(client.writableLength).toBe(17 + 21 + 2); // held in the socket, not yet sent
    await turn();
    expect(isBatched(client)).toBe(false);
    expect(client.writableCorked).toBe(0);
    await until(() => received().length === 40);
    expect(received().toString()).toBe('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });

  it('flushes every socket written in the turn, and a socket written after the flush starts a new batch', async () => {
    const a = await pair();
    const b = await pair();
    batchWrites(a.client);
    a.client.write('a1');
    batchWrites(b.client);
    b.client.write('b1');
    await turn();
    expect(a.client.writableLength + b.client.writableLength).toBe(0);
    batchWrites(a.client);
    a.client.write('a2');
    expect(a.client.writableLength).toBe(2);
    await turn();
    await until(() => a.received().length === 4 && b.received().length === 2);
    expect(a.received().toString()).toBe('a1a2');
    expect(b.received().toString()).toBe('b1');
  });

  it('still reports backpressure: write() is false once the held bytes reach the high-water mark', async () => {
    const { client, received } = await pair();
    batchWrites(client);
    const big = Buffer.alloc(client.writableHighWaterMark, 0x61);
    expect(client.write(big)).toBe(false);
    await turn();
    await until(() => received().length === big.length);
  });
});

describe('flushWrites', () => {
  it('sends what the turn held before a destroy, which would discard it otherwise', async () => {
    const kept = await pair();
    batchWrites(kept.client);
    kept.client.write('last words');
    flushWrites(kept.client);
    kept.client.destroy();
    await kept.peerClosed;
    expect(kept.received().toString()).toBe('last words');

    const lost = await pair();
    batchWrites(lost.client);
    lost.client.write('never sent');
    lost.client.destroy();
    await lost.peerClosed;
    expect(lost.received().length).toBe(0);
  });

  it('leaves a socket that is not in a batch alone, and the cork count balanced after a re-batch', async () => {
    const { client, received } = await pair();
    client.cork(); // someone else's cork
    flushWrites(client);
    expect(client.writableCorked).toBe(1);
    client.uncork();
    batchWrites(client);
    client.write('x');
    flushWrites(client);
    expect(client.writableCorked).toBe(0);
    batchWrites(client); // corked again in the same turn: one uncork at the end of it
    client.write('y');
    expect(client.writableCorked).toBe(1);
    await turn();
    expect(client.writableCorked).toBe(0);
    await until(() => received().length === 2);
    expect(received().toString()).toBe('xy');
  });

  it('end() sends what is held and the end-of-turn flush does not uncork twice', async () => {
    const { client, received, peerEnded } = await pair();
    batchWrites(client);
    client.write('bye');
    client.end();
    await peerEnded;
    expect(received().toString()).toBe('bye');
    await turn();
    expect(client.writableCorked).toBe(0);
  });
});

describe('the end-of-turn flush', () => {
  it('flushes every other socket of the turn when one of them throws, then reports the error', async () => {
    const { client, received } = await pair();
    const failing = {
      cork() {},
      uncork() {
        throw new Error('uncork failed');
      },
    };
    // The error reaches the process as an uncaught exception (in the worker: its crash handler);
    // the runner's own listeners are set aside meanwhile so that it does not count it as a failure.
    const seen: unknown[] = [];
    const runners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (e) => seen.push(e));
    try {
      batchWrites(failing);
      batchWrites(client);
      client.write('still sent');
      await turn();
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const l of runners) process.on('uncaughtException', l);
    }
    expect(seen).toHaveLength(1);
    expect((seen[0] as Error).message).toBe('uncork failed');
    expect(client.writableCorked).toBe(0);
    await until(() => received().length === 10);
  });
});
