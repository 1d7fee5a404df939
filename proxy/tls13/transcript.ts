/**
 * The handshake transcript hash (RFC 8446 section 4.4.1): the hash of the concatenated handshake
 * messages (headers included, no record or CRYPTO framing), taken at several points of the handshake.
 *
 * The hash function is known only once ServerHello names the cipher suite, so messages added before
 * `selectHash` are kept and hashed then. After a HelloRetryRequest the first ClientHello is replaced by
 * the synthetic `message_hash` message (`254 00 00 Hash.length || Hash(ClientHello1)`).
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { HashName } from './cipher-suites.ts';
import { hashLength } from './cipher-suites.ts';
import { HANDSHAKE_TYPE } from './tls13.types.ts';

/** Transcript-Hash(messages) in one call. */
export function transcriptHash(hash: HashName, messages: readonly Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const m of messages) h.update(m);
  return new Uint8Array(h.digest());
}

/** The running transcript of one connection. */
export class Transcript {
  private pending: Uint8Array[] = [];
  private running: Hash | undefined;
  private name: HashName | undefined;
  private count = 0;
  private replaced = false;

  /** The hash function, once selected. */
  get hash(): HashName | undefined {
    return this.name;
  }

  /** Number of messages added (a message_hash counts as one). */
  get messageCount(): number {
    return this.count;
  }

  /** Adds one whole handshake message (4-byte header and body). */
  add(message: Uint8Array): void {
    this.count++;
    if (this.running) this.running.update(message);
    else this.pending.push(message);
  }

  /** Fixes the hash function (from the negotiated suite) and hashes what was buffered. Throws if called twice with another hash. */
  selectHash(hash: HashName): void {
    if (this.name) {
      if (this.name !== hash) throw new Error(`transcript hash already ${this.name}, cannot switch to ${hash}`);
      return;
    }
    this.name = hash;
    this.running = createHash(hash);
    for (const m of this.pending) this.running.update(m);
    this.pending = [];
  }

  /** Transcript-Hash of everything added so far. Throws if no hash was selected (caller's bug). */
  digest(): Uint8Array {
    if (!this.running) throw new Error('transcript digest before the hash function is known');
    return new Uint8Array(this.running.copy().digest());
  }

  /**
   * Replaces ClientHello1 by message_hash(ClientHello1) (section 4.4.1), to be called after the hash is
   * selected from the HelloRetryRequest and before the HelloRetryRequest is added. Throws unless the
   * transcript holds exactly one message.
   */
  replaceWithMessageHash(): void {
    if (!this.running || !this.name) throw new Error('message_hash before the hash function is known');
    if (this.count !== 1 || this.replaced) throw new Error(`message_hash must replace exactly ClientHello1 (have ${this.count} messages)`);
    this.replaced = true;
    const digest = this.running.digest();
    const len = hashLength(this.name);
    this.running = createHash(this.name);
    this.running.update(Uint8Array.of(HANDSHAKE_TYPE.message_hash, 0, 0, len));
    this.running.update(digest);
  }
}
