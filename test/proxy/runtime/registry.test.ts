import { describe, expect, it } from 'vitest';
import { CommandError, createRegistry, formatUsageLine, levelAtLeast } from '../../../proxy/runtime/registry.ts';
import type { CommandSpec, RuntimeLevel } from '../../../proxy/runtime/runtime.types.ts';

const noop = (): string => '';

function spec(words: string[], level: RuntimeLevel = 'user', extra: Partial<CommandSpec> = {}): CommandSpec {
  return { words, level, usage: words.join(' '), help: `does ${words.join(' ')}`, handler: noop, ...extra };
}

describe('registry.register', () => {
  it('refuses a second registration of the same words, naming the command', () => {
    const r = createRegistry({ builtins: false });
    r.register(spec(['show', 'pools']));
    expect(() => r.register(spec(['show', 'pools'], 'admin'))).toThrow(/runtime command 'show pools' is already registered/);
  });

  it('holds the built-in commands, so registering "help" or "prompt" again throws', () => {
    const r = createRegistry();
    expect(() => r.register(spec(['help']))).toThrow(/'help' is already registered/);
    expect(() => r.register(spec(['prompt']))).toThrow(/already registered/);
    expect(r.commands().map((c) => c.name)).toEqual(
      expect.arrayContaining(['help', 'prompt', 'quit', 'user', 'operator', 'expert-mode', 'show cli level']),
    );
  });

  it('rejects malformed specs with a message saying what is wrong', () => {
    const r = createRegistry({ builtins: false });
    expect(() => r.register(spec([]))).toThrow(/at least one keyword/);
    expect(() => r.register(spec(['show pools']))).toThrow(/without spaces/);
    expect(() => r.register(spec(['show'], 'root' as RuntimeLevel))).toThrow(/not one of user, operator, admin/);
  });
});

describe('registry.lookup', () => {
  it('picks the longest registered word prefix and returns the remaining words as args', () => {
    const r = createRegistry({ builtins: false });
    r.register(spec(['show']));
    r.register(spec(['show', 'pools']));
    r.register(spec(['show', 'pools', 'x', 'y', 'z']));
    const m = r.lookup(['show', 'pools', 'byname', '10']);
    expect(m?.command.name).toBe('show pools');
    expect(m?.args).toEqual(['byname', '10']);
    expect(r.lookup(['show', 'info'])?.command.name).toBe('show');
    expect(r.lookup(['clear'])).toBeUndefined();
  });

  it('finds commands whatever their level (the server answers Permission denied)', () => {
    const r = createRegistry({ builtins: false });
    r.register(spec(['debug', 'dev', 'panic'], 'admin', { expert: true }));
    expect(r.lookup(['debug', 'dev', 'panic'])?.command.expert).toBe(true);
  });
});

describe('help and unknown-command text', () => {
  function sample() {
    const r = createRegistry();
    r.register(spec(['show', 'pools'], 'user', { usage: 'show pools [byname|bysize] [<nb>]', help: 'report pools' }));
    r.register(spec(['show', 'info'], 'user', { usage: 'show info', help: 'report process information' }));
    r.register(spec(['clear', 'counters'], 'operator', { usage: 'clear counters', help: 'clear max counters' }));
    r.register(spec(['shutdown', 'session'], 'admin', { usage: 'shutdown session <id>', help: 'kill a session' }));
    r.register(spec(['debug', 'dev', 'panic'], 'admin', { expert: true, usage: 'debug dev panic', help: 'crash' }));
    return r;
  }

  it('formats usage lines on HAProxy column 40', () => {
    expect(formatUsageLine('help [<command>]', 'list matching or all commands')).toBe(
      '  help [<command>]                        : list matching or all commands\n',
    );
    expect(formatUsageLine('x'.repeat(45), 'h')).toBe(`  ${'x'.repeat(45)} : h\n`);
  });

  it('lists, sorted, the commands of the session level only, then help/prompt/quit', () => {
    const text = sample().helpText([], { level: 'operator', expert: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('The following commands are valid at this level:');
    expect(text).toContain('  clear counters                          : clear max counters\n');
    expect(text).toContain('  show pools [byname|bysize] [<nb>]       : report pools\n');
    expect(text).not.toContain('shutdown session');
    expect(text).not.toContain('debug dev');
    expect(text).not.toContain('expert-mode');
    const listed = lines.slice(1, -4).map((l) => l.trim().split(/\s+:/)[0]);
    expect(listed).toEqual([...listed].sort());
    expect(text.endsWith(
      '  help [<command>]                        : list matching or all commands\n' +
        '  prompt [help | n | i | p]               : toggle interactive mode with prompt\n' +
        '  quit                                    : disconnect\n',
    )).toBe(true);
  });

  it('shows admin commands to admin sessions and expert commands only in expert mode', () => {
    const r = sample();
    expect(r.helpText([], { level: 'admin', expert: false })).toContain('shutdown session <id>');
    expect(r.helpText([], { level: 'admin', expert: false })).not.toContain('debug dev panic');
    expect(r.helpText([], { level: 'admin', expert: true })).toContain('debug dev panic');
  });

  it('"help show" lists only the commands starting with show', () => {
    const text = sample().helpText(['show'], { level: 'admin', expert: false });
    expect(text).toContain('show pools');
    expect(text).toContain('show info');
    expect(text).not.toContain('clear counters');
  });

  it("answers an unknown command with HAProxy's 2.7+ wording and close suggestions", () => {
    const r = sample();
    const text = r.unknownCommandText(['show', 'pool'], { level: 'user', expert: false });
    expect(text.startsWith("Unknown command: 'show', but maybe one of the following ones is a better match:\n")).toBe(true);
    expect(text).toContain('show pools');
    expect(text).not.toContain('show info ');
    const xyz = r.unknownCommandText(['xyz'], { level: 'user', expert: false });
    expect(xyz.split('\n')[0]).toBe("Unknown command: 'xyz', but maybe one of the following ones is a better match:");
    expect(xyz).toContain('  quit ');
  });
});

describe('levels and errors', () => {
  it('orders levels user < operator < admin', () => {
    expect(levelAtLeast('admin', 'operator')).toBe(true);
    expect(levelAtLeast('operator', 'operator')).toBe(true);
    expect(levelAtLeast('user', 'operator')).toBe(false);
  });

  it('CommandError is an Error carrying the user message', () => {
    const e = new CommandError('No such backend.');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('No such backend.');
  });
});
