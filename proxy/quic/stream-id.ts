/**
 * Stream identifiers (RFC 9000 §2.1): the least significant bit says who initiated the stream
 * (0 client, 1 server), the second whether it is bidirectional (0) or unidirectional (1); the rest
 * is the stream's index among the streams of its type, which the MAX_STREAMS limits count (§4.6).
 */

/** Endpoint roles. */
export type Role = 'client' | 'server';

/** The id of the `index`-th stream (0-based) of a type (RFC 9000 §2.1). */
export function streamId(index: number, initiator: Role, bidi: boolean): number {
  return index * 4 + (initiator === 'server' ? 1 : 0) + (bidi ? 0 : 2);
}

/** Who opened stream `id`. */
export function streamInitiator(id: number): Role {
  return id % 2 === 0 ? 'client' : 'server';
}

/** Whether stream `id` is bidirectional. */
export function isBidi(id: number): boolean {
  return Math.floor(id / 2) % 2 === 0;
}

/** The stream's index among the streams of its type (what MAX_STREAMS counts, minus one). */
export function streamIndex(id: number): number {
  return Math.floor(id / 4);
}
