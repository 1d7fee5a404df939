import { afterEach, describe, expect, it } from 'vitest';
import { configurePools } from '../../../diag/pool.ts';
import type { LiveObject } from '../../../diag/lifecycle.types.ts';
import { createRegistry } from '../../../proxy/runtime/registry.ts';
import { declareNcbufPool } from '../../../proxy/quic/crypto-rx.ts';
import { collectQuicConn } from '../../../proxy/quic/show.ts';
import { registerQuicCommands, showSessQuicDetail, type QuicCommandHost } from '../../../proxy/quic/show-cli.ts';
import type { WorkerQueryAnswer } from '../../../proxy/worker/worker.types.ts';
import { confirmHandshake, makePair } from './pair-setup.ts';

declareNcbufPool();
afterEach(() => configurePools({ seed: 7 }));

/** A real connection's record as worker 1 would send it; worker 2 as given. */
function host(worker2: Omit<WorkerQueryAnswer, 'thread'>): QuicCommandHost & { asked: (number | undefined)[] } {
  const p = makePair({ seed: 9 });
  expect(confirmHandshake(p)).toBe(true);
  const id = p.client.openStream()!;
  p.client.write(id, new TextEncoder().encode('GET'));
  p.client.finish(id);
  p.runFor(50);
  const rec = collectQuicConn(p.server, { thread: 1, app: { id: 0x10, frontend: 'web', mux: 'ready', goaway: false, requests: 1, streams: [{ id, lcId: 0x11, request: 'GET / HTTP/3.0' }] } }, p.now);
  const asked: (number | undefined)[] = [];
  return {
    asked,
    queryWorkers: async (what, _timeout, only) => {
      expect(what).toBe('quic');
      asked.push(only);
      const all: WorkerQueryAnswer[] = [
        { thread: 1, result: { type: 'query-result', id: 1, thread: 1, quic: [rec] } },
        { thread: 2, ...worker2 },
      ];
      return only === undefined ? all : all.filter((a) => a.thread === only);
    },
  };
}

const view = { level: 'operator', expert: false } as const;
async function runShowQuic(h: QuicCommandHost, args: string[]): Promise<string> {
  const reg = createRegistry();
  registerQuicCommands(reg, h);
  const m = reg.lookup(['show', 'quic', ...args])!;
  expect(m.command.level).toBe('operator');
  return m.command.handler(m.args, {} as never);
}

describe('show quic command', () => {
  it('renders every worker\'s answer, naming the one that gave none or an error', async () => {
    const text = await runShowQuic(host({ error: 'no answer within 1000 ms' }), []);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^0x10\[01\]\/web +ESTAB /);
    expect(lines[2]).toBe('# thread 2: no answer within 1000 ms');
    const failed = await runShowQuic(host({ result: { type: 'query-result', id: 2, thread: 2, error: 'boom' } }), ['full']);
    expect(failed.split('\n').at(-1)).toBe('# thread 2: boom');
  });

  it('turns a bad argument or an unknown id into a message for the operator (CommandError)', async () => {
    await expect(runShowQuic(host({ result: { type: 'query-result', id: 2, thread: 2, quic: [] } }), ['bogus'])).rejects.toMatchObject({ name: 'CommandError', message: expect.stringContaining("unexpected argument 'bogus'") });
    await expect(runShowQuic(host({ result: { type: 'query-result', id: 2, thread: 2, quic: [] } }), ['0x99'])).rejects.toMatchObject({ name: 'CommandError', message: expect.stringContaining('no QUIC connection 0x99') });
  });

  it('is listed by help with HAProxy\'s wording', () => {
    const reg = createRegistry();
    registerQuicCommands(reg, host({}));
    expect(reg.helpText(['show', 'quic'], view)).toContain('  show quic [oneline|full] [all|<id>]     : display quic connections status\n');
  });
});

describe('showSessQuicDetail', () => {
  const obj = (o: Partial<LiveObject> & Pick<LiveObject, 'id' | 'kind'>): LiveObject => ({
    parentId: 0, thread: 1, live: true, created: 0, lastEvent: 0, info: '', totalEvents: 1, log: [], ...o,
  });
  const objects = [obj({ id: 0x10, kind: 'quic_conn' }), obj({ id: 0x11, kind: 'stream', parentId: 0x10 }), obj({ id: 0x12, kind: 'conn' }), obj({ id: 0x13, kind: 'stream', parentId: 0x12 }), obj({ id: 0x14, kind: 'quic_conn', thread: 2 })];

  it('asks only the owning worker, for an HTTP/3 stream or a QUIC connection', async () => {
    const h = host({});
    const s = await showSessQuicDetail(h, objects, ['0x11']);
    expect(s[0]).toMatch(/^ {2}quic: conn=0x10 st=opened /);
    expect(s[1]).toMatch(/^ {2}quic stream: id=0 bytes_in=3 /);
    const c = await showSessQuicDetail(h, objects, ['16']);
    expect(c[0]).toBe('  live QUIC state (thread 1):');
    expect(h.asked).toEqual([1, 1]);
  });

  it('adds nothing for HTTP/1.1 objects, `all`, unknown or freed ids', async () => {
    const h = host({});
    for (const a of [['0x12'], ['0x13'], ['all'], [], ['0x99'], ['nope']]) expect(await showSessQuicDetail(h, objects, a)).toEqual([]);
    expect(await showSessQuicDetail(h, [obj({ id: 0x10, kind: 'quic_conn', live: false })], ['0x10'])).toEqual([]);
    expect(h.asked).toEqual([]);
  });

  it('says when the worker did not answer or the connection is gone', async () => {
    expect(await showSessQuicDetail(host({ error: 'no answer within 1000 ms' }), objects, ['0x14'])).toEqual(['  quic: thread 2: no answer within 1000 ms']);
    expect(await showSessQuicDetail(host({ result: { type: 'query-result', id: 3, thread: 2, quic: [] } }), objects, ['0x14'])).toEqual(['  quic: connection 0x14 is not open on thread 2 any more']);
  });
});
