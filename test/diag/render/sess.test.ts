import { describe, expect, it } from 'vitest';
import { formatLogDate, formatMs, humanTime, parseObjectId, renderShowConns, renderShowSess, timeLeft } from '../../../diag/render/sess.ts';
import { RenderError } from '../../../diag/views.ts';
import type { LcEvent } from '../../../diag/lifecycle.types.ts';
import { T0, fakeSource, obj } from './fake-source.ts';

const log = (events: [number, LcEvent, number][]) => events.map(([dt, event, arg]) => ({ time: T0 + dt, event, arg }));

const conn = obj({
  id: 0x1e,
  kind: 'conn',
  info: 'src=127.0.0.1:5000 fe=web',
  totalEvents: 2,
  lastEvent: T0 + 10,
  log: log([[0, 'create', 0], [10, 'attach', 0]]),
});
const states = Array.from({ length: 12 }, (_, i): [number, LcEvent, number] => [1000 + i, 'state', 10 + i]);
const stream = obj({
  id: 0x1f,
  kind: 'stream',
  parentId: 0x1e,
  created: T0 + 5,
  info: 'GET /x',
  totalEvents: 20,
  lastEvent: T0 + 1500,
  log: log([[5, 'create', 0x1e], [6, 'attach', 0], [7, 'state', 1], [8, 'state', 2], ...states.slice(0, 11), [1500, 'response', 200]]),
});
const freed = obj({ id: 0x20, kind: 'stream', parentId: 0x1e, live: false, info: 'GET /old', created: T0 - 3000, lastEvent: T0 - 1000, totalEvents: 1, log: log([[-1000, 'free', 0]]) });
const src = fakeSource({ objects: [conn, stream, freed], now: T0 + 2500 });

describe('format helpers', () => {
  it("format durations as HAProxy's human_time and ids in hex", () => {
    expect([humanTime(42), humanTime(185), humanTime(7620), humanTime(356400)]).toEqual(['42s', '3m05s', '2h07m', '4d03h']);
    expect([formatMs(12), formatMs(3400), formatMs(125_000)]).toEqual(['12ms', '3.4s', '2m05s']);
    expect(formatLogDate(T0 + 123)).toBe('[21/Mar/2025:10:00:00.123]');
    expect([parseObjectId('0x1F'), parseObjectId('31'), parseObjectId('x1f')]).toEqual([31, 31, undefined]);
  });
});

describe('renderShowSess', () => {
  it('lists live streams one line each', () => {
    expect(renderShowSess(src)).toBe('0x1f: proto=stream tid=1 GET /x age=2s calls=20 last=response(200) 1.0s ago parent=0x1e\n');
  });

  it('prints one object in detail with its termination log, marking the events not kept', () => {
    expect(renderShowSess(src, ['0x1f']).split('\n')).toEqual([
      '0x1f: [21/Mar/2025:10:00:00.005] id=31 kind=stream tid=1 live',
      '  info: GET /x',
      '  age=2.5s calls=20 last=response(200) 1.0s ago',
      '  parent: 0x1e conn (src=127.0.0.1:5000 fe=web) live',
      '  termination log: 20 events, first 4 and last 12 kept',
      '    +0.000s create 30',
      '    +0.001s attach',
      '    +0.002s state 1',
      '    +0.003s state 2',
      '    ... 4 events not kept ...',
      ...states.slice(0, 11).map(([dt, , arg]) => `    +${((dt - 5) / 1000).toFixed(3)}s state ${arg}`),
      '    +1.495s response 200',
      '',
    ]);
  });

  it('finds recently freed objects by decimal id and lists children of a connection', () => {
    expect(renderShowSess(src, ['32'])).toContain('  lived=2.0s freed=3.5s ago calls=1 last=free 3.5s ago\n');
    expect(renderShowSess(src, ['0x1e'])).toContain('  children: 0x1f stream (GET /x) live, 0x20 stream (GET /old) freed\n');
  });

  it('prints every live object for `all`', () => {
    const out = renderShowSess(src, ['all']);
    expect(out.match(/^0x[0-9a-f]+: \[/gm)).toEqual(['0x1e: [', '0x1f: [']);
  });

  it('says clearly when an id is unknown or malformed', () => {
    expect(() => renderShowSess(src, ['0x99'])).toThrow(RenderError);
    expect(() => renderShowSess(src, ['0x99'])).toThrow(/^Session not found: no object 0x99 among the live and recently freed objects/);
    expect(() => renderShowSess(src, ['zz'])).toThrow(/^Invalid session id 'zz'/);
  });
});

describe('renderShowConns', () => {
  it('prints connections show-fd style with their live streams counted', () => {
    expect(renderShowConns(src)).toBe(
      '      0x1e : kind=conn tid=1 streams=1 age=2s calls=2 last=attach 2.5s ago info=src=127.0.0.1:5000 fe=web\n',
    );
    expect(renderShowConns(fakeSource({ objects: [] }))).toBe('');
  });
});

describe('state and timer fields', () => {
  const now = T0 + 10_000;
  const waiting = obj({
    id: 0x41,
    kind: 'stream',
    parentId: 0x40,
    info: 'GET /slow HTTP/1.1',
    created: T0 + 9000,
    lastEvent: T0 + 9000,
    totalEvents: 1,
    log: log([[9000, 'create', 0x40]]),
    state: 'waiting-response',
    timer: 'server',
    expires: now + 29_400,
  });
  const reading = obj({ id: 0x40, kind: 'conn', info: 'src=127.0.0.1:5000 fe=web', state: 'reading-request', timer: 'http-request', expires: now + 250 });
  const overdue = obj({ id: 0x42, kind: 'stream', info: 'GET /stuck HTTP/1.1', state: 'connecting', timer: 'connect', expires: now - 1500 });
  const freed = obj({ id: 0x43, kind: 'stream', live: false, info: 'GET /gone HTTP/1.1', state: 'sending-body', timer: 'none', expires: 0, lastEvent: now - 100 });
  const s2 = fakeSource({ objects: [reading, waiting, overdue, freed], now });

  it("prints time left as HAProxy's exp= does: ms below a second, human time above, a minus sign once overdue", () => {
    expect([timeLeft(250), timeLeft(29_400), timeLeft(185_000), timeLeft(-1500), timeLeft(0)]).toEqual(['250ms', '29s', '3m05s', '-1s', '0ms']);
  });

  it('show sess lines carry state= and exp=<timer>:<left>', () => {
    expect(renderShowSess(s2).split('\n')).toEqual([
      '0x41: proto=stream tid=1 GET /slow HTTP/1.1 age=1s calls=1 state=waiting-response exp=server:29s last=create(64) 1.0s ago parent=0x40',
      '0x42: proto=stream tid=1 GET /stuck HTTP/1.1 age=10s calls=0 state=connecting exp=connect:-1s last=none',
      '',
    ]);
  });

  it('show sess <id> prints them with the absolute expiry, and exp=none for a freed object', () => {
    expect(renderShowSess(s2, ['0x41'])).toContain(`\n  state=waiting-response exp=server:29s (expires ${formatLogDate(now + 29_400)})\n`);
    expect(renderShowSess(s2, ['0x43'])).toContain('\n  state=sending-body exp=none\n');
    expect(renderShowSess(s2, ['all'])).toContain('\n  state=reading-request exp=http-request:250ms (expires ');
  });

  it('show conns lines carry them too', () => {
    expect(renderShowConns(s2)).toBe(
      '      0x40 : kind=conn tid=1 streams=1 age=10s calls=0 state=reading-request exp=http-request:250ms last=none info=src=127.0.0.1:5000 fe=web\n',
    );
  });
});
