/**
 * Whether a failed connection attempt is retried on the same server or redispatched to another
 * one (HAProxy's stream retry logic, src/stream.c sess_update_st_cer() / back_handle_st_cer()).
 *
 * configuration.txt §4.2 "retries": the number of times a connection attempt is retried after a
 * failure (default 3). "option redispatch [<interval>]": allows a retry to go to another server,
 * breaking persistence. A positive interval P redispatches on every P-th retry; a negative one N
 * on the N-th retry before the last (the default, -1, is the last retry); 0 disables redispatch.
 * Besides that, a non-persistent request of a non-hashing algorithm (roundrobin, leastconn,
 * first) with more than one usable active server is redispatched at once, since it does not
 * care about this particular server, and a request whose server is no longer up always is.
 */
import type { BalanceAlgo } from './lb.types.ts';

/** A backend's `retries` and `option redispatch` settings. */
export interface RetryPolicy {
  /** `retries` (HAProxy's default is 3). */
  retries: number;
  /** `option redispatch [<interval>]`: false when not set; `true` means the default interval -1. */
  redispatch: boolean | number;
}

/** The state of the request whose connection attempt failed. */
export interface RetryState {
  /** Retries performed so far, this one included (1 for the first retry). */
  attempt: number;
  /** The server of the failed attempt is still up (operationally up and not in maintenance). */
  serverUp: boolean;
  /** The server was chosen by persistence (cookie, stick table) rather than by the algorithm. */
  persistent: boolean;
  /** A `force-persist` rule matched: never redispatch. */
  forcePersist?: boolean;
  /** Usable active servers of the backend. */
  activeServers: number;
  algo: BalanceAlgo;
}

/** True when retry number `state.attempt` should be load-balanced again instead of reusing the server. */
export function shouldRedispatch(policy: RetryPolicy, state: RetryState): boolean {
  if (policy.redispatch === false || state.forcePersist) return false;
  const interval = policy.redispatch === true ? -1 : policy.redispatch;
  if (interval === 0) return false;
  if (!state.serverUp) return true;
  if (interval > 0 && state.attempt % interval === 0) return true;
  if (interval < 0) {
    const period = policy.retries + 1 + interval;
    if (period > 0 && state.attempt % period === 0) return true;
  }
  const hashing = state.algo === 'source' || state.algo === 'uri';
  return !state.persistent && state.activeServers > 1 && !hashing;
}
