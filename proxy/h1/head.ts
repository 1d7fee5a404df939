/**
 * The `head` event of the HTTP/1.1 request parser (H1HeadEvent): the request line, the header
 * fields in order, and what the framing rules decided (persistence, body kind, 100-continue).
 */
import type { H1BodyKind, H1Header, H1HeadEvent, H1TargetForm, H1Version } from './h1.types.ts';
import { fieldNameIs } from './chars.ts';

/**
 * The value of the first field named `name` (any case, RFC 9110 §5.1) in `headers`, or undefined.
 * The lookup of request and response heads and of the ACL context.
 */
export function fieldValue(headers: readonly H1Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const h of headers) if (fieldNameIs(h[0], lower)) return h[1];
  return undefined;
}

/** The values of every field named `name` (any case) in `headers`, in order. */
export function fieldValues(headers: readonly H1Header[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const h of headers) if (fieldNameIs(h[0], lower)) out.push(h[1]);
  return out;
}

/**
 * A parsed request head. A class so that the case-insensitive lookups are shared methods rather than
 * per-event closures (events stay plain data for structural comparison and tracing). Field names are
 * compared ignoring ASCII case (RFC 9110 §5.1); get() returns the first field of that name.
 */
export class RequestHead implements H1HeadEvent {
  readonly type = 'head' as const;
  method: string;
  target: string;
  targetForm: H1TargetForm;
  version: H1Version;
  headers: H1Header[];
  keepAlive: boolean;
  bodyKind: H1BodyKind;
  contentLength?: number;
  expectContinue: boolean;

  constructor(
    method: string,
    target: string,
    targetForm: H1TargetForm,
    version: H1Version,
    headers: H1Header[],
    keepAlive: boolean,
    bodyKind: H1BodyKind,
    contentLength: number | undefined,
    expectContinue: boolean,
  ) {
    this.method = method;
    this.target = target;
    this.targetForm = targetForm;
    this.version = version;
    this.headers = headers;
    this.keepAlive = keepAlive;
    this.bodyKind = bodyKind;
    if (contentLength !== undefined) this.contentLength = contentLength;
    this.expectContinue = expectContinue;
  }

  /** The value of the first field named `name` (any case), or undefined. */
  get(name: string): string | undefined {
    return fieldValue(this.headers, name);
  }

  /** The values of every field named `name` (any case), in order. */
  getAll(name: string): string[] {
    return fieldValues(this.headers, name);
  }

  /** Whether a field named `name` (any case) is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}
