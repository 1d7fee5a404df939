/**
 * The QPACK offline-interop data (/work/shared/vectors/qifs, from qpackers/qifs at da52cd9): every
 * `encoded/<encoder>/<name>.out.<capacity>.<blocked>.<ack>` file is decoded with a decoder
 * advertising that capacity and blocked-stream limit, and must give back the header lists of
 * `qifs/<name>.qif` exactly (list N is stream N). Following the interop convention (ls-qpack's
 * interop decoder), the table capacity starts at the maximum: the files carry no Set Dynamic Table
 * Capacity. The file format: blocks of an 8-byte stream id, a 4-byte length and that many bytes;
 * stream 0 carries the encoder stream.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QpackDecoder } from '../../../proxy/qpack/decoder.ts';
import type { DecodedFieldSection } from '../../../proxy/qpack/qpack.types.ts';

const ROOT = '/work/shared/vectors/qifs';

type HeaderList = [string, string][];

/** Parses a .qif file: `name<TAB>value` lines, lists separated by blank lines, `#` comments. */
function parseQif(text: string): HeaderList[] {
  const lists: HeaderList[] = [];
  let cur: HeaderList = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line === '') {
      if (cur.length > 0) lists.push(cur);
      cur = [];
      continue;
    }
    const tab = line.indexOf('\t');
    cur.push(tab < 0 ? [line, ''] : [line.slice(0, tab), line.slice(tab + 1)]);
  }
  if (cur.length > 0) lists.push(cur);
  return lists;
}

interface Replay {
  lists: Map<number, HeaderList>;
  unblocked: number;
  error?: string;
}

function replay(file: string, capacity: number, blocked: number): Replay {
  const data = readFileSync(file);
  const d = new QpackDecoder({ maxTableCapacity: capacity, maxBlockedStreams: blocked }, { initialCapacity: capacity });
  const lists = new Map<number, HeaderList>();
  const keep = (s: DecodedFieldSection) => lists.set(s.streamId, s.fields.map((f) => [f.name, f.value]));
  let unblocked = 0;
  let pos = 0;
  while (pos + 12 <= data.length) {
    const stream = Number(data.readBigUInt64BE(pos));
    const len = data.readUInt32BE(pos + 8);
    const body = data.subarray(pos + 12, pos + 12 + len);
    pos += 12 + len;
    if (stream === 0) {
      const r = d.onEncoderStream(body);
      if (r.status === 'error') return { lists, unblocked, error: `${r.error.code} ${r.error.where}@${r.error.offset}: ${r.error.message}` };
      unblocked += r.unblocked.length;
      r.unblocked.forEach(keep);
    } else {
      const r = d.decodeFieldSection(stream, body);
      if (r.status === 'error') return { lists, unblocked, error: `${r.error.code} ${r.error.where}@${r.error.offset}: ${r.error.message}` };
      if (r.status === 'decoded') keep(r.section);
    }
    d.takeDecoderStream();
  }
  if (pos !== data.length) return { lists, unblocked, error: `trailing ${data.length - pos} bytes` };
  if (d.blockedStreams > 0) return { lists, unblocked, error: `${d.blockedStreams} streams still blocked at the end` };
  return { lists, unblocked };
}

const available = existsSync(join(ROOT, 'encoded'));
const encoders = available ? readdirSync(join(ROOT, 'encoded')).sort() : [];
const qifCache = new Map<string, HeaderList[]>();
const qif = (name: string) => {
  let l = qifCache.get(name);
  if (!l) qifCache.set(name, (l = parseQif(readFileSync(join(ROOT, 'qifs', `${name}.qif`), 'latin1'))));
  return l;
};

describe.skipIf(!available)('QPACK offline interop (qifs)', () => {
  it('has the three encoders and 144 encoded files', () => {
    expect(encoders).toEqual(['ls-qpack', 'nghttp3', 'quinn']);
    const files = encoders.flatMap((e) => readdirSync(join(ROOT, 'encoded', e)));
    expect(files.length).toBe(144);
  });

  for (const encoder of encoders) {
    it(`decodes every ${encoder} file back to its .qif`, () => {
      const files = readdirSync(join(ROOT, 'encoded', encoder)).sort();
      const failures: string[] = [];
      let sections = 0;
      let blockingFiles = 0;
      for (const f of files) {
        const m = /^(.+)\.out\.(\d+)\.(\d+)\.([01])$/.exec(f);
        expect(m, `unexpected file name ${f}`).not.toBeNull();
        const [, name, cap, blocked] = m!;
        const want = qif(name);
        const got = replay(join(ROOT, 'encoded', encoder, f), Number(cap), Number(blocked));
        if (got.unblocked > 0) blockingFiles++;
        // quinn risks blocking whenever allowed; with 0 blocked streams any blocking is an error above.
        if (encoder === 'quinn' && Number(blocked) > 0 && Number(cap) > 0 && got.unblocked === 0) failures.push(`${f}: never blocked`);
        if (got.error) {
          failures.push(`${f}: ${got.error}`);
          continue;
        }
        if (got.lists.size !== want.length) failures.push(`${f}: ${got.lists.size} header lists, want ${want.length}`);
        for (let i = 0; i < want.length; i++) {
          const g = got.lists.get(i + 1);
          if (JSON.stringify(g) !== JSON.stringify(want[i])) {
            failures.push(`${f}: list ${i + 1} differs`);
            break;
          }
          sections++;
        }
      }
      expect(failures).toEqual([]);
      expect(files.length).toBe(48);
      expect(sections).toBeGreaterThan(48 * 100);
      // Blocked streams (decoded when the encoder stream caught up) occur in quinn's output only.
      expect(blockingFiles).toBe(encoder === 'quinn' ? 18 : 0);
    });
  }
});
