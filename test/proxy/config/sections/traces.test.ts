import { describe, expect, it } from 'vitest';
import { alerts, parse, parseOk } from '../helpers.ts';

describe('traces section', () => {
  it('keeps each trace line as words after "trace", with file:line, across sections', () => {
    const c = parseOk('traces\n  trace h1 sink buf0 level user\n  trace h2 start now\ntraces\n  trace "quic" verbosity "clean"\n');
    expect(c.traces).toEqual([
      { args: ['h1', 'sink', 'buf0', 'level', 'user'], file: 't.cfg', line: 2 },
      { args: ['h2', 'start', 'now'], file: 't.cfg', line: 3 },
      { args: ['quic', 'verbosity', 'clean'], file: 't.cfg', line: 5 },
    ]);
  });
  it('requires a source and the word trace', () => {
    expect(alerts(parse('traces\n  trace\n  h1 level user\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'trace' : missing trace source, expected 'trace <source> [<args>...]' (e.g. 'trace h1 sink buf0 level user start now').",
      "[ALERT] config : parsing [t.cfg:3] : unknown keyword 'h1' in 'traces' section",
    ]);
  });
});
