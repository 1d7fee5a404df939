/**
 * The catalogue of known crash signatures (DESIGN.md "Decoding and user interfaces": "the matching
 * known issue if its signature fits"). One entry per seed crash class of seeds-digest.md as it
 * appears in Flightbox, with the function names issues 4 and 5 prescribe for the code that does not
 * exist yet (`h3RespHeadersSend`, `qcHandleCryptoFrm`/`quicGetNcbuf`, `stksessKill`, the peers learn
 * step), then the generic classes the recorder itself detects (pool inconsistencies, stall, out of
 * memory, uncaught error, BUG_ON).
 *
 * To add a signature: append an entry (a stable kebab-case id, the fault kinds that gate it, its
 * evidence with weights, a `required` frame for anything specific), and a test in
 * test/diag/signatures.test.ts producing a snapshot of it. More specific entries win over generic
 * ones by carrying more evidence (see `matchSignatures`).
 */
import type { Signature } from './signatures.types.ts';

/** Seed 1 (HAProxy 2.8.5): HTTP/3 response headers that do not fit the buffer. */
const H3_RESP_HEADERS: Signature = {
  id: 'h3-resp-headers-overflow',
  title: 'HTTP/3 response headers do not fit the buffer',
  seed: 1,
  haproxy: 'h3_resp_headers_send (gdb at -O2 blamed h3_resp_trailers_send)',
  kinds: ['bug', 'uncaught', 'pool'],
  evidence: [
    { type: 'frame', fns: ['h3RespHeadersSend', 'h3RespTrailersSend'], within: 4, weight: 3, required: true, label: 'a frame in h3RespHeadersSend (or h3RespTrailersSend)' },
    { type: 'message', pattern: /header|field section|too large|exceed|buffer|status/i, weight: 1, label: 'a message about the headers, the buffer or the status' },
    { type: 'object', kinds: ['stream'], weight: 1, label: 'an HTTP/3 stream being handled' },
    { type: 'event', source: 'h3', weight: 1, label: 'h3 trace events on the object' },
  ],
  what: 'Sending the response headers of an HTTP/3 stream failed the process instead of failing the stream.',
  why:
    'The encoded HEADERS frame did not fit the buffer reserved for it (large response headers, small tune.bufsize), ' +
    'or the encoder rejected a legal status code; the send path asserted instead of resetting that stream.',
  check: [
    'the response status and header sizes in the last events of the stream (h3 resp_hdrs / resp_err)',
    'tune.bufsize in the configuration against the size of the response headers',
    'whether other streams of the same connection were in flight (only this one should fail)',
  ],
  fix: 'Accept every status 100-599 (except 101) and, when the headers do not fit, reset this stream with H3_INTERNAL_ERROR (or H3_EXCESSIVE_LOAD) and release it; raise tune.bufsize for large response headers.',
};

/** Seed 2 (HAProxy 3.0.0-3.0.2): QUIC connection migration / GOAWAY lifetime races. */
const QUIC_RACES: Signature = {
  id: 'quic-goaway-migration-race',
  title: 'QUIC stream outlives its connection after GOAWAY, or fd state lost in migration',
  seed: 2,
  haproxy: 'h3_close (h3s->h3c NULL after GOAWAY), fd_want_recv (invalid fd during migration), quic datagram dispatcher',
  kinds: ['uncaught', 'bug', 'pool'],
  evidence: [
    {
      type: 'frame',
      fns: ['h3Close', 'h3CloseStream', 'fdWantRecv', /^(quic)?[Dd]ispatch\w*$/, /^\w*[Mm]igrat\w*$/, /^\w*[Gg]oaway\w*$/],
      within: 4,
      weight: 3,
      required: true,
      label: 'a frame in h3Close, fdWantRecv, the datagram dispatcher, migration or GOAWAY handling',
    },
    { type: 'message', pattern: /null|undefined|h3c|closed|released|goaway|migrat|\bfd\b|socket/i, weight: 1, label: 'a message about a released connection context, GOAWAY, migration or a socket' },
    { type: 'object', kinds: ['stream', 'quic_conn'], weight: 1, label: 'an HTTP/3 stream or QUIC connection being handled' },
    { type: 'event', source: 'h3', event: /goaway/i, weight: 1, label: 'a GOAWAY traced on the object' },
  ],
  what: 'An HTTP/3 stream or QUIC connection used state that had been released or moved: after GOAWAY, during migration, or across threads.',
  why:
    'The stream/connection lifetime let a stream outlive its connection context after GOAWAY; fd/socket state was not synchronised during migration; ' +
    'the dispatcher handing datagrams to the owning thread raced with the connection going away.',
  check: [
    'the termination logs of the stream and of its connection (which one ended first)',
    'h3 goaway and quic migration events just before the fault',
    'which thread owned the connection and which one handled the datagram',
  ],
  fix: 'Make a stream always reach what it needs after GOAWAY (the connection context outlives its streams), check state around migration, and hand datagrams to the owning thread through a synchronised dispatcher.',
};

