/**
 * The peers codec and handshake against a real HAProxy (Debian's 2.6, /usr/sbin/haproxy): HAProxy
 * connects to a listener of this test as peer "flightbox", PeerAcceptor answers its hello, and
 * PeerDecoder reads what it sends (table definition, an update after one request through it);
 * then PeerEncoder sends a definition and an update, which HAProxy acknowledges (0x84) and shows in
 * `show table`. Loopback only, everything bounded in time, HAProxy stopped and its files removed.
 * Skips, saying why, when haproxy, curl or socat is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerAcceptor } from '../../../proxy/peers/handshake.ts';
import { encodeMessage, PeerDecoder, PeerEncoder } from '../../../proxy/peers/codec.ts';
import { STKTABLE_DT, type PeerMessage, type PeerUpdate, type TableDefinition } from '../../../proxy/peers/peers.types.ts';

const HAPROXY = '/usr/sbin/haproxy';
const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = [existsSync(HAPROXY) ? '' : HAPROXY, which('curl') ? '' : 'curl', which('socat') ? '' : 'socat'].filter(Boolean);
if (missing.length) console.warn(`peers interop test skipped: ${missing.join(', ')} not installed (apt-get install haproxy curl socat)`);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 5000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${err.message} ${stderr}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** One peer session with HAProxy, driven by the sans-IO engines: collects decoded messages. */
class Session {
  readonly messages: PeerMessage[] = [];
  /** Each decoded message with the exact bytes it was decoded from. */
  readonly raw = new Map<PeerMessage, Uint8Array>();
  private stream = Buffer.alloc(0);
  readonly hello: Promise<string>;
  readonly decoder = new PeerDecoder();
  readonly encoder = new PeerEncoder();
  private waiters: (() => void)[] = [];
  private socket!: Socket;
  private heartbeat: NodeJS.Timeout | undefined;
  errors: string[] = [];

  constructor(server: Server) {
    this.hello = new Promise((resolve, reject) => {
      server.once('connection', (sock) => {
        this.socket = sock;
        const acceptor = new PeerAcceptor({ localPeer: 'flightbox', knownPeers: ['haproxy'] });
        let handshaking = true;
        sock.on('data', (d: Buffer) => {
          if (handshaking) {
            const r = acceptor.receive(d);
            if (r.kind === 'need-more') return;
            sock.write(r.send);
            if (r.kind === 'rejected') return reject(new Error(`hello rejected: ${r.status} ${r.reason}`));
            handshaking = false;
            resolve(`${r.hello.localPeer} -> ${r.hello.remotePeer} v${r.hello.major}.${r.hello.minor}`);
            // HAProxy closes a silent session after 5 s: keep it alive as a peer does (every 3 s).
            this.heartbeat = setInterval(() => this.send({ kind: 'control', type: 'heartbeat' }), 1000);
            d = Buffer.from(r.rest);
          }
          this.stream = Buffer.concat([this.stream, d]);
          this.decoder.push(d);
          for (;;) {
            const o = this.decoder.next();
            if (o.kind === 'need-more') break;
            if (o.kind === 'error') {
              this.errors.push(`${o.error.code} at ${o.error.offset}: ${o.error.message}`);
              break;
            }
            this.messages.push(o.message);
            this.raw.set(o.message, this.stream.subarray(o.offset, o.offset + o.size));
            if (o.message.kind === 'control' && o.message.type === 'resync-request') {
              this.send({ kind: 'control', type: 'resync-finished' });
            }
          }
          const w = this.waiters;
          this.waiters = [];
          for (const f of w) f();
        });
        sock.on('error', () => undefined);
      });
    });
  }

  send(m: PeerMessage): void {
    this.socket.write(this.encoder.encode(m));
  }

