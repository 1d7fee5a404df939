/**
 * Consistent hashing (`hash-type consistent`; HAProxy src/lb_chash.c) for `balance source` and
 * `balance uri`.
 *
 * configuration.txt §4.2 "hash-type consistent": the hash table is a tree filled with many
 * occurrences of each server; the hash key is looked up in the tree and the closest server is
 * chosen. It is dynamic (weights may change at runtime), and when a server goes down or up only
 * its own share of the keys moves, which suits caches.
 *
 * Each server owns eweight = weight x 16 ring points at full_hash(id x 4096 + n). A key goes to
 * the server of the nearest point (the one before wins ties). Without hash input the ring is
 * walked round robin from the last point used (chash_get_next_server()), skipping saturated
 * servers. A runtime weight above the initial one gets its extra points (as HAProxy 2.x
 * reallocates them). Checked against HAProxy 2.6.12: see test/proxy/lb/haproxy-vectors.ts.
 */
import type { PickContext } from './lb.types.ts';
import { BE_WEIGHT_SCALE, Farm, SRV_EWGHT_MAX, hasRoom } from './farm.ts';
import type { LbAlgorithm, Slot } from './farm.ts';
import { fullHash } from './hash.ts';
import { KeyList } from './keylist.ts';
import type { HashKeyFn } from './map.ts';

interface Point {
  readonly slot: Slot;
  readonly key: number;
}

/** Creates a consistent-hashing algorithm over `farm`, hashing requests with `keyOf`. */
export function createChash(farm: Farm, keyOf: HashKeyFn): LbAlgorithm {
  const act = new KeyList<Point>();
  const bck = new KeyList<Point>();
  const points = new Map<Slot, Point[]>();
  const present = new Map<Slot, number>();
  let last: Point | undefined;

  const ringOf = (slot: Slot): KeyList<Point> => (slot.srv.backup ? bck : act);

  function pointsOf(slot: Slot, n: number): Point[] {
    const list = points.get(slot) ?? [];
    while (list.length < n) {
      list.push({ slot, key: fullHash((slot.srv.id * SRV_EWGHT_MAX + list.length) >>> 0) });
    }
    points.set(slot, list);
    return list;
  }

  function indexOf(ring: KeyList<Point>, p: Point): number {
    for (let i = ring.lowerBound(p.key); i < ring.size && ring.keyAt(i) === p.key; i++) {
      if (ring.itemAt(i) === p) return i;
    }
    return -1;
  }

  /**
   * chash_queue_dequeue_srv(): makes the server present `want` times on its ring, adding or
   * removing its last points. When the point used last by the round robin goes, the next point
   * still on the ring takes its place (chash_skip_node()).
   */
  function setPresence(slot: Slot, want: number): void {
    const ring = ringOf(slot);
    const list = pointsOf(slot, want);
    const now = present.get(slot) ?? 0;
    if (now > want) {
      const gone = new Set(list.slice(want, now));
      if (last && gone.has(last)) {
        const at = indexOf(ring, last);
        let next: Point | undefined;
        for (let n = 1; n < ring.size && !next; n++) {
          const p = ring.itemAt((at + n) % ring.size);
          if (!gone.has(p)) next = p;
        }
        last = next;
      }
      ring.removeMany(gone);
    } else if (now < want) {
      ring.insertMany(list.slice(now, want).map((p) => [p.key, p] as const));
    }
    present.set(slot, want);
  }

  /** chash_get_server_hash(). */
  function byHash(ring: KeyList<Point>, hash: number, avoid: Slot | undefined): Slot | undefined {
    if (!ring.size) return undefined;
    let ni = ring.lowerBound(hash);
    if (ni === ring.size) ni = 0;
    const pi = (ni + ring.size - 1) % ring.size;
    const dp = (hash - ring.keyAt(pi)) >>> 0;
    const dn = (ring.keyAt(ni) - hash) >>> 0;
    let i = dp <= dn ? pi : ni;
    const chosen = ring.itemAt(i).slot;
    if (chosen !== avoid) return chosen;
    for (let n = 1; n < ring.size; n++) {
      i = (i + 1) % ring.size;
      if (ring.itemAt(i).slot !== avoid) return ring.itemAt(i).slot;
    }
    return chosen;
  }

  /** chash_get_next_server(): round robin along the ring from the last point used. */
  function roundRobin(ring: KeyList<Point>, avoid: Slot | undefined): Slot | undefined {
    let i = last ? indexOf(ring, last) : -1;
    let avoided: Point | undefined;
    for (let n = 0; n < ring.size; n++) {
      i = (i + 1) % ring.size;
      const p = ring.itemAt(i);
      last = p;
      if (!hasRoom(p.slot)) continue;
      if (p.slot !== avoid) return p.slot;
      avoided = p;
    }
    if (avoided) last = avoided;
    return avoided?.slot;
  }

  return {
    dynamic: true,
    eweight: (uweight) => uweight * BE_WEIGHT_SCALE,

    init(): void {
      for (const ring of [act, bck]) {
        const entries: (readonly [number, Point])[] = [];
        for (const slot of farm.slots) {
          if (!slot.curUsable || ringOf(slot) !== ring) continue;
          for (const p of pointsOf(slot, slot.curEw)) entries.push([p.key, p]);
          present.set(slot, slot.curEw);
        }
        ring.insertMany(entries);
      }
    },

    update(slot: Slot): void {
      setPresence(slot, slot.nextUsable ? slot.nextEw : 0);
    },

    pick(ctx: PickContext, avoid: Slot | undefined): Slot | undefined {
      let ring: KeyList<Point>;
      if (farm.srvAct) ring = act;
      else if (farm.fbck) return farm.fbck;
      else if (farm.srvBck) ring = bck;
      else return undefined;
      if (!ring.size) return undefined;
      const key = keyOf(ctx);
      if (key !== undefined) return byHash(ring, key, avoid);
      return roundRobin(ring, avoid);
    },
  };
}