/** Seed 3 (HAProxy 3.0.x / 3.1-dev): peers learn step using a released session. */
const PEERS_LEARN: Signature = {
  id: 'peers-learn-after-disconnect',
  title: 'Peers synchronisation learn step uses a released session after a broken connection',
  seed: 3,
  haproxy: 'sync_peer_learn_state (src/peers.c), SEGV near NULL (0xc8)',
  kinds: ['uncaught', 'bug'],
  evidence: [
    {
      type: 'frame',
      fns: [/^(sync)?[Pp]eers?\w*[Ll]earn\w*$/, /^\w*[Ll]earn[Ss]tate\w*$/],
      within: 4,
      weight: 3,
      required: true,
      label: 'a frame in the peers learn step (syncPeerLearnState)',
    },
    { type: 'message', pattern: /null|undefined|released|closed|disconnect|session|appctx/i, weight: 1, label: 'a message about a released or closed peer session' },
    { type: 'object', kinds: ['peer', 'appctx'], weight: 1, label: 'a peer (or its applet) being handled' },
    { type: 'event', source: 'peers', weight: 1, label: 'peers trace events on the object' },
  ],
  what: 'The stick-table synchronisation state machine ran its learn step on a peer session that had been released.',
  why: 'A peer connection broke in the middle of a (TLS) resynchronisation and the state machine was not reset; the next step used resources already freed.',
  check: [
    "the peer's termination log: when its connection broke, relative to the learn step",
    'peers trace events (state transitions of the synchronisation) before the fault',
    'show peers: the state and last status of each peer',
  ],
  fix: 'Check the peer connection state in the learn step, reset the synchronisation on abnormal disconnect, and never carry a released session across a state transition.',
};

/** Seed 4 (HAProxy 3.0.9): CRYPTO reassembly buffer allocation failure asserted. */
const QUIC_NCBUF: Signature = {
  id: 'quic-crypto-ncbuf-alloc',
  title: 'QUIC CRYPTO reassembly buffer (ncbuf) allocation failure not handled',
  seed: 4,
  haproxy: 'BUG_ON in quic_get_ncbuf (qc_handle_crypto_frm)',
  kinds: ['bug', 'uncaught', 'oom'],
  evidence: [
    { type: 'frame', fns: ['quicGetNcbuf', 'qcHandleCryptoFrm'], within: 4, weight: 3, required: true, label: 'a frame in quicGetNcbuf or qcHandleCryptoFrm' },
    { type: 'message', pattern: /ncbuf|alloc|memory|null/i, weight: 1, label: 'a message about the ncbuf allocation' },
    { type: 'pool', name: /ncbuf/, failures: true, weight: 2, label: 'allocation failures counted in the quic_ncbuf pool' },
    { type: 'object', kinds: ['quic_conn', 'conn'], weight: 1, label: 'a QUIC connection being handled' },
  ],
  what: 'Taking a buffer to reassemble out-of-order CRYPTO data failed and the code asserted instead of closing the connection.',
  why: 'With a memory cap (-m) and a large tune.bufsize, each QUIC connection holds several buffers; under many concurrent handshakes the pool cannot give one more.',
  check: [
    'show pools (failures, used vs allocated) of quic_ncbuf and buffer; -dMno-merge keeps their figures exact',
    '-m and tune.bufsize in the arguments and configuration, and the number of QUIC connections',
  ],
  fix: 'Handle the allocation failure: close that connection (INTERNAL_ERROR) and release its buffers; size tune.bufsize and -m for the expected QUIC concurrency.',
};

