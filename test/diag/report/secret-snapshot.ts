/**
 * A snapshot image with known secrets planted in every kind of section (JSON, configuration text,
 * ring records, and text bytes of ring records already overwritten), written by the real container
 * encoder so the sections are deflated. For the report's redaction tests.
 */
import { createRingMemory, RingWriter, copyRing } from '../../../diag/ring.ts';
import { SECTION, encodeJson, encodeSnapshot, encodeText, packHeaderBody } from '../../../diag/snapshot/container.ts';

/** Every secret planted, by where it sits. None may survive the report. */
export const SECRETS = {
  bearer: 'eyJhbGciOiJIUzI1NiJ9.SECRET-BEARER-7f3a',
  cookie: 'sid=SECRET-COOKIE-91b2',
  setCookie: 'session=SECRET-SETCOOKIE-55aa',
  query: 'SECRET-QUERY-d00d',
  customHeader: 'SECRET-APIKEY-c0ffee',
  userlistPassword: 'SECRET-USERLIST-hunter2',
  statsAuth: 'SECRET-STATS-pa55',
  pem: 'MIIEvSECRETPEMBODYAAAA',
  pattern: 'tok_live_4f9e8d7c6b5a',
  env: 'SECRET-ENV-VALUE-beef42',
  stale: 'SECRET-STALE-Authorization-overwritten',
  urlPassword: 'SECRET-URLPASS-1234',
} as const;

/** Text that must survive (it is context, not a secret). */
export const KEPT = ['GET /api/items?session_token=', '&page=2 HTTP/1.1', 'h1_check_header', 'frontend web', 'bind 127.0.0.1:8080', 'status 502'];

/** The configuration planted in the CONFIG section (as a writer that redacted nothing would store it). */
export const CONFIG = [
  '# flightbox.cfg',
  'global',
  '    redact-header X-Api-Key',
  '    redact-query session_token',
  `    # staging token ${SECRETS.pattern} (rotate monthly)`,
  'userlist admins',
  `    user alice insecure-password ${SECRETS.userlistPassword}`,
  'frontend web',
  '    bind 127.0.0.1:8080',
  `    stats auth admin:${SECRETS.statsAuth}`,
  '    http-request set-header X-Internal-Key "${FB_REPORT_TEST_SECRET}"',
  `    http-request set-header X-Trace-Tag ${SECRETS.pattern}`,
  'crt-store',
  '-----BEGIN PRIVATE KEY-----',
  SECRETS.pem,
  '-----END PRIVATE KEY-----',
  '',
].join('\n');

const T0 = 1_700_000_000_000;

function ring(): Uint8Array {
  const sab = createRingMemory(8 * 1024, 1);
  const w = new RingWriter(sab);
  // 64 record slots, 2 KiB of text: 70 short fillers overwrite the first record's slot but not its
  // text, so the stale secret stays in the text bytes with no record referring to it.
  w.write(0, 1, 2, 0, 0, 0, `stale ${SECRETS.stale}`);
  for (let i = 0; i < 70; i++) w.write(1, 1, 2, i, 0, 0, `filler ${i}`);
  w.write(0, 1, 2, 0, 0, 0, `GET /api/items?session_token=${SECRETS.query}&page=2 HTTP/1.1`);
  w.write(2, 1, 2, 0, 0, 0, `Authorization: Bearer ${SECRETS.bearer}`);
  w.write(2, 1, 2, 0, 0, 0, `cookie: ${SECRETS.cookie}`);
  w.write(2, 1, 2, 0, 0, 0, `x-api-key: ${SECRETS.customHeader}`);
  w.write(3, 1, 2, 502, 0, 0, `status 502 set-cookie: ${SECRETS.setCookie}`);
  w.write(2, 1, 2, 0, 0, 0, `env ${SECRETS.env}`);
  w.write(2, 1, 2, 0, 0, 0, `upstream http://svc:${SECRETS.urlPassword}@10.0.0.1/ token ${SECRETS.pattern}`);
  return copyRing(sab);
}

