/**
 * proxy/peers/handshake.ts: the hello and status lines of the peers protocol 2.1 ("Handshake"),
 * both sides, every status code, HAProxy's check order, byte-by-byte input, and the two engines
 * talking to each other over a real loopback socket.
 */
import { describe, expect, it } from 'vitest';
import { createServer, connect, type Socket } from 'node:net';
import {
  encodeHello,
  encodeStatus,
  parseVersion,
  PeerAcceptor,
  PeerInitiator,
  type AcceptorOutcome,
  type InitiatorOutcome,
} from '../../../proxy/peers/handshake.ts';
import { PeerDecoder, PeerEncoder } from '../../../proxy/peers/codec.ts';
import { PEER_STATUS } from '../../../proxy/peers/peers.types.ts';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const HELLO = 'HAProxyS 2.1\nflightbox\nhaproxy 4242 1\n';

function accept(input: string, opts: Partial<ConstructorParameters<typeof PeerAcceptor>[0]> = {}): AcceptorOutcome {
  return new PeerAcceptor({ localPeer: 'flightbox', knownPeers: ['haproxy'], ...opts }).receive(enc(input));
}

describe('hello and status encoding ("Handshake")', () => {
  it('builds the three hello lines and the status line byte for byte', () => {
    expect(text(encodeHello({ major: 2, minor: 1, remotePeer: 'flightbox', localPeer: 'haproxy', pid: 4242, relativePid: 1 }))).toBe(HELLO);
    expect(text(encodeStatus(200))).toBe('200\n');
    expect(text(encodeStatus(504))).toBe('504\n');
  });

  it('refuses peer names that would break the line format', () => {
    expect(() => encodeHello({ major: 2, minor: 1, remotePeer: 'a b', localPeer: 'x', pid: 1, relativePid: 1 })).toThrow(/without spaces/);
    expect(() => encodeHello({ major: 2, minor: 1, remotePeer: 'a', localPeer: 'x\n', pid: 1, relativePid: 1 })).toThrow(/local peer/);
    expect(() => encodeHello({ major: 2, minor: 1, remotePeer: '', localPeer: 'x', pid: 1, relativePid: 1 })).toThrow(/non-empty/);
  });

  it('parses versions as peer_get_version does', () => {
    expect(parseVersion('2.1')).toEqual({ major: 2, minor: 1 });
    expect(parseVersion('10.20')).toEqual({ major: 10, minor: 20 });
    for (const bad of ['2', '2.', '.1', '2.1 ', '2.1.0', 'v2.1', '']) expect(parseVersion(bad)).toBeUndefined();
  });
});

describe('PeerAcceptor', () => {
  it('accepts a known peer addressed by its name: 200, with the hello decoded', () => {
    const r = accept(HELLO);
    expect(r).toEqual({
      kind: 'accepted',
      hello: { major: 2, minor: 1, remotePeer: 'flightbox', localPeer: 'haproxy', pid: 4242, relativePid: 1 },
      downgraded: false,
      send: enc('200\n'),
      rest: new Uint8Array(0),
    });
  });

  it('accepts CRLF line ends and a 2.0 peer (downgraded: no timed updates)', () => {
    const r = accept('HAProxyS 2.0\r\nflightbox\r\nhaproxy 1 0\r\n');
    expect(r).toMatchObject({ kind: 'accepted', downgraded: true, hello: { minor: 0, relativePid: 0 } });
  });

  it('hands back bytes received after the hello as `rest`', () => {
    const r = accept(HELLO + '\x00\x04');
    expect(r.kind === 'accepted' && [...r.rest]).toEqual([0, 4]);
  });

  it.each([
    ['HTTP/1.1 2.1\n', PEER_STATUS.PROTOCOL_ERROR, /does not start with 'HAProxyS '/],
    ['HAProxyS2.1\n', PEER_STATUS.PROTOCOL_ERROR, /does not start with/],
    ['HAProxyS 3.0\n', PEER_STATUS.BAD_VERSION, /unsupported protocol version '3.0'/],
    ['HAProxyS 2.2\n', PEER_STATUS.BAD_VERSION, /speaks 2.0 to 2.1/],
    ['HAProxyS two\n', PEER_STATUS.BAD_VERSION, /'two'/],
    ['HAProxyS 2.1\nother\n', PEER_STATUS.LOCAL_PEER_MISMATCH, /addressed to 'other', this peer is 'flightbox'/],
    ['HAProxyS 2.1\nflightbox\nstranger 1 1\n', PEER_STATUS.REMOTE_PEER_MISMATCH, /'stranger' is not a known peer/],
    ['HAProxyS 2.1\nflightbox\nhaproxy\n', PEER_STATUS.PROTOCOL_ERROR, /is not '<peer name> <pid> <relative pid>'/],
  ])('answers %j with %d', (input, status, reason) => {
    const r = accept(input);
    expect(r).toMatchObject({ kind: 'rejected', status, send: enc(`${status}\n`) });
    expect(r.kind === 'rejected' && r.reason).toMatch(reason);
  });

  it('answers on the first bad line, before the rest of the hello arrives (HAProxy order)', () => {
    const a = new PeerAcceptor({ localPeer: 'flightbox', knownPeers: ['haproxy'] });
    expect(a.receive(enc('HAProxyS 9.9\n'))).toMatchObject({ kind: 'rejected', status: 502 });
    expect(() => a.receive(enc('flightbox\n'))).toThrow(/already over/);
  });

  it('lets `decide` answer 300 (try again later), e.g. while a local peer session is open', () => {
    const seen: string[] = [];
    const r = accept(HELLO, { decide: (h) => (seen.push(h.localPeer), PEER_STATUS.TRY_AGAIN) });
    expect(r).toMatchObject({ kind: 'rejected', status: 300, reason: 'try again later', send: enc('300\n') });
    expect(seen).toEqual(['haproxy']);
  });

  it('answers 501 to a line longer than the limit, even without its line feed', () => {
    expect(accept('HAProxyS ' + 'x'.repeat(40), { maxLineLength: 32 })).toMatchObject({ kind: 'rejected', status: 501, reason: 'hello line longer than 32 bytes' });
    expect(accept('HAProxyS 2.1\n' + 'y'.repeat(40) + '\n', { maxLineLength: 32 })).toMatchObject({ kind: 'rejected', status: 501 });
  });

  it('gives the same result fed one byte at a time, waiting in between', () => {
    const a = new PeerAcceptor({ localPeer: 'flightbox', knownPeers: ['haproxy'] });
    const input = enc(HELLO);
    const outs = [...input].map((b) => a.receive(Uint8Array.of(b)));
    expect(outs.slice(0, -1).every((o) => o.kind === 'need-more')).toBe(true);
    expect(outs.at(-1)).toMatchObject({ kind: 'accepted', hello: { localPeer: 'haproxy', pid: 4242 } });
  });
});

