/**
 * Test helper for the byte scanners shared by the HTTP/1.1 parsers (field-scanner.ts,
 * body-decoder.ts): runs one over an input whole, one byte at a time and in seeded random splits,
 * and checks that every way gives the same result.
 */
import { expect } from 'vitest';
import { bytes, randomSplits } from './feed.ts';

/**
 * Calls `run` with `input` whole, one byte a piece and in `seeds` seeded random splittings; asserts
 * identical results and returns the whole-input one.
 */
export function sameEverySplit<T>(input: string | Uint8Array, run: (pieces: Uint8Array[]) => T, seeds = 4): T {
  const buf = bytes(input);
  const whole = run([buf]);
  expect(run(Array.from(buf, (b) => Uint8Array.of(b))), 'one byte at a time').toEqual(whole);
  for (let seed = 1; seed <= seeds; seed++) {
    expect(run(randomSplits(buf, seed, seed * 5)), `random splits, seed ${seed}`).toEqual(whole);
  }
  return whole;
}
