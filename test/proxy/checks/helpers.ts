/** Shared helpers of the checks and backend-state tests: a parsed configuration, a captured log. */
import { expect } from 'vitest';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import type { Config } from '../../../proxy/config/config.types.ts';
import { BackendStates } from '../../../proxy/supervisor/backend-state.ts';

/** Parses a configuration made of `lines` after a minimal frontend; fails the test on alerts. */
export function config(lines: string[]): Config {
  const text = ['defaults', '    mode http', '    timeout client 5s', '    timeout connect 1s', '    timeout server 5s', 'frontend fe', '    bind 127.0.0.1:8080', '    default_backend be', ...lines, ''].join('\n');
  const r = parseConfigText('t.cfg', text, { env: {}, cwd: process.cwd() });
  expect(r.alerts.map((a) => a.formatted)).toEqual([]);
  return r.config!;
}

/** BackendStates over `lines` with its log captured. */
export function states(lines: string[]): { st: BackendStates; log: string[] } {
  const log: string[] = [];
  return { st: new BackendStates(config(lines), (l) => log.push(l)), log };
}
