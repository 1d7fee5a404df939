/**
 * Load-balancing decisions recorded from a real HAProxy 2.6.12 (the Debian 12 package), used as
 * reference vectors for proxy/lb/. Each scenario was run twice with the same inputs: once against
 * HAProxy (a frontend on 127.0.0.1 in front of a backend whose servers were local listeners that
 * report their name; runtime commands sent to its stats socket; source addresses taken from
 * 127.0.0.0/8 with `localAddress`), once through proxy/lb, and the sequences compared.
 *
 * - PICK_VECTORS: one new connection per request, each closed before the next, so only the
 *   algorithm's order matters. `balance`/`hash-type` are the configuration lines HAProxy had;
 *   `servers` are the rest of each `server` line; `cmd` are runtime commands; `expected` lists
 *   the server of each request (`503` for none) and, for a command HAProxy refused, its answer
 *   prefixed with '!'.
 * - QUEUE_VECTORS: timelines with `maxconn` and queues. The backends held every response until
 *   the scenario closed it (`C(id)`), so `O(id)` opens a request that stays in flight. `expected`
 *   gives, after each step, the requests that reached a server during that step (`id=server`);
 *   `NOTHELD` marks a close of a request that was still queued (nothing was closed).
 *   `timeout queue` was 20 s, never reached.
 */
import type { BalanceAlgo, HashType, LbServerSpec, UriHashOptions } from '../../../proxy/lb/lb.types.ts';

/** A request (hash inputs) or a runtime command sent to the stats socket. */
export type PickAction = { req: string; src?: string } | { cmd: string };

export interface PickVector {
  name: string;
  balance: string;
  hashType?: string;
  servers: string[];
  algo: BalanceAlgo;
  opts?: { hashType?: HashType; uri?: UriHashOptions };
  actions: PickAction[];
  expected: string[];
}

export type QueueAction = { open: number; uri?: string } | { close: number } | { cmd: string };

export interface QueueVector {
  name: string;
  balance: string;
  extra?: string;
  redispatch?: boolean;
  servers: string[];
  algo: BalanceAlgo;
  acts: QueueAction[];
  expected: string[];
}

const words = (s: string): string[] => s.split(' ');
const reqs = (n: number, f: (i: number) => PickAction = () => ({ req: '/' })): PickAction[] =>
  Array.from({ length: n }, (_, i) => f(i));
const uris = (n: number): PickAction[] => reqs(n, (i) => ({ req: `/p${i}/x${i * 7}?q=${i}` }));
const srcs = (n: number): PickAction[] => reqs(n, (i) => ({ req: '/', src: `127.0.${(i * 37) % 256}.${(i % 250) + 2}` }));
const O = (id: number, uri?: string): QueueAction => ({ open: id, uri });
const C = (id: number): QueueAction => ({ close: id });

/** Turns the rest of a `server` line (`weight 2 maxconn 1 backup id 5`) into a server spec named `name`. */
export function serverLine(name: string, line: string): LbServerSpec {
  const num = (kw: string): number | undefined => {
    const m = new RegExp(`\\b${kw} (\\d+)`).exec(line);
    return m ? Number(m[1]) : undefined;
  };
  return { name, weight: num('weight'), maxconn: num('maxconn'), id: num('id'), backup: /\bbackup\b/.test(line) };
}

