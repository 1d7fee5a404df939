/**
 * What the QUIC listener (proxy/quic/udp/listener.ts) answers without a connection, over real UDP
 * sockets on 127.0.0.1 with this project's own client engine (proxy/quic/connection.ts):
 *
 * - `quic-force-retry`: a Retry (RFC 9000 §17.2.5), then the connection with the Retry's transport
 *   parameters (§7.3) once the token comes back; a tampered token closed with INVALID_TOKEN (§8.1.2);
 * - Version Negotiation for an unsupported version in a 1200-byte datagram, silence otherwise (§6.1);
 * - a stateless reset (§10.3) carrying the token the first listener advertised, from a second
 *   listener started on the same port with the same secret (a restarted worker thread), smaller than
 *   its trigger, which the client engine recognises (§10.3.1), and the rate limit (§10.3.3).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { QuicListener } from '../../../../proxy/quic/udp/listener.ts';
import { QuicConnection } from '../../../../proxy/quic/connection.ts';
import { parsePacketHeader } from '../../../../proxy/quic/header.ts';
import { buildRetry, verifyRetry } from '../../../../proxy/quic/retry.ts';
import { isGreaseVersion } from '../../../../proxy/quic/version-negotiation.ts';
import { endsWithResetToken, resetKeyFromSecret, statelessResetToken } from '../../../../proxy/quic/reset-token.ts';
import { TRANSPORT_ERROR } from '../../../../proxy/quic/errors.ts';
import { credentials, testCa } from '../../tls13/handshake-pair.ts';

const ecdsa = credentials('ecdsa-chain.pem', 'ecdsa-leaf.key');
const SECRET = new Uint8Array(32).fill(0x5a);
const now = () => performance.now() + 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

async function listener(o: { forceRetry?: boolean; port?: number; secret?: Uint8Array; quietResetsUntil?: number } = {}): Promise<QuicListener> {
  const l = new QuicListener({
    bind: { host: '127.0.0.1', port: o.port ?? 0, name: undefined, file: 't.cfg', line: 1, quic: 'quic4', ssl: { crt: [], alpn: ['h3'] }, ...(o.forceRetry ? { quicForceRetry: true } : {}) },
    thread: 1,
    nbthread: 1,
    secret: o.secret ?? SECRET,
    ...(o.quietResetsUntil !== undefined ? { quietResetsUntil: o.quietResetsUntil } : {}),
    tls: { role: 'server', config: { credentials: ecdsa, alpn: ['h3'] } },
    forward: () => {},
    app: () => ({ connId: 0, start: (quic) => ({ onEvents: () => void quic.pollEvents(), drain: () => {}, release: () => {} }) }),
  });
  await l.listen();
  opened.push(l);
  return l;
}

/** This project's client engine on a UDP socket; `intercept` may replace or swallow what the server sends. */
class UdpClient {
  readonly sock: Socket;
  readonly conn: QuicConnection;
  /** Raw datagrams from the server, and sizes of what the client sent. */
  readonly fromServer: Uint8Array[] = [];
  readonly sentSizes: number[] = [];
  intercept: ((d: Uint8Array) => Uint8Array | null) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly serverPort: number;
  private readonly path: { local: string; remote: string };

  private constructor(sock: Socket, serverPort: number) {
    this.sock = sock;
    this.serverPort = serverPort;
    this.path = { local: `127.0.0.1:${sock.address().port}`, remote: `127.0.0.1:${serverPort}` };
    this.conn = new QuicConnection({
      tls: { role: 'client', config: { serverName: 'localhost', alpn: ['h3'], verify: { mode: 'ca', ca: [testCa()] } } },
      path: this.path,
      now: now(),
    });
    sock.on('message', (m: Buffer) => {
      const raw = new Uint8Array(m);
      this.fromServer.push(raw);
      const d = this.intercept ? this.intercept(raw) : raw;
      if (d) this.conn.receive(now(), d, this.path);
      this.pump();
    });
  }

