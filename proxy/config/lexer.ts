/**
 * Line tokeniser of HAProxy's configuration language (HAProxy configuration manual, 2.2 "Quoting
 * and escaping" and 2.3 "Environment variables"; `parse_line()` in HAProxy's src/tools.c).
 *
 * - Words are separated by spaces and tabs; leading blanks are ignored.
 * - `#` starts a comment anywhere outside quotes, unless escaped (`\#`).
 * - Double quotes group words; backslash escapes and `$VAR` / `${VAR}` / `${VAR-default}` expansion
 *   apply inside them. Quotes may be glued to other text: `a"b c"d` is the single word `ab cd`.
 * - Single quotes are literal: no escape, no expansion.
 * - Outside single quotes, a backslash escapes ` `, `#`, `\`, `"`, `'`, and `\r`, `\n`, `\t`, `\xHH`
 *   give CR, LF, TAB and the character U+00HH. Any other backslash is kept as written, as HAProxy.
 * - As in HAProxy, environment variables are expanded only inside double quotes. `$` elsewhere is
 *   literal; a `${` outside double quotes earns a warning because it is almost always a mistake.
 *
 * The environment is passed in explicitly; this module never reads `process.env`.
 */

/** Options of {@link lexLine}. */
export interface LexOptions {
  /** Variables available to `"${VAR}"`. */
  env: Record<string, string | undefined>;
  /**
   * Pseudo-variables that take precedence over `env` (the parser passes HAProxy's `.FILE`,
   * `.LINE` and `.SECTION`).
   */
  pseudo?: Record<string, string>;
  /** When true, an unset variable without a default throws; otherwise it expands to '' with a warning. */
  strictEnv?: boolean;
}

/** A tokenised line: the words after quoting, escaping and expansion, plus the line as written. */
export interface LexedLine {
  words: string[];
  /** The line exactly as written (no expansion), without its end-of-line characters. */
  raw: string;
  /** Non-fatal remarks (unset variables, `${` outside quotes). */
  warnings: string[];
}

/** A line that cannot be tokenised; `column` is 1-based and points at the offending character. */
export class LexError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.name = 'LexError';
    this.column = column;
  }
}

const HEX = /^[0-9a-fA-F]{2}$/;
const VAR_FIRST = /[A-Za-z_]/;
const VAR_CHAR = /[A-Za-z0-9_]/;
const BRACED_NAME = /^[A-Za-z_.][A-Za-z0-9_.]*$/;

/**
 * Tokenises one configuration line. Throws {@link LexError} for an unmatched quote, a bad `\x`
 * escape, an unterminated `${`, an invalid variable name, or (with `strictEnv`) an unset variable.
 */
export function lexLine(raw: string, opts: LexOptions): LexedLine {
  const words: string[] = [];
  const warnings: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  let quoteCol = 0;
  let i = 0;
  while (i < raw.length) {
    const c = raw[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') {
        quote = undefined;
        i++;
      } else if (c === '\\') {
        const [text, next] = escape(raw, i);
        cur += text;
        i = next;
      } else if (c === '$') {
        const [text, next] = expand(raw, i, opts, warnings);
        cur += text;
        i = next;
      } else {
        cur += c;
        i++;
      }
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === '#') break;
    inWord = true;
    if (c === '"' || c === "'") {
      quote = c;
      quoteCol = i + 1;
      i++;
    } else if (c === '\\') {
      const [text, next] = escape(raw, i);
      cur += text;
      i = next;
    } else {
      if (c === '$' && raw[i + 1] === '{') {
        warnings.push(
          `'${raw.slice(i, raw.indexOf('}', i) + 1 || undefined)}' at column ${i + 1} is outside double quotes and is not expanded; ` +
            'environment variables are only expanded inside double quotes, e.g. "${VAR}"',
        );
      }
      cur += c;
      i++;
    }
  }
  if (quote !== undefined) {
    const name = quote === '"' ? 'double' : 'single';
    throw new LexError(
      `unmatched ${name} quote opened at column ${quoteCol}; close it with ${quote} or escape it with a backslash`,
      quoteCol,
    );
  }
  if (inWord) words.push(cur);
  return { words, raw, warnings };
}

