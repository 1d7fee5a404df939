/**
 * The redacted copy of a snapshot that `flightbox report` puts beside the Markdown: the same
 * container format (diag/snapshot/FORMAT.md), readable by `flightbox decode`, in which every section
 * was decoded (compressed ones decompressed), redacted with a {@link RedactPolicy}, and encoded
 * again. Nothing of the original is copied unread:
 * - JSON sections: every string redacted (redactJsonValue);
 * - CONFIG: configuration-aware redaction (redactConfig);
 * - RING: rebuilt record by record into a fresh ring of the same layout, texts redacted; slots and
 *   text bytes no record refers to any more (overwritten records) are not carried over;
 * - sections it cannot decode (damaged, unknown types, STRINGS) keep their place with an empty
 *   payload, so the table of contents still lines up; META.extra.report says what was emptied.
 */
import { readRing, ringInfo } from '../ring.ts';
import { RING_HEADER_BYTES, RING_RECORD_BYTES } from '../ring.types.ts';
import {
  SECTION,
  decodeJson,
  decodeSnapshot,
  decodeText,
  encodeJson,
  encodeSnapshot,
  encodeText,
  packHeaderBody,
  sectionName,
  unpackHeaderBody,
  type SectionInput,
} from '../snapshot/container.ts';
import { findLeaks, redactConfig, redactJsonValue, redactString, type RedactPolicy } from './policy.ts';

const encoder = new TextEncoder();

/**
 * Rebuilds a ring (ring.types.ts layout) with each record's text passed through `redact`. Records
 * keep their slot, sequence number, timestamp, ids, point and arguments bit for bit; texts are
 * written afresh into a text area large enough for all of them (never smaller than the original);
 * a text already lost in the original stays lost. Bytes of the original that no readable record
 * refers to are not copied. Throws when `ring` is not a ring of a known layout.
 */
export function redactRing(ring: Uint8Array, redact: (text: string) => string): Uint8Array {
  const info = ringInfo(ring);
  const records = readRing(ring);
  const texts = records.map((r) => (r.text === undefined || r.text === '<lost>' ? undefined : encoder.encode(redact(r.text))));
  const needed = texts.reduce((n, t) => n + (t?.length ?? 0), 0);
  const textCap = Math.max(info.textCapacity, needed);
  const recEnd = RING_HEADER_BYTES + info.capacity * RING_RECORD_BYTES;
  const out = new Uint8Array(recEnd + textCap);
  const src = new DataView(ring.buffer, ring.byteOffset, ring.byteLength);
  const dv = new DataView(out.buffer);
  out.set(ring.subarray(0, RING_HEADER_BYTES), 0);
  dv.setInt32(16, textCap, true);
  let textPos = 0;
  records.forEach((r, i) => {
    const off = RING_HEADER_BYTES + (r.seq % info.capacity) * RING_RECORD_BYTES;
    out.set(ring.subarray(off, off + RING_RECORD_BYTES), off);
    const t = texts[i];
    if (r.text === '<lost>') {
      // Keep it lost: a position before the text area's window reads back as '<lost>'.
      dv.setInt32(off + 28, 1, true);
      dv.setFloat64(off + 32, -(textCap + 1), true);
    } else if (t === undefined || t.length === 0) {
      dv.setInt32(off + 28, 0, true);
      dv.setFloat64(off + 32, 0, true);
    } else {
      out.set(t, recEnd + textPos);
      dv.setInt32(off + 28, t.length, true);
      dv.setFloat64(off + 32, textPos, true);
      textPos += t.length;
    }
    // The sequence stamp last, as the writer does (copied with the record; asserted here).
    dv.setFloat64(off + 8, src.getFloat64(off + 8, true), true);
  });
  dv.setFloat64(32, textPos, true);
  return out;
}