  static async open(serverPort: number): Promise<UdpClient> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const c = new UdpClient(sock, serverPort);
    opened.push(c);
    return c;
  }

  pump(): void {
    const t = now();
    for (let d = this.conn.transmit(t); d; d = this.conn.transmit(t)) {
      this.sentSizes.push(d.data.length);
      this.sock.send(d.data, this.serverPort, '127.0.0.1');
    }
    if (this.timer) clearTimeout(this.timer);
    const at = this.conn.deadline();
    if (at !== undefined) {
      this.timer = setTimeout(() => {
        this.conn.onTimeout(now());
        this.pump();
      }, Math.max(0, Math.ceil(at - t)));
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sock.close();
  }
}

/** A raw UDP socket collecting what it receives. */
async function rawSocket(): Promise<{ sock: Socket; got: Uint8Array[] }> {
  const sock = createSocket('udp4');
  const got: Uint8Array[] = [];
  sock.on('message', (m: Buffer) => got.push(new Uint8Array(m)));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  opened.push({ close: () => sock.close() });
  return { sock, got };
}

describe('QUIC listener: Retry, version negotiation, stateless reset', () => {
  it('quic-force-retry: a Retry, then the handshake with original_destination and retry_source connection ids (RFC 9000 §7.3)', async () => {
    const l = await listener({ forceRetry: true });
    const c = await UdpClient.open(l.port);
    const odcid = c.conn.originalDestinationCid.slice();
    c.pump();
    expect(await until(() => c.conn.handshakeConfirmed)).toBe(true);
    const first = parsePacketHeader(c.fromServer[0], 0, 8);
    expect(first.ok && first.packet.form).toBe('retry');
    if (!first.ok || first.packet.form !== 'retry') return;
    expect(verifyRetry(c.fromServer[0], first.packet, odcid)).toBe(true);
    expect(first.packet.scid[0]).toBe(1); // a connection id of thread 1 (udp/dispatcher.ts)
    const tp = c.conn.peerTransportParameters!;
    expect(tp.originalDestinationConnectionId).toEqual(odcid);
    expect(tp.retrySourceConnectionId).toEqual(first.packet.scid);
    // One Retry per client Initial datagram without a token (a ClientHello with an ML-KEM share takes two); the client follows the first.
    const retries = c.fromServer.filter((d) => (d[0] & 0xf0) === 0xf0).length;
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(l.stats).toMatchObject({ retrySent: retries, retryValidated: 1, retryFailed: 0 });
    expect(l.connections).toBe(1);
  });

  it('quic-force-retry: a tampered token is closed with INVALID_TOKEN and leaves no connection (RFC 9000 §8.1.2)', async () => {
    const l = await listener({ forceRetry: true });
    const c = await UdpClient.open(l.port);
    const odcid = c.conn.originalDestinationCid.slice();
    c.intercept = (d) => {
      const h = parsePacketHeader(d, 0, 8);
      if (!h.ok || h.packet.form !== 'retry') return d;
      const token = h.packet.token.slice();
      token[token.length - 1] ^= 0x80;
      return buildRetry({ dcid: h.packet.dcid, scid: h.packet.scid, token, odcid });
    };
    c.pump();
    expect(await until(() => c.conn.state === 'draining' || c.conn.state === 'closed')).toBe(true);
    expect(c.conn.closeReason).toMatchObject({ by: 'peer', app: false, errorCode: TRANSPORT_ERROR.INVALID_TOKEN });
    expect(l.stats.retrySent).toBeGreaterThanOrEqual(1);
    expect(l.stats.retryFailed).toBeGreaterThanOrEqual(1);
    expect(l.stats.retryValidated).toBe(0);
    expect(l.connections).toBe(0);
  });

  it('quic-force-retry: a token that is not one of ours gets a Retry, not INVALID_TOKEN (RFC 9000 §8.1.3)', async () => {
    const l = await listener({ forceRetry: true });
    const c = await UdpClient.open(l.port);
    const odcid = c.conn.originalDestinationCid.slice();
    let replaced = false;
    c.intercept = (d) => {
      const h = parsePacketHeader(d, 0, 8);
      if (replaced || !h.ok || h.packet.form !== 'retry') return d;
      replaced = true; // the client brings back a token of another kind (say a NEW_TOKEN of another server)
      return buildRetry({ dcid: h.packet.dcid, scid: h.packet.scid, token: Uint8Array.of(0x01, 2, 3, 4), odcid });
    };
    c.pump();
    // The server answers the foreign token with a fresh Retry (the client, which follows one Retry
    // only, ignores it). Under load the client may also retransmit its first Initial before the
    // Retry arrives, which earns another Retry: wait for the foreign token's verdict and for every
    // Retry sent to have arrived, not for a count of two.
    const retries = () => c.fromServer.filter((d) => (d[0] & 0xf0) === 0xf0).length;
    expect(await until(() => l.stats.retryFailed >= 1 && retries() === l.stats.retrySent)).toBe(true);
    expect(retries()).toBeGreaterThanOrEqual(2);
    expect(c.conn.closeReason?.errorCode).not.toBe(TRANSPORT_ERROR.INVALID_TOKEN);
    expect(l.connections).toBe(0);
  });

  it('answers an unsupported version in 1200 bytes with Version Negotiation, and nothing else (RFC 9000 §6.1)', async () => {
    const l = await listener();
    const { sock, got } = await rawSocket();
    const d = new Uint8Array(1200);
    d.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9]);
    sock.send(d, l.port, '127.0.0.1');
    expect(await until(() => got.length === 1)).toBe(true);
    const h = parsePacketHeader(got[0], 0, 8);
    expect(h.ok && h.packet.form).toBe('version-negotiation');
    if (!h.ok || h.packet.form !== 'version-negotiation') return;
    expect(h.packet.dcid).toEqual(Uint8Array.of(9, 9, 9, 9));
    expect(h.packet.scid).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(h.packet.versions[0]).toBe(1);
    expect(h.packet.versions.slice(1).every(isGreaseVersion)).toBe(true);
    // Too small, and a Version Negotiation packet itself: no answer.
    sock.send(d.subarray(0, 1199), l.port, '127.0.0.1');
    const vn = d.slice();
    vn.set([0, 0, 0, 0], 1);
    sock.send(vn, l.port, '127.0.0.1');
    await until(() => l.counts.received === 3);
    await sleep(50);
    expect(got.length).toBe(1);
    expect(l.stats.vnSent).toBe(1);
  });

  it('a restarted listener with the same secret resets the connection with the token advertised for it (RFC 9000 §10.3)', async () => {
    const a = await listener();
    const c = await UdpClient.open(a.port);
    c.pump();
    expect(await until(() => c.conn.handshakeConfirmed)).toBe(true);
    await sleep(30);
    const advertised = c.conn.peerTransportParameters!.statelessResetToken!;
    expect(advertised).toEqual(statelessResetToken(c.conn.dcid, resetKeyFromSecret(SECRET)));
    const port = a.port;
    a.close(); // the thread is gone with its connections
    const b = await listener({ port, secret: SECRET });
    const before = c.fromServer.length;
    const sent = c.sentSizes.length;
    const id = c.conn.openStream()!;
    c.conn.write(id, new Uint8Array(300).fill(1));
    c.pump();
    expect(await until(() => c.fromServer.length > before)).toBe(true);
    const reset = c.fromServer[before];
    expect(endsWithResetToken(reset, [advertised])).toBe(true);
    expect(reset.length).toBeGreaterThanOrEqual(21);
    expect(reset.length).toBeLessThan(c.sentSizes[sent]);
    expect(reset[0] & 0xc0).toBe(0x40);
    expect(b.stats.resetSent).toBeGreaterThanOrEqual(1);
    // The client engine recognises it (RFC 9000 §10.3.1): draining, nothing more sent.
    expect(await until(() => c.conn.state === 'draining')).toBe(true);
    expect(c.conn.closeReason).toMatchObject({ by: 'peer', reason: 'stateless reset' });
    expect(c.conn.transmit(now())).toBeNull();
  });

  it('Version Negotiation answers are rate-limited per address like stateless resets', async () => {
    const l = await listener();
    const { sock, got } = await rawSocket();
    for (let i = 0; i < 15; i++) {
      const d = new Uint8Array(1200);
      d.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, i, 4, 9, 9, 9, 9]);
      sock.send(d, l.port, '127.0.0.1');
    }
    await until(() => l.counts.received === 15);
    await sleep(50);
    expect(got.length).toBe(10);
    expect(l.stats).toMatchObject({ vnSent: 10, vnLimited: 5 });
  });

  it('sends no stateless reset while another process may serve the port (after a reload, or draining)', async () => {
    const reloading = await listener({ quietResetsUntil: Date.now() + 60_000 });
    const draining = await listener();
    draining.stop();
    const { sock, got } = await rawSocket();
    const d = new Uint8Array(60).fill(7);
    d[0] = 0x41;
    sock.send(d, reloading.port, '127.0.0.1');
    sock.send(d, draining.port, '127.0.0.1');
    await until(() => reloading.counts.received === 1 && draining.counts.received === 1);
    await sleep(50);
    expect(got.length).toBe(0);
    expect(reloading.stats).toMatchObject({ resetSent: 0, resetSuppressed: 1 });
    expect(draining.stats).toMatchObject({ resetSent: 0, resetSuppressed: 1 });
  });

  it('a late packet to a connection id the client just retired reaches its connection, not a stateless reset (RFC 9000 §5.1.2)', async () => {
    const l = await listener();
    const c = await UdpClient.open(l.port);
    c.pump();
    expect(await until(() => c.conn.handshakeConfirmed)).toBe(true);
    await sleep(30); // NEW_CONNECTION_ID frames from the server: a spare id to move to
    // A packet under the id in use, held back (reordered behind the retirement).
    const id = c.conn.openStream()!;
    c.conn.write(id, new Uint8Array(100).fill(3));
    const late = c.conn.transmit(now())!.data.slice();
    // The client moves to a new server id and retires the old one (RFC 9000 §9.5).
    expect(c.conn.migrate(now(), { local: `127.0.0.1:${c.sock.address().port}`, remote: `127.0.0.1:${l.port}` })).toBe(true);
    c.pump();
    await sleep(100);
    const routed = l.stats.local;
    c.sock.send(late, l.port, '127.0.0.1');
    expect(await until(() => l.stats.local > routed)).toBe(true);
    expect(l.stats.resetSent).toBe(0);
    expect(c.conn.state).toBe('established');
  });

  it('stateless resets are rate-limited, and never answer 21 bytes or a clear fixed bit (RFC 9000 §10.3, §10.3.3)', async () => {
    const l = await listener();
    const { sock, got } = await rawSocket();
    const small = new Uint8Array(21).fill(0x41);
    sock.send(small, l.port, '127.0.0.1');
    const noFixed = new Uint8Array(60).fill(0x01);
    sock.send(noFixed, l.port, '127.0.0.1');
    for (let i = 0; i < 15; i++) {
      const d = new Uint8Array(60).fill(i + 2);
      d[0] = 0x41;
      sock.send(d, l.port, '127.0.0.1');
    }
    await until(() => l.counts.received === 17);
    await sleep(50);
    expect(got.length).toBe(10);
    for (const r of got) {
      expect(r.length).toBeLessThan(60);
      expect(r.length).toBeGreaterThanOrEqual(41);
    }
    expect(l.stats).toMatchObject({ resetSent: 10, resetLimited: 5 });
  });
});
