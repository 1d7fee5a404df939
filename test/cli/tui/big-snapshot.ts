/**
 * Test helper: a snapshot with 64 MiB of rings (two threads, 32 MiB `flight` ring each, full), built
 * from the sections of the golden snapshot (META, FAULT, pools, objects, ...) with the RING sections
 * replaced, through the container writer. About half a million records.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RingWriter, createRingMemory } from '../../../diag/ring.ts';
import { SECTION, decodeSnapshot, packHeaderBody, writeSnapshotFile, type SectionInput } from '../../../diag/snapshot/container.ts';

/** The committed golden snapshot (format v1, a BUG_ON on thread 1 of 2). */
export const GOLDEN = join(import.meta.dirname, '../../../fixtures/snapshots/v1-bug.fbsnap');

/** Writes the big snapshot to `path`; returns the number of records written per thread. */
export function writeBigSnapshot(path: string, ringBytes = 32 * 1024 * 1024): { perThread: number; bytes: number } {
  const c = decodeSnapshot(readFileSync(GOLDEN));
  const secs: SectionInput[] = c.sections.filter((s) => s.type !== SECTION.RING && s.type !== SECTION.OMITTED).map((s) => ({ type: s.type, payload: s.data! }));
  const perThread = 600_000;
  for (const thread of [1, 2]) {
    const sab = createRingMemory(ringBytes, thread);
    const w = new RingWriter(sab);
    for (let i = 0; i < perThread; i++) w.write(i % 4, 3 + (i % 50), 4 + (i % 300), i, 2, 3, i % 3 === 0 ? `GET /x/${i}` : undefined);
    secs.push({ type: SECTION.RING, payload: packHeaderBody({ header: { thread, ring: 'flight', layout: 1 }, body: new Uint8Array(sab) }) });
  }
  const { bytes } = writeSnapshotFile(path, secs, { maxSize: 256 * 1024 * 1024, createdAt: Date.now() });
  return { perThread, bytes };
}
