/**
 * Parser of one ACL expression, `<fetch>[(<args>)][,<conv>[(<args>)]]... [flags] [--] [<pattern> ...]`
 * (HAProxy configuration manual, 7.1 "ACL basics"; `parse_acl_expr()` in HAProxy's src/acl.c), shared
 * by `acl` lines and anonymous `{ ... }` ACLs. Converters (7.3.1, ./converters.ts) run on each
 * fetched sample; with converters the match method follows the chain's output type (an ACL
 * keyword's implied method no longer applies, as in HAProxy).
 *
 * Flags, accepted only before the first pattern:
 * - `-i` ignore case for the patterns that follow (inline and `-f` files loaded after it);
 * - `-f <file>` load patterns from a file, one per line: lines starting with `#` and empty lines
 *   are skipped, leading spaces and tabs stripped (a pattern may start with `#` after a space);
 *   read now, relative to the `cwd` option; may be repeated;
 * - `-m <method>` force the match method; must come before any `-f`;
 * - `-n` forbid DNS resolution: accepted and ignored, Flightbox never resolves names;
 * - `-u <id>` set the ACL's unique id (kept, not yet used: uniqueness is not checked);
 * - `--` end of flags, so that a pattern may start with `-`.
 *
 * With the `int` and `len` methods the words `eq ge gt le lt` are operators that apply to the
 * values after them (7.1.2). Error messages are HAProxy's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SourceRef } from '../config/config.types.ts';
import type { AclCompileOptions, AclExpr, FetchArg, MatchMethod, SampleValue } from './acl.types.ts';
import { aclSampleType, applyConverters, parseConverterChain, splitSampleExpr } from './converters.ts';
import type { ConverterCall } from './converters.ts';
import { findFetch } from './fetches.ts';
import type { FetchDef } from './fetches.ts';
import {
  asIntOperator,
  defaultMethod,
  HAPROXY_MATCH_NAMES,
  intOperatorRange,
  methodAccepts,
  PatternSet,
} from './match.ts';
import type { IntOperator } from './match.ts';

/** A parsed expression and its warnings, or HAProxy's error message. */
export type ParseExprResult = { expr: AclExpr; warnings: string[] } | { error: string };

const KEYWORD = /^[A-Za-z0-9_.+$-]*/;

/** The no-pattern warning of HAProxy's parse_acl_expr(), on one line. */
function noPatternWarning(keyword: string): string {
  return (
    `parsing acl keyword '${keyword}' : no pattern to match against were provided, so this ACL will never match. ` +
    `If this is what you intended, please add '--' to get rid of this warning. ` +
    `If you intended to match only for existence, please use '-m found'. ` +
    `If you wanted to force an int to match as a bool, please use '-m bool'.`
  );
}

/** Splits `name(args)rest`; returns the parsed arguments or an error in HAProxy's wording. */
function parseArgs(word: string, name: string, def: FetchDef): { args: FetchArg[] } | { error: string } {
  const wrap = (msg: string): { error: string } =>
    def.kind === 'acl' ? { error: `ACL keyword '${name}' : ${msg}` } : { error: `fetch method '${name}' : ${msg} in ACL expression '${word}'` };
  let rest = word.slice(name.length);
  let argText: string | undefined;
  if (rest.startsWith('(')) {
    const close = rest.indexOf(')');
    if (close < 0) return wrap(`missing closing ')' after arguments to fetch keyword '${name}'`);
    argText = rest.slice(1, close);
    rest = rest.slice(close + 1);
  }
  if (rest !== '') return wrap(`missing comma after fetch keyword '${name}'`);
  const given = argText === undefined || argText === '' ? [] : argText.split(',');
  if (given.length > def.args.length) {
    if (def.args.length === 0) return wrap(`no argument supported, but got '${argText}'`);
    return wrap(`end of arguments expected at position ${def.args.length + 1}, but got '${given.slice(def.args.length).join(',')}'`);
  }
  if (given.length < def.minArgs) {
    return wrap(`missing arguments (got ${given.length}/${def.minArgs}), type '${def.args[given.length]}' expected`);
  }
  const args: FetchArg[] = [];
  for (let i = 0; i < given.length; i++) {
    const a = given[i];
    if (def.args[i] === 'string') args.push(a);
    else if (a === '') return wrap(`expected type 'integer' at position ${i + 1}, but got nothing`);
    else if (!/^[-+]?[0-9]+$/.test(a)) return wrap(`failed to parse '${a}' as type 'integer' at position ${i + 1}`);
    else args.push(Number(a));
  }
  return { args };
}

/** Reads a pattern file as HAProxy's pat_ref_read_from_file(): returns [line number, pattern] pairs. */
function readPatternFile(path: string, cwd: string): { lines: [number, string][] } | { error: string } {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { error: `failed to open pattern file <${path}> (${code}; relative paths start from ${cwd})` };
  }
  const lines: [number, string][] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.startsWith('#')) return;
    const pattern = raw.replace(/^[ \t]+/, '').replace(/[\r\n].*$/s, '');
    if (pattern !== '') lines.push([i + 1, pattern]);
  });
  return { lines };
}