/** Seed 5 (HAProxy 3.0.2): stick-table entry killed twice / freed into the wrong pool. */
const STKSESS_KILL: Signature = {
  id: 'stksess-kill-race',
  title: 'Stick-table entry freed twice or into the wrong pool (unlocked reference drop)',
  seed: 5,
  haproxy: "__stksess_kill: 'FATAL: pool inconsistency detected ... tag mismatch on free()'",
  kinds: ['bug', 'pool'],
  evidence: [
    { type: 'frame', fns: ['stksessKill'], within: 4, weight: 3, required: true, label: 'a frame in stksessKill' },
    {
      type: 'message',
      pattern: /double kill|already free|tag mismatch|owned by tag|still referenced|stale or foreign|double free/i,
      weight: 1,
      label: 'a double kill, a tag mismatch or a stale handle',
    },
    { type: 'frame', fns: [/^(release\w*|stktableRelease|touchAndRelease|expire\w*|processTableExpire|purge\w*)$/], within: 6, weight: 1, label: 'called from a reference release or expiry' },
    { type: 'message', pattern: /stick-table|stksess/i, weight: 1, label: 'a stick-table entry named' },
  ],
  what: 'A stick-table entry was killed (freed) twice, or into a pool it did not come from.',
  why:
    'A reference was dropped without the table lock, so expiry and the session release raced and both freed the entry. Pools of equal ' +
    'size are merged unless -dMno-merge, so the pool named can be another component\'s.',
  check: [
    'the caller chain above stksessKill: release (session end) or expire (table expiry)',
    'the report fields: the pool the item came from, its allocation and last free sites',
    'the stick-table and tracking rules (track-sc*, websocket upgrades) in the configuration',
  ],
  fix: 'Take and drop every reference under the table lock (one written refcount rule) and kill entries only at zero references; run with -dMtag,no-merge to see the real pools.',
};

const POOL_TAG_MISMATCH: Signature = {
  id: 'pool-tag-mismatch',
  title: 'Pool item freed into a pool it did not come from',
  haproxy: 'FATAL: pool inconsistency detected: tag mismatch on free()',
  kinds: ['pool'],
  evidence: [
    { type: 'detail', key: 'kind', pattern: /^tag-mismatch$/, weight: 3, required: true, label: 'the pool report says tag mismatch' },
    { type: 'message', pattern: /tag mismatch on free\(\)/, weight: 1, label: "HAProxy's 'tag mismatch on free()' message" },
    { type: 'detail', key: 'itemPool', weight: 1, label: 'the pool the item came from is known' },
  ],
  what: 'free() was given an item allocated from another pool.',
  why: 'Two code paths disagree on which pool owns the object (or a merged pool hides the real owner).',
  check: ["the report: 'the item comes from pool X', 'allocated by' and the caller", 'the offending pool and its users (merged pools): -dMno-merge separates them'],
  fix: 'Free the item into the pool it was allocated from (the one in its tag).',
};

const POOL_DOUBLE_FREE: Signature = {
  id: 'pool-double-free',
  title: 'Pool item freed twice',
  haproxy: 'FATAL: pool inconsistency detected: tag mismatch on free() (double free)',
  kinds: ['pool'],
  evidence: [
    { type: 'detail', key: 'kind', pattern: /^double-free$/, weight: 3, required: true, label: 'the pool report says double free' },
    { type: 'message', pattern: /double free/, weight: 1, label: "a 'double free' message" },
    { type: 'detail', key: 'freeSite', pattern: /./, weight: 1, label: 'the site that freed it first is known' },
  ],
  what: 'free() was given an item that was already free (or whose memory was since released or reused).',
  why: 'Two owners each believe they must release the object: a missing ownership transfer, or an error path that frees before the normal path does.',
  check: ["the report: 'last freed by' (the first free) against the caller (the second)", 'the termination log of the object being handled'],
  fix: 'Give the object one owner that frees it; clear the reference when it is freed.',
};

const POOL_FOREIGN: Signature = {
  id: 'pool-foreign-item',
  title: 'free() of an item that was never allocated from a pool',
  kinds: ['pool'],
  evidence: [
    { type: 'detail', key: 'kind', pattern: /^foreign$/, weight: 3, required: true, label: 'the pool report says foreign item' },
    { type: 'message', pattern: /foreign item/, weight: 1, label: "a 'foreign item' message" },
  ],
  what: 'free() was given an object no pool handed out (a copy, a subarray, or an item from before the pools were reconfigured).',
  why: 'The object was created outside the pool, or the pools were reconfigured while it lived.',
  check: ['the item description in the report', 'the caller'],
  fix: 'Free only what the pool allocated; copy data out instead of freeing a view of it.',
};

