/**
 * Path validation (RFC 9000 §8.2) and the path helpers of connection migration (§9): a
 * PATH_CHALLENGE with 8 unpredictable bytes is sent on the path to validate, sent again (with new
 * bytes) each PTO without an answer, and the path is validated by a PATH_RESPONSE echoing any of
 * them, received on any path (§8.2.3). Validation fails after max(3 PTO, 6 kInitialRtt) (§8.2.4).
 */
import type { RandomSource } from './cid.ts';
import type { QuicPath } from './connection.types.ts';
import { K_INITIAL_RTT } from './rtt.ts';

/** Length of PATH_CHALLENGE data (RFC 9000 §19.17). */
export const PATH_CHALLENGE_LENGTH = 8;

/** Whether two paths are the same 4-tuple. */
export function samePath(a: QuicPath, b: QuicPath): boolean {
  return a.local === b.local && a.remote === b.remote;
}

/** The host of a "host:port" address (IPv6 hosts are written without brackets). */
export function hostOf(address: string): string {
  const i = address.lastIndexOf(':');
  return i < 0 ? address : address.slice(0, i);
}

/** The time a path validation may take (RFC 9000 §8.2.4): max(3 * PTO, 6 * kInitialRtt). */
export function pathValidationTimeout(pto: number): number {
  return Math.max(3 * pto, 6 * K_INITIAL_RTT);
}

/** One validation in progress (see module doc). */
export class PathValidation {
  readonly path: QuicPath;
  readonly failAt: number;
  /** A PATH_CHALLENGE waits to be sent. */
  pending = true;
  private readonly random: RandomSource;
  private readonly sent: Uint8Array[] = [];
  private sentAt = 0;

  constructor(path: QuicPath, now: number, pto: number, random: RandomSource) {
    this.path = path;
    this.random = random;
    this.failAt = now + pathValidationTimeout(pto);
  }

  /** The data of the PATH_CHALLENGE to send now (fresh bytes each time, §8.2.1). */
  challenge(now: number): Uint8Array {
    const d = this.random(PATH_CHALLENGE_LENGTH);
    this.sent.push(d);
    this.pending = false;
    this.sentAt = now;
    return d;
  }

  /** Whether a PATH_RESPONSE with `data` answers one of our challenges (§8.2.3). */
  answers(data: Uint8Array): boolean {
    return this.sent.some((d) => d.length === data.length && d.every((b, i) => b === data[i]));
  }

  /** When something is due: the failure, or the next challenge a PTO after the last. */
  deadline(pto: number): number {
    return this.pending ? this.failAt : Math.min(this.failAt, this.sentAt + pto);
  }

  /** At `now`: `failed`, or `retry` (a new challenge is pending), or nothing due. */
  onTimeout(now: number, pto: number): 'failed' | 'retry' | 'none' {
    if (now >= this.failAt) return 'failed';
    if (!this.pending && now >= this.sentAt + pto) {
      this.pending = true;
      return 'retry';
    }
    return 'none';
  }
}
