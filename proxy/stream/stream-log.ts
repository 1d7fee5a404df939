/**
 * The traffic-log facts both client drivers keep (HTTP/1.1 in proxy/h1/conn.ts, HTTP/3 in
 * proxy/h3/driver.ts): how many connections each frontend has open on this thread (`%fc`; each
 * driver counts its own), and the log record (proxy/log/httplog.ts) of a stream that ends.
 */
import type { StreamLog } from '../log/httplog.ts';
import type { ForwardLog } from './forward.ts';

/** Connections open per frontend on this thread (`%fc`), counted by one client driver. */
export class FrontendConns {
  private readonly open = new Map<string, number>();

  /** A client connection of frontend `fe` opened. */
  opened(fe: string): void {
    this.open.set(fe, (this.open.get(fe) ?? 0) + 1);
  }

  /** A client connection of frontend `fe` closed (once per opened()). */
  closed(fe: string): void {
    this.open.set(fe, (this.open.get(fe) ?? 1) - 1);
  }

  /** Connections frontend `fe` has open. */
  count(fe: string): number {
    return this.open.get(fe) ?? 0;
  }
}

/** What a driver knows of a stream when it ends. */
export interface EndedStream {
  /** First byte of the request, head complete (epoch ms). */
  start: number;
  headAt: number;
  /** Status the driver answered itself (> 0), else the forward's. */
  status: number;
  /** Bytes the driver sent itself (>= 0), else the forward's. */
  bytes: number;
  /** Termination the driver decided, else the forward's. */
  term: string | undefined;
  /** What forwarding recorded, when the stream was forwarded. */
  flog: ForwardLog | undefined;
}

/** Who the stream's client is, for its log line. */
export interface LogClient {
  clientIp: string;
  clientPort: number;
  frontend: string;
  ssl: boolean;
}

/**
 * The HTTP log record of stream `s` ending at `now`: the driver's own answer wins over what the
 * forward recorded; `feconn` is `%fc`, and `actconn` (`%ac`) defaults to it.
 */
export function endedStreamLog(s: EndedStream, client: LogClient, requestLine: string | undefined, actconn: number | undefined, feconn: number, now: number): StreamLog {
  const f = s.flog;
  return {
    ...client,
    start: s.start,
    backend: f?.backend,
    server: f?.server,
    tR: s.headAt - s.start,
    tw: f?.tw ?? -1,
    tc: f?.tc ?? -1,
    tr: f?.tr ?? -1,
    ta: now - s.start,
    status: s.status > 0 ? s.status : (f?.status ?? -1),
    bytes: s.bytes >= 0 ? s.bytes : (f?.bytes ?? 0),
    termination: s.term ?? f?.termination ?? '--',
    actconn: actconn ?? feconn,
    feconn,
    beconn: f?.beconn ?? 0,
    srvConn: f?.srvConn ?? 0,
    retries: f?.retries ?? 0,
    redispatched: f?.redispatched ?? false,
    srvQueue: f?.srvQueue ?? 0,
    backendQueue: 0,
    requestLine,
  };
}