export const PICK_VECTORS: PickVector[] = [
  { name: 'rr 5/1/1', balance: 'balance roundrobin', servers: ['weight 5', 'weight 1', 'weight 1'], algo: 'roundrobin', actions: reqs(28),
    expected: words('a a a b a a c a a a b a a c a a a b a a c a a a b a a c') },
  { name: 'rr 1/1/1', balance: 'balance roundrobin', servers: ['', '', ''], algo: 'roundrobin', actions: reqs(12),
    expected: words('a b c a b c a b c a b c') },
  { name: 'rr 10/3/7/1', balance: 'balance roundrobin', servers: ['weight 10', 'weight 3', 'weight 7', 'weight 1'], algo: 'roundrobin', actions: reqs(63),
    expected: words('a c a b a c a c a d c a b a c a c a b a c a c a b a c a c a d c a b a c a c a b a c a c a b a c a c a d c a b a c a c a b a c') },
  { name: 'rr 200/1/37', balance: 'balance roundrobin', servers: ['weight 200', 'weight 1', 'weight 37'], algo: 'roundrobin', actions: reqs(300),
    expected: words('a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a b a c a a a a a c a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a c a a a a a a c a a a a a c a a a a a b a c a a a a a c a a a a a a c a a a a a c a a a') },
  { name: 'rr weight changes', balance: 'balance roundrobin', servers: ['weight 5', 'weight 1', 'weight 1', 'weight 2'], algo: 'roundrobin',
    actions: [...reqs(5), { cmd: 'set weight be/b 4' }, ...reqs(9), { cmd: 'set weight be/a 50%' }, ...reqs(13), { cmd: 'set weight be/c 0' }, ...reqs(7), { cmd: 'set weight be/c 100%' }, ...reqs(11), { cmd: 'set weight be/d 256' }, ...reqs(40), { cmd: 'set weight be/d 1' }, ...reqs(17)],
    expected: words('a a d a b a d b a c b a a d b b b a d b c b a d b b a d b b a d b b a d b b a d c b b a d b d d d d a c d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d b b b b d b b b b d b b a b') },
  { name: 'rr state changes', balance: 'balance roundrobin', servers: ['weight 3', 'weight 2', 'weight 1'], algo: 'roundrobin',
    actions: [...reqs(4), { cmd: 'set server be/a state drain' }, ...reqs(5), { cmd: 'set server be/a state ready' }, ...reqs(7), { cmd: 'set server be/b state maint' }, ...reqs(3), { cmd: 'set server be/b state ready' }, ...reqs(12)],
    expected: words('a b a c b b b b c a b a c b a a a c a a b c a b a a b c a b a') },
  // A server back from maintenance after the other served alone for a while catches up in a
  // burst (8 in a row at equal weights), then alternation resumes: FWRR places it at the start
  // of the current window (fwrr_set_server_status_up()).
  { name: 'rr maint after a long solo', balance: 'balance roundrobin', servers: ['', ''], algo: 'roundrobin',
    actions: [...reqs(2), { cmd: 'set server be/a state maint' }, ...reqs(13), { cmd: 'set server be/a state ready' }, ...reqs(20)],
    expected: words('a b b b b b b b b b b b b b b a a a a a a a a b a b a b a b a b a b a') },
  { name: 'rr backup', balance: 'balance roundrobin', servers: ['weight 2', 'weight 1', 'backup', 'backup'], algo: 'roundrobin',
    actions: [...reqs(3), { cmd: 'set server be/a state maint' }, { cmd: 'set server be/b state maint' }, ...reqs(3), { cmd: 'set server be/c state maint' }, ...reqs(2), { cmd: 'set server be/c state ready' }, ...reqs(2), { cmd: 'set server be/b state ready' }, ...reqs(3)],
    expected: words('a a b c c c d d c c b b b') },
  { name: 'lc idle', balance: 'balance leastconn', servers: ['weight 3', 'weight 1', ''], algo: 'leastconn', actions: reqs(9),
    expected: words('a b c a b c a b c') },
  { name: 'uri map 1/1/1', balance: 'balance uri', servers: ['', '', ''], algo: 'uri', actions: uris(60),
    expected: words('c a c a b c c a b c a b c c a a c b a c c b a c b a c a c a a c b a c b a c b c c b a b a c b a c b b c b a c b a c a c') },
  { name: 'uri map 3/2/1 + down', balance: 'balance uri', servers: ['weight 3', 'weight 2', 'weight 1'], algo: 'uri', actions: [...uris(40), { cmd: 'set server be/b state maint' }, ...uris(40), { cmd: 'set weight be/a 2' }],
    expected: [
      ...words('b a c a b c b a a b a b c b a a c a a c c a a c a a c a b a a b a a b a a b a b a a a a a c a a a a a a c a a a c a a c a c a a c a a c a a a a c a a c a a c a'),
      "!Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.",
    ] },
  { name: 'uri map whole/depth', balance: 'balance uri whole depth 1', servers: ['', '', '', ''], algo: 'uri', opts: { uri: { whole: true, depth: 1 } }, actions: uris(40),
    expected: words('d a b c d a b c d a a b c d a b c d a b d a b c d a b c d a c d a b c d a b c d') },
  { name: 'uri map len', balance: 'balance uri len 3', servers: ['', '', '', ''], algo: 'uri', opts: { uri: { len: 3 } }, actions: uris(40),
    expected: words('d a b c d a b c d a a a a a a a a a a a b b b b b b b b b b c c c c c c c c c c') },
  { name: 'uri consistent', balance: 'balance uri', hashType: 'hash-type consistent', servers: ['', 'weight 2', ''], algo: 'uri', opts: { hashType: { method: 'consistent', fn: 'sdbm', avalanche: true } },
    actions: [...uris(50), { cmd: 'set server be/a state maint' }, ...uris(50), { cmd: 'set weight be/b 1' }, ...uris(50)],
    expected: words('a b a c c b b c b b c a b b b c a b a b b b b a c c a c b a c c b b c a b b a c b b c b b b b c b c c b c c c b b c b b c b b b b c c b b b b b b b c c b c b b c c b b c b b b b c b b c b b b b c b c c c c c c b c c b c c b b b b c c b c c b c b b c c b c c b c c b b c b b c b c b b c c b b b c c c') },
  { name: 'uri consistent djb2 avalanche', balance: 'balance uri', hashType: 'hash-type consistent djb2 avalanche', servers: ['', '', '', ''], algo: 'uri', opts: { hashType: { method: 'consistent', fn: 'djb2', avalanche: true } }, actions: uris(60),
    expected: words('c c a a c c b c a b a b c d a b b d d c d c c d b d c a a a c d b d d c b c a b a a d d b d a a d a d c c a d a d d c a') },
  { name: 'uri map wt6', balance: 'balance uri', hashType: 'hash-type map-based wt6', servers: ['', '', ''], algo: 'uri', opts: { hashType: { method: 'map-based', fn: 'wt6', avalanche: false } }, actions: uris(40),
    expected: words('c c c c c a a a b b b b c b a a a b b b a a a b c c a a b b a c b b b b b c c c') },
  { name: 'uri map crc32', balance: 'balance uri', hashType: 'hash-type map-based crc32', servers: ['', '', ''], algo: 'uri', opts: { hashType: { method: 'map-based', fn: 'crc32', avalanche: false } }, actions: uris(40),
    expected: words('a c a b b b c b b b c b a b a a a a b b b a c c b b b c c b c c c b b b a b b b') },
  { name: 'source map', balance: 'balance source', servers: ['', 'weight 2', ''], algo: 'source', actions: srcs(40),
    expected: words('b c a b b c a b b c a b b c a b b c a b b c a b b c a b b c a b b c a b b c a b') },
  { name: 'source consistent avalanche', balance: 'balance source', hashType: 'hash-type consistent sdbm avalanche', servers: ['', '', ''], algo: 'source', opts: { hashType: { method: 'consistent', fn: 'sdbm', avalanche: true } }, actions: [...srcs(40), { cmd: 'set server be/c state maint' }, ...srcs(40)],
    expected: words('a b b c a a a b a a c b c c c c c a a a b c c a a c b b a b b c c b c a b b b b a b b b a a a b a a a b b b b b b a a a b b b a a a b b a b b a b b b a b b b b') },
  { name: 'static weight refused', balance: 'balance source', servers: ['weight 2', ''], algo: 'source', actions: [{ cmd: 'set weight be/a 3' }, { cmd: 'set weight be/a 0' }, ...srcs(4), { cmd: 'set weight be/a 100%' }, ...srcs(4)],
    expected: ["!Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.", ...words('b b b b a b a a')] },
];

