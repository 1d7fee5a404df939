/**
 * The `head` event of the HTTP/1.1 request parser (H1HeadEvent): the request line, the header
 * fields in order, and what the framing rules decided (persistence, body kind, 100-continue).
 */
import type { H1BodyKind, H1Header, H1HeadEvent, H1TargetForm, H1Version } from './h1.types.ts';
import { fieldNameIs as nameIs } from './chars.ts';

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
    const lower = name.toLowerCase();
    for (const h of this.headers) if (nameIs(h[0], lower)) return h[1];
    return undefined;
  }

  /** The values of every field named `name` (any case), in order. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (const h of this.headers) if (nameIs(h[0], lower)) out.push(h[1]);
    return out;
  }

  /** Whether a field named `name` (any case) is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}
