/**
 * `npm run bench`: measures the flight recorder's costs and prints a table of medians over several
 * runs, with the targets beside them. Runs on the build (dist/), one thread, no other load.
 *
 *   enabled trace record     target <= 50 ns, and no allocation (no GC during 5M records)
 *   disabled trace point     target <= 5 ns
 *   pool alloc+free          tag on / tag off
 *   snapshot write           4 threads x 4 MiB rings, target <= 250 ms
 *   snapshot decode          ring data decoded per second, target >= 100 MB/s
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceControl } from '../../diag/trace-control.ts';
import { attachTrace, declareTraceSource } from '../../diag/trace.ts';
import { RingWriter, tickClock } from '../../diag/ring.ts';
import { createProcessMemory, createThreadMemory, attachRecorder } from '../../diag/recorder.ts';
import { declarePool, configurePools } from '../../diag/pool.ts';
import { writeSnapshot } from '../../diag/snapshot/collect.ts';
import { readSnapshot } from '../../diag/snapshot/read.ts';
import type { ProcessInfo } from '../../diag/views.types.ts';

const RUNS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let gcCount = 0;
new PerformanceObserver((l) => (gcCount += l.getEntries().length)).observe({ entryTypes: ['gc'] });

const SRC = declareTraceSource('bench', 'benchmark source', [
  { name: 'on', desc: 'enabled event' },
  { name: 'off', desc: 'disabled event' },
] as const);
const TP_ON = SRC.point('on', 'proto', 'bench_on', 'value {0}');
const TP_OFF = SRC.point('off', 'developer', 'bench_off', 'value {0}');

function nsPerOp(n: number, body: (n: number) => void): number {
  const t0 = process.hrtime.bigint();
  body(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

function benchTrace(): { on: number; onTick: number; off: number; gcs: number } {
  const ctl = new TraceControl();
  const ring = createThreadMemory(1, { rings: { flight: 4 << 20 }, liveSlots: 16 }).rings.flight;
  attachTrace(ctl, 1, { flight: new RingWriter(ring) });
  const N = 5_000_000;
  const emit = (n: number) => {
    for (let i = 0; i < n; i++) if (TP_ON.on) TP_ON.emit(i, 7, i, 0, 0);
  };
  // Worst case: every record in its own I/O callback, i.e. one clock read per record.
  const emitTick = (n: number) => {
    for (let i = 0; i < n; i++) {
      tickClock();
      if (TP_ON.on) TP_ON.emit(i, 7, i, 0, 0);
    }
  };
  let sink = 0;
  const skip = (n: number) => {
    for (let i = 0; i < n; i++) if (TP_OFF.on) TP_OFF.emit(i, 7, i, 0, 0);
    sink += n;
  };
  // Baseline loop cost, so the disabled figure is the check itself.
  const empty = (n: number) => {
    for (let i = 0; i < n; i++) sink += i & 1;
  };
  emit(200_000);
  skip(2_000_000);
  empty(2_000_000);
  const on: number[] = [];
  const onTick: number[] = [];
  const off: number[] = [];
  let gcs = 0;
  for (let r = 0; r < RUNS; r++) {
    const g0 = gcCount;
    on.push(nsPerOp(N, emit));
    gcs += gcCount - g0;
    onTick.push(nsPerOp(N / 5, emitTick));
    const base = nsPerOp(N * 4, empty);
    off.push(Math.max(0, nsPerOp(N * 4, skip) - base));
  }
  if (sink === 42) console.log('');
  return { on: median(on), onTick: median(onTick), off: median(off), gcs };
}

function benchPools(): { tagOn: number; tagOff: number } {
  const results: Record<string, number> = {};
  for (const tag of [true, false]) {
    configurePools({ tag, integrity: false, caller: false, noMerge: true, fail: false });
    const pool = declarePool(`bench-${tag ? 'tag' : 'notag'}`, { kind: 'buffer', size: 16384 });
    const N = 2_000_000;
    const loop = (n: number) => {
      for (let i = 0; i < n; i++) {
        const b = pool.alloc(1);
        if (b) pool.free(b);
      }
    };
    loop(100_000);
    const xs: number[] = [];
    for (let r = 0; r < RUNS; r++) xs.push(nsPerOp(N, loop));
    results[tag ? 'on' : 'off'] = median(xs);
  }
  return { tagOn: results.on, tagOff: results.off };
}

function benchSnapshot(): { writeMs: number; decodeMBs: number; bytes: number; ringBytes: number } {
  const proc = createProcessMemory(['flight']);
  const threads = [1, 2, 3, 4].map((t) => createThreadMemory(t, { rings: { flight: 4 << 20 }, liveSlots: 1024 }));
  for (const mem of threads) {
    const w = new RingWriter(mem.rings.flight);
    for (let i = 0; i < 200_000; i++) w.write(i % 16, i, i >> 2, i, i * 2, 0, i % 4 === 0 ? `GET /item/${i} HTTP/1.1` : undefined);
  }
  attachRecorder(threads[0], proc); // publishes a point registry like a worker does
  const info = { name: 'Flightbox', pid: process.pid, nbthread: 4 } as unknown as ProcessInfo;
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-'));
  const ringBytes = threads.reduce((a, m) => a + m.rings.flight.byteLength, 0);
  const writes: number[] = [];
  const decodes: number[] = [];
  let bytes = 0;
  try {
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      const out = writeSnapshot(
        dir,
        { reason: 'on-demand', info, threads: threads.map((mem) => ({ mem, restarts: 0, status: 'running' })), proc, configText: '' },
        { maxSize: 64 << 20 },
      );
      writes.push(performance.now() - t0);
      bytes = out.bytes;
      const buf = readFileSync(out.path);
      const t1 = performance.now();
      const snap = readSnapshot(buf);
      let records = 0;
      for (const ring of snap.rings) records += ring.records.length;
      const ms = performance.now() - t1;
      if (records < 4 * 1000) throw new Error(`decoded only ${records} records`);
      decodes.push(ringBytes / (1 << 20) / (ms / 1000));
      rmSync(out.path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { writeMs: median(writes), decodeMBs: median(decodes), bytes, ringBytes };
}

const trace = benchTrace();
const pools = benchPools();
const snap = benchSnapshot();
const rows: [string, string, string, string][] = [
  ['enabled trace record', `${trace.on.toFixed(1)} ns`, '<= 50 ns', trace.on <= 50 ? 'ok' : 'MISSED'],
  ['  with a clock read per record', `${trace.onTick.toFixed(1)} ns`, '-', ''],
  ['  GCs during 35M records', String(trace.gcs), '0 (no allocation)', trace.gcs === 0 ? 'ok' : 'MISSED'],
  ['disabled trace point', `${trace.off.toFixed(2)} ns`, '<= 5 ns', trace.off <= 5 ? 'ok' : 'MISSED'],
  ['pool alloc+free, tag on', `${pools.tagOn.toFixed(1)} ns`, '-', ''],
  ['pool alloc+free, tag off', `${pools.tagOff.toFixed(1)} ns`, '-', ''],
  [`snapshot write, 4 x 4 MiB rings`, `${snap.writeMs.toFixed(1)} ms`, '<= 250 ms', snap.writeMs <= 250 ? 'ok' : 'MISSED'],
  ['  snapshot file size', `${(snap.bytes / (1 << 20)).toFixed(2)} MiB`, '-', ''],
  ['snapshot decode (ring data)', `${snap.decodeMBs.toFixed(0)} MB/s`, '>= 100 MB/s', snap.decodeMBs >= 100 ? 'ok' : 'MISSED'],
];
const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['measure', 'median', 'target', ''][i].length));
const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ');
console.log(`Flightbox bench, node ${process.version}, medians of ${RUNS} runs`);
console.log(line(['measure', 'median', 'target', '']));
console.log(w.map((n) => '-'.repeat(n)).join('  '));
for (const r of rows) console.log(line(r));
