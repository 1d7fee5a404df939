import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import type { LogConfig } from '../../../proxy/config/config.types.ts';
import { createLogger, createSink } from '../../../proxy/log/sink.ts';

const ID = { tag: 'haproxy', pid: 14389, hostname: 'lb1' };
const T = new Date(2009, 1, 6, 12, 14, 14, 655).getTime();
const cfg = (over: Partial<LogConfig>): LogConfig => ({
  file: 't.cfg',
  line: 1,
  address: { kind: 'stdout' },
  len: 1024,
  format: 'rfc3164',
  facility: 'local0',
  level: undefined,
  minLevel: undefined,
  ...over,
});
describe('UDP sink (real datagrams on 127.0.0.1)', () => {
  let rx: Socket | undefined;
  afterEach(() => {
    rx?.close();
    rx = undefined;
  });

  it('sends one datagram per message, flushed without blocking the caller', async () => {
    rx = createSocket('udp4');
    const got: string[] = [];
    await new Promise<void>((r) => rx!.bind(0, '127.0.0.1', () => r()));
    const port = rx.address().port;
    const all = new Promise<void>((r) =>
      rx!.on('message', (m) => {
        got.push(m.toString('latin1'));
        if (got.length === 2) r();
      }),
    );
    const sink = createSink(cfg({ address: { kind: 'udp', host: '127.0.0.1', port }, format: 'rfc3164' }), ID);
    sink.send('first line', 'info', T);
    sink.send('second line', 'info', T);
    expect(got).toEqual([]); // queued, not sent synchronously
    await all;
    expect(got).toEqual(['<134>Feb  6 12:14:14 haproxy[14389]: first line\n', '<134>Feb  6 12:14:14 haproxy[14389]: second line\n']);
    expect(sink.drops).toBe(0);
    sink.close();
  });

  it('a failing target never throws into the caller: losses are counted', async () => {
    // An unresolvable host name fails in the send callback.
    const sink = createSink(cfg({ address: { kind: 'udp', host: 'no-such-host.invalid', port: 514 } }), ID);
    expect(() => sink.send('lost')).not.toThrow();
    for (let i = 0; i < 50 && sink.drops === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(sink.drops).toBe(1);
    expect(sink.sent).toBe(0);
    sink.close();
  });

  it('createLogger sends each message to every log line, none when there are no lines', async () => {
    expect(createLogger([])).toBeUndefined();
    const a = createSocket('udp4');
    rx = a;
    await new Promise<void>((r) => a.bind(0, '127.0.0.1', () => r()));
    const port = a.address().port;
    const got: string[] = [];
    const three = new Promise<void>((r) =>
      a.on('message', (m) => {
        got.push(m.toString('latin1'));
        if (got.length === 3) r();
      }),
    );
    const logger = createLogger(
      [cfg({ address: { kind: 'udp', host: '127.0.0.1', port }, format: 'raw' }), cfg({ address: { kind: 'udp', host: '127.0.0.1', port }, format: 'raw', level: 'err' })],
      ID,
    )!;
    logger.send('info msg');
    logger.send('error msg', 'err');
    await three;
    await new Promise((r) => setTimeout(r, 50));
    // The second line only takes err and more severe: the info message reaches one sink only.
    expect(got.sort()).toEqual(['error msg\n', 'error msg\n', 'info msg\n']);
    logger.close();
  });
});