/**
 * Parses an ACL expression; `words[0]` is the fetch keyword. Pattern files are read relative to
 * `options.cwd` (default: the process's cwd). Never throws for bad input.
 */
export function parseAclExpr(words: readonly string[], where: SourceRef, options: AclCompileOptions = {}): ParseExprResult {
  const cwd = options.cwd ?? process.cwd();
  const word = words[0] ?? '';
  const name = KEYWORD.exec(word)?.[0] ?? '';
  if (name === '') return { error: `missing fetch method in ACL expression '${word}'` };
  const def = findFetch(name);
  if (!def) return { error: `unknown fetch method '${name}' in ACL expression '${word}'` };
  // `<fetch>[(<args>)][,<conv>[(<args>)]]...` (7.3.1): the converters run on each fetched sample.
  const split = splitSampleExpr(word);
  const parsedArgs = parseArgs(split.fetch, name, def);
  if ('error' in parsedArgs) return parsedArgs;
  let convs: readonly ConverterCall[] | undefined;
  let type = def.type;
  if (split.convs !== undefined) {
    const chain = parseConverterChain(split.convs, def.type);
    const wrapConv = (msg: string): { error: string } => (def.kind === 'acl' ? { error: `ACL keyword '${name}' : ${msg}.` } : { error: `${msg} in ACL expression '${word}'` });
    if ('error' in chain) return wrapConv(chain.error);
    const t = aclSampleType(chain.outType);
    if (!t) return wrapConv(`the last converter gives a binary sample, which Flightbox cannot match yet; append ',hex' and match its hexadecimal text`);
    convs = chain.convs;
    type = t;
  }
  const warnings: string[] = [];
  if (words.length === 1 && type !== 'bool') warnings.push(noPatternWarning(word));

  // With converters, HAProxy matches with the method of the chain's output type, not the ACL keyword's.
  let method: MatchMethod = (convs ? undefined : def.match) ?? defaultMethod(type);
  let set: PatternSet | undefined;
  const patterns = (): PatternSet => (set ??= new PatternSet(method));
  let icase = false;
  let uniqueId: number | undefined;
  let i = 1;
  for (; i < words.length && words[i].startsWith('-'); i++) {
    const flag = words[i];
    if (flag === '--') {
      i++;
      break;
    } else if (flag === '-i') icase = true;
    else if (flag === '-n') continue;
    else if (flag === '-u') {
      const id = words[++i] ?? '';
      if (!/^-?[0-9]+$/.test(id)) return { error: 'the argument of -u must be an integer' };
      uniqueId = Number(id);
    } else if (flag === '-m') {
      if (set) return { error: `'-m' must only be specified before patterns and files in parsing ACL expression` };
      const m = words[++i] ?? '';
      if (!(HAPROXY_MATCH_NAMES as readonly string[]).includes(m)) return { error: `unknown matching method '${m}' when parsing ACL expression` };
      if (m === 'bin' || m === 'regm') return { error: `matching method '${m}' is not supported by Flightbox yet` };
      if (!methodAccepts(m as MatchMethod, type)) return { error: `matching method '${m}' cannot be used with fetch keyword '${name}'` };
      method = m as MatchMethod;
    } else if (flag === '-f') {
      const file = words[++i];
      if (file === undefined || file === '') return { error: `'-f' expects the name of a pattern file` };
      const read = readPatternFile(file, cwd);
      if ('error' in read) return read;
      for (const [line, p] of read.lines) {
        const err = patterns().add(p, icase);
        if (err) return { error: `${err} at line ${line} of file '${file}'` };
      }
    } else if (flag === '-M') {
      return { error: `'-M' (patterns from a map file) is not supported by Flightbox yet` };
    } else {
      return { error: `'${flag}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'` };
    }
  }

  const intLike = method === 'int' || method === 'len';
  let op: IntOperator = 'eq';
  for (; i < words.length; i++) {
    const w = words[i];
    const asOp = intLike ? asIntOperator(w) : undefined;
    if (asOp) {
      op = asOp;
      continue;
    }
    if (intLike && op !== 'eq' && !/[:-]/.test(w)) {
      const r = intOperatorRange(op, w);
      if (typeof r === 'string') return { error: r };
      patterns().addRange(r);
      continue;
    }
    const err = patterns().add(w, icase);
    if (err) return { error: err };
  }

  const args = parsedArgs.args;
  const inType = def.type;
  const fetch: AclExpr['fetch'] = convs
    ? (ctx) => {
        const out: SampleValue[] = [];
        for (const value of def.fetch(ctx, args)) {
          const s = applyConverters(convs, { type: inType, value }, ctx);
          if (s) out.push(s.value);
        }
        return out;
      }
    : (ctx) => def.fetch(ctx, args);
  const expr: AclExpr = {
    keyword: word,
    fetch,
    sampleType: type,
    matcher: patterns(),
    uniqueId,
    where,
  };
  return { expr, warnings };
}
