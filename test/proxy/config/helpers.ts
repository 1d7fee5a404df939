import type { ParseOptions, ParseResult } from '../../../proxy/config/config.types.ts';
import { parseConfigText } from '../../../proxy/config/parser.ts';

/** Parses `text` as file `t.cfg` with an empty environment. */
export function parse(text: string, opts: Partial<ParseOptions> = {}): ParseResult {
  return parseConfigText('t.cfg', text, { env: {}, cwd: '/srv/fb', ...opts });
}

/** The formatted alert lines of a result. */
export function alerts(r: ParseResult): string[] {
  return r.alerts.map((a) => a.formatted);
}

/** The formatted warning lines of a result. */
export function warnings(r: ParseResult): string[] {
  return r.warnings.map((a) => a.formatted);
}

/** Parses `text` and fails the test unless it is valid without alerts; returns the config. */
export function parseOk(text: string, opts: Partial<ParseOptions> = {}) {
  const r = parse(text, opts);
  if (r.alerts.length > 0 || !r.config) throw new Error(`unexpected alerts:\n${alerts(r).join('\n')}`);
  return r.config;
}

/** A minimal valid frontend, to append to texts under test. */
export const FRONTEND = 'frontend fe\n  bind :8080\n  timeout client 5s\n';
