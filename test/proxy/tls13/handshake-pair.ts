/**
 * An in-memory wiring of a ClientHandshake and a ServerHandshake (DESIGN.md convention 5): every
 * `send` event is delivered to the peer at its level, optionally split into small chunks, until both
 * sides are complete or one failed. Shared by the engine tests.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { ClientHandshake } from '../../../proxy/tls13/client.ts';
import { ServerHandshake } from '../../../proxy/tls13/server.ts';
import { loadServerCredentials } from '../../../proxy/tls13/certificate-chain.ts';
import type { ServerCredentials } from '../../../proxy/tls13/certificate-chain.ts';
import type { HandshakeEvent } from '../../../proxy/tls13/handshake.types.ts';

const FIX = new URL('./fixtures/', import.meta.url);

/** A fixture file's text (certificates made with openssl for these tests; see fixtures/). */
export const fixture = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');

/** Loads a fixture chain and key, throwing on failure (test setup). */
export function credentials(chain: string, key: string): ServerCredentials {
  const r = loadServerCredentials(fixture(chain), fixture(key));
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

/** The test root CA. */
export const testCa = (): X509Certificate => new X509Certificate(fixture('ca.pem'));

/** Everything both engines emitted, by side. */
export interface PairLog {
  readonly client: HandshakeEvent[];
  readonly server: HandshakeEvent[];
}

/** Runs the handshake; `chunk` > 0 delivers sends in pieces of that many bytes. */
export function runPair(client: ClientHandshake, server: ServerHandshake, chunk = 0): PairLog {
  const log: PairLog = { client: [], server: [] };
  let toServer = client.start();
  log.client.push(...toServer);
  for (let round = 0; round < 10; round++) {
    const toClient: HandshakeEvent[] = [];
    for (const e of toServer) if (e.kind === 'send') toClient.push(...deliver(server, e, chunk));
    log.server.push(...toClient);
    toServer = [];
    for (const e of toClient) if (e.kind === 'send') toServer.push(...deliver(client, e, chunk));
    log.client.push(...toServer);
    if (toServer.length === 0) break;
  }
  return log;
}

function deliver(to: ClientHandshake | ServerHandshake, e: HandshakeEvent & { kind: 'send' }, chunk: number): HandshakeEvent[] {
  if (chunk <= 0) return to.receive(e.level, e.bytes);
  const out: HandshakeEvent[] = [];
  for (let i = 0; i < e.bytes.length; i += chunk) out.push(...to.receive(e.level, e.bytes.subarray(i, i + chunk)));
  return out;
}

/** The secret installed for (level, direction), or undefined. */
export function secretOf(events: readonly HandshakeEvent[], level: string, direction: string): Uint8Array | undefined {
  for (const e of events) if (e.kind === 'install-keys' && e.level === level && e.direction === direction) return e.secret;
  return undefined;
}

/** The alert name of the first error event, or 'none'. */
export function alertIn(events: readonly HandshakeEvent[]): string {
  const e = events.find((x) => x.kind === 'error');
  return e?.kind === 'error' ? e.error.alert.alert : 'none';
}
