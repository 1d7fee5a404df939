/**
 * `balance roundrobin`: HAProxy's Fast Weighted Round Robin (src/lb_fwrr.c), ported step for step.
 *
 * configuration.txt §4.2 "balance roundrobin": each server is used in turns according to its
 * weight; the algorithm is dynamic (weights change on the fly, slow starts) and is the smoothest
 * and fairest when processing times are even. How it works: each group (active, backup) has
 * three trees. `init` holds servers not yet scheduled in this round, heaviest first; `curr` holds
 * scheduled servers ordered by their next position `npos`; `next` holds servers whose next
 * position falls beyond the current window. Every pick advances `currPos` by one; a server of
 * effective weight w is rescheduled `totalWeight / w` positions further (with the remainder
 * carried in `rweight`), so a server of weight 5 among 7 comes back every 1.4 positions and
 * picks are interleaved rather than bunched. A weight change only moves the changed server in
 * the current window (fwrr_update_server_weight()), so the others keep their place.
 */
import type { PickContext } from './lb.types.ts';
import { BE_WEIGHT_SCALE, Farm, SRV_EWGHT_MAX, SRV_UWGHT_RANGE, hasRoom } from './farm.ts';
import type { LbAlgorithm, Slot } from './farm.ts';
import { KeyList } from './keylist.ts';

interface Group {
  readonly curr: KeyList<RrSrv>;
  init: KeyList<RrSrv>;
  next: KeyList<RrSrv>;
  currPos: number;
  currWeight: number;
  nextWeight: number;
}

interface RrSrv {
  readonly slot: Slot;
  readonly grp: Group;
  npos: number;
  lpos: number;
  rweight: number;
  /** HAProxy lb_tree: the tree the server belongs to, kept while it is temporarily dequeued. */
  tree: KeyList<RrSrv> | null;
  /** The tree it is physically in, and its key there (eb32 node state). */
  inList: KeyList<RrSrv> | null;
  key: number;
}

function newGroup(): Group {
  return { curr: new KeyList(), init: new KeyList(), next: new KeyList(), currPos: 0, currWeight: 0, nextWeight: 0 };
}

