import { describe, expect, it } from 'vitest';
import { LexError, lexLine, lexText, splitLines } from '../../../proxy/config/lexer.ts';

const env = { HOME: '/home/fb', PORT: '8080', EMPTY: '' };
const words = (line: string, extra: Partial<Parameters<typeof lexLine>[1]> = {}) => lexLine(line, { env, ...extra }).words;

function lexError(line: string, extra: Partial<Parameters<typeof lexLine>[1]> = {}): LexError {
  try {
    lexLine(line, { env, ...extra });
  } catch (err) {
    if (err instanceof LexError) return err;
    throw err;
  }
  throw new Error(`no error for ${line}`);
}

describe('lexLine: words and comments', () => {
  it('splits on spaces and tabs, ignoring leading blanks', () => {
    expect(words('  bind\t:8080   name  web ')).toEqual(['bind', ':8080', 'name', 'web']);
  });
  it('ignores blank and comment-only lines', () => {
    expect(words('')).toEqual([]);
    expect(words('    # just a comment')).toEqual([]);
  });
  it('starts a comment at # even glued to a word', () => {
    expect(words('maxconn 100 # the limit')).toEqual(['maxconn', '100']);
    expect(words('maxconn 100#limit')).toEqual(['maxconn', '100']);
  });
  it('keeps # inside quotes and when escaped', () => {
    expect(words('string "a # b" \'c # d\' e\\#f')).toEqual(['string', 'a # b', 'c # d', 'e#f']);
  });
  it('keeps the raw line unexpanded', () => {
    const l = lexLine('bind "${HOST-*}:${PORT}" # c', { env });
    expect(l.raw).toBe('bind "${HOST-*}:${PORT}" # c');
    expect(l.words).toEqual(['bind', '*:8080']);
  });
});

describe('lexLine: quotes', () => {
  it('groups words in double and single quotes, gluing adjacent text', () => {
    expect(words('a"b c"d')).toEqual(['ab cd']);
    expect(words(`x 'one two' "three four"`)).toEqual(['x', 'one two', 'three four']);
  });
  it('makes an empty word from empty quotes', () => {
    expect(words('a "" b')).toEqual(['a', '', 'b']);
  });
  it('keeps single-quoted text literal: no escapes, no expansion', () => {
    expect(words(`'\\n \${HOME} $HOME'`)).toEqual(['\\n ${HOME} $HOME']);
  });
  it('applies escapes inside double quotes', () => {
    expect(words('"a\\"b\\tc\\nd\\\\e"')).toEqual(['a"b\tc\nd\\e']);
  });
  it('reports an unmatched double quote with its column', () => {
    const e = lexError('string "abc');
    expect(e.column).toBe(8);
    expect(e.message).toMatch(/unmatched double quote opened at column 8/);
  });
  it('reports an unmatched single quote', () => {
    expect(lexError("x 'abc").message).toMatch(/unmatched single quote opened at column 3/);
  });
});

describe('lexLine: backslash escapes outside single quotes', () => {
  it('decodes space, #, backslash, quotes and control characters', () => {
    expect(words('a\\ b \\#c \\\\d \\"e \\\'f')).toEqual(['a b', '#c', '\\d', '"e', "'f"]);
    expect(words('\\r\\n\\t')).toEqual(['\r\n\t']);
  });
  it('decodes \\xHH', () => {
    expect(words('\\x41\\x62 "\\x20"')).toEqual(['Ab', ' ']);
  });
  it('keeps other backslashes as written (HAProxy does too)', () => {
    expect(words('^/api/\\d+$')).toEqual(['^/api/\\d+$']);
    expect(words('end\\')).toEqual(['end\\']);
  });
  it('rejects a \\x without two hex digits, with its column', () => {
    const e = lexError('abc \\xZ1');
    expect(e.column).toBe(5);
    expect(e.message).toMatch(/invalid escape '\\xZ1'/);
    expect(lexError('"\\x4"').message).toMatch(/two hexadecimal digits/);
  });
});

describe('lexLine: environment variables', () => {
  it('expands ${VAR} and $VAR inside double quotes', () => {
    expect(words('"${HOME}/x" "$HOME/y" "a${PORT}b"')).toEqual(['/home/fb/x', '/home/fb/y', 'a8080b']);
  });
  it('uses the default of ${VAR-default} only when VAR is unset', () => {
    expect(words('"${NOPE-fallback}" "${PORT-1}" "${EMPTY-x}"')).toEqual(['fallback', '8080', '']);
  });
  it('keeps an expanded value as one word even with spaces', () => {
    expect(lexLine('"${V}"', { env: { V: 'a b' } }).words).toEqual(['a b']);
  });
  it('does not expand outside double quotes and warns about ${', () => {
    const l = lexLine('bind :${PORT} $HOME', { env });
    expect(l.words).toEqual(['bind', ':${PORT}', '$HOME']);
    expect(l.warnings).toHaveLength(1);
    expect(l.warnings[0]).toMatch(/'\$\{PORT\}' at column 7 is outside double quotes/);
  });
  it('keeps a lone $ literal', () => {
    expect(words('"cost $5 $"')).toEqual(['cost $5 $']);
  });
  it('uses the env passed in, never process.env', () => {
    process.env.FLIGHTBOX_LEXER_TEST = 'leak';
    try {
      expect(lexLine('"${FLIGHTBOX_LEXER_TEST-none}"', { env: {} }).words).toEqual(['none']);
    } finally {
      delete process.env.FLIGHTBOX_LEXER_TEST;
    }
  });
  it('expands an unset variable to an empty string with a warning', () => {
    const l = lexLine('x "a${NOPE}b"', { env });
    expect(l.words).toEqual(['x', 'ab']);
    expect(l.warnings[0]).toMatch(/environment variable 'NOPE' is not set/);
  });
  it('rejects an unset variable in strict mode', () => {
    const e = lexError('x "${NOPE}"', { strictEnv: true });
    expect(e.message).toMatch(/environment variable 'NOPE' is not set/);
    expect(e.column).toBe(4);
  });
  it('rejects an unterminated ${ and a bad name', () => {
    expect(lexError('"${HOME"').message).toMatch(/unterminated '\$\{' at column 2/);
    expect(lexError('"${1x}"').message).toMatch(/invalid variable name '1x'/);
  });
  it('prefers pseudo-variables such as .LINE', () => {
    expect(lexLine('"${.FILE}:${.LINE}"', { env, pseudo: { '.FILE': 'a.cfg', '.LINE': '7' } }).words).toEqual(['a.cfg:7']);
  });
});

describe('lexText', () => {
  it('numbers lines, skips empty ones and reports every bad line', () => {
    const r = lexText('global\r\n  # c\n  a "b\n\n  c \\xQQ\n  d "${X}"\n', { env: {} });
    expect(r.lines.map((l) => [l.line, l.words])).toEqual([
      [1, ['global']],
      [6, ['d', '']],
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([3, 5]);
    expect(r.warnings.map((w) => w.line)).toEqual([6]);
  });
  it('splits LF and CRLF without a phantom last line', () => {
    expect(splitLines('a\r\nb\nc\n')).toEqual(['a', 'b', 'c']);
    expect(splitLines('a')).toEqual(['a']);
  });
});
