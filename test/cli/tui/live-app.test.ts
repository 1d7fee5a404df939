/**
 * The live TUI (LiveApp over a LiveSource) with ink-testing-library against a real Flightbox: the
 * Overview with process info and threads, Pools with sparklines, Sessions and Timeline from the
 * runtime's answers, the selected object's detail (show sess <id>) and events in Sessions, `S`
 * opening a fresh snapshot, and the disconnected state.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { LiveSource } from '../../../cli/tui/data/live-source.ts';
import { sparkline } from '../../../cli/tui/data/live-model.ts';
import { LiveApp } from '../../../cli/tui/live-app.tsx';
import { CLI, pollUntil, startProxy, type Proxy } from '../../e2e/harness.ts';

const why = existsSync(CLI) ? '' : `no built CLI at ${CLI} (run npm run build)`;
const dir = mkdtempSync(join(tmpdir(), 'fb-tui-liveapp-'));
let current: ReturnType<typeof render> | undefined;
let proxy: Proxy | undefined;
afterEach(async () => {
  current?.unmount();
  current = undefined;
  await proxy?.stop();
  proxy = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function frameWith(r: ReturnType<typeof render>, pred: (f: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
  const f = await pollUntil(() => r.lastFrame() ?? '', pred, { timeoutMs });
  if (!pred(f)) throw new Error(`timed out waiting for ${what}; frame:\n${f}`);
  return f;
}

test('sparklines scale to the largest value', () => {
  expect(sparkline([0, 1, 2, 4], 4)).toBe('▁▃▅█');
  expect(sparkline([0, 0], 4)).toBe('▁▁');
  expect(sparkline([1, 2, 3, 4, 5, 6], 3)).toBe('▆▇█');
});

describe.skipIf(why !== '')('live tui on a real proxy', () => {
  test('shows process info, threads, pools with sparklines, sessions and events; S opens a snapshot', async () => {
    proxy = await startProxy();
    await proxy.get('/');
    const source = new LiveSource(proxy.socket, { intervalMs: 200, maxRequestsPerSec: 5 });
    let opened = '';
    current = render(createElement(LiveApp, { source, color: false, columns: 80, rows: 24, onSnapshot: (p: string) => (opened = p) }));
    let f = await frameWith(current, (x) => x.includes('Nbthread'), 'the process info');
    expect(f).toContain('flightbox tui  live ');
    expect(f).toContain('[1 Overview]');
    expect(f).toMatch(/Live {4}: pid \d+, up 0d/);
    expect(f).toMatch(/live: connected, updated \d+s ago {2}\(S: snapshot/);
    for (const l of f.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    current.stdin.write('G'); // scroll to the threads at the end of the Overview
    f = await frameWith(current, (x) => /t2 running +beat=\d+/.test(x), 'the threads');
    expect(f).toMatch(/t1 running +beat=\d+/);

    current.stdin.write('4');
    f = await frameWith(current, (x) => x.includes('[4 Pools]') && /buffer .*[▁▂▃▄▅▆▇█]{2,}/.test(x), 'pools with sparklines');
    expect(f).toContain('T0 = all threads');
    expect(f).toMatch(/ used +[▁▂▃▄▅▆▇█]+ \d+/);
    expect(f).toMatch(/ failures +[▁▂▃▄▅▆▇█]+ 0/);

    current.stdin.write('5');
    f = await frameWith(current, (x) => x.includes('[5 Sessions]') && /0x\w+ +conn +t\d/.test(x), 'the connections');
    current.stdin.write('3');
    f = await frameWith(current, (x) => x.includes('[3 Timeline]') && x.includes('request head: GET /'), 'the events');

    current.stdin.write('S');
    f = await frameWith(current, (x) => x.includes('on-demand'), 'the snapshot opened', 15_000);
    expect(opened).toMatch(/on-demand.*\.fbsnap$/);
    expect(f).toContain(`flightbox tui  ${opened.slice(0, 50)}`);
    expect(f).toContain('Reason  : on-demand');
    expect(source.status.state).toBe('stopped');
  }, 40_000);

  test('Sessions: the selected connection shows its whole termination log from show sess and its events', async () => {
    proxy = await startProxy({ nbthread: 1 });
    await proxy.get('/detail-one');
    const source = new LiveSource(proxy.socket, { intervalMs: 200, maxRequestsPerSec: 5, selectedEventsEveryMs: 400 });
    current = render(createElement(LiveApp, { source, color: false, columns: 100, rows: 30 }));
    await frameWith(current, (x) => x.includes('Nbthread'), 'the first poll');
    current.stdin.write('5');
    let f = await frameWith(current, (x) => x.includes('detail from show sess'), 'the detail of the selected object');
    const id = source.selected!;
    expect(f).toContain(`─ detail from show sess 0x${id.toString(16)} (enter: its events)`);
    const o = source.sample!.objects.find((x) => x.id === id)!;
    expect(o.kind).toBe('conn');
    // The whole termination log (show conns gives only the last event), the state and the events.
    expect(f).toMatch(/termination log: \d+ events/);
    expect(f).toMatch(/^ {4}\+0\.000s create/m);
    expect(f).toMatch(/^ {4}\+\d+\.\d{3}s close/m);
    f = await frameWith(current, (x) => /events: \d+.* \(flight ring\)/.test(x) && /request head: GET \/detail-one/.test(x), 'its events');
    expect(f).toMatch(/^ {4}\+\d+\.\d{3}s h1\/\S+ .*request head: GET \/detail-one/m);
    for (const l of f.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
    // Leaving Sessions stops polling the detail.
    current.stdin.write('1');
    await pollUntil(() => source.selected, (x) => x === undefined, { timeoutMs: 2000 });
    expect(source.selected).toBeUndefined();
  }, 40_000);

  test('an unreachable socket shows disconnected, retrying in Ns', async () => {
    const source = new LiveSource(join(dir, 'nobody.sock'), { backoffMinMs: 3000, backoffMaxMs: 3000 });
    current = render(createElement(LiveApp, { source, color: false, columns: 80, rows: 24 }));
    const f = await frameWith(current, (x) => x.includes('disconnected, retrying in'), 'the disconnected state');
    expect(f).toMatch(/^live: disconnected, retrying in [1-3]s: no runtime socket at /m);
    expect(source.status.state === 'disconnected' && source.status.error).toContain('nobody.sock');
    expect(f).toContain('Live    : waiting for the first answer');
  }, 15_000);
});
