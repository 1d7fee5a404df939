/**
 * `show pools` in HAProxy's words (src/pool.c dump_pools_to_trash, cli_parse_show_pools):
 *
 *   show pools [byname|bysize|byusage] [detailed] [match <pfx>] [<nb>]
 *
 * The same text answers a live process (views read from the workers' shared pool memory) and a
 * snapshot (views stored in it). Figures of the same pool are summed across threads.
 */
import type { PoolCallerStat, PoolStat, PoolsView } from '../pool.types.ts';

/** HAProxy's POOLS_MAX_DUMPED_ENTRIES: never more lines than this. */
const MAX_ENTRIES = 1024;

/** The syntax error text (HAProxy's, plus `detailed`). */
export const SHOW_POOLS_USAGE =
  "Expects either 'byname', 'bysize', 'byusage', 'detailed', 'match <pfx>', or a max number of output lines.\n";

interface Request {
  by: 0 | 1 | 2 | 3; // none, name, size, usage
  prefix: string | undefined;
  max: number;
  detailed: boolean;
}

function parseArgs(args: readonly string[]): Request | string {
  const req: Request = { by: 0, prefix: undefined, max: 0, detailed: false };
  const a = args.filter((x) => x !== '');
  for (let i = 0; i < a.length; i++) {
    const w = a[i];
    if (w === 'byname') req.by = 1;
    else if (w === 'bysize') req.by = 2;
    else if (w === 'byusage') req.by = 3;
    else if (w === 'detailed') req.detailed = true;
    else if (w === 'match' && a[i + 1] !== undefined) req.prefix = a[++i];
    else if (/^[0-9]/.test(w)) req.max = Number.parseInt(w, 10); // atoi()
    else return SHOW_POOLS_USAGE;
  }
  return req;
}

/** Sums the views of all threads into one list, pools matched by name and size, first-seen order. */
function mergeThreads(views: readonly PoolsView[]): PoolStat[] {
  const byKey = new Map<string, PoolStat>();
  for (const v of views) {
    for (const p of v.pools) {
      const key = `${p.kind}\0${p.name}\0${p.size}`;
      const seen = byKey.get(key);
      if (!seen) {
        byKey.set(key, { ...p, userNames: [...p.userNames], callers: p.callers.map((c) => ({ ...c })) });
        continue;
      }
      seen.allocated += p.allocated;
      seen.used += p.used;
      seen.cached += p.cached;
      seen.failures += p.failures;
      seen.neededAvg += p.neededAvg;
      if (p.users > seen.users) {
        seen.users = p.users;
        seen.userNames = [...p.userNames];
      }
      for (const c of p.callers) {
        const same = seen.callers.find((x) => x.user === c.user && x.site === c.site);
        if (same) {
          same.allocs += c.allocs;
          same.frees += c.frees;
        } else seen.callers.push({ ...c });
      }
    }
  }
  return [...byKey.values()];
}

/** The `@0x...` pseudo address of a pool (items of pool N are at N * 2^32 + slot * stride). */
export function poolAddress(id: number): string {
  return '0x' + (id * 2 ** 32).toString(16);
}

function callerLine(c: PoolCallerStat): string {
  return `      caller: ${c.site} for '${c.user}': ${c.allocs} allocs, ${c.frees} frees\n`;
}

/**
 * Renders `show pools` for `views` (one per thread) and the command arguments after "show pools".
 * Default order is by item size, ascending (HAProxy's pool list order); `byname` sorts by name,
 * `bysize` by size descending, `byusage` by allocated bytes descending and skips unused pools;
 * `match <pfx>` keeps pools whose name starts with pfx; a number limits the lines. `detailed` adds,
 * under each pool, its kind, real size, the declared pools merged into it and, with `-dMcaller`,
 * allocations and frees per call site. Bad arguments give the syntax text instead.
 */
export function renderShowPools(views: readonly PoolsView[], args: readonly string[]): string {
  const req = parseArgs(args);
  if (typeof req === 'string') return req;

  let pools = mergeThreads(views)
    .map((p, i) => ({ p, i }))
    .sort((x, y) => x.p.size - y.p.size || x.i - y.i)
    .map((x) => x.p);
  if (req.by === 3) pools = pools.filter((p) => p.allocated > 0);
  if (req.prefix !== undefined) pools = pools.filter((p) => p.name.startsWith(req.prefix as string));
  pools = pools.slice(0, MAX_ENTRIES);
  if (req.by === 1) pools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  else if (req.by === 2) pools.sort((a, b) => b.size - a.size);
  else if (req.by === 3) pools.sort((a, b) => b.allocated * b.size - a.allocated * a.size);

  const max = !req.max || req.max >= MAX_ENTRIES ? MAX_ENTRIES : req.max;
  let out = 'Dumping pools usage';
  if (pools.length >= max) out += ` (limited to the first ${max} entries)`;
  out += '. Use SIGQUIT to flush them.\n';

  let allocated = 0;
  let used = 0;
  let cached = 0;
  for (const p of pools.slice(0, max)) {
    out +=
      `  - Pool ${p.name} (${p.size} bytes) : ${p.allocated} allocated (${p.allocated * p.size} bytes), ` +
      `${p.used} used (~${p.cached} by thread caches), needed_avg ${p.neededAvg}, ${p.failures} failures, ` +
      `${p.users} users, @${poolAddress(p.id)}${p.shared ? ' [SHARED]' : ''}\n`;
    if (req.detailed) {
      out += `      kind: ${p.kind}, real size: ${p.realSize}, users: ${p.userNames.join(', ')}\n`;
      for (const c of [...p.callers].sort((a, b) => b.allocs - a.allocs || b.frees - a.frees)) out += callerLine(c);
    }
    allocated += p.allocated * p.size;
    used += p.used * p.size;
    cached += p.cached * p.size;
  }
  out += `Total: ${pools.length} pools, ${allocated} bytes allocated, ${used} used (~${cached} by thread caches).\n`;
  return out;
}