export const QUEUE_VECTORS: QueueVector[] = [
  { name: 'lc load', balance: 'balance leastconn', servers: ['weight 2', '', ''], algo: 'leastconn',
    acts: [O(1), O(2), O(3), O(4), O(5), O(6), O(7), C(2), O(8), O(9), C(1), C(4), O(10), O(11), O(12), C(3), C(5), O(13), O(14)],
    expected: ["1=a", "2=b", "3=c", "4=a", "5=a", "6=b", "7=c", "", "8=a", "9=b", "", "", "10=a", "11=a", "12=a", "", "", "13=c", "14=a"] },
  { name: 'first maxconn', balance: 'balance first', servers: ['maxconn 2', 'maxconn 2 id 5', 'maxconn 1 id 3'], algo: 'first',
    acts: [O(1), O(2), O(3), O(4), O(5), O(6), O(7), C(1), O(8), C(3), C(7), O(9), C(2), C(4), C(5), C(6)],
    expected: ["1=a", "2=a", "3=c", "4=b", "5=b", "", "", "6=a", "", "7=c", "8=c", "", "9=a", "", "", ""] },
  { name: 'rr queue fifo', balance: 'balance roundrobin', servers: ['maxconn 1', 'maxconn 2'], algo: 'roundrobin',
    acts: [O(1), O(2), O(3), O(4), O(5), O(6), C(2), C(1), O(7), C(3), C(4), C(5), C(6), C(7)],
    expected: ["1=a", "2=b", "3=b", "", "", "", "4=b", "5=a", "", "6=b", "7=b", "", "", ""] },
  { name: 'uri server queue vs backend queue', balance: 'balance uri', servers: ['maxconn 1', 'maxconn 1'], algo: 'uri',
    acts: [O(1, '/a'), O(2, '/b'), O(3, '/a'), O(4, '/b'), O(5, '/a'), C(1), C(2), C(3), C(4), C(5)],
    expected: ["1=a", "2=b", "", "", "", "3=a", "4=b", "5=a", "", ""] },
  { name: 'lc maint redispatch', balance: 'balance leastconn', extra: 'option redispatch', redispatch: true, servers: ['maxconn 1', 'maxconn 1', 'maxconn 1'], algo: 'leastconn',
    acts: [O(1), O(2), O(3), O(4), O(5), { cmd: 'set server be/c state maint' }, C(1), O(6), C(2), C(4), { cmd: 'set server be/c state ready' }, C(5), C(6)],
    expected: ["1=a", "2=b", "3=c", "", "", "", "4=a", "", "5=b", "6=a", "", "", ""] },
  { name: 'uri redispatch', balance: 'balance uri', extra: 'option redispatch', redispatch: true, servers: ['maxconn 1', 'maxconn 1', 'maxconn 1'], algo: 'uri',
    acts: [O(1, '/a'), O(2, '/b'), O(3, '/a'), O(4, '/a'), O(11, '/b'), { cmd: 'set server be/a state maint' }, C(1), C(2), O(5, '/a'), C(3), C(4), C(11), C(5)],
    expected: ["1=a", "2=b", "", "", "", "", "", "11=b", "", "NOTHELD", "NOTHELD", "3=b", "NOTHELD"] },
  { name: 'uri no redispatch', balance: 'balance uri', servers: ['maxconn 1', 'maxconn 1', 'maxconn 1'], algo: 'uri',
    acts: [O(1, '/a'), O(2, '/b'), O(3, '/a'), O(4, '/a'), { cmd: 'set server be/a state maint' }, C(1), C(3), O(5, '/a'), C(2), C(4), C(5)],
    expected: ["1=a", "2=b", "", "", "", "3=a", "4=a", "", "5=b", "", ""] },
  { name: 'drain redispatch', balance: 'balance uri', extra: 'option redispatch', redispatch: true, servers: ['maxconn 1', 'maxconn 1'], algo: 'uri',
    acts: [O(1, '/a'), O(3, '/a'), O(4, '/a'), { cmd: 'set server be/a state drain' }, C(1), C(3), C(4)],
    expected: ["1=a", "", "", "3=b", "", "4=b", ""] },
  { name: 'backup takes backend queue', balance: 'balance roundrobin', servers: ['maxconn 1', 'maxconn 1 backup', 'maxconn 1 backup'], algo: 'roundrobin',
    acts: [O(1), O(2), O(3), { cmd: 'set server be/a state maint' }, C(1), C(2), { cmd: 'set server be/a state ready' }, O(4), C(3), C(4)],
    expected: ["1=a", "", "", "", "", "NOTHELD", "2=a", "", "NOTHELD", "NOTHELD"] },
];