const POOL_INTEGRITY: Signature = {
  id: 'pool-integrity',
  title: 'Pool item written to after it was freed (use after free)',
  haproxy: 'FATAL: pool inconsistency detected: cache corruption detected',
  kinds: ['pool'],
  evidence: [
    { type: 'detail', key: 'kind', pattern: /^integrity$/, weight: 3, required: true, label: 'the integrity check (-dMintegrity) failed' },
    { type: 'message', pattern: /cache corruption detected/, weight: 1, label: "HAProxy's 'cache corruption detected' message" },
    { type: 'detail', key: 'freeSite', pattern: /./, weight: 1, label: 'the site that freed the item is known' },
  ],
  what: 'A free item was found modified at its next allocation: something kept using it after free().',
  why: 'A reference outlived the free (use after free).',
  check: ["the report: 'last freed by' names the free; the code that still held it writes after it", 'the offset of the first modified byte'],
  fix: 'Drop every reference at free() (set it to null), or free later.',
};

const STALL: Signature = {
  id: 'watchdog-stall',
  title: 'Worker thread stalled (watchdog)',
  kinds: ['stall'],
  evidence: [
    { type: 'message', pattern: /stalled|no heartbeat/, weight: 1, label: 'the watchdog message' },
    { type: 'frame', fns: [/./], within: 1, weight: 1, label: 'the stalled call chain was captured' },
  ],
  what: 'A worker stopped making progress for longer than watchdog-timeout and was ended.',
  why: 'A loop without an exit, a very large synchronous job, or a busy wait on a lock held elsewhere.',
  check: ['the captured call chain (the innermost in-app frame is where it looped)', 'the object it was handling and the last events of its thread'],
  fix: 'Bound the work done per event-loop turn (yield, split the job) or fix the loop condition.',
};

const OOM: Signature = {
  id: 'worker-oom',
  title: 'Worker ran out of memory',
  kinds: ['oom'],
  evidence: [{ type: 'message', pattern: /out of memory/, weight: 1, label: 'the out-of-memory message' }],
  what: 'A worker reached its heap limit (worker-memory-limit) and was ended by V8.',
  why: 'Too much live data: many connections with large buffers, a leak (objects never freed), or one request buffering too much.',
  check: ['the pools of that thread: used vs allocated, the largest users', 'show sess / live objects: how many connections and streams lived', 'heap figures under Memory'],
  fix: 'Find what grows (pools, live objects); cap it (maxconn, tune.bufsize, -m) or raise worker-memory-limit.',
};

const UNCAUGHT: Signature = {
  id: 'uncaught-error',
  title: 'Uncaught error in a worker',
  kinds: ['uncaught'],
  evidence: [{ type: 'message', pattern: /^\w*(Error|Exception)\b/, weight: 1, label: 'an error type and message' }],
  what: 'An exception escaped every handler (or a promise rejection was not handled) and the worker was ended.',
  why: 'A code path that does not expect this input or state (often a null/undefined dereference).',
  check: ['the innermost in-app frame and the error message', 'the object being handled and its last events (what input led there)'],
  fix: 'Handle the case where it arises (check the state, fail the stream or connection cleanly).',
};

const BUG_ON: Signature = {
  id: 'bug-on',
  title: 'Assertion failed (BUG_ON)',
  kinds: ['bug'],
  evidence: [{ type: 'message', pattern: /^BUG_ON/, weight: 1, label: "a 'BUG_ON' message" }],
  what: 'An internal invariant did not hold and the worker panicked.',
  why: 'State the code assumed impossible: see the message and the innermost in-app frame.',
  check: ['the BUG_ON message and the frame that called it', 'the object being handled and its last events'],
  fix: 'Fix what broke the invariant, or handle the case as an ordinary failure if it can happen.',
};

/** Every known signature: the five seed classes first, then the generic ones. */
export const SIGNATURES: readonly Signature[] = [
  H3_RESP_HEADERS,
  QUIC_RACES,
  PEERS_LEARN,
  QUIC_NCBUF,
  STKSESS_KILL,
  POOL_TAG_MISMATCH,
  POOL_DOUBLE_FREE,
  POOL_FOREIGN,
  POOL_INTEGRITY,
  STALL,
  OOM,
  UNCAUGHT,
  BUG_ON,
];
