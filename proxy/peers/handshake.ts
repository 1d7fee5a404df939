/**
 * The peers protocol handshake (peers protocol 2.1, "Handshake"), both sides, sans-IO.
 *
 * The side that connects (initiator) sends a hello of three lines,
 *   `HAProxyS <major>.<minor>\n<remote peer name>\n<local peer name> <pid> <relative pid>\n`,
 * and the side that accepted answers one status line `<code>\n`: 200 succeeded, 300 try again later,
 * 501 protocol error, 502 bad version, 503 local peer identifier mismatch (the hello is addressed to
 * another name), 504 remote peer identifier mismatch (the sender is not a known peer). After 200
 * both sides speak the message protocol (proxy/peers/codec.ts).
 *
 * The acceptor checks line by line in HAProxy's order (src/peers.c `peer_getline_version`,
 * `peer_getline_host`, `peer_getline_last`): the protocol name (501), the version (major 2, minor at
 * most 1, else 502), the addressee (503), the sender (504, or what the `decide` hook answers, e.g.
 * 300 while a session with a local peer is still open). Lines may end in `\r\n`.
 */
import { PEER_STATUS, PEER_STATUS_TEXT, type PeerHello, type PeerStatus } from './peers.types.ts';
import { PTP } from './trace.ts';

/** Protocol identifier of the hello's first line. */
export const PEER_PROTO_NAME = 'HAProxyS';
/** Protocol version this engine speaks (2.1); 2.0 peers get no timed updates. */
export const PEER_MAJOR_VERSION = 2;
export const PEER_MINOR_VERSION = 1;
/** Default cap on a handshake line, in bytes. */
export const PEER_MAX_LINE = 1024;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function checkName(what: string, name: string): void {
  if (name.length === 0 || /[\s]/.test(name)) throw new TypeError(`peers hello: ${what} '${name}' must be a non-empty name without spaces or line breaks`);
}

/** Builds the hello message. Throws TypeError for an empty peer name or one with spaces/line breaks. */
export function encodeHello(h: PeerHello): Uint8Array {
  checkName('remote peer', h.remotePeer);
  checkName('local peer', h.localPeer);
  return utf8.encode(`${PEER_PROTO_NAME} ${h.major}.${h.minor}\n${h.remotePeer}\n${h.localPeer} ${h.pid} ${h.relativePid}\n`);
}

/** Builds a status line (`200\n`). */
export function encodeStatus(code: PeerStatus): Uint8Array {
  return utf8.encode(`${code}\n`);
}

/** Splits input into `\n`-terminated lines (an optional `\r` before `\n` is dropped). */
class Lines {
  private buf = new Uint8Array(0);
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  push(b: Uint8Array): void {
    const n = new Uint8Array(this.buf.length + b.length);
    n.set(this.buf);
    n.set(b, this.buf.length);
    this.buf = n;
  }
  /** The next line, undefined when none is complete yet, or 'too-long'. */
  next(): string | undefined | 'too-long' {
    const nl = this.buf.indexOf(0x0a);
    if (nl < 0) return this.buf.length > this.max ? 'too-long' : undefined;
    if (nl > this.max) return 'too-long';
    const end = nl > 0 && this.buf[nl - 1] === 0x0d ? nl - 1 : nl;
    const line = utf8d.decode(this.buf.subarray(0, end));
    this.buf = this.buf.slice(nl + 1);
    return line;
  }
  rest(): Uint8Array {
    const r = this.buf;
    this.buf = new Uint8Array(0);
    return r;
  }
}

/** Parses `<major>.<minor>` as HAProxy's peer_get_version does (digits, a dot, digits, nothing else). */
export function parseVersion(text: string): { major: number; minor: number } | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Options of the accepting side. */
export interface AcceptorOptions {
  /** This peer's name: the hello's second line must equal it (else 503). */
  readonly localPeer: string;
  /** Names of the peers allowed to connect (else 504), when `decide` is not given. */
  readonly knownPeers?: readonly string[];
  /**
   * Decides on a well-formed hello addressed to this peer: 200 to accept, 300 (try again later),
   * 504 (unknown peer) or another status to refuse. Overrides `knownPeers`.
   */
  readonly decide?: (hello: PeerHello) => PeerStatus;
  /** Longest accepted line in bytes (default 1024); a longer one is answered 501. */
  readonly maxLineLength?: number;
  /** Connection id recorded in `peers` trace events. */
  readonly conn?: number;
}

