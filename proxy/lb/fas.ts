/**
 * `balance first`: HAProxy's First Available Server (src/lb_fas.c).
 *
 * configuration.txt §4.2 "balance first": the first server with available connection slots
 * receives the connection, servers being taken from the lowest numeric id to the highest (`id`
 * keyword, by default the position in the backend). Once a server reaches its maxconn the next
 * one is used, so `maxconn` should be set. Weights are ignored except that weight 0 takes the
 * server out. The point is to use as few servers as possible (others can be powered down).
 */
import type { PickContext } from './lb.types.ts';
import { BE_WEIGHT_SCALE, Farm, hasRoom } from './farm.ts';
import type { LbAlgorithm, Slot } from './farm.ts';
import { KeyList } from './keylist.ts';

/** Creates the first algorithm over `farm`. */
export function createFas(farm: Farm): LbAlgorithm {
  const act = new KeyList<Slot>();
  const bck = new KeyList<Slot>();
  const treeOf = (slot: Slot): KeyList<Slot> => (slot.srv.backup ? bck : act);

  return {
    dynamic: true,
    eweight: (uweight) => uweight * BE_WEIGHT_SCALE,

    init(): void {
      for (const slot of farm.slots) if (slot.curUsable) treeOf(slot).insert(slot.srv.id, slot);
    },

    update(slot: Slot): void {
      if (slot.curUsable) treeOf(slot).remove(slot.srv.id, slot);
      if (slot.nextUsable) treeOf(slot).insert(slot.srv.id, slot);
    },

    pick(_ctx: PickContext, avoid: Slot | undefined): Slot | undefined {
      let tree: KeyList<Slot>;
      if (farm.srvAct) tree = act;
      else if (farm.fbck) return farm.fbck;
      else if (farm.srvBck) tree = bck;
      else return undefined;
      let avoided: Slot | undefined;
      for (let i = 0; i < tree.size; i++) {
        const slot = tree.itemAt(i);
        if (!hasRoom(slot)) continue;
        if (slot !== avoid) return slot;
        avoided = slot;
      }
      return avoided;
    },
  };
}
