/**
 * proxy/qpack/decoder-instructions.ts: decoder-stream instructions (RFC 9204 §4.4), checked both
 * ways against the decoder-stream dumps of Appendix B: 84 (B.2), 01 (B.3), 48 (B.4).
 */
import { describe, expect, it } from 'vitest';
import { buildDecoderInstructions, parseDecoderInstruction } from '../../../proxy/qpack/decoder-instructions.ts';
import type { DecoderInstruction } from '../../../proxy/qpack/qpack.types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

const APPENDIX_B: [string, string, DecoderInstruction][] = [
  ['B.2', '84', { kind: 'section-ack', streamId: 4 }],
  ['B.3', '01', { kind: 'insert-count-increment', increment: 1 }],
  ['B.4', '48', { kind: 'stream-cancel', streamId: 8 }],
];

describe('decoder instructions: RFC 9204 Appendix B', () => {
  for (const [sec, wire, ins] of APPENDIX_B) {
    it(`${sec}: ${wire} is ${ins.kind}, both ways`, () => {
      expect(parseDecoderInstruction(bytes(wire), { pos: 0 })).toEqual({ status: 'ok', instruction: ins });
      expect(hex(buildDecoderInstructions([ins]))).toBe(wire);
    });
  }
});

describe('parseDecoderInstruction', () => {
  it('round-trips large stream ids and increments, and waits on truncation', () => {
    const list: DecoderInstruction[] = [
      { kind: 'section-ack', streamId: 2 ** 40 },
      { kind: 'stream-cancel', streamId: 1_000_000 },
      { kind: 'insert-count-increment', increment: 63 },
    ];
    const b = buildDecoderInstructions(list);
    const cur = { pos: 0 };
    const got: DecoderInstruction[] = [];
    for (;;) {
      const r = parseDecoderInstruction(b, cur);
      if (r.status !== 'ok') {
        expect(r.status).toBe('truncated');
        break;
      }
      got.push(r.instruction);
    }
    expect(got).toEqual(list);
    expect(parseDecoderInstruction(b.subarray(0, 3), { pos: 0 })).toEqual({ status: 'truncated' });
  });
});
