/**
 * A ServerConnOwner for tests of proxy/stream/server-conn.ts: `settled` resolves with the outcome
 * of the connection attempt (connected, or the failure's reason); every other report is ignored.
 */
import type { ServerConnOwner } from '../../../proxy/stream/server-conn.ts';

/** The attempt's outcome, as `settled` resolves it. */
export type ConnectOutcome = { ok: true } | { ok: false; reason: string };

/** An owner and the promise of its connection attempt's outcome. */
export function recordingOwner(): { o: ServerConnOwner; settled: Promise<ConnectOutcome> } {
  let settle!: (v: ConnectOutcome) => void;
  const settled = new Promise<ConnectOutcome>((r) => (settle = r));
  const o: ServerConnOwner = {
    serverConnected: () => settle({ ok: true }),
    serverConnectFailed: (reason) => settle({ ok: false, reason }),
    serverData: () => {},
    serverClosed: () => {},
    serverDrain: () => {},
    serverTimedOut: () => {},
  };
  return { o, settled };
}
