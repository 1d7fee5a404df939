/**
 * proxy/h3/frame.ts: the HTTP/3 frame codec (RFC 9114 §7). RFC 9114 carries no hex vectors; the
 * expected bytes follow the §7.1 layout (Type, Length, Payload) with varints from RFC 9000
 * Appendix A.1 (`7bbd` = 15293, `9d7f3e7d` = 494878333, `25` = 37, `4025` = 37).
 */
import { describe, expect, it } from 'vitest';
import { buildFrame, frameAllowed, isReservedFrameType, parseFrame, parseFramePayload } from '../../../proxy/h3/frame.ts';
import type { H3Frame } from '../../../proxy/h3/h3.types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

function roundTrip(f: H3Frame, wire: string): void {
  expect(hex(buildFrame(f))).toBe(wire.replace(/\s/g, ''));
  const r = parseFrame(bytes(wire));
  expect(r.status).toBe('ok');
  if (r.status === 'ok') {
    expect(r.next).toBe(bytes(wire).length);
    expect(r.frame).toEqual(f);
  }
}

describe('HTTP/3 frames (RFC 9114 §7.2)', () => {
  it('DATA and HEADERS carry their payload as is (§7.2.1, §7.2.2)', () => {
    roundTrip({ type: 'DATA', payload: bytes('68656c6c6f') }, '00 05 68656c6c6f');
    roundTrip({ type: 'HEADERS', fieldSection: bytes('0000d1d7c1') }, '01 05 0000d1d7c1');
    roundTrip({ type: 'DATA', payload: new Uint8Array(0) }, '00 00');
  });

  it('GOAWAY, CANCEL_PUSH, MAX_PUSH_ID carry one varint (§7.2.3, §7.2.6, §7.2.7; RFC 9000 A.1 values)', () => {
    roundTrip({ type: 'GOAWAY', id: 15293 }, '07 02 7bbd');
    roundTrip({ type: 'CANCEL_PUSH', pushId: 37 }, '03 01 25');
    roundTrip({ type: 'MAX_PUSH_ID', pushId: 494878333 }, '0d 04 9d7f3e7d');
    // A two-byte encoding of 37 (RFC 9000 A.1 `4025`) is legal: HTTP/3 does not require minimal varints.
    expect(parseFrame(bytes('07 02 4025'))).toEqual({ status: 'ok', frame: { type: 'GOAWAY', id: 37 }, next: 4 });
  });

  it('PUSH_PROMISE is a push id then a field section (§7.2.5)', () => {
    roundTrip({ type: 'PUSH_PROMISE', pushId: 3, fieldSection: bytes('0000d1') }, '05 04 03 0000d1');
  });

  it('SETTINGS round-trips known and unknown identifiers (§7.2.4)', () => {
    const other = new Map([['33', 1]]);
    roundTrip({ type: 'SETTINGS', settings: { qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, maxFieldSectionSize: 65536, other } }, '04 0c 01 5000 06 80010000 07 10 21 01');
  });

  it('unknown and reserved types parse as unknown and are allowed everywhere (§7.2.8, §9)', () => {
    expect(isReservedFrameType(0x21)).toBe(true);
    expect(isReservedFrameType(0x21 + 0x1f * 7)).toBe(true);
    expect(isReservedFrameType(0x22)).toBe(false);
    roundTrip({ type: 'unknown', frameType: 0x21, payload: bytes('abcd') }, '21 02 abcd');
    expect(frameAllowed(0x40, 'control')).toBe(true);
    expect(frameAllowed(0x00, 'control')).toBe(false);
    expect(frameAllowed(0x04, 'request')).toBe(false);
    expect(frameAllowed(0x07, 'control')).toBe(true);
    expect(frameAllowed(0x05, 'push')).toBe(false);
  });

  it('HTTP/2-only types are H3_FRAME_UNEXPECTED (§7.2.8)', () => {
    for (const t of [0x02, 0x06, 0x08, 0x09]) {
      const r = parseFramePayload(t, new Uint8Array(0), 'control stream 2');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('H3_FRAME_UNEXPECTED');
      expect(frameAllowed(t, 'request')).toBe(false);
    }
  });

  it('payloads shorter or longer than their fields are H3_FRAME_ERROR (§7.1)', () => {
    const cases: [number, string][] = [
      [0x07, ''], // GOAWAY without its id
      [0x07, '40'], // truncated two-byte varint
      [0x07, '0400'], // extra byte
      [0x03, ''],
      [0x0d, '0102'],
      [0x05, ''], // PUSH_PROMISE without push id
      [0x04, '01'], // SETTINGS identifier without value
      [0x04, '0140'], // SETTINGS value truncated
    ];
    for (const [t, p] of cases) {
      const r = parseFramePayload(t, bytes(p), 'control stream 2');
      expect(r.ok, `type ${t} payload '${p}'`).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('H3_FRAME_ERROR');
        expect(r.error.where).toBe('control stream 2');
      }
    }
  });

  it('a frame cut short is truncated, never an exception', () => {
    expect(parseFrame(bytes('07'))).toEqual({ status: 'truncated' });
    expect(parseFrame(bytes('07 02 7b'))).toEqual({ status: 'truncated' });
    expect(parseFrame(bytes('00 40'))).toEqual({ status: 'truncated' });
  });
});
