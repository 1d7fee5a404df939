import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, test } from 'vitest';
import { App } from '../../../cli/tui/app.tsx';
import { openSnapshot, type TuiModel } from '../../../cli/tui/data/model.ts';
import { GOLDEN } from './big-snapshot.ts';

const KEY = { down: '\x1b[B', up: '\x1b[A', tab: '\t', enter: '\r', esc: '\x1b', backspace: '\x7f' };
const model: TuiModel = openSnapshot(GOLDEN);
let current: ReturnType<typeof render> | undefined;
afterEach(() => current?.unmount());

function open(opts: { columns?: number; rows?: number; color?: boolean } = {}) {
  current = render(createElement(App, { model, color: opts.color ?? false, columns: opts.columns ?? 80, rows: opts.rows ?? 24 }));
  return current;
}

/** Writes keys one by one, letting ink process each. */
async function press(r: ReturnType<typeof render>, ...keys: string[]): Promise<string> {
  for (const k of keys) {
    r.stdin.write(k);
    await new Promise((res) => setTimeout(res, 15));
  }
  return r.lastFrame() ?? '';
}

const lines = (frame: string) => frame.split('\n');

describe('tui app (ink-testing-library, golden snapshot)', () => {
  test('opens on the Overview within 80x24: reason, message, call chain, context object', () => {
    const f = open().lastFrame()!;
    expect(lines(f).length).toBeLessThanOrEqual(23);
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(80);
    expect(f).toContain('[1 Overview]');
    expect(f).toContain('Reason  : bug');
    expect(f).toContain('Message : BUG_ON: header of 9000 bytes exceeds the buffer (4096)');
    expect(f).toContain('#0 h1_check_header (fixtures/snapshots/synthetic.ts:68:3) [app]');
    expect(f).toMatch(/Known   : \[[0-9a-f]{10}\] (bug-on|no known issue matches)/);
    expect(f).toContain('stream 0x4 on thread 1:');
    expect(f).not.toMatch(/\x1b\[3\dm/); // no colour escapes with colours off
  });

  test('number keys and tab switch views', async () => {
    const r = open();
    expect(await press(r, '4')).toContain('[4 Pools]');
    expect(await press(r, KEY.tab)).toContain('[5 Sessions]');
    expect(await press(r, '6')).toMatch(/>t1 dead +beat=1/);
    expect(await press(r, KEY.tab)).toContain('[1 Overview]');
  });

  test('selecting a frame shows its TypeScript lines and in-app status', async () => {
    const r = open();
    let f = await press(r, '2');
    expect(f).toContain('in-app frame #0: h1_check_header at fixtures/snapshots/synthetic.ts:68:3');
    expect(f).toMatch(/>\s+68 \|\s+BUG_ON\(len > max/);
    f = await press(r, KEY.down, KEY.down);
    expect(f).toContain('>#2 forEach (<native>)');
    expect(f).toContain('library frame #2: forEach');
    expect(f).toContain('(no TypeScript position for this frame)');
    f = await press(r, KEY.down);
    expect(f).toContain('in-app frame #3: h1_parse_headers at fixtures/snapshots/synthetic.ts:73:9');
    expect(f).toMatch(/>\s+73 \|/);
  });

  test('filtering the timeline by stream and level, then clearing it', async () => {
    const r = open();
    let f = await press(r, '3');
    const total = /(\d+) of \1 events/.exec(f);
    expect(total).not.toBeNull();
    f = await press(r, 'f', KEY.tab, '0x4', KEY.tab, KEY.tab, 'error', KEY.enter);
    expect(f).toContain(`1 of ${total![1]} events | filter: stream=0x4 level<=error`);
    expect(f).toMatch(/>\S+ t1 fixture\/error c=0x3 s=0x4 h1_check_header\(\): header too large/);
    expect(f).toContain('flight fixture:err level=error at fixtures/snapshots/synthetic.ts:');
    f = await press(r, 'F');
    expect(f).toContain(`${total![1]} of ${total![1]} events`);
  });

  test('a bad filter value is reported and the form stays open', async () => {
    const r = open();
    const f = await press(r, 'f', 'zz', KEY.enter);
    expect(f).toContain("conn: 'zz' is not an id");
    expect(f).toContain('[conn=zz_]');
  });

  test('jumping from an event to its object and from the object to its events', async () => {
    const r = open();
    await press(r, 'f', KEY.tab, '0x4', KEY.enter);
    let f = await press(r, KEY.enter);
    expect(f).toContain('[5 Sessions]');
    expect(f).toMatch(/>0x4 +stream t1 live/);
    expect(f).toContain('termination log: 22 events');
    f = await press(r, 'j', 'k', KEY.enter);
    expect(f).toContain('[3 Timeline]');
    expect(f).toContain('filter: stream=0x4');
  });

  test('sorting pools cycles columns and keeps the offender marked', async () => {
    const r = open();
    let f = await press(r, '4');
    expect(f).toContain('sorted by used desc');
    const rows = (fr: string) => lines(fr).filter((l) => /^[>! ]+\d+ fixture_/.test(l)).map((l) => l.trim().replace(/\s+/g, ' '));
    expect(rows(f)).toEqual(['> 1 fixture_buf buffer 1024 3 2 0', '! 1 fixture_hdrs object 96 1 1 0']);
    f = await press(r, 's', 's', 's', 's');
    expect(f).toContain('sorted by name asc');
    expect(rows(f)[0]).toContain('fixture_buf');
    f = await press(r, 'r');
    expect(f).toContain('sorted by name desc');
    expect(rows(f)[0]).toContain('fixture_hdrs');
    expect(rows(f)[0].startsWith('>!')).toBe(true);
  });

  test('search selects the matching row', async () => {
    const r = open();
    const f = await press(r, '5', '/', 'health', KEY.enter);
    expect(f).toMatch(/>0x2 +stream t2 freed GET \/health/);
    expect(await press(r, '/', 'nothing-like-it', KEY.enter)).toContain('not found: nothing-like-it');
  });

  test('help opens with ? and closes with esc; q quits', async () => {
    const r = open();
    let f = await press(r, '?');
    expect(f).toContain('tab / shift-tab, 1..6   switch view');
    f = await press(r, KEY.esc);
    await new Promise((res) => setTimeout(res, 80)); // a lone ESC is told apart from a sequence by a delay
    f = r.lastFrame()!;
    expect(f).toContain('Reason  : bug');
    await press(r, 'q');
    const after = r.frames.length;
    await press(r, '4', '5');
    // Quit unmounted the app: keys no longer render anything.
    expect(r.frames.length).toBe(after);
    expect(r.lastFrame()).not.toContain('[4 Pools]');
  });

  test('adapts to the size it is given and uses colours unless told not to', () => {
    const f = open({ columns: 60, rows: 12, color: true }).lastFrame()!;
    expect(lines(f).length).toBeLessThanOrEqual(11);
    for (const l of lines(f)) expect(l.replace(/\x1b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(60);
  });
});

describe('tui app input chunks', () => {
  test('several keys arriving in one chunk act one after the other', async () => {
    const r = open();
    const f = await press(r, '3f');
    expect(f).toContain('[3 Timeline]');
    expect(f).toContain('[conn=_]');
  });
});

describe('tui app on a snapshot with 64 MiB of rings', () => {
  test('the timeline opens and jumps to its last event without decoding every event', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeBigSnapshot } = await import('./big-snapshot.ts');
    const dir = mkdtempSync(join(tmpdir(), 'fb-tui-big-'));
    try {
      const file = join(dir, 'big.fbsnap');
      writeBigSnapshot(file);
      const big = openSnapshot(file);
      current = render(createElement(App, { model: big, color: false, columns: 80, rows: 24 }));
      const t0 = performance.now();
      let f = await press(current, '3');
      expect(f).toContain(`${big.timeline.total} of ${big.timeline.total} events`);
      f = await press(current, 'G', KEY.up, 'G');
      const ms = performance.now() - t0;
      const last = big.timeline.decode(big.timeline.total - 1);
      expect(f).toContain(`>${last.time > 0 ? new Date(last.time).toISOString().slice(11, 23) : ''}`);
      expect(ms).toBeLessThan(3000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
