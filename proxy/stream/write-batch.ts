/**
 * Write batching: what the proxy writes to a socket during one event-loop turn leaves together, at
 * the end of the turn, in one write or writev per socket.
 *
 * Why: on loopback and in most deployments a send is most of a small request's cost, and most of a
 * send is waking the peer (the client or the server) that sleeps in epoll_wait. With the writes of
 * a turn held back until every ready event was handled, one wake-up of a busy server or client
 * covers many requests, and the head and body of a response go out in a single syscall. Measured on
 * the proxy benchmark (docs/BENCHMARKS.md): about 18% less proxy CPU per request at 64 and at 256
 * connections. The latency this adds is the rest of the turn, never a timer.
 *
 * How: batchWrites() corks a socket (node:stream's cork(), so write() keeps buffering, ordering and
 * backpressure) the first time it is written in a turn, and one setImmediate per turn uncorks every
 * socket corked in it (the check phase, right after the poll phase that delivered the events).
 * end() flushes a corked socket by itself; destroy() discards what it holds, so a socket that may
 * have been written in this turn is flushed with flushWrites() before it is destroyed.
 */

/** A writable side that can hold its writes: a net.Socket or a tls.TLSSocket (anything with cork/uncork). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

const BATCH = Symbol('write-batch');
type Batched = Corkable & { [BATCH]?: boolean };

let corked: Batched[] = [];
let spare: Batched[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // Swap first: a socket written again while this flush runs starts the next turn's batch.
  const list = corked;
  corked = spare;
  let failure: unknown;
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    if (s[BATCH] !== true) continue; // flushed early by flushWrites()
    s[BATCH] = false;
    try {
      s.uncork();
    } catch (e) {
      failure ??= e; // the other sockets of the turn are still flushed
    }
  }
  list.length = 0;
  spare = list;
  if (failure !== undefined) throw failure;
}

/**
 * Holds the writes to `s` until the end of this event-loop turn (idempotent within a turn). Call it
 * before writing; the caller never uncorks for it. Writes keep their order; write()'s return value
 * still reports backpressure (the held bytes count against the high-water mark).
 */
export function batchWrites(s: Corkable): void {
  const b = s as Batched;
  if (b[BATCH] === true) return;
  b[BATCH] = true;
  s.cork();
  corked.push(b);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/**
 * Sends now what `s` holds in this turn's batch, if anything: before destroy(), which would discard
 * it, or wherever bytes written must reach the kernel before something else happens. A socket not
 * in a batch is left alone.
 */
export function flushWrites(s: Corkable): void {
  const b = s as Batched;
  if (b[BATCH] !== true) return;
  b[BATCH] = false;
  s.uncork();
}

/** True while `s` holds writes for the end of this turn (for tests and assertions). */
export function isBatched(s: Corkable): boolean {
  return (s as Batched)[BATCH] === true;
}
