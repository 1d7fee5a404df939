/**
 * Shared setup of the connection tests: TLS configurations from the tls13 test fixtures and a
 * pair factory.
 */
import { credentials, testCa } from '../tls13/handshake-pair.ts';
import { QuicPair, type PairOptions } from '../../../proxy/quic/testing/pair.ts';
import type { ConnectionEvent } from '../../../proxy/quic/connection.types.ts';

const ecdsa = credentials('ecdsa-chain.pem', 'ecdsa-leaf.key');

/** A pair with the fixture ECDSA chain, ALPN h3, the client checking the chain against the test CA. */
export function makePair(o: Partial<PairOptions> & { suites?: number[] } = {}): QuicPair {
  return new QuicPair({
    seed: 1,
    client: {
      role: 'client',
      config: { serverName: 'localhost', alpn: ['h3'], verify: { mode: 'ca', ca: [testCa()] }, cipherSuites: o.suites },
    },
    server: { role: 'server', config: { credentials: ecdsa, alpn: ['h3'], cipherSuites: o.suites } },
    ...o,
  });
}

/** Concatenated bytes. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Deterministic test data of `n` bytes. */
export function pattern(n: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n);
  let x = (salt * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Runs the pair until both sides confirmed the handshake; false when it did not within `within` ms. */
export function confirmHandshake(p: QuicPair, within = 10_000): boolean {
  return p.runUntil(() => p.client.handshakeConfirmed && p.server.handshakeConfirmed, within);
}

/** Collects stream data per stream id on one side: feed it the side's events. */
export function streamCollector(): { fins: Set<number>; on: (e: ConnectionEvent) => void; bytes: (id: number) => Uint8Array; received: () => number } {
  const data = new Map<number, Uint8Array[]>();
  const fins = new Set<number>();
  let total = 0;
  return {
    fins,
    on: (e) => {
      if (e.kind !== 'stream-data') return;
      if (!data.has(e.streamId)) data.set(e.streamId, []);
      data.get(e.streamId)!.push(e.data);
      total += e.data.length;
      if (e.fin) fins.add(e.streamId);
    },
    bytes: (id) => concatBytes(data.get(id) ?? []),
    received: () => total,
  };
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