/** What the acceptor has reached after the bytes received so far. */
export type AcceptorOutcome =
  | { readonly kind: 'need-more' }
  /** `send` (`200\n`) must be written; `rest` are bytes received after the hello (messages). */
  | { readonly kind: 'accepted'; readonly hello: PeerHello; readonly downgraded: boolean; readonly send: Uint8Array; readonly rest: Uint8Array }
  /** `send` (the status line) must be written, then the connection closed. */
  | { readonly kind: 'rejected'; readonly status: PeerStatus; readonly reason: string; readonly send: Uint8Array };

/**
 * The accepting side of a handshake: feed it received bytes with `receive` until it answers
 * `accepted` or `rejected` (each carries the status line to send). Further calls are a caller error.
 */
export class PeerAcceptor {
  private readonly opts: AcceptorOptions;
  private readonly lines: Lines;
  private step: 'version' | 'host' | 'peer' | 'done' = 'version';
  private version = { major: 0, minor: 0 };

  constructor(opts: AcceptorOptions) {
    this.opts = opts;
    this.lines = new Lines(opts.maxLineLength ?? PEER_MAX_LINE);
  }

  /** Consumes received bytes; see AcceptorOutcome. Throws Error when called after the outcome was final. */
  receive(bytes: Uint8Array): AcceptorOutcome {
    if (this.step === 'done') throw new Error('peers acceptor: the handshake is already over; pass further bytes to the message decoder');
    this.lines.push(bytes);
    for (;;) {
      const line = this.lines.next();
      if (line === undefined) return { kind: 'need-more' };
      if (line === 'too-long') return this.reject(PEER_STATUS.PROTOCOL_ERROR, `hello line longer than ${this.opts.maxLineLength ?? PEER_MAX_LINE} bytes`);
      if (this.step === 'version') {
        if (!line.startsWith(`${PEER_PROTO_NAME} `)) return this.reject(PEER_STATUS.PROTOCOL_ERROR, `hello does not start with '${PEER_PROTO_NAME} ': '${line.slice(0, 40)}'`);
        const v = parseVersion(line.slice(PEER_PROTO_NAME.length + 1));
        if (!v || v.major !== PEER_MAJOR_VERSION || v.minor > PEER_MINOR_VERSION) {
          return this.reject(PEER_STATUS.BAD_VERSION, `unsupported protocol version '${line.slice(PEER_PROTO_NAME.length + 1)}' (speaks ${PEER_MAJOR_VERSION}.0 to ${PEER_MAJOR_VERSION}.${PEER_MINOR_VERSION})`);
        }
        this.version = v;
        this.step = 'host';
      } else if (this.step === 'host') {
        if (line !== this.opts.localPeer) return this.reject(PEER_STATUS.LOCAL_PEER_MISMATCH, `hello is addressed to '${line}', this peer is '${this.opts.localPeer}'`);
        this.step = 'peer';
      } else {
        return this.lastLine(line);
      }
    }
  }

  private lastLine(line: string): AcceptorOutcome {
    const sp = line.indexOf(' ');
    if (sp <= 0) return this.reject(PEER_STATUS.PROTOCOL_ERROR, `hello's last line '${line.slice(0, 40)}' is not '<peer name> <pid> <relative pid>'`);
    const [pid, rel] = line.slice(sp + 1).split(' ');
    const hello: PeerHello = {
      major: this.version.major,
      minor: this.version.minor,
      remotePeer: this.opts.localPeer,
      localPeer: line.slice(0, sp),
      pid: /^\d+$/.test(pid ?? '') ? Number(pid) : 0,
      relativePid: /^\d+$/.test(rel ?? '') ? Number(rel) : 0,
    };
    const conn = this.opts.conn ?? 0;
    if (PTP.helloRcvd.on) PTP.helloRcvd.emit(conn, 0, 0, 0, 0, `${PEER_PROTO_NAME} ${hello.major}.${hello.minor} to=${hello.remotePeer} from=${hello.localPeer} pid=${hello.pid}`);
    const status = this.opts.decide
      ? this.opts.decide(hello)
      : (this.opts.knownPeers ?? []).includes(hello.localPeer)
        ? PEER_STATUS.SUCCESS
        : PEER_STATUS.REMOTE_PEER_MISMATCH;
    if (status !== PEER_STATUS.SUCCESS) {
      const why = status === PEER_STATUS.REMOTE_PEER_MISMATCH ? `'${hello.localPeer}' is not a known peer` : PEER_STATUS_TEXT[status] ?? `status ${status}`;
      return this.reject(status, why);
    }
    this.step = 'done';
    if (PTP.statusSent.on) PTP.statusSent.emit(conn, 0, status, 0, 0, `${PEER_STATUS_TEXT[status]} (${hello.localPeer})`);
    return { kind: 'accepted', hello, downgraded: hello.minor === 0, send: encodeStatus(status), rest: this.lines.rest() };
  }

