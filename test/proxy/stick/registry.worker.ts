// Worker of registry.test.ts: attaches the tables as a proxy worker does (attachStickTables), reads
// the entry the main thread set, then tracks one key of its own. Posts what it saw.
import { parentPort, workerData } from 'node:worker_threads';
import { parseStickKey } from '../../../proxy/stick/key.ts';
import { attachStickTables, threadStickTables } from '../../../proxy/stick/registry.ts';
import type { StickTableDef } from '../../../proxy/stick/stick.types.ts';

const { defs, sabs } = workerData as { defs: StickTableDef[]; sabs: SharedArrayBuffer[] };
attachStickTables(defs, sabs);
const t = threadStickTables().get('be')!;
const h = t.lookup(parseStickKey('ip', 4, '192.0.2.1'));
const seen = h < 0 ? -1 : t.get(h, 'gpc0');
if (h >= 0) t.release(h);
const mine = t.acquire(parseStickKey('ip', 4, '192.0.2.2'));
t.add(mine, 'gpc0', 41);
t.touchAndRelease(mine);
parentPort!.postMessage({ names: threadStickTables().names(), seen });
