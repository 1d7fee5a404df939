/**
 * Retry or redispatch after a failed connection attempt (proxy/lb/retry.ts).
 */
import { describe, expect, it } from 'vitest';
import { shouldRedispatch } from '../../../proxy/lb/retry.ts';
import type { RetryState } from '../../../proxy/lb/retry.ts';

const base: RetryState = { attempt: 1, serverUp: true, persistent: true, activeServers: 3, algo: 'roundrobin' };

describe('shouldRedispatch', () => {
  it('never without option redispatch, or with force-persist, or with interval 0', () => {
    expect(shouldRedispatch({ retries: 3, redispatch: false }, { ...base, serverUp: false })).toBe(false);
    expect(shouldRedispatch({ retries: 3, redispatch: true }, { ...base, serverUp: false, forcePersist: true })).toBe(false);
    expect(shouldRedispatch({ retries: 3, redispatch: 0 }, { ...base, serverUp: false })).toBe(false);
  });

  it('by default (-1) on the last retry only, for a persistent request', () => {
    const got = [1, 2, 3].map((attempt) => shouldRedispatch({ retries: 3, redispatch: true }, { ...base, attempt }));
    expect(got).toEqual([false, false, true]);
  });

  it('a negative interval N redispatches on the N-th retry before the last', () => {
    const got = [1, 2, 3, 4].map((attempt) => shouldRedispatch({ retries: 4, redispatch: -2 }, { ...base, attempt }));
    expect(got).toEqual([false, false, true, false]);
  });

  it('a positive interval P redispatches on every P-th retry', () => {
    const got = [1, 2, 3, 4, 5, 6].map((attempt) => shouldRedispatch({ retries: 6, redispatch: 2 }, { ...base, attempt }));
    expect(got).toEqual([false, true, false, true, false, true]);
  });

  it('always when the server is no longer up', () => {
    expect(shouldRedispatch({ retries: 3, redispatch: true }, { ...base, serverUp: false })).toBe(true);
  });

  it('at once for a non-persistent request of a non-hashing algorithm with several servers', () => {
    const np = { ...base, persistent: false };
    expect(shouldRedispatch({ retries: 3, redispatch: true }, np)).toBe(true);
    expect(shouldRedispatch({ retries: 3, redispatch: true }, { ...np, algo: 'leastconn' })).toBe(true);
    expect(shouldRedispatch({ retries: 3, redispatch: true }, { ...np, algo: 'source' })).toBe(false);
    expect(shouldRedispatch({ retries: 3, redispatch: true }, { ...np, algo: 'uri' })).toBe(false);
    expect(shouldRedispatch({ retries: 3, redispatch: true }, { ...np, activeServers: 1 })).toBe(false);
  });
});