/** What {@link redactSnapshotImage} did. */
export interface SnapshotRedaction {
  /** The redacted snapshot image (container format v1). */
  image: Buffer;
  /** Sections whose content changed, by name and label (e.g. `CONFIG`, `RING (thread 1, flight)`). */
  changed: string[];
  /** Sections kept with an empty payload because they could not be decoded and so not redacted, with why. */
  emptied: string[];
  /** Secrets of the policy still found after redaction (should be empty; the report refuses to write otherwise). */
  leaks: string[];
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Redacts one intact section's payload; throws when the payload is not what its type says. */
function redactPayload(type: number, data: Uint8Array, policy: RedactPolicy): Uint8Array {
  switch (type) {
    case SECTION.CONFIG:
      return encodeText(redactConfig(decodeText(data), policy));
    case SECTION.RING: {
      const { header, body } = unpackHeaderBody(data);
      const ring = redactRing(body, (t) => redactString(t, policy));
      return packHeaderBody({ header: redactJsonValue(header, policy) as Record<string, unknown>, body: ring });
    }
    case SECTION.META:
    case SECTION.FAULT:
    case SECTION.THREADS:
    case SECTION.POOLS:
    case SECTION.LIVE:
    case SECTION.MEMORY:
    case SECTION.CHECKS:
    case SECTION.TRACE_POINTS:
    case SECTION.TRACE_STATE:
    case SECTION.OMITTED:
      return encodeJson(redactJsonValue(decodeJson(data), policy));
    default:
      throw new Error(`${sectionName(type)} sections cannot be decoded by this version, so they cannot be redacted`);
  }
}

/** Text of a payload to search for leaks: JSON/text as UTF-8; a ring as its header and record texts. */
function searchableText(type: number, data: Uint8Array): string {
  if (type === SECTION.RING) {
    const { header, body } = unpackHeaderBody(data);
    return JSON.stringify(header) + '\n' + readRing(body).map((r) => r.text ?? '').join('\n');
  }
  return decodeText(data);
}

/**
 * Decodes a snapshot image, redacts every section with `policy` (see the module comment) and encodes
 * the result in the same container format, with the same creation time and section order. META
 * gains `extra.report` = `{ redacted: true, time, emptied }`. Then decodes its own output and
 * searches every section, decompressed, for what the policy knows to be secret (`leaks`).
 * Throws SnapshotFormatError when `buf` cannot be read as a snapshot at all.
 */
export function redactSnapshotImage(buf: Uint8Array, policy: RedactPolicy, now = Date.now()): SnapshotRedaction {
  const c = decodeSnapshot(buf);
  const changed: string[] = [];
  const emptied: string[] = [];
  const sections: SectionInput[] = [];
  const labelOf = (type: number, data: Uint8Array | undefined): string => {
    if (!data) return '';
    try {
      if (type === SECTION.RING) {
        const h = unpackHeaderBody(data).header;
        return ` (thread ${String(h.thread)}, ${String(h.ring)})`;
      }
      if (type === SECTION.LIVE || type === SECTION.POOLS || type === SECTION.TRACE_POINTS) {
        return ` (thread ${String((decodeJson(data) as { thread?: unknown }).thread)})`;
      }
    } catch {
      /* no label */
    }
    return '';
  };
  let metaIndex = -1;
  for (const s of c.sections) {
    const name = `${sectionName(s.type).toUpperCase()}${labelOf(s.type, s.data)}`;
    if (s.status !== 'ok' || !s.data) {
      emptied.push(`section ${s.index} ${name}: ${s.status}${s.problem ? ` (${s.problem})` : ''}`);
      sections.push({ type: s.type, payload: new Uint8Array(0) });
      continue;
    }
    let payload: Uint8Array;
    try {
      payload = redactPayload(s.type, s.data, policy);
    } catch (e) {
      emptied.push(`section ${s.index} ${name}: ${(e as Error).message}`);
      sections.push({ type: s.type, payload: new Uint8Array(0) });
      continue;
    }
    if (!same(payload, s.data)) changed.push(name);
    if (s.type === SECTION.META && metaIndex < 0) metaIndex = sections.length;
    sections.push({ type: s.type, payload });
  }
  if (metaIndex >= 0) {
    const meta = decodeJson(sections[metaIndex].payload) as Record<string, unknown>;
    const extra = meta.extra !== null && typeof meta.extra === 'object' && !Array.isArray(meta.extra) ? (meta.extra as Record<string, unknown>) : meta.extra === undefined ? {} : { writer: meta.extra };
    meta.extra = { ...extra, report: { redacted: true, time: now, emptied } };
    sections[metaIndex] = { type: SECTION.META, payload: encodeJson(meta) };
  }
  const total = sections.reduce((n, s) => n + s.payload.length + 64, 1024);
  const image = encodeSnapshot(sections, { maxSize: Math.max(total, buf.length) * 2, createdAt: c.createdAt });
  return { image, changed, emptied, leaks: checkImage(image, policy) };
}

/**
 * Searches a snapshot image for what `policy` knows to be secret: literal values in the raw bytes
 * and in every decompressed payload; pattern matches in the text of every section (rings: header
 * and record texts). Returns one description per hit (naming the section, never the secret).
 */
export function checkImage(image: Uint8Array, policy: RedactPolicy): string[] {
  const leaks: string[] = [];
  // Literal values are searched as their UTF-8 bytes (read as latin1, one character per byte).
  const bytes: RedactPolicy = { ...policy, patterns: [], literals: policy.literals.map((l) => Buffer.from(l, 'utf8').toString('latin1')) };
  leaks.push(...findLeaks(Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString('latin1'), bytes, 'the file bytes'));
  for (const s of decodeSnapshot(image).sections) {
    if (!s.data || s.data.length === 0) continue;
    const where = `section ${s.index} (${sectionName(s.type)})`;
    leaks.push(...findLeaks(Buffer.from(s.data).toString('latin1'), bytes, where));
    let text: string;
    try {
      text = searchableText(s.type, s.data);
    } catch {
      continue; // not decodable: it was emptied above, or is not ours
    }
    leaks.push(...findLeaks(text, { ...policy, literals: [] }, where));
  }
  return leaks;
}
