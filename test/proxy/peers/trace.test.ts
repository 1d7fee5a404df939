/**
 * proxy/peers/trace.ts: the `peers` trace source is registered with HAProxy's event names and the
 * engines record handshake steps, messages received/sent and protocol errors into the flight ring.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TraceControl } from '../../../diag/trace-control.ts';
import { attachTrace, detachTrace, tracePoints } from '../../../diag/trace.ts';
import { createRingMemory, readRing, RingWriter } from '../../../diag/ring.ts';
import { formatTraceLine } from '../../../diag/render/trace-line.ts';
import '../../../proxy/trace-sources.ts';
import { PEERS, PEERS_EVENTS } from '../../../proxy/peers/trace.ts';
import { PeerDecoder, PeerEncoder } from '../../../proxy/peers/codec.ts';
import { PeerAcceptor, PeerInitiator } from '../../../proxy/peers/handshake.ts';

function setup(level = 'data') {
  const ctl = new TraceControl();
  ctl.setSinks(['none', 'flight']);
  const flight = createRingMemory(64 * 1024, 1);
  attachTrace(ctl, 1, { flight: new RingWriter(flight) });
  expect(ctl.command(['peers', 'level', level]).ok).toBe(true);
  const lines = () => readRing(flight).map((r) => formatTraceLine(r, tracePoints()[r.point]).replace(/^\S+ /, ''));
  return { ctl, lines };
}

afterEach(() => detachTrace());

describe('peers trace source', () => {
  it('is declared with HAProxy-style event names', () => {
    expect(PEERS.name).toBe('peers');
    expect(PEERS_EVENTS.map((e) => e.name)).toEqual(['hello', 'ctrlmsg', 'defmsg', 'swtcmsg', 'updtmsg', 'ackmsg', 'errmsg', 'othermsg', 'protoerr', 'sess', 'resync', 'link']);
  });

  it('records the handshake, messages sent and received, and a protocol error', () => {
    const { lines } = setup();
    const init = new PeerInitiator({ localPeer: 'a', remotePeer: 'b', pid: 7, conn: 5 });
    const acc = new PeerAcceptor({ localPeer: 'b', knownPeers: ['a'], conn: 6 });
    const r = acc.receive(init.hello());
    expect(r.kind).toBe('accepted');
    if (r.kind === 'accepted') init.receive(r.send);
    const enc = new PeerEncoder({ conn: 5 });
    const dec = new PeerDecoder({ conn: 6 });
    dec.push(enc.encode({ kind: 'control', type: 'heartbeat' }));
    dec.push(enc.encode({ kind: 'define', table: { id: 1, name: 't', keyType: 'ipv4', keyLength: 4, data: [], expire: 0 } }));
    dec.push(enc.encode({ kind: 'update', tableId: 1, updateId: 3, incremental: false, key: '1.2.3.4', values: [] }));
    dec.push(Uint8Array.of(0xff, 0x00));
    for (let o = dec.next(); o.kind === 'message'; o = dec.next());
    const got = lines();
    const expected = [
      /\|peers\|proto\|proxy\/peers\/trace\.ts:\d+\] peer_send_hellomsg\(\): hello sent: HAProxyS 2\.1 to=b from=a pid=7 c=5/,
      /\|peers\|proto\|.*peer_getline_last\(\): hello received: HAProxyS 2\.1 to=b from=a pid=7 c=6/,
      /\|peers\|state\|.*peer_send_status\(\): status 200 sent: handshake succeeded \(a\) c=6/,
      /\|peers\|state\|.*peer_getstatus\(\): status 200 received: handshake succeeded \(b\) c=5/,
      /peer_send_msg\(\): sent control heartbeat \(2 bytes\) c=5/,
      /peer_send_msg\(\): sent define t#1 ipv4\(4\) data=- \(\d+ bytes\) c=5/,
      /\|peers\|data\|.*peer_send_msg\(\): sent update #1 id=3 key=1\.2\.3\.4 \(\d+ bytes\) c=5/,
      /peer_treat_awaited_msg\(\): received control heartbeat \(2 bytes\) c=6/,
      /peer_treat_awaited_msg\(\): received define t#1/,
      /\|peers\|data\|.*received update #1 id=3 key=1\.2\.3\.4/,
      /\|peers\|error\|.*protocol error at offset \d+: reserved-class: message class 255 is reserved \(type 0\) c=6/,
    ];
    expect(got).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(got[i]).toMatch(re));
  });

  it('at the default level (state) leaves the per-update records out', () => {
    const { lines } = setup('state');
    const enc = new PeerEncoder();
    enc.encode({ kind: 'define', table: { id: 1, name: 't', keyType: 'ipv4', keyLength: 4, data: [], expire: 0 } });
    enc.encode({ kind: 'update', tableId: 1, updateId: 3, incremental: false, key: '1.2.3.4', values: [] });
    expect(lines().map((l) => l.replace(/.*\] /, ''))).toEqual([expect.stringMatching(/^peer_send_msg\(\): sent define/)]);
  });
});