  /** Resolves with the first message matching `pred`, or rejects after `ms`. */
  waitFor<T extends PeerMessage>(pred: (m: PeerMessage) => m is T, what: string, ms = 8000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(this.messages, (_, v) => (typeof v === 'bigint' ? String(v) : v))}; errors ${this.errors.join('; ')}`)), ms);
      const check = () => {
        const m = this.messages.find(pred);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.socket?.destroy();
  }
}

describe.skipIf(missing.length > 0)('peers interop with a real HAProxy 2.6', () => {
  let dir: string;
  let server: Server;
  let haproxy: ChildProcess;
  let session: Session;
  let stderr = '';
  let fePort: number;
  /** The hello, or a failure naming HAProxy's stderr when it did not connect within 8 s. */
  let connected: Promise<string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fb-peers-'));
    server = createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const myPort = (server.address() as { port: number }).port;
    const hPort = await freePort();
    fePort = await freePort();
    session = new Session(server);
    const cfg = [
      'global',
      `  stats socket ${join(dir, 'admin.sock')} level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      'peers fbpeers',
      `  peer haproxy 127.0.0.1:${hPort}`,
      `  peer flightbox 127.0.0.1:${myPort}`,
      'frontend fe',
      `  bind 127.0.0.1:${fePort}`,
      '  stick-table type ip size 1k expire 1m store http_req_cnt,http_req_rate(10s),gpc0 peers fbpeers',
      '  http-request track-sc0 src',
      '  http-request return status 200 content-type text/plain string ok',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'haproxy.cfg'), cfg);
    haproxy = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg'), '-L', 'haproxy'], { stdio: ['ignore', 'ignore', 'pipe'] });
    haproxy.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    connected = Promise.race([
      session.hello,
      new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`HAProxy did not connect within 8 s; its stderr: ${stderr}`)), 8000).unref()),
    ]);
    connected.catch(() => undefined);
  });

  afterAll(async () => {
    session?.close();
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise<void>((res) => haproxy.once('exit', () => res()));
      haproxy.kill('SIGTERM');
      const t = setTimeout(() => haproxy.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await new Promise<void>((res) => server?.close(() => res()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('HAProxy says hello to "flightbox" with protocol 2.1 and the acceptor answers 200', async () => {
    expect(await connected).toBe('haproxy -> flightbox v2.1');
  });

  it('decodes the table definition and the update HAProxy sends after one request through it', async () => {
    await connected;
    expect(await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${fePort}/`])).toBe('200');
    const def = await session.waitFor((m): m is Extract<PeerMessage, { kind: 'define' }> => m.kind === 'define' && m.table.name === 'fe', 'definition of table fe');
    expect(def.table).toMatchObject({
      name: 'fe',
      keyType: 'ipv4',
      keyLength: 4,
      expire: 60000,
      data: [{ type: STKTABLE_DT.GPC0 }, { type: STKTABLE_DT.HTTP_REQ_CNT }, { type: STKTABLE_DT.HTTP_REQ_RATE, period: 10000 }],
    });
    const upd = await session.waitFor((m): m is PeerUpdate => m.kind === 'update' && m.key === '127.0.0.1', 'update for 127.0.0.1');
    expect(upd.tableId).toBe(def.table.id);
    const byType = new Map(upd.values.map((v) => [v.type, v.value]));
    expect(byType.get(STKTABLE_DT.HTTP_REQ_CNT)).toBe(1);
    expect(byType.get(STKTABLE_DT.GPC0)).toBe(0);
    expect(byType.get(STKTABLE_DT.HTTP_REQ_RATE)).toMatchObject({ currCtr: 1, prevCtr: 0 });
    // Re-encoding gives back HAProxy's bytes exactly.
    expect(Buffer.from(encodeMessage(def))).toEqual(session.raw.get(def));
    expect(Buffer.from(encodeMessage(upd, def.table))).toEqual(session.raw.get(upd));
    expect(session.errors).toEqual([]);
  });

  it('sends a definition and an update: HAProxy acknowledges it and `show table` shows the entry', async () => {
    await connected;
    const table: TableDefinition = { id: 7, name: 'fe', keyType: 'ipv4', keyLength: 4, expire: 60000, data: [{ type: STKTABLE_DT.GPC0 }, { type: STKTABLE_DT.HTTP_REQ_CNT }] };
    session.send({ kind: 'define', table });
    session.send({ kind: 'update', tableId: 7, updateId: 41, incremental: false, key: '127.0.0.2', values: [{ type: STKTABLE_DT.GPC0, value: 7 }, { type: STKTABLE_DT.HTTP_REQ_CNT, value: 3 }] });
    session.send({ kind: 'update', tableId: 7, updateId: 42, incremental: true, key: '127.0.0.3', values: [{ type: STKTABLE_DT.GPC0, value: 9 }, { type: STKTABLE_DT.HTTP_REQ_CNT, value: 0 }] });
    const ack = await session.waitFor(
      (m): m is Extract<PeerMessage, { kind: 'ack' }> => m.kind === 'ack' && m.tableId === 7 && m.updateId === 42,
      'acknowledgement of update 42',
    );
    expect(ack).toEqual({ kind: 'ack', tableId: 7, updateId: 42 });
    const shown = await run('socat', ['stdio', `UNIX-CONNECT:${join(dir, 'admin.sock')}`], 'show table fe\n');
    expect(shown).toMatch(/key=127\.0\.0\.2 .*gpc0=7 .*http_req_cnt=3/);
    expect(shown).toMatch(/key=127\.0\.0\.3 .*gpc0=9 /);
    expect(session.errors).toEqual([]);
  });
});
