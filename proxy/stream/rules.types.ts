/**
 * Types of the compiled `http-request` / `http-response` rules (proxy/stream/rules.ts). No logic
 * here: the snapshot and CLI side may name them without pulling the rule engine in.
 */
import type { SourceRef } from '../config/config.types.ts';

/**
 * An answer built by the proxy itself instead of forwarding (or instead of the server's response):
 * - `error-page`: HAProxy's error page for `status` (proxy/h1/errors.ts), which closes the
 *   connection (`http-request deny` without payload, `http-response deny`);
 * - `message`: a response framed by Content-Length (`return`, `redirect`, `deny` with a payload);
 *   `close` forces the connection to close after it (deny), else the request's keep-alive decides.
 */
export type RuleReply =
  | { kind: 'error-page'; status: number; why: string }
  | {
      kind: 'message';
      status: number;
      headers: [string, string][];
      body: Uint8Array;
      close: boolean;
      why: string;
    };

/** A rule line that does not compile: where it was written, and the alert text (HAProxy's wording). */
export interface RuleError {
  ref: SourceRef;
  message: string;
}
