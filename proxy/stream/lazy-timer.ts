/**
 * Lazy timers: for deadlines that are pushed back or cancelled far more often than they expire
 * (`timeout http-keep-alive` / `http-request` between requests, the idle delay of a parked server
 * connection, and through InactivityTimer `timeout client/server/tunnel`, pushed back by every read
 * and write). Arming records a deadline and nothing else when a Node timer is already pending for
 * an earlier or equal date; that timer, when it fires, sleeps again for what is left, or expires.
 * This is HAProxy's way with task expiry dates (a task's `expire` is moved freely, the wake-up
 * checks it): per request, a keep-alive connection re-arms its request timer twice and a reused
 * server connection is parked and taken once, and with Node's own timers each of those unlinks and
 * relinks a Timeout in a timer list (or allocates one), reading the loop clock each time.
 *
 * Precision: a LazyTimer expires at its deadline as a setTimeout would (at the earliest, never
 * before), give or take the cached clock's age (the recorder's clock, ticked at the start of each
 * I/O callback: diag/ring.ts). A deadline moved earlier than the pending timer's date re-creates the
 * timer, so the rare shortening costs what a plain setTimeout costs.
 */
import { nowMs, tickClock } from '../../diag/ring.ts';

/** A re-armable deadline served by at most one pending Node timer (see the file comment). */
export class LazyTimer {
  /** Epoch ms when it expires; 0 while disarmed. */
  #deadline = 0;
  /** The pending Node timer and the epoch ms it fires at. */
  #timer: NodeJS.Timeout | undefined;
  #due = 0;
  readonly #onExpire: () => void;
  readonly #unref: boolean;
  /** Bound once: the callback of every Node timer this LazyTimer creates. */
  readonly #fire = (): void => {
    this.#timer = undefined;
    const deadline = this.#deadline;
    if (deadline === 0) return; // disarmed since: nothing to do, no timer left behind
    tickClock();
    const now = nowMs();
    if (deadline > now) {
      this.#schedule(now, deadline); // pushed back since this timer was set: sleep for the rest
      return;
    }
    this.#deadline = 0;
    this.#onExpire();
  };

  /**
   * `onExpire` runs once per expiry, on the event loop (the recorder's clock ticked). With `unref`,
   * a pending timer does not keep the thread's event loop alive (as Timeout.unref()).
   */
  constructor(onExpire: () => void, unref = false) {
    this.#onExpire = onExpire;
    this.#unref = unref;
  }

  /** Arms (or re-arms) it to expire `ms` milliseconds from now (ms > 0; fractions round up). */
  arm(ms: number): void {
    const now = nowMs();
    const deadline = now + Math.ceil(ms);
    this.#deadline = deadline;
    if (this.#timer !== undefined) {
      if (this.#due <= deadline) return; // fires first and sleeps again for the difference
      clearTimeout(this.#timer);
    }
    this.#schedule(now, deadline);
  }

  /** Disarms it: no expiry until the next arm(). A pending Node timer is left to fire into nothing. */
  disarm(): void {
    this.#deadline = 0;
  }

  /** Disarms it and drops its pending Node timer: for the owner's end (nothing stays scheduled). */
  cancel(): void {
    this.#deadline = 0;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** True while armed (between arm() and its expiry, disarm() or cancel()). */
  get armed(): boolean {
    return this.#deadline !== 0;
  }

  /** Epoch ms it expires at; 0 while disarmed. */
  get deadline(): number {
    return this.#deadline;
  }

  /** Creates the Node timer for `due`, `now` being the clock read by the caller. */
  #schedule(now: number, due: number): void {
    this.#due = due;
    this.#timer = setTimeout(this.#fire, due - now);
    if (this.#unref) this.#timer.unref();
  }
}

/** The writable side an InactivityTimer watches for progress (a net.Socket or tls.TLSSocket). */
export interface PendingWrites {
  /** Bytes written but not yet accepted by the kernel (node:stream's writableLength). */
  readonly writableLength: number;
}

/**
 * A socket's inactivity timeout (`timeout client`, `timeout server`, `timeout tunnel`; HAProxy
 * configuration manual 4.2): it expires when nothing was read or written for its duration. The
 * owner reports reads (read()) and writes (wrote()); a LazyTimer makes each report a deadline store,
 * where socket.setTimeout() relinks a Node timer on every read and write. Like socket.setTimeout(),
 * bytes draining to a slow peer count as activity: at its deadline, a timer whose socket's pending
 * writes shrank since the last write (or the last such check) waits one more period instead of
 * expiring. Its Node timer is unref'd, as a socket's is.
 */
export class InactivityTimer {
  #ms = 0;
  /** writableLength at the last write or progress check. */
  #pending = 0;
  readonly #sock: PendingWrites;
  readonly #timer: LazyTimer;

  /** `onIdle` runs at each expiry; the timer then stays disarmed until the next read, write or set(). */
  constructor(sock: PendingWrites, onIdle: () => void) {
    this.#sock = sock;
    this.#timer = new LazyTimer(() => {
      const pending = sock.writableLength;
      if (pending > 0 && pending !== this.#pending) {
        this.#pending = pending; // bytes left since: the peer is reading, slowly
        this.#timer.arm(this.#ms);
        return;
      }
      onIdle();
    }, true);
  }

  /** Sets the allowed inactivity, counted from now (0 or undefined: none, disarmed). */
  set(ms: number | undefined): void {
    this.#ms = ms !== undefined && ms > 0 ? ms : 0;
    if (this.#ms > 0) this.#timer.arm(this.#ms);
    else this.#timer.disarm();
  }

  /** The allowed inactivity in ms, 0 for none. */
  get ms(): number {
    return this.#ms;
  }

  /** Bytes were read: the inactivity counts from now. */
  read(): void {
    if (this.#ms > 0) this.#timer.arm(this.#ms);
  }

  /** Bytes were written (call after write()): the inactivity counts from now. */
  wrote(): void {
    if (this.#ms === 0) return;
    this.#timer.arm(this.#ms);
    this.#pending = this.#sock.writableLength;
  }

  /** Disarms it for good (the socket is done); set() may arm it again. */
  cancel(): void {
    this.#ms = 0;
    this.#timer.cancel();
  }
}
