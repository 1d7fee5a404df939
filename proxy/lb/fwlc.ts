/**
 * `balance leastconn`: HAProxy's Fast Weighted Least Connections (src/lb_fwlc.c, 2.x).
 *
 * configuration.txt §4.2 "balance leastconn": the server with the lowest number of connections
 * receives the connection; round robin is performed within groups of servers of the same load so
 * that all servers are used; weights are taken into account and may change on the fly.
 *
 * Servers sit in a tree keyed by (inflight + 1) x 4096 / eweight, inflight being the connections
 * served plus the requests in the server's queue, and 0 for an idle server (so idle servers are
 * always tried first, and among loaded ones the heavier weight wins ties). A server is re-keyed
 * when it takes or releases a connection and goes behind the servers of equal key: that is the
 * round robin among equals.
 */
import type { PickContext } from './lb.types.ts';
import { BE_WEIGHT_SCALE, Farm, SRV_EWGHT_MAX, hasRoom } from './farm.ts';
import type { LbAlgorithm, Slot } from './farm.ts';
import { KeyList } from './keylist.ts';

interface LcSrv {
  readonly slot: Slot;
  tree: KeyList<LcSrv> | null;
  key: number;
}

/** Creates the leastconn algorithm over `farm`. */
export function createFwlc(farm: Farm): LbAlgorithm {
  const act = new KeyList<LcSrv>();
  const bck = new KeyList<LcSrv>();
  const lc = new Map<Slot, LcSrv>();
  for (const slot of farm.slots) lc.set(slot, { slot, tree: null, key: 0 });

  function dequeue(s: LcSrv): void {
    s.tree?.remove(s.key, s);
  }

  /** fwlc_queue_srv(): keyed by load relative to weight; `tree` must be set. */
  function queue(s: LcSrv, eweight: number): void {
    const inflight = s.slot.srv.cur + s.slot.srv.queued;
    s.key = inflight ? Math.floor(((inflight + 1) * SRV_EWGHT_MAX) / eweight) : 0;
    s.tree!.insert(s.key, s);
  }

  return {
    dynamic: true,
    eweight: (uweight) => uweight * BE_WEIGHT_SCALE,

    init(): void {
      for (const slot of farm.slots) {
        if (!slot.curUsable) continue;
        const s = lc.get(slot)!;
        s.tree = slot.srv.backup ? bck : act;
        queue(s, slot.curEw);
      }
    },

    update(slot: Slot): void {
      const s = lc.get(slot)!;
      if (s.tree) dequeue(s);
      if (!slot.nextUsable) {
        s.tree = null;
        return;
      }
      s.tree = slot.srv.backup ? bck : act;
      queue(s, slot.nextEw);
    },

    reposition(slot: Slot): void {
      const s = lc.get(slot)!;
      if (!s.tree) return;
      dequeue(s);
      queue(s, slot.curEw);
    },

    pick(_ctx: PickContext, avoid: Slot | undefined): Slot | undefined {
      let tree: KeyList<LcSrv>;
      if (farm.srvAct) tree = act;
      else if (farm.fbck) return farm.fbck;
      else if (farm.srvBck) tree = bck;
      else return undefined;
      let avoided: Slot | undefined;
      for (let i = 0; i < tree.size; i++) {
        const slot = tree.itemAt(i).slot;
        if (!hasRoom(slot)) continue;
        if (slot !== avoid) return slot;
        avoided = slot;
      }
      return avoided;
    },
  };
}