  private reject(status: PeerStatus, reason: string): AcceptorOutcome {
    this.step = 'done';
    if (PTP.statusSent.on) PTP.statusSent.emit(this.opts.conn ?? 0, 0, status, 0, 0, `${PEER_STATUS_TEXT[status]}: ${reason}`);
    return { kind: 'rejected', status, reason, send: encodeStatus(status) };
  }
}

/** Options of the connecting side. */
export interface InitiatorOptions {
  /** This peer's name (the hello's third line). */
  readonly localPeer: string;
  /** The name of the peer connected to (the hello's second line). */
  readonly remotePeer: string;
  readonly pid: number;
  /** Relative process id; HAProxy sends 1 (default). */
  readonly relativePid?: number;
  /** Minor version to announce: 1 (default) or 0 after a peer answered 502 (downgrade, as HAProxy). */
  readonly minor?: 0 | 1;
  /** Longest accepted status line in bytes (default 1024). */
  readonly maxLineLength?: number;
  /** Connection id recorded in `peers` trace events. */
  readonly conn?: number;
}

/** What the initiator has reached after the bytes received so far. */
export type InitiatorOutcome =
  | { readonly kind: 'need-more' }
  /** Status 200; `rest` are bytes received after the status line (messages). */
  | { readonly kind: 'established'; readonly rest: Uint8Array }
  /** Another status: close, and reconnect later; after 502, `downgrade` says to retry announcing 2.0. */
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string; readonly downgrade: boolean }
  /** The status line is not three digits. */
  | { readonly kind: 'error'; readonly reason: string };

/**
 * The connecting side of a handshake: send `hello()`, then feed received bytes to `receive` until it
 * answers established, refused or error. Further calls are a caller error.
 */
export class PeerInitiator {
  private readonly opts: InitiatorOptions;
  private readonly lines: Lines;
  private done = false;

  constructor(opts: InitiatorOptions) {
    this.opts = opts;
    this.lines = new Lines(opts.maxLineLength ?? PEER_MAX_LINE);
  }

  /** The hello message to send first. Throws TypeError for invalid peer names. */
  hello(): Uint8Array {
    const o = this.opts;
    const h: PeerHello = {
      major: PEER_MAJOR_VERSION,
      minor: o.minor ?? PEER_MINOR_VERSION,
      remotePeer: o.remotePeer,
      localPeer: o.localPeer,
      pid: o.pid,
      relativePid: o.relativePid ?? 1,
    };
    const bytes = encodeHello(h);
    if (PTP.helloSent.on) PTP.helloSent.emit(o.conn ?? 0, 0, 0, 0, 0, `${PEER_PROTO_NAME} ${h.major}.${h.minor} to=${h.remotePeer} from=${h.localPeer} pid=${h.pid}`);
    return bytes;
  }

  /** Consumes received bytes; see InitiatorOutcome. Throws Error when called after a final outcome. */
  receive(bytes: Uint8Array): InitiatorOutcome {
    if (this.done) throw new Error('peers initiator: the handshake is already over; pass further bytes to the message decoder');
    this.lines.push(bytes);
    const line = this.lines.next();
    if (line === undefined) return { kind: 'need-more' };
    this.done = true;
    if (line === 'too-long' || !/^\d{3}$/.test(line)) {
      const reason = line === 'too-long' ? 'status line too long' : `status line '${line.slice(0, 40)}' is not a 3-digit code`;
      if (PTP.protoError.on) PTP.protoError.emit(this.opts.conn ?? 0, 0, 0, 0, 0, reason);
      return { kind: 'error', reason };
    }
    const status = Number(line);
    const text = PEER_STATUS_TEXT[status] ?? 'unknown status';
    if (PTP.statusRcvd.on) PTP.statusRcvd.emit(this.opts.conn ?? 0, 0, status, 0, 0, `${text} (${this.opts.remotePeer})`);
    if (status === PEER_STATUS.SUCCESS) return { kind: 'established', rest: this.lines.rest() };
    return { kind: 'refused', status, reason: `${this.opts.remotePeer} answered ${status}: ${text}`, downgrade: status === PEER_STATUS.BAD_VERSION };
  }
}