/** Decodes the backslash sequence at `raw[i]` (outside single quotes). Returns [text, next index]. */
function escape(raw: string, i: number): [string, number] {
  const n = raw[i + 1];
  switch (n) {
    case ' ':
    case '\\':
    case '#':
    case '"':
    case "'":
      return [n, i + 2];
    case 'r':
      return ['\r', i + 2];
    case 'n':
      return ['\n', i + 2];
    case 't':
      return ['\t', i + 2];
    case 'x': {
      const hex = raw.slice(i + 2, i + 4);
      if (!HEX.test(hex)) {
        throw new LexError(
          `invalid escape '\\x${hex}' at column ${i + 1}: '\\x' must be followed by two hexadecimal digits (e.g. '\\x41')`,
          i + 1,
        );
      }
      return [String.fromCharCode(parseInt(hex, 16)), i + 4];
    }
    default:
      // Not an escape sequence for HAProxy either: the backslash stays (e.g. regex '\d').
      return ['\\', i + 1];
  }
}

/** Expands the `$` at `raw[i]` inside double quotes. Returns [text, next index]. */
function expand(raw: string, i: number, opts: LexOptions, warnings: string[]): [string, number] {
  let name: string;
  let fallback: string | undefined;
  let next: number;
  if (raw[i + 1] === '{') {
    const close = raw.indexOf('}', i + 2);
    if (close < 0) {
      throw new LexError(`unterminated '\${' at column ${i + 1}; write '\${NAME}', or use single quotes to keep it literal`, i + 1);
    }
    const inner = raw.slice(i + 2, close);
    const dash = inner.indexOf('-');
    name = dash < 0 ? inner : inner.slice(0, dash);
    fallback = dash < 0 ? undefined : inner.slice(dash + 1);
    if (!BRACED_NAME.test(name)) {
      throw new LexError(
        `invalid variable name '${name}' in '\${${inner}}' at column ${i + 1}; names use letters, digits and '_'`,
        i + 1,
      );
    }
    next = close + 1;
  } else if (i + 1 < raw.length && VAR_FIRST.test(raw[i + 1])) {
    let j = i + 1;
    while (j < raw.length && VAR_CHAR.test(raw[j])) j++;
    name = raw.slice(i + 1, j);
    next = j;
  } else {
    return ['$', i + 1];
  }
  const value = Object.hasOwn(opts.pseudo ?? {}, name) ? opts.pseudo![name] : opts.env[name];
  if (value !== undefined) return [value, next];
  if (fallback !== undefined) return [fallback, next];
  const msg = `environment variable '${name}' is not set`;
  if (opts.strictEnv) throw new LexError(`${msg}; set it or give a default with '\${${name}-default}'`, i + 1);
  warnings.push(`${msg}, it expands to an empty string; set it or give a default with '\${${name}-default}'`);
  return ['', next];
}

/** A tokenised line of a whole text, with its 1-based line number. */
export interface NumberedLine extends LexedLine {
  line: number;
}

/** Outcome of {@link lexText}: non-empty lines, and per-line errors/warnings as `file:line` messages. */
export interface LexTextResult {
  lines: NumberedLine[];
  errors: { line: number; message: string }[];
  warnings: { line: number; message: string }[];
}

/**
 * Splits `text` into lines (LF or CRLF) and tokenises each; lines without words (blank or comment)
 * are omitted. Errors do not stop the scan: every bad line is reported.
 */
export function lexText(text: string, opts: LexOptions): LexTextResult {
  const out: LexTextResult = { lines: [], errors: [], warnings: [] };
  splitLines(text).forEach((raw, idx) => {
    const line = idx + 1;
    try {
      const lexed = lexLine(raw, opts);
      for (const w of lexed.warnings) out.warnings.push({ line, message: w });
      if (lexed.words.length > 0) out.lines.push({ ...lexed, line });
    } catch (err) {
      if (!(err instanceof LexError)) throw err;
      out.errors.push({ line, message: err.message });
    }
  });
  return out;
}

/** Splits a configuration text into lines, removing LF / CRLF terminators. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