describe('PeerInitiator', () => {
  const init = (opts = {}) => new PeerInitiator({ localPeer: 'flightbox', remotePeer: 'haproxy', pid: 99, ...opts });

  it('sends HAProxyS 2.1, the remote name, then its name, pid and relative pid 1 (as HAProxy)', () => {
    expect(text(init().hello())).toBe('HAProxyS 2.1\nhaproxy\nflightbox 99 1\n');
    expect(text(init({ minor: 0, relativePid: 0 }).hello())).toBe('HAProxyS 2.0\nhaproxy\nflightbox 99 0\n');
  });

  it('is established on 200 and hands back the bytes that followed', () => {
    const i = init();
    expect(i.receive(enc('20'))).toEqual({ kind: 'need-more' });
    expect(i.receive(enc('0\r\n\x00\x00'))).toEqual({ kind: 'established', rest: Uint8Array.of(0, 0) });
    expect(() => i.receive(enc('x'))).toThrow(/already over/);
  });

  it.each([300, 501, 502, 503, 504])('is refused on %d, asking to downgrade only after 502', (status) => {
    const r = init().receive(enc(`${status}\n`)) as Extract<InitiatorOutcome, { kind: 'refused' }>;
    expect(r).toMatchObject({ kind: 'refused', status, downgrade: status === 502 });
    expect(r.reason).toMatch(new RegExp(`^haproxy answered ${status}: `));
  });

  it('reports a status line that is not three digits', () => {
    expect(init().receive(enc('OK\n'))).toEqual({ kind: 'error', reason: "status line 'OK' is not a 3-digit code" });
    expect(init({ maxLineLength: 4 }).receive(enc('2000000'))).toEqual({ kind: 'error', reason: 'status line too long' });
  });
});

describe('initiator and acceptor over a loopback socket', () => {
  it('complete the handshake and exchange messages with the codec', async () => {
    const server = createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    const received: string[] = [];
    const accepted = new Promise<AcceptorOutcome>((resolve) => {
      server.once('connection', (s: Socket) => {
        const a = new PeerAcceptor({ localPeer: 'b', knownPeers: ['a'] });
        const dec = new PeerDecoder();
        let done = false;
        s.on('data', (d: Buffer) => {
          if (!done) {
            const r = a.receive(d);
            if (r.kind === 'need-more') return;
            done = true;
            s.write(r.send);
            resolve(r);
            if (r.kind !== 'accepted') return;
            d = Buffer.from(r.rest);
          }
          dec.push(d);
          for (let o = dec.next(); o.kind === 'message'; o = dec.next()) received.push(o.message.kind);
          if (received.includes('control')) s.end();
        });
      });
    });
    const client = connect(port, '127.0.0.1');
    const init = new PeerInitiator({ localPeer: 'a', remotePeer: 'b', pid: process.pid });
    client.write(init.hello());
    const established = await new Promise<InitiatorOutcome>((resolve) => client.on('data', (d) => resolve(init.receive(d))));
    expect(established).toEqual({ kind: 'established', rest: new Uint8Array(0) });
    const e = new PeerEncoder();
    client.write(e.encode({ kind: 'ack', tableId: 1, updateId: 2 }));
    client.write(e.encode({ kind: 'control', type: 'heartbeat' }));
    await new Promise<void>((res) => client.on('close', () => res()));
    expect((await accepted).kind).toBe('accepted');
    expect(received).toEqual(['ack', 'control']);
    await new Promise<void>((res) => server.close(() => res()));
  });
});
