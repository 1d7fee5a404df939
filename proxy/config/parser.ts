/**
 * Parser of Flightbox's configuration: HAProxy's configuration language (HAProxy configuration
 * manual, 2 "Configuring HAProxy"). Files are read in order and merged into one configuration;
 * every problem is collected (parsing never stops at the first) in HAProxy's wording:
 *
 *   [ALERT] config : parsing [FILE:LINE] : unknown keyword 'KW' in 'SECTION' section
 *   [ALERT] config : parsing [FILE:LINE] : unknown keyword 'KW' out of section.
 *   [ALERT] config : parsing [FILE:LINE] : '<keyword>' : <what is wrong, expected what>.
 *
 * Section keywords and keyword tables live in `sections/`; post-parse checks in `checks.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigValueError, Diagnostics, keywordMessage } from './alerts.ts';
import { finishConfig, newBuilder, type ConfigBuilder } from './builder.ts';
import { CONFIG_CHECKS } from './checks.ts';
import type { ConfigSource, ParseOptions, ParseResult } from './config.types.ts';
import { findKeyword, type KeywordContext, type SectionDef } from './keyword.ts';
import { LexError, lexLine, splitLines } from './lexer.ts';
import { SECTIONS } from './sections/index.ts';
import { UnitError } from './units.ts';

export type { ParseOptions, ParseResult } from './config.types.ts';

interface OpenSection {
  def: SectionDef<unknown>;
  state: unknown;
  /** Value of the `.SECTION` pseudo-variable: the section's name, or its keyword when unnamed. */
  label: string;
}

/**
 * Parses one source text into `b`, reporting into `d`. Each source starts out of any section
 * (a keyword before the first section header is "out of section"); defaults carry over.
 */
function parseSource(b: ConfigBuilder, d: Diagnostics, file: string, text: string, opts: ParseOptions): void {
  let current: OpenSection | undefined;
  splitLines(text).forEach((raw, idx) => {
    const line = idx + 1;
    let words: string[];
    try {
      const pseudo = { '.FILE': file, '.LINE': String(line), '.SECTION': current?.label ?? '' };
      const lexed = lexLine(raw, { env: opts.env, pseudo, strictEnv: opts.strictEnv });
      for (const w of lexed.warnings) d.warn(file, line, `${w}.`);
      words = lexed.words;
    } catch (err) {
      if (!(err instanceof LexError)) throw err;
      d.alert(file, line, `${err.message}.`);
      return;
    }
    if (words.length === 0) return;
    const kw = words[0];
    const section = Object.hasOwn(SECTIONS, kw) ? SECTIONS[kw] : undefined;
    if (section) {
      const state = section.open({
        args: words,
        file,
        line,
        builder: b,
        alert: (m) => d.alert(file, line, m),
        warn: (m) => d.warn(file, line, m),
      });
      current = { def: section, state, label: words[1] ?? kw };
      return;
    }
    if (!current) {
      d.alert(file, line, `unknown keyword '${kw}' out of section.`);
      return;
    }
    const def = findKeyword(current.def.keywords, kw);
    if (!def) {
      const misplaced = current.def.misplaced?.(kw, current.state);
      d.alert(file, line, misplaced ?? `unknown keyword '${kw}' in '${current.def.keyword}' section`);
      return;
    }
    const ctx: KeywordContext<unknown> = {
      state: current.state,
      args: words,
      file,
      line,
      cwd: opts.cwd,
      section: current.def.keyword,
      usage: def.usage,
      builder: b,
      warn: (m) => d.warn(file, line, m),
    };
    try {
      def.parse(ctx);
    } catch (err) {
      if (err instanceof ConfigValueError) d.alert(file, line, keywordMessage(err.keyword ?? kw, err.message));
      else if (err instanceof UnitError) d.alert(file, line, keywordMessage(kw, err.message));
      else throw err;
    }
  });
}

function finish(b: ConfigBuilder, d: Diagnostics, sources: ConfigSource[]): ParseResult {
  for (const check of CONFIG_CHECKS) check(b, d);
  const config = d.alerts.length === 0 ? finishConfig(b) : undefined;
  return { config, alerts: d.alerts, warnings: d.warnings, diagnostics: d.all, sources };
}

/**
 * Parses a configuration given as text (e.g. the embedded default, named `<embedded>`).
 * `config` is undefined when any alert was raised.
 */
export function parseConfigText(name: string, text: string, opts: ParseOptions): ParseResult {
  const b = newBuilder(opts.cwd, opts.localPeer);
  const d = new Diagnostics();
  parseSource(b, d, name, text, opts);
  return finish(b, d, [{ name, text }]);
}

/** Expands `-f` arguments: a directory stands for its `*.cfg` files in alphabetical order, as HAProxy. */
function expandPaths(paths: string[], cwd: string, d: Diagnostics): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(resolve(cwd, p)).isDirectory();
    } catch {
      // reported when reading
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const entries = readdirSync(resolve(cwd, p))
      .filter((n) => n.endsWith('.cfg'))
      .sort();
    if (entries.length === 0) d.warn(p, 0, `configuration directory '${p}' contains no '*.cfg' file.`);
    for (const n of entries) out.push(join(p, n));
  }
  return out;
}

/**
 * Reads and parses configuration files in order (`-f a.cfg -f b.cfg`), merged into one
 * configuration. Relative paths are relative to `opts.cwd`; alerts name files as given.
 * `sources` holds each file's text as read (no environment expansion), for snapshots.
 * `config` is undefined when any alert was raised (including an unreadable file).
 */
export function parseConfigFiles(paths: string[], opts: ParseOptions): ParseResult {
  const b = newBuilder(opts.cwd, opts.localPeer);
  const d = new Diagnostics();
  const sources: ConfigSource[] = [];
  if (paths.length === 0) d.alert('', 0, 'no configuration file given; use -f <file>.');
  for (const file of expandPaths(paths, opts.cwd, d)) {
    let text: string;
    try {
      text = readFileSync(resolve(opts.cwd, file), 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      d.alert(file, 0, `cannot open configuration file '${file}' : ${e.code ?? e.message}; check the path given to -f.`);
      continue;
    }
    sources.push({ name: file, text });
    parseSource(b, d, file, text, opts);
  }
  return finish(b, d, sources);
}
