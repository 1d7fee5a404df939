/**
 * Keyword tables: each section has one table mapping a keyword (the line's first word) to its
 * usage and parse function. Adding a keyword = adding an entry to the section's table.
 */
import { ConfigValueError } from './alerts.ts';
import type { ConfigBuilder } from './builder.ts';

/** What a keyword parser receives for one line. */
export interface KeywordContext<S> {
  /** The section being filled (mutate it). */
  readonly state: S;
  /** All words of the line after lexing; args[0] is the keyword. */
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  /** Directory against which relative paths are resolved. */
  readonly cwd: string;
  /** The section keyword (`global`, `frontend`, ...). */
  readonly section: string;
  /** The keyword's usage string, for messages. */
  readonly usage: string;
  /** The whole configuration being built (for keywords that look across sections). */
  readonly builder: ConfigBuilder;
  /** Records a warning at this line. */
  warn(message: string): void;
}

/**
 * One keyword. `parse` throws {@link ConfigValueError} (or `UnitError`) for a bad value; the
 * parser reports it as `'<keyword>' : <message>.` at the line and goes on with the next line.
 */
export interface KeywordDef<S> {
  /** e.g. `nbthread <number>`. */
  usage: string;
  parse(ctx: KeywordContext<S>): void;
}

/** A section's keywords. */
export type KeywordTable<S> = Readonly<Record<string, KeywordDef<S>>>;

/** Looks a keyword up without reaching `Object.prototype` members. */
export function findKeyword<S>(table: KeywordTable<S>, word: string): KeywordDef<S> | undefined {
  return Object.hasOwn(table, word) ? table[word] : undefined;
}

/**
 * Checks the number of arguments after the keyword (`args.length - 1`) is within [min, max];
 * throws a message quoting the usage otherwise.
 */
export function expectArgs(ctx: KeywordContext<unknown>, min: number, max: number, keyword?: string): void {
  const n = ctx.args.length - 1;
  if (n < min) throw new ConfigValueError(`missing argument, expected '${ctx.usage}'`, keyword);
  // A secret's words are never echoed (`cluster-secret my pass phrase`: part of it would reach stderr).
  const extra = /secret|pass/i.test(ctx.args[0] ?? '') ? `(${n - max} more word(s), not shown: quote a secret holding spaces)` : `'${ctx.args[max + 1]}'`;
  if (n > max) throw new ConfigValueError(`unexpected argument ${extra}, expected '${ctx.usage}'`, keyword);
}

/** What a section's `open` receives for its header line (`frontend web`). */
export interface SectionOpenContext {
  /** Header words; args[0] is the section keyword. */
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  readonly builder: ConfigBuilder;
  /** Records an alert at the header line (complete message, HAProxy style). */
  alert(message: string): void;
  /** Records a warning at the header line. */
  warn(message: string): void;
}

/**
 * A section kind. `open` handles the header line and returns the state its keywords fill; a
 * section whose header is invalid still returns a (detached) state so that its lines are parsed
 * and checked rather than reported as out of section.
 */
export interface SectionDef<S> {
  keyword: string;
  open(ctx: SectionOpenContext): S;
  keywords: KeywordTable<S>;
  /**
   * For a word missing from `keywords`: the complete alert when it is a keyword of another kind of
   * section (e.g. `server` in a frontend), or undefined to report it as an unknown keyword.
   */
  misplaced?(word: string, state: S): string | undefined;
}

/** Characters HAProxy permits in proxy and ring names (`invalid_char()`): letters, digits, '-', '_', '.', ':'. */
const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

/**
 * Reads the `<name>` of a section header (`frontend <name>`), alerting for a missing name
 * (when `required`), forbidden characters or extra words. Returns undefined when the header is invalid.
 */
export function sectionName(ctx: SectionOpenContext, required: boolean): string | undefined | null {
  const kw = ctx.args[0];
  const name = ctx.args[1];
  if (ctx.args.length > 2) {
    ctx.alert(`'${kw}' : unexpected argument '${ctx.args[2]}', expected '${kw} <name>'.`);
    return undefined;
  }
  if (name === undefined) {
    if (required) ctx.alert(`'${kw}' : missing name, expected '${kw} <name>'.`);
    return required ? undefined : null;
  }
  if (!NAME_RE.test(name)) {
    const bad = [...name].find((c) => !NAME_RE.test(c)) ?? '';
    const shown = bad === '' ? 'an empty name' : `character '${bad}' in name '${name}'`;
    ctx.alert(`'${kw}' : ${shown} is not permitted, use letters, digits, '-', '_', '.' and ':'.`);
    return undefined;
  }
  return name;
}
