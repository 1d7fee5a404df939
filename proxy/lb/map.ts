/**
 * Map-based hashing (`hash-type map-based`, HAProxy's default; src/lb_map.c) for `balance source`
 * and `balance uri`.
 *
 * configuration.txt §4.2 "hash-type": the hash table is a static array containing all alive
 * servers; the hash is divided by the total weight of the running servers to designate the
 * server. The same key always reaches the same server while no server goes down or up; when the
 * set changes, many keys move. The algorithm is static: runtime weights can only be 0% or 100%.
 *
 * The array has one cell per unit of effective weight (user weights divided by their GCD) and is
 * filled by recalc_server_map()'s smooth interleaving, which gives priority to the first declared
 * server. A request without hash input (no usable client address, no URI) falls back to round
 * robin over the same array (map_get_server_rr()), skipping saturated servers.
 */
import type { PickContext } from './lb.types.ts';
import { Farm, hasRoom } from './farm.ts';
import type { LbAlgorithm, Slot } from './farm.ts';

/** Computes the hash key of a request, or undefined when it has no hash input. */
export type HashKeyFn = (ctx: PickContext) => number | undefined;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Creates a map-based hashing algorithm over `farm`, hashing requests with `keyOf`. */
export function createMap(farm: Farm, keyOf: HashKeyFn): LbAlgorithm {
  // HAProxy init_server_map(): weights are divided by their greatest common divisor (wmult).
  let wmult = 0;
  for (const s of farm.slots) if (s.srv.initialWeight) wmult = gcd(s.srv.initialWeight, wmult);
  wmult ||= 1;
  let map: Slot[] = [];
  let dirty = true;
  let rrIdx = 0;

  /** recalc_server_map(). */
  function recalc(): void {
    dirty = false;
    const tot = farm.totWeight;
    map = new Array<Slot>(tot);
    if (!farm.totUsed) return;
    const group = farm.srvAct ? farm.slots.filter((s) => !s.srv.backup && s.curUsable && s.curEw) : [farm.fbck!];
    const wscore = new Map<Slot, number>(group.map((s) => [s, 0]));
    for (let o = 0; o < tot; o++) {
      let best: Slot | undefined;
      let max = 0;
      for (const cur of group) {
        if (tot === 1) {
          best = cur;
          break;
        }
        const w = wscore.get(cur)! + cur.curEw;
        wscore.set(cur, w);
        const v = Math.floor((w + tot) / tot);
        if (!best || v > max) {
          max = v;
          best = cur;
        }
      }
      map[o] = best!;
      wscore.set(best!, wscore.get(best!)! - tot);
    }
  }

  /** map_get_server_rr(). */
  function roundRobin(avoid: Slot | undefined): Slot | undefined {
    const tot = farm.totWeight;
    if (rrIdx < 0 || rrIdx >= tot) rrIdx = 0;
    let idx = rrIdx;
    let avoided: Slot | undefined;
    let avoidedIdx = 0;
    do {
      const srv = map[idx++];
      if (hasRoom(srv)) {
        if (srv !== avoid) {
          rrIdx = idx;
          return srv;
        }
        avoided = srv;
        avoidedIdx = idx;
      }
      if (idx === tot) idx = 0;
    } while (idx !== rrIdx);
    if (avoided) rrIdx = avoidedIdx;
    return avoided;
  }

  return {
    dynamic: false,
    eweight: (uweight) => Math.ceil(uweight / wmult),
    init(): void {
      dirty = true;
    },
    update(): void {
      dirty = true;
    },
    pick(ctx: PickContext, avoid: Slot | undefined): Slot | undefined {
      if (!farm.totWeight) return undefined;
      if (dirty) recalc();
      if (!farm.srvAct && farm.fbck) return farm.fbck;
      const key = keyOf(ctx);
      // map_get_server_hash(): the designated server is returned even when saturated, so that
      // the request waits in its queue rather than losing its affinity.
      if (key !== undefined) return map[key % farm.totWeight];
      return roundRobin(avoid);
    },
  };
}
