/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, the .cpuprofile JSON) of Flightbox for the HTTP/3
 * benchmark: self time per function and per module group (QUIC packet protection, node:crypto,
 * ACK/recovery, frames, streams, QPACK, HTTP/3, the stream forward to the origin, the flight
 * recorder, UDP and TCP I/O, GC...). Self time of a sample is the time delta that follows it.
 *
 * Run alone: `npx node test/bench/h3-profile.ts <file.cpuprofile> [requests]`.
 */
import { readFileSync } from 'node:fs';

/** The parts of a .cpuprofile used here. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** Module groups, first match wins: [group, test on the path relative to the build root or the node: url]. */
const GROUPS: readonly (readonly [string, (p: string) => boolean])[] = [
  ['quic packet protection (seal/open, header protection)', (p) => /^proxy\/quic\/(protection|packetizer|keys|key-update)\./.test(p)],
  ['quic ACK/loss recovery/congestion', (p) => /^proxy\/quic\/(recovery|spaces|range-set|rtt|newreno|pacer|sent-record|amplification)\./.test(p)],
  ['quic frame/header codec', (p) => /^proxy\/quic\/(frame|frame-rules|header|varint|reader|writer|packet-number)\./.test(p)],
  ['quic streams/flow control', (p) => /^proxy\/quic\/(streams|flow-control|send-buffer|ncbuf|stream-id)\./.test(p)],
  ['quic connection (receive/assemble)', (p) => /^proxy\/quic\/connection\./.test(p)],
  ['quic UDP listener/dispatcher', (p) => /^proxy\/quic\/udp\//.test(p)],
  ['quic other', (p) => /^proxy\/quic\//.test(p)],
  ['qpack', (p) => /^proxy\/qpack\//.test(p)],
  ['h3 (framing, driver)', (p) => /^proxy\/h3\//.test(p)],
  ['stream forward + HTTP/1.1 to the origin', (p) => /^proxy\/(stream|h1|lb|log|acl)\//.test(p)],
  ['flight recorder (diag/)', (p) => /^diag\//.test(p)],
  ['proxy other', (p) => /^(proxy|cli)\//.test(p)],
  ['node:crypto (AEAD, AES-ECB header protection)', (p) => /^node:internal\/crypto\//.test(p) || p === 'node:crypto'],
  ['node:dgram (UDP send/receive)', (p) => /dgram/.test(p)],
  ['node:net/streams (TCP to the origin)', (p) => /^node:(internal\/)?(net|stream|internal\/streams|internal\/stream_base_commons)/.test(p) || /^node:net/.test(p)],
  ['node:timers/events/buffers', (p) => /^node:internal\/(timers|event_target|events|buffer|process\/task_queues|async_hooks)/.test(p) || /^node:(events|buffer|timers)/.test(p)],
  ['node other', (p) => p.startsWith('node:')],
  ['(garbage collector)', (p) => p === '(garbage collector)'],
  ['(program, native)', (p) => p === '(program)' || p === '' || p === '(root)'],
];

/** The summary of one profile. */
export interface ProfileSummary {
  /** Sampled time in ms, idle excluded. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** Self time per group, largest first. */
  readonly groups: readonly { readonly group: string; readonly ms: number }[];
  /** Self time per function, largest first (top 25). */
  readonly functions: readonly { readonly name: string; readonly where: string; readonly group: string; readonly ms: number }[];
  /** Self time of the groups whose name starts with `prefix`. */
  groupMs(prefix: string): number;
}

/** The path of a script relative to the build root (`.../dist-x/proxy/quic/a.js` -> `proxy/quic/a.js`), or its node: url. */
function modulePath(url: string): string {
  if (url.startsWith('node:') || url === '') return url;
  const m = /\/(?:dist[^/]*\/)?((?:proxy|diag|cli|test)\/.*)$/.exec(url.replace(/^file:\/\//, ''));
  return m ? m[1] : url;
}

/** Native functions (no script url) by name: the I/O and runtime work they stand for. */
const NATIVE: Readonly<Record<string, string>> = {
  writeBuffer: 'node:net/streams (TCP to the origin)',
  writev: 'node:net/streams (TCP to the origin)',
  writeLatin1String: 'node:net/streams (TCP to the origin)',
  writeUtf8String: 'node:net/streams (TCP to the origin)',
  now: 'node:timers/events/buffers',
  getLibuvNow: 'node:timers/events/buffers',
  runMicrotasks: 'node:timers/events/buffers',
  latin1Slice: 'node:timers/events/buffers',
  hexSlice: 'node:timers/events/buffers',
  utf8Slice: 'node:timers/events/buffers',
};

function groupOf(path: string, functionName: string): string {
  if (path === '' && NATIVE[functionName]) return NATIVE[functionName];
  const key = path === '' ? functionName : path;
  for (const [g, test] of GROUPS) if (test(key)) return g;
  return 'other';
}

/** Self time per function and per group (see module doc). */
export function summariseProfile(p: CpuProfile): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
  }
  const fn = new Map<string, { name: string; where: string; group: string; ms: number }>();
  const groups = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const [id, t] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += t;
      continue;
    }
    busy += t;
    const path = modulePath(n.callFrame.url);
    const group = groupOf(path, name);
    groups.set(group, (groups.get(group) ?? 0) + t);
    const where = path === '' ? '' : `${path}:${n.callFrame.lineNumber + 1}`;
    const k = `${name}@${where}`;
    const e = fn.get(k) ?? { name, where, group, ms: 0 };
    e.ms += t;
    fn.set(k, e);
  }
  const groupList = [...groups].map(([group, t]) => ({ group, ms: t / 1000 })).sort((a, b) => b.ms - a.ms);
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    groups: groupList,
    functions: [...fn.values()].map((f) => ({ ...f, ms: f.ms / 1000 })).sort((a, b) => b.ms - a.ms).slice(0, 25),
    groupMs: (prefix) => groupList.filter((g) => g.group.startsWith(prefix)).reduce((a, g) => a + g.ms, 0),
  };
}

/** Prints the group table and the top functions; `requests` (when > 0) adds microseconds per request. */
export function printProfile(s: ProfileSummary, requests: number): void {
  const per = (ms: number) => (requests > 0 ? `${((ms * 1000) / requests).toFixed(1)} us` : '-');
  const pct = (ms: number) => `${((100 * ms) / Math.max(1e-9, s.busyMs)).toFixed(1)} %`;
  console.log(`busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`);
  table(['module group', 'self', 'share', 'per request'], s.groups.map((g) => [g.group, `${g.ms.toFixed(0)} ms`, pct(g.ms), per(g.ms)]));
  console.log('');
  table(['function (self time)', 'where', 'self', 'share'], s.functions.slice(0, 20).map((f) => [f.name, f.where, `${f.ms.toFixed(0)} ms`, pct(f.ms)]), 2);
}

function table(head: string[], rows: string[][], leftColumns = 1): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < leftColumns ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [file, requests = '0'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: h3-profile.ts <file.cpuprofile> [requests]');
    process.exit(2);
  }
  printProfile(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), Number(requests));
}
