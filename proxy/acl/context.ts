/**
 * Builds the {@link RequestContext} ACLs are evaluated against, from a parsed HTTP/1.x request
 * head (proxy/h1) and what the connection knows (addresses, TLS).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { H1Header, H1HeadEvent, H1Version } from '../h1/h1.types.ts';
import type { AclHeaders, RequestContext } from './acl.types.ts';
import { splitTarget } from './http-values.ts';
import { fieldValue, fieldValues } from '../h1/head.ts';

/** What the connection driver knows about the connection that carried a request. */
export interface ConnectionFacts {
  /** Client address as the socket reports it (`remoteAddress`). */
  src: string;
  srcPort: number;
  /** Local port (`localPort`). */
  dstPort: number;
  /** The client connection is TLS (`bind ... ssl`): `ssl_fc`. */
  ssl: boolean;
  /** The server name the client sent in its TLS handshake (`ssl_fc_sni`); absent when none. */
  sni?: string;
}

/**
 * The facts of an accepted socket: addresses, and for a TLS socket whose handshake completed
 * (proxy/tls/listener.ts) `ssl` and the SNI the client sent.
 */
export function connectionFacts(sock: Socket): ConnectionFacts {
  const f: ConnectionFacts = { src: sock.remoteAddress ?? '', srcPort: sock.remotePort ?? 0, dstPort: sock.localPort ?? 0, ssl: false };
  const t = sock as Partial<TLSSocket>;
  if (t.encrypted === true) {
    f.ssl = true;
    if (typeof t.servername === 'string' && t.servername !== '') f.sni = t.servername;
  }
  return f;
}

/** The context of a request: path and query split from the target as HAProxy's fetches do. */
export function requestContextFromHead(head: H1HeadEvent, conn: ConnectionFacts): RequestContext {
  const { path, query } = splitTarget(head.target);
  const ctx: RequestContext = {
    method: head.method,
    path,
    query,
    url: head.target,
    version: head.version,
    headers: head,
    src: conn.src,
    srcPort: conn.srcPort,
    dstPort: conn.dstPort,
    ssl: conn.ssl,
  };
  if (conn.sni !== undefined) ctx.sni = conn.sni;
  return ctx;
}

/** Header lookups over a list of field lines (names compared ignoring ASCII case, RFC 9110 §5.1). */
export function headersFromFields(fields: readonly H1Header[]): AclHeaders {
  return { get: (name) => fieldValue(fields, name), getAll: (name) => fieldValues(fields, name), headers: fields };
}

/** Fields of {@link requestContext}; every one optional. */
export interface RequestContextInit {
  method?: string;
  target?: string;
  version?: H1Version;
  headers?: readonly H1Header[];
  src?: string;
  srcPort?: number;
  dstPort?: number;
  ssl?: boolean;
  sni?: string;
}

/**
 * A context from plain values, for tests and runtime tools: defaults are `GET / HTTP/1.1`, no
 * headers, client 127.0.0.1:40000, port 80, no TLS.
 */
export function requestContext(init: RequestContextInit = {}): RequestContext {
  const target = init.target ?? '/';
  const { path, query } = splitTarget(target);
  const ctx: RequestContext = {
    method: init.method ?? 'GET',
    path,
    query,
    url: target,
    version: init.version ?? '1.1',
    headers: headersFromFields(init.headers ?? []),
    src: init.src ?? '127.0.0.1',
    srcPort: init.srcPort ?? 40000,
    dstPort: init.dstPort ?? 80,
    ssl: init.ssl ?? false,
  };
  if (init.sni !== undefined) ctx.sni = init.sni;
  return ctx;
}
