import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../diag/paths.ts';
import { SECTION, encodeSnapshot } from '../../../diag/snapshot/container.ts';
import { collectSnapshot } from '../../../diag/snapshot/collect.ts';
import { explainSnapshot } from '../../../diag/snapshot/explain.ts';
import { readSnapshot } from '../../../diag/snapshot/read.ts';
import { DECODE_JSON_SCHEMA, decodeJsonDocument, renderDecodeText } from '../../../diag/render/decode.ts';
import { buildSyntheticRecorder } from '../../../fixtures/snapshots/synthetic.ts';

const r = buildSyntheticRecorder();
const image = encodeSnapshot(collectSnapshot(r.input(Date.now())), { maxSize: 1 << 20 });
const doc = readFileSync(join(projectRoot, 'docs/decode-json.md'), 'utf8');

/** Keys of an object, and of the first element when it is an array. */
function keys(v: unknown): string[] {
  const o = Array.isArray(v) ? v[0] : v;
  return o && typeof o === 'object' ? Object.keys(o) : [];
}

describe('decode --json document', () => {
  it('documents every field it emits (docs/decode-json.md)', () => {
    const j = decodeJsonDocument(explainSnapshot(readSnapshot(image), { eventsFilter: 'level<=proto' })) as Record<string, unknown>;
    expect(j.schema).toBe(DECODE_JSON_SCHEMA);
    const c = j.context as Record<string, unknown>;
    const e = j.events as Record<string, unknown>;
    const groups: unknown[] = [
      j,
      j.summary,
      j.callChain,
      (j.callChain as { frames: unknown[] }).frames,
      c,
      c.object,
      e,
      e.shown,
      j.threads,
      j.sections,
      j.pools,
    ];
    const missing = groups.flatMap(keys).filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j); // plain JSON, no Map or undefined left
  });

  it('uses null, not missing keys, for what a damaged snapshot lacks', () => {
    const buf = Buffer.from(image);
    // damage CONFIG's payload (find it by walking the sections)
    let at = 40;
    for (;;) {
      const len = buf.readUInt32LE(at + 16);
      if (buf.readUInt16LE(at + 4) === SECTION.CONFIG) {
        buf[at + 32] ^= 0xff;
        break;
      }
      at += 32 + len;
    }
    const ex = explainSnapshot(readSnapshot(buf));
    const j = decodeJsonDocument(ex);
    expect(j.config).toBeNull();
    expect(j.complete).toBe(false);
    const text = renderDecodeText(ex);
    expect(text).toMatch(/^Flightbox snapshot \(buffer\) \(\d+ bytes, container format 1, PARTIAL: see Problems\)$/m);
    expect(text).toMatch(/^- section CONFIG is damaged: /m);
    expect(text).not.toContain('== Configuration');
  });
});
