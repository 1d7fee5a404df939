import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogConfig } from '../../../proxy/config/config.types.ts';
import { createLoggerChild, findLogger, loggerArgs, loggerLine, type LineTarget } from '../../../proxy/log/logger-child.ts';
import { createSink } from '../../../proxy/log/sink.ts';
import { startUnixReceiver, type UnixReceiver } from './unix-receiver.ts';

const ID = { tag: 'haproxy', pid: 4242, hostname: 'lb1' };
const T = new Date(2009, 1, 6, 12, 14, 14, 655).getTime();
const cfg = (over: Partial<LogConfig> = {}): LogConfig => ({
  file: 't.cfg',
  line: 3,
  address: { kind: 'unix', path: '/dev/log' },
  len: 1024,
  format: 'rfc3164',
  facility: 'local0',
  level: undefined,
  minLevel: undefined,
  ...over,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const line = (c: LogConfig, msg: string) => loggerLine(c, msg, 'info', T, ID)!;

describe('logger command line and input lines', () => {
  it('finds logger in PATH, and nothing in a PATH without it', () => {
    expect(findLogger()).toMatch(/\/logger$/);
    expect(findLogger('/nonexistent-a:/nonexistent-b')).toBeUndefined();
  });

  it('runs logger on the datagram socket with a <PRI> prefix per line, the tag and pid, and len as --size', () => {
    expect(loggerArgs(cfg(), '/dev/log', ID)).toEqual([
      '--socket=/dev/log', '-d', '--prio-prefix', '--socket-errors=on', '-s', '--tag=haproxy', '--id=4242', '--size', '1024',
    ]);
    expect(loggerArgs(cfg({ format: 'rfc5424', len: 2048 }), '/run/s.sock', ID)).toEqual([
      '--socket=/run/s.sock', '-d', '--prio-prefix', '--socket-errors=on', '-s', '--tag=haproxy', '--id=4242', '--size', '2048', '--rfc5424=notq',
    ]);
  });

  it('feeds <PRI>message\\n, cut so that the header logger adds and the message fit in len - 1', () => {
    expect(line(cfg(), 'hello').toString('latin1')).toBe('<134>hello\n');
    expect(loggerLine(cfg({ facility: 'local7' }), 'x', 'err', T, ID)!.toString('latin1')).toBe('<187>x\n');
    expect(loggerLine(cfg({ level: 'err' }), 'x', 'info', T, ID)).toBeUndefined();
    // '<134>Feb  6 12:14:14 haproxy[4242]: ' is 36 bytes: len 80 leaves 43 for the message.
    expect(line(cfg({ len: 80 }), 'y'.repeat(100)).toString('latin1')).toBe(`<134>${'y'.repeat(43)}\n`);
    // A line is one message: a line feed inside cannot split it.
    expect(line(cfg(), 'a\nb').toString('latin1')).toBe('<134>a b\n');
  });
});

describe('UNIX datagram target through a logger child (real socket, received by socat)', () => {
  let dir: string;
  let rx: UnixReceiver | undefined;
  let target: LineTarget | undefined;
  const warnings: string[] = [];
  const opts = { backoffMin: 50, backoffMax: 200, warn: (m: string) => warnings.push(m) };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-logger-'));
    warnings.length = 0;
  });
  afterEach(async () => {
    target?.close();
    target = undefined;
    await rx?.stop();
    rx = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends HAProxy's rfc3164 local header (no hostname), one datagram per line, and counts them as sent", async () => {
    rx = await startUnixReceiver(join(dir, 'log.sock'));
    target = createLoggerChild(cfg(), rx.path, ID, opts);
    target.write([line(cfg(), 'first line'), line(cfg(), 'second line')]);
    const got = await rx.waitFor(2);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(/^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d haproxy\[4242\]: first line$/);
    expect(got[1]).toMatch(/^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d haproxy\[4242\]: second line$/);
    await until(() => target!.sent === 2, 'the echoes');
    expect(target.drops).toBe(0);
    expect(warnings).toEqual([]);
  });

  it("sends HAProxy's rfc5424 header with format rfc5424, and cuts to len", async () => {
    rx = await startUnixReceiver(join(dir, 'log.sock'));
    const c = cfg({ format: 'rfc5424', len: 100, facility: 'local3' });
    target = createLoggerChild(c, rx.path, ID, opts);
    target.write([loggerLine(c, 'z'.repeat(300), 'notice', T, ID)!]);
    const [m] = await rx.waitFor(1);
    expect(m).toMatch(/^<157>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d \S+ haproxy 4242 - - z+$/);
    // HAProxy's len counts the header, and the final '\n' that logger does not send.
    expect(Buffer.byteLength(m!, 'latin1')).toBeLessThanOrEqual(99);
    expect(Buffer.byteLength(m!, 'latin1')).toBeGreaterThanOrEqual(97);
  });

  it('a missing socket: lines are dropped and counted, one warning, and logger is restarted once it exists', async () => {
    const path = join(dir, 'later.sock');
    target = createLoggerChild(cfg(), path, ID, opts);
    target.write([line(cfg(), 'lost')]);
    await until(() => target!.drops === 1, 'the drop');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^log .*later\.sock \(t\.cfg:3\): '.*logger' stopped \(logger: socket .*later\.sock: No such file or directory\); 1 log line\(s\) lost, restarting it in 50 ms\.$/);
    // Within the backoff nothing is started: lines are dropped at once.
    target.write([line(cfg(), 'also lost')]);
    expect(target.drops).toBe(2);
    rx = await startUnixReceiver(path);
    for (let i = 0; target.sent === 0; i++) {
      if (i > 100) throw new Error(`never delivered; drops ${target.drops}, warnings ${warnings.join(' | ')}`);
      target.write([line(cfg(), `retry ${i}`)]);
      await sleep(60);
    }
    expect(rx.messages().some((m) => / retry \d+$/.test(m))).toBe(true);
    expect(rx.messages().some((m) => m.includes('lost'))).toBe(false);
    expect(warnings).toHaveLength(1); // a failure streak is reported once
  });

  it('a receiver that goes away: the child dies, its unsent lines are drops, and a new one delivers when it is back', async () => {
    const path = join(dir, 'log.sock');
    rx = await startUnixReceiver(path);
    target = createLoggerChild(cfg(), path, ID, opts);
    target.write([line(cfg(), 'one')]);
    await until(() => target!.sent === 1, 'the first delivery');
    const firstPid = target.pid!;
    await rx.stop();
    target.write([line(cfg(), 'two')]);
    await until(() => target!.drops === 1 && target!.pid === undefined, 'the child to die');
    expect(alive(firstPid)).toBe(false);
    rx = await startUnixReceiver(path);
    await sleep(60); // the backoff
    target.write([line(cfg(), 'three')]);
    await rx.waitFor(1);
    expect(rx.messages()[0]).toMatch(/: three$/);
    expect(target.pid).not.toBe(firstPid);
    await until(() => target!.sent === 2, 'the second delivery');
    expect(target.drops).toBe(1);
  });

  it('logger missing at run time: lines are counted as drops, nothing throws', async () => {
    target = createLoggerChild(cfg(), join(dir, 'x.sock'), ID, { ...opts, command: join(dir, 'no-such-logger') });
    expect(() => target!.write([line(cfg(), 'a'), line(cfg(), 'b')])).not.toThrow();
    await until(() => target!.drops === 2, 'the drops');
    expect(warnings[0]).toMatch(/ENOENT/);
    expect(target.sent).toBe(0);
  });

  it('close() ends the input: logger sends what it read and exits', async () => {
    rx = await startUnixReceiver(join(dir, 'log.sock'));
    target = createLoggerChild(cfg(), rx.path, ID, opts);
    target.write([line(cfg(), 'before close')]);
    await until(() => target!.pid !== undefined, 'the child');
    const pid = target.pid!;
    target.close();
    await until(() => !alive(pid), 'logger to exit');
    expect(rx.messages().map((m) => m.replace(/^.*: /, ''))).toEqual(['before close']);
    // Closed: nothing restarts it.
    target.write([line(cfg(), 'after close')]);
    expect(target.pid).toBeUndefined();
    expect(target.drops).toBe(1);
  });

  it('a child that does not read: lines beyond maxPending are dropped, and close() kills it after its grace', async () => {
    const stuck = join(dir, 'stuck-logger');
    writeFileSync(stuck, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(stuck, 0o755);
    target = createLoggerChild(cfg(), join(dir, 'x.sock'), ID, { ...opts, command: stuck, maxPending: 4096 });
    const big = line(cfg(), 'x'.repeat(1000));
    for (let i = 0; i < 200; i++) target.write([big]);
    expect(target.drops).toBeGreaterThan(0);
    const pid = target.pid!;
    expect(alive(pid)).toBe(true);
    target.close();
    await until(() => !alive(pid), 'the stuck child to be killed', 4000);
  });

  it('createSink routes a UNIX address through logger and reports its counters', async () => {
    rx = await startUnixReceiver(join(dir, 'log.sock'));
    const sink = createSink(cfg({ address: { kind: 'unix', path: rx.path } }), ID, opts);
    sink.send('via the sink');
    const [m] = await rx.waitFor(1);
    expect(m).toMatch(/^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d haproxy\[4242\]: via the sink$/);
    await until(() => sink.sent === 1, 'the sink count');
    expect(sink.drops).toBe(0);
    sink.close();
  });
});
