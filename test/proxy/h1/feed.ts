/**
 * Test helper for the sans-IO request parser: feeds one input whole, one byte at a time and in
 * seeded random splits, checks that every way gives the same events, and returns them normalised
 * (adjacent `data` events merged and shown as Latin-1 text, heads as plain objects).
 */
import { expect } from 'vitest';
import { createRequestParser } from '../../../proxy/h1/parser.ts';
import type { H1Event, H1ParserOptions } from '../../../proxy/h1/h1.types.ts';

export type Norm =
  | { type: 'data'; text: string }
  | { type: 'end' }
  | { type: 'trailers'; headers: [string, string][] }
  | { type: 'error'; status: number; code: string; reason: string; offset: number }
  | ({ type: 'head' } & Record<string, unknown>);

export const OPTS: H1ParserOptions = { maxHeaderBytes: 16384, maxHeaders: 101 };

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function bytes(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
}

/** Merges adjacent data events and turns events into plain comparable objects. */
export function normalize(events: H1Event[]): Norm[] {
  const out: Norm[] = [];
  for (const ev of events) {
    if (ev.type === 'data') {
      const text = Buffer.from(ev.bytes.buffer, ev.bytes.byteOffset, ev.bytes.byteLength).toString('latin1');
      const last = out[out.length - 1];
      if (last && last.type === 'data') last.text += text;
      else out.push({ type: 'data', text });
    } else if (ev.type === 'head') {
      out.push({ ...ev } as Norm);
    } else out.push({ ...ev } as Norm);
  }
  return out;
}

export interface FeedOptions {
  opts?: H1ParserOptions;
  /** Call end() after the input (peer closed). */
  end?: boolean;
  /** Call timeout() after the input. */
  timeout?: boolean;
}

function run(chunks: Uint8Array[], f: FeedOptions): { events: Norm[]; state: string } {
  const p = createRequestParser(f.opts ?? OPTS);
  const events: H1Event[] = [];
  for (const c of chunks) events.push(...p.push(c));
  if (f.end) events.push(...p.end());
  if (f.timeout) events.push(...p.timeout());
  return { events: normalize(events), state: p.state };
}

/** Splits `buf` at random points (1..max bytes per piece), copying each piece into its own buffer. */
export function randomSplits(buf: Uint8Array, seed: number, max = 17): Uint8Array[] {
  const rnd = prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(Uint8Array.from(buf.subarray(i, i + n)));
    i += n;
  }
  return out;
}

/**
 * Parses `input` whole, byte by byte and in 6 seeded random splittings; asserts identical events
 * and final state, and returns the events and state of the whole-input run.
 */
export function feed(input: string | Uint8Array, f: FeedOptions = {}): { events: Norm[]; state: string } {
  const buf = bytes(input);
  const whole = run([buf], f);
  const oneByOne = run(
    Array.from(buf, (b) => Uint8Array.of(b)),
    f,
  );
  expect(oneByOne, 'one byte at a time').toEqual(whole);
  for (let seed = 1; seed <= 6; seed++) {
    expect(run(randomSplits(buf, seed, seed * 7), f), `random splits, seed ${seed}`).toEqual(whole);
  }
  return whole;
}

/** Feeds `input` (all ways) and returns the single error event it must produce, last. */
export function feedError(input: string | Uint8Array, f: FeedOptions = {}): Extract<Norm, { type: 'error' }> {
  const { events, state } = feed(input, f);
  const last = events[events.length - 1];
  expect(last?.type, `events: ${JSON.stringify(events)}`).toBe('error');
  expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
  expect(state).toBe('error');
  return last as Extract<Norm, { type: 'error' }>;
}
