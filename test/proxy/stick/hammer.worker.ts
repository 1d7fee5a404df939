// Worker of threads.test.ts: hammers one shared stick-table (track-sc style: acquire, update,
// touch+release), optionally running expiry passes too. Posts { ops, refused } when done.
import { parentPort, workerData } from 'node:worker_threads';
import { integerKey } from '../../../proxy/stick/key.ts';
import { StickTable } from '../../../proxy/stick/table.ts';
import type { StickTableDef } from '../../../proxy/stick/stick.types.ts';

const { sab, def, iterations, keys, expire, seed } = workerData as {
  sab: SharedArrayBuffer;
  def: StickTableDef;
  iterations: number;
  keys: number;
  expire: boolean;
  seed: number;
};
const t = new StickTable(sab, def);
let x = seed >>> 0 || 1;
let refused = 0;
for (let i = 0; i < iterations; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  const h = t.acquire(integerKey((x >>> 0) % keys));
  if (h < 0) {
    refused++;
    continue;
  }
  t.add(h, 'http_req_cnt', 1);
  t.add(h, 'http_req_rate', 1);
  if (i % 3 === 0) t.touchAndRelease(h);
  else t.release(h);
  if (expire && i % 50 === 0) t.expire();
}
parentPort!.postMessage({ ops: iterations, refused });
