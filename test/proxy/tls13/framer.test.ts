/** The handshake message framer fed the RFC 8448 messages in every split, one byte at a time, and coalesced. */
import { describe, expect, it } from 'vitest';
import { HandshakeFramer } from '../../../proxy/tls13/framer.ts';
import type { HandshakeMessage } from '../../../proxy/tls13/tls13.types.ts';
import { RFC8448_1RTT as V, traceBytes } from './rfc8448-1rtt.vectors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function drain(f: HandshakeFramer): HandshakeMessage[] {
  const out: HandshakeMessage[] = [];
  for (;;) {
    const r = f.next();
    if (r.kind === 'need-more') return out;
    if (r.kind === 'error') throw new Error(r.error.message);
    out.push(r.message);
  }
}

describe('HandshakeFramer', () => {
  const ch = traceBytes(V.clientHello);
  const flight = traceBytes(V.serverFlight);

  it('reassembles a ClientHello split in two at every position', () => {
    for (let cut = 0; cut <= ch.length; cut++) {
      const f = new HandshakeFramer();
      f.push(ch.subarray(0, cut));
      const first = drain(f);
      f.push(ch.subarray(cut));
      const all = [...first, ...drain(f)];
      expect(all.length, `cut ${cut}`).toBe(1);
      expect(hex(all[0].raw)).toBe(hex(ch));
      expect(all[0].type).toBe(1);
      expect(all[0].body.length).toBe(ch.length - 4);
      expect(f.buffered).toBe(0);
    }
  });

  it('fed one byte at a time, yields the message only with its last byte', () => {
    const f = new HandshakeFramer();
    for (let i = 0; i < ch.length - 1; i++) {
      f.push(ch.subarray(i, i + 1));
      expect(f.next().kind).toBe('need-more');
    }
    f.push(ch.subarray(ch.length - 1));
    const r = f.next();
    expect(r.kind === 'message' && hex(r.message.raw)).toBe(hex(ch));
  });

  it('cuts the four messages of the server flight from one chunk, with stream offsets', () => {
    const f = new HandshakeFramer();
    f.push(flight);
    const msgs = drain(f);
    expect(msgs.map((m) => m.type)).toEqual([8, 11, 15, 20]);
    expect(msgs.map((m) => m.offset)).toEqual([0, 40, 485, 621]);
    expect(hex(msgs[1].raw)).toBe(hex(traceBytes(V.certificate)));
    expect(f.offset).toBe(657);
  });

  it('does not keep a view on the pushed buffer (the caller may reuse it)', () => {
    const f = new HandshakeFramer();
    const chunk = Uint8Array.from(ch);
    f.push(chunk);
    chunk.fill(0);
    const r = f.next();
    expect(r.kind === 'message' && hex(r.message.raw)).toBe(hex(ch));
  });

  it('refuses a message over the size limit from its header alone, and stays failed', () => {
    const f = new HandshakeFramer({ maxMessageSize: 100 });
    f.push(ch.subarray(0, 4));
    const r = f.next();
    expect(r.kind).toBe('error');
    if (r.kind !== 'error') return;
    expect(r.error.alert).toBe('illegal_parameter');
    expect(r.error.message).toMatch(/type 1 of 192 bytes exceeds the 100-byte limit/);
    f.push(ch.subarray(4));
    expect(f.next().kind).toBe('error');
  });
});
