/**
 * proxy/quic/transport-params.ts: the quic_transport_parameters of the RFC 9001 §A.2 ClientHello
 * decoded, byte-exact encoding laid out from RFC 9000 §18 / §18.2, round trips, and each
 * TRANSPORT_PARAMETER_ERROR rule (§7.3, §7.4, §18.1, §18.2).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeTransportParameters,
  encodeTransportParameters,
  reservedTransportParameterId,
} from '../../../proxy/quic/transport-params.ts';
import { TRANSPORT_PARAM_DEFAULTS, type TransportParameters } from '../../../proxy/quic/transport-params.types.ts';
import { A2_CRYPTO_FRAME } from './rfc9001-vectors.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const SCID = bytes('a1a2a3a4');
const ODCID = bytes('8394c8f03e515708');
const TOKEN = bytes('00112233445566778899aabbccddeeff');

function errorMessage(h: string | Uint8Array, sender?: 'client' | 'server'): string {
  const r = decodeTransportParameters(typeof h === 'string' ? bytes(h) : h, sender);
  expect(r.ok).toBe(false);
  if (r.ok) return '';
  expect(r.error).toMatchObject({ name: 'TRANSPORT_PARAMETER_ERROR', code: 0x08 });
  return r.error.message;
}

describe('the client parameters of RFC 9001 §A.2', () => {
  it('decodes the quic_transport_parameters extension (0x0039) of the sample ClientHello', () => {
    const frame = A2_CRYPTO_FRAME;
    const at = frame.indexOf('00390032');
    expect(at).toBeGreaterThan(0);
    const body = bytes(frame.slice(at + 8, at + 8 + 0x32 * 2));
    const r = decodeTransportParameters(body, 'client');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.params).toMatchObject({
      initialMaxData: Number.MAX_SAFE_INTEGER, // ffffffffffffffff = 2^62-1, saturated
      initialMaxStreamDataBidiLocal: 65535,
      initialMaxStreamDataBidiRemote: 65535,
      initialMaxStreamDataUni: 65535,
      initialMaxStreamsBidi: 16,
      initialMaxStreamsUni: 16,
      maxIdleTimeout: 30000,
      ackDelayExponent: 3,
      maxAckDelay: 25,
      activeConnectionIdLimit: 2,
      maxUdpPayloadSize: 65527,
      disableActiveMigration: false,
      unknown: [],
    });
    expect(hex(r.params.initialSourceConnectionId!)).toBe('8394c8f03e515708');
  });
});

describe('encoding (RFC 9000 §18)', () => {
  it('writes present parameters in id order as id, length, value', () => {
    const out = encodeTransportParameters({
      initialSourceConnectionId: SCID,
      maxIdleTimeout: 30000,
      initialMaxData: 1048576,
      initialMaxStreamsBidi: 100,
      disableActiveMigration: true,
      originalDestinationConnectionId: ODCID,
      statelessResetToken: TOKEN,
      unknown: [{ id: reservedTransportParameterId(1), value: bytes('ff') }],
    });
    expect(hex(out)).toBe(
      [
        '00 08 8394c8f03e515708', // original_destination_connection_id
        '01 04 80007530', // max_idle_timeout 30000
        '02 10 00112233445566778899aabbccddeeff', // stateless_reset_token
        '04 04 80100000', // initial_max_data
        '08 02 4064', // initial_max_streams_bidi 100
        '0c 00', // disable_active_migration
        '0f 04 a1a2a3a4', // initial_source_connection_id
        '3a 01 ff', // reserved 31*1+27 = 58
      ].join('').replace(/\s/g, ''),
    );
  });

  it('round-trips every parameter, preferred_address included', () => {
    const p: TransportParameters = {
      ...TRANSPORT_PARAM_DEFAULTS,
      originalDestinationConnectionId: ODCID,
      maxIdleTimeout: 10000,
      statelessResetToken: TOKEN,
      maxUdpPayloadSize: 1472,
      initialMaxData: 10_000_000,
      initialMaxStreamDataBidiLocal: 1,
      initialMaxStreamDataBidiRemote: 2,
      initialMaxStreamDataUni: 3,
      initialMaxStreamsBidi: 2 ** 40,
      initialMaxStreamsUni: 4,
      ackDelayExponent: 20,
      maxAckDelay: 2 ** 14 - 1,
      disableActiveMigration: true,
      preferredAddress: {
        ipv4Address: bytes('7f000001'), ipv4Port: 4433, ipv6Address: bytes('00000000000000000000000000000001'), ipv6Port: 4434,
        connectionId: bytes('0102030405'), statelessResetToken: TOKEN,
      },
      activeConnectionIdLimit: 8,
      initialSourceConnectionId: SCID,
      retrySourceConnectionId: bytes('b1b2'),
      unknown: [{ id: 0x4000n, value: new Uint8Array(0) }],
    };
    const r = decodeTransportParameters(encodeTransportParameters(p), 'server');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.params).toEqual(p);
  });

  it('an absent parameter decodes to its default; an empty zero-length cid is kept', () => {
    const r = decodeTransportParameters(encodeTransportParameters({ initialSourceConnectionId: new Uint8Array(0) }), 'client');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.params).toEqual({ ...TRANSPORT_PARAM_DEFAULTS, initialSourceConnectionId: new Uint8Array(0) });
  });

  it('refuses to encode values §18.2 forbids', () => {
    expect(() => encodeTransportParameters({ ackDelayExponent: 21 })).toThrow(RangeError);
    expect(() => encodeTransportParameters({ activeConnectionIdLimit: 1 })).toThrow(RangeError);
    expect(() => encodeTransportParameters({ statelessResetToken: new Uint8Array(15) })).toThrow(RangeError);
  });
});

describe('TRANSPORT_PARAMETER_ERROR rules', () => {
  const isc = '0f 04 a1a2a3a4';
  it('truncated id, length or value', () => {
    expect(errorMessage('40')).toMatch(/truncated/);
    expect(errorMessage('01')).toMatch(/truncated/);
    expect(errorMessage('01 04 8000')).toMatch(/max_idle_timeout at 0: length 4 exceeds the 2 bytes left/);
  });

  it('an integer value that does not exactly fill its length', () => {
    expect(errorMessage('01 02 05 00')).toMatch(/not exactly one varint/);
    expect(errorMessage('01 00')).toMatch(/not exactly one varint/);
  });

  it('a duplicate parameter, known or unknown (§7.4)', () => {
    expect(errorMessage('01 01 05 01 01 06')).toMatch(/appears twice/);
    expect(errorMessage('4040 00 4040 00')).toMatch(/0x40 at 3 appears twice/);
  });

  it('out-of-range values (§18.2)', () => {
    expect(errorMessage('03 02 44af')).toMatch(/1199 is below the minimum 1200/);
    expect(errorMessage('0a 01 15')).toMatch(/maximum 20/);
    expect(errorMessage('0b 02 8000')).toMatch(/not exactly one varint/);
    expect(errorMessage('0b 04 80004000')).toMatch(/maximum 16383/);
    expect(errorMessage('08 08 d000000000000001')).toMatch(/maximum 2\^60/);
    expect(errorMessage('0e 01 01')).toMatch(/below the minimum 2/);
    expect(errorMessage('02 0f' + '00'.repeat(15))).toMatch(/15 bytes, expected 16/);
    expect(errorMessage('0c 01 00')).toMatch(/zero-length/);
    expect(errorMessage('0f 15' + '00'.repeat(21))).toMatch(/21 bytes, at most 20/);
  });

  it('exactly 2^60 streams is accepted', () => {
    const r = decodeTransportParameters(bytes('08 08 d000000000000000'));
    expect(r.ok).toBe(true);
  });

  it('a preferred_address with a zero-length or malformed connection id (§18.2)', () => {
    const addr = '7f000001 115c' + '00'.repeat(16) + '0000';
    expect(errorMessage(`0d 29 ${addr} 00 ${'00'.repeat(16)}`)).toMatch(/connection id length 0/);
    expect(errorMessage(`0d 29 ${addr} 01 aa ${'00'.repeat(15)}`)).toMatch(/truncated/);
  });

  it('server-only parameters from a client (§18.2)', () => {
    for (const p of ['00 01 aa', '02 10' + '00'.repeat(16), '10 01 aa']) {
      expect(errorMessage(`${isc} ${p}`, 'client')).toMatch(/must not be sent by a client/);
    }
    expect(decodeTransportParameters(bytes(`${isc} 00 01 aa`), 'server').ok).toBe(true);
  });

  it('missing connection id parameters (§7.3)', () => {
    expect(errorMessage('01 01 05', 'client')).toMatch(/initial_source_connection_id missing from the client/);
    expect(errorMessage(isc, 'server')).toMatch(/original_destination_connection_id missing/);
    expect(decodeTransportParameters(bytes('01 01 05')).ok).toBe(true);
  });

  it('unknown and reserved ids are kept and ignored', () => {
    const r = decodeTransportParameters(bytes(`${isc} 1b 02 abcd 4020 00`), 'client');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.params.unknown).toEqual([{ id: 27n, value: bytes('abcd') }, { id: 0x20n, value: new Uint8Array(0) }]);
  });
});
