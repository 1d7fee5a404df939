/**
 * Stick-table micro benchmark (not run by CI): track-sc style lookup-or-create + update + touch
 * and release per second on one thread, over a table of 1M ip entries storing http_req_cnt and
 * http_req_rate(10s), and the shared memory per entry.
 *
 *   npx node test/bench/stick.ts [entries=1048576] [ops=2000000]
 */
import { parseStickTableLine } from '../../proxy/stick/config.ts';
import type { StickKey } from '../../proxy/stick/key.ts';
import { StickTable, createStickTable } from '../../proxy/stick/table.ts';

const entries = Number(process.argv[2] ?? 1 << 20);
const ops = Number(process.argv[3] ?? 2_000_000);
const r = parseStickTableLine(['stick-table', 'type', 'ip', 'size', String(entries), 'expire', '10m', 'store', 'http_req_cnt,http_req_rate(10s)'], {
  name: 'bench',
  file: 'bench',
  line: 1,
});
if (!r.ok) throw new Error(r.error);
const def = r.def;

const t0 = performance.now();
const sab = createStickTable(def);
const t = new StickTable(sab, def);
const key: StickKey = { bytes: new Uint8Array(4), len: 4 };
const setKey = (n: number): void => {
  key.bytes[0] = 10 + (n >>> 24);
  key.bytes[1] = (n >>> 16) & 0xff;
  key.bytes[2] = (n >>> 8) & 0xff;
  key.bytes[3] = n & 0xff;
};
for (let i = 0; i < entries; i++) {
  setKey(i);
  t.release(t.acquire(key));
}
const fillMs = performance.now() - t0;

function track(n: number): void {
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    setKey((x >>> 0) % entries);
    const h = t.acquire(key);
    t.add(h, 'http_req_cnt', 1);
    t.add(h, 'http_req_rate', 1);
    t.touchAndRelease(h);
  }
}
track(Math.min(ops, 200_000)); // warm-up
const t1 = performance.now();
track(ops);
const ms = performance.now() - t1;

const verify = t.verify();
console.log(`stick-table bench: ${entries} entries (type ip, store http_req_cnt,http_req_rate(10s))`);
console.log(`  fill (create+release):   ${((entries / fillMs) * 1000).toFixed(0)} entries/s (${fillMs.toFixed(0)} ms)`);
console.log(`  track-sc lookup+update:  ${((ops / ms) * 1000).toFixed(0)} ops/s on one thread (${ops} ops in ${ms.toFixed(0)} ms)`);
console.log(`  shared memory:           ${(sab.byteLength / 2 ** 20).toFixed(1)} MiB, ${(sab.byteLength / entries).toFixed(1)} bytes per entry (slot ${t.layout.slotWords * 4} B + index + free stack)`);
console.log(`  live entries: ${t.current}, consistency: ${verify.length === 0 ? 'ok' : verify.slice(0, 3).join('; ')}`);