/** Builds the image; `time` is META's and the file's time. */
export function secretSnapshot(time = T0): Buffer {
  const points = [
    { id: 0, source: 'h1', event: 'rcv-req', level: 'proto', fn: 'h1_rcv_req', file: 'proxy/h1/conn.ts', line: 10, msg: 'request head: {s}' },
    { id: 1, source: 'h1', event: 'filler', level: 'data', fn: 'h1_fill', file: 'proxy/h1/conn.ts', line: 11, msg: '{s}' },
    { id: 2, source: 'h1', event: 'hdr', level: 'data', fn: 'h1_parse_headers', file: 'proxy/h1/conn.ts', line: 12, msg: 'header: {s}' },
    { id: 3, source: 'h1', event: 'snd-res', level: 'proto', fn: 'h1_snd_res', file: 'proxy/h1/conn.ts', line: 13, msg: 'status {0}: {s}' },
  ];
  const info = {
    name: 'Flightbox',
    version: '0.1.0',
    buildId: 'dev',
    node: 'v24.9.0',
    os: 'linux x64',
    pid: 4242,
    nbthread: 1,
    startedAt: time - 60_000,
    uptimeSec: 60,
    maxconn: 100,
    currConns: 1,
    cumConns: 1,
    cumReq: 1,
    workerRestarts: 0,
    snapshotsWritten: 0,
    argv: ['flightbox', 'run', '-f', 'flightbox.cfg'],
    poolAllocBytes: 0,
    poolUsedBytes: 0,
    poolFailures: 0,
    memLimitMB: 0,
    heapUsed: 0,
    rss: 0,
  };
  const fault = {
    kind: 'bug',
    message: `BUG_ON: header rejected (Authorization: Bearer ${SECRETS.bearer})`,
    report: `FATAL: bad header\n  cookie: ${SECRETS.cookie}\n  at h1_check_header`,
    thread: 1,
    time,
    frames: [{ fn: 'h1_check_header', file: 'proxy/h1/conn.ts', line: 40, col: 3 }],
    context: { connId: 1, streamId: 2, details: { cookie: SECRETS.cookie, note: `query session_token=${SECRETS.query}` } },
  };
  const obj = (id: number, kind: string, parentId: number, infoText: string) => ({
    id,
    kind,
    parentId,
    thread: 1,
    live: true,
    created: time - 10,
    lastEvent: time - 5,
    info: infoText,
    totalEvents: 1,
    log: [{ time: time - 10, event: 'create', arg: 0 }],
  });
  const sections = [
    { type: SECTION.FAULT, payload: encodeJson(fault) },
    {
      type: SECTION.THREADS,
      payload: encodeJson({
        threads: [{ thread: 1, status: 'dead', restarts: 0, heartbeat: 5, heartbeatTime: time - 1, started: time - 60_000, connsCur: 1, connsTotal: 1, reqsTotal: 1, heapUsed: 0, curConn: 1, curStream: 2, poolFailures: 0 }],
      }),
    },
    { type: SECTION.TRACE_POINTS, payload: encodeJson({ thread: 1, points }), label: 'thread 1' },
    {
      type: SECTION.LIVE,
      payload: encodeJson({
        thread: 1,
        objects: [obj(1, 'conn', 0, '127.0.0.1:50000 -> 127.0.0.1:8080 fe=web'), obj(2, 'stream', 1, `GET /api/items?session_token=${SECRETS.query}&page=2 HTTP/1.1`)],
      }),
    },
    { type: SECTION.CONFIG, payload: encodeText(CONFIG) },
    { type: SECTION.RING, payload: packHeaderBody({ header: { thread: 1, ring: 'flight', layout: 1 }, body: ring() }) },
    { type: 999, payload: encodeText(`an unknown section holding ${SECRETS.bearer} `.repeat(4)) },
  ];
  const toc = [{ type: SECTION.META }, ...sections.map((s) => ({ type: s.type }))];
  const meta = {
    format: 'flightbox-snapshot',
    modelVersion: 1,
    version: '0.1.0',
    buildId: 'dev',
    node: 'v24.9.0',
    os: 'linux x64',
    pid: 4242,
    startedAt: time - 60_000,
    uptimeSec: 60,
    argv: info.argv,
    reason: 'bug',
    time,
    byteOrder: 'LE',
    info,
    rings: ['flight'],
    layouts: { ring: 1 },
    toc,
  };
  return encodeSnapshot([{ type: SECTION.META, payload: encodeJson(meta) }, ...sections], { maxSize: 1 << 20, createdAt: time });
}

/** Every byte of an image and of its decompressed payloads, as latin1 text, to search. */
export function allBytes(image: Uint8Array, payloads: Uint8Array[]): string {
  return [Buffer.from(image), ...payloads.map((p) => Buffer.from(p))].map((b) => b.toString('latin1')).join('\n');
}