/** Creates the roundrobin algorithm over `farm`. */
export function createFwrr(farm: Farm): LbAlgorithm {
  const act = newGroup();
  const bck = newGroup();
  const rr = new Map<Slot, RrSrv>();
  for (const slot of farm.slots) {
    rr.set(slot, { slot, grp: slot.srv.backup ? bck : act, npos: 0, lpos: 0, rweight: 0, tree: null, inList: null, key: 0 });
  }
  const of = (slot: Slot): RrSrv => rr.get(slot)!;

  function dequeue(s: RrSrv): void {
    if (s.inList) s.inList.remove(s.key, s);
    s.inList = null;
  }

  function insert(list: KeyList<RrSrv>, s: RrSrv, key: number): void {
    s.key = key;
    list.insert(key, s);
    s.inList = list;
    s.tree = list;
  }

  /** fwrr_queue_by_weight(): heavier servers first. */
  function queueByWeight(list: KeyList<RrSrv>, s: RrSrv): void {
    insert(list, s, SRV_EWGHT_MAX - s.slot.nextEw);
  }

  /** fwrr_queue_srv(): into `curr` at npos, or into `next` when beyond the window. */
  function queueSrv(s: RrSrv): void {
    const grp = s.grp;
    const ew = s.slot.nextEw;
    if (!s.slot.nextUsable) {
      s.tree = null;
    } else if (ew <= 0 || s.npos >= 2 * grp.currWeight || s.npos >= grp.currWeight + grp.nextWeight) {
      s.npos -= grp.currWeight;
      queueByWeight(grp.next, s);
    } else {
      insert(grp.curr, s, SRV_UWGHT_RANGE * s.npos + Math.floor((SRV_EWGHT_MAX + s.rweight - ew) / BE_WEIGHT_SCALE));
    }
  }

  /** fwrr_get_srv(): prepares a server being extracted from its tree. */
  function getSrv(s: RrSrv): void {
    const grp = s.grp;
    if (s.tree === grp.init) {
      s.npos = s.rweight = 0;
    } else if (s.tree === grp.next) {
      s.npos += grp.currWeight;
    } else if (s.tree === null) {
      s.npos = grp.currPos;
    }
  }

  function switchTrees(grp: Group): void {
    const swap = grp.init;
    grp.init = grp.next;
    grp.next = swap;
    grp.currWeight = grp.nextWeight;
    grp.currPos = grp.currWeight;
  }

  /** fwrr_get_server_from_group(). */
  function fromGroup(grp: Group): RrSrv | undefined {
    let s1: RrSrv | undefined;
    if (grp.curr.size) {
      s1 = grp.curr.itemAt(0);
      if (s1.slot.curEw && s1.npos <= grp.currPos) return s1;
    }
    if (grp.init.size) {
      const s2 = grp.init.itemAt(0);
      if (s2.slot.curEw) {
        s2.npos = s2.rweight = 0;
        return s2;
      }
    }
    return s1;
  }

  /** fwrr_update_position(). */
  function updatePosition(grp: Group, s: RrSrv): void {
    const ew = s.slot.curEw;
    if (!ew) return;
    if (!s.npos) s.npos = grp.currPos;
    s.lpos = s.npos;
    s.npos += Math.floor(grp.nextWeight / ew);
    s.rweight += grp.nextWeight % ew;
    if (s.rweight >= ew) {
      s.rweight -= ew;
      s.npos++;
    }
  }

  function setUp(s: RrSrv): void {
    const grp = s.grp;
    grp.nextWeight += s.slot.nextEw;
    getSrv(s);
    s.npos = grp.currPos + Math.floor((grp.nextWeight + grp.currWeight - grp.currPos) / s.slot.nextEw);
    queueSrv(s);
  }

  function setDown(s: RrSrv): void {
    s.grp.nextWeight -= s.slot.curEw;
    dequeue(s);
    s.tree = null;
  }

  function updateWeight(s: RrSrv): void {
    const grp = s.grp;
    grp.nextWeight = grp.nextWeight - s.slot.curEw + s.slot.nextEw;
    if (s.tree === grp.init) {
      dequeue(s);
      queueByWeight(grp.init, s);
    } else if (!s.tree) {
      dequeue(s);
      getSrv(s);
      s.npos = grp.currPos + Math.floor((grp.nextWeight + grp.currWeight - grp.currPos) / s.slot.nextEw);
      queueSrv(s);
    } else {
      getSrv(s);
      if (s.slot.nextEw > 0) {
        const prevNext = s.npos;
        const step = Math.floor(grp.nextWeight / s.slot.nextEw);
        s.npos = s.lpos + step;
        s.rweight = 0;
        if (s.npos > prevNext) s.npos = prevNext;
        if (s.npos < grp.currPos + 2) s.npos = grp.currPos + step;
      } else {
        s.npos = grp.currPos + grp.currWeight;
      }
      dequeue(s);
      queueSrv(s);
    }
  }

  return {
    dynamic: true,
    eweight: (uweight) => uweight * BE_WEIGHT_SCALE,

    init(): void {
      for (const grp of [act, bck]) {
        grp.currPos = grp.currWeight = grp.nextWeight = grp === act ? farm.totWact : farm.totWbck;
      }
      for (const slot of farm.slots) {
        if (slot.curUsable) queueByWeight(of(slot).grp.init, of(slot));
      }
    },

    update(slot: Slot): void {
      const s = of(slot);
      if (!slot.curUsable && slot.nextUsable) setUp(s);
      else if (slot.curUsable && !slot.nextUsable) setDown(s);
      else if (slot.curUsable && slot.nextUsable) updateWeight(s);
    },

    pick(_ctx: PickContext, avoid: Slot | undefined): Slot | undefined {
      let grp: Group;
      if (farm.srvAct) grp = act;
      else if (farm.fbck) return farm.fbck;
      else if (farm.srvBck) grp = bck;
      else return undefined;

      let switched = false;
      let avoided: RrSrv | undefined;
      const full: RrSrv[] = [];
      let srv: RrSrv | undefined;
      let take = false;
      outer: for (;;) {
        if (!grp.currWeight) grp.currPos = grp.currWeight = grp.nextWeight;
        for (;;) {
          srv = fromGroup(grp);
          if (srv) break;
          if (switched) {
            if (avoided) {
              srv = avoided;
              take = true;
            }
            break outer;
          }
          switched = true;
          switchTrees(grp);
        }
        updatePosition(grp, srv);
        dequeue(srv);
        grp.currPos++;
        if (hasRoom(srv.slot)) {
          if (srv.slot !== avoid || avoided) {
            take = true;
            break;
          }
          avoided = srv;
        }
        full.push(srv);
      }
      if (take && srv) queueSrv(srv);
      else srv = undefined;
      // Requeue the saturated or avoided servers extracted on the way, last extracted first.
      for (let i = full.length - 1; i >= 0; i--) {
        const f = full[i];
        if (f === srv) continue;
        if (switched) queueByWeight(grp.init, f);
        else queueSrv(f);
      }
      return srv?.slot;
    },
  };
}
