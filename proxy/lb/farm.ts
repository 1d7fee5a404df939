/**
 * The state a backend's load-balancing algorithm works on: one slot per server with its
 * committed ("current") and pending ("next") effective weight and usability, HAProxy's
 * srv_lb_status_changed()/srv_lb_commit_status() pair, and the backend totals of
 * recount_servers() and update_backend_weight(). Internal to proxy/lb/.
 */
import type { LbServer, PickContext } from './lb.types.ts';
import type { MutableServer } from './server.ts';

/** HAProxy's BE_WEIGHT_SCALE: effective weights of dynamic algorithms are user weights x 16. */
export const BE_WEIGHT_SCALE = 16;
/** HAProxy's SRV_EWGHT_MAX (= SRV_EWGHT_RANGE): 256 x BE_WEIGHT_SCALE. */
export const SRV_EWGHT_MAX = 256 * BE_WEIGHT_SCALE;
/** HAProxy's SRV_UWGHT_RANGE. */
export const SRV_UWGHT_RANGE = 256;

/** One server as the algorithms see it. */
export interface Slot {
  readonly srv: MutableServer;
  /** Declaration order. */
  readonly index: number;
  /** Committed effective weight (HAProxy cur_eweight) and the one being applied (next_eweight). */
  curEw: number;
  nextEw: number;
  /** Committed usability (srv_currently_usable()) and the one being applied (srv_willbe_usable()). */
  curUsable: boolean;
  nextUsable: boolean;
}

/** What every algorithm implements (HAProxy's lbprm callbacks). */
export interface LbAlgorithm {
  /** HAProxy's BE_LB_PROP_DYN: weights may change at runtime to any value. */
  readonly dynamic: boolean;
  /** Effective weight for a user weight (before usability). */
  eweight(uweight: number): number;
  /** Builds the structures from the farm's committed state (called once). */
  init(): void;
  /**
   * Applies a slot whose next values differ from its current ones (up, down or weight change);
   * the farm commits and recounts afterwards.
   */
  update(slot: Slot): void;
  /** Chooses a server, or undefined when none is usable or all are saturated. */
  pick(ctx: PickContext, avoid: Slot | undefined): Slot | undefined;
  /** A connection was handed to / released by the server (HAProxy server_take/drop_conn). */
  reposition?(slot: Slot): void;
}

/** True when the server has a free connection slot and nobody waits for one (not saturated). */
export function hasRoom(s: Slot): boolean {
  return !s.srv.maxconn || (!s.srv.queued && s.srv.cur < s.srv.maxconn);
}

/** The servers of a backend and the totals HAProxy keeps in its proxy and lbprm structures. */
export class Farm {
  readonly slots: Slot[];
  private readonly bySrv = new Map<LbServer, Slot>();
  /** Usable active / backup servers (HAProxy srv_act, srv_bck). */
  srvAct = 0;
  srvBck = 0;
  /** First usable backup server in declaration order (HAProxy lbprm.fbck). */
  fbck: Slot | undefined;
  /** Sum of the effective weights of usable active / backup servers. */
  totWact = 0;
  totWbck = 0;
  /** Weight and count of the servers in use (actives, else the first backup). */
  totWeight = 0;
  totUsed = 0;

  constructor(servers: readonly MutableServer[]) {
    this.slots = servers.map((srv, index) => ({
      srv,
      index,
      curEw: 0,
      nextEw: 0,
      curUsable: false,
      nextUsable: false,
    }));
    for (const s of this.slots) this.bySrv.set(s.srv, s);
  }

  /** The slot of a server of this farm, or undefined for a foreign server. */
  slotOf(server: LbServer): Slot | undefined {
    return this.bySrv.get(server);
  }

  /** HAProxy recount_servers() + update_backend_weight(), from the committed state. */
  recount(): void {
    this.srvAct = this.srvBck = this.totWact = this.totWbck = 0;
    this.fbck = undefined;
    for (const s of this.slots) {
      if (!s.curUsable) continue;
      if (s.srv.backup) {
        this.srvBck++;
        this.totWbck += s.curEw;
        this.fbck ??= s;
      } else {
        this.srvAct++;
        this.totWact += s.curEw;
      }
    }
    if (this.srvAct) {
      this.totWeight = this.totWact;
      this.totUsed = this.srvAct;
    } else if (this.fbck) {
      this.totWeight = this.fbck.curEw;
      this.totUsed = 1;
    } else {
      this.totWeight = this.totWbck;
      this.totUsed = this.srvBck;
    }
  }
}
