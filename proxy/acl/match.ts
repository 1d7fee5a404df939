/**
 * Pattern matching methods of HAProxy's ACLs (configuration manual, 7.1 "ACL basics" and
 * 7.1.1..7.1.6): how patterns are parsed for each method, which sample types each method accepts
 * (the compatibility matrix of 7.1), how a sample is converted for it, and how it is compared.
 *
 * - `found`: the sample exists; `bool`: the sample is true / non-zero (7.1.1). Both ignore patterns.
 * - `int`, `len`: integers and ranges `min:max`, `min:`, `:max` (also with `-`), compared with the
 *   value or the string length (7.1.2). The operators `eq ge gt le lt` are applied by the
 *   expression parser through {@link intOperatorRange}.
 * - `str` exact, `beg` prefix, `end` suffix, `sub` substring, `dir` slash-delimited word, `dom`
 *   dot-delimited word (7.1.3), each optionally case-insensitive (`-i`, ASCII only).
 * - `reg`: regular expressions, compiled once when loaded (7.1.4). HAProxy uses PCRE; Flightbox uses
 *   JavaScript's RegExp, unanchored like PCRE's search, `-i` giving the `i` flag.
 * - `ip`: addresses and networks (7.1.6), see ./ip.ts.
 * - `meth`: the `method` fetch's own match: exact, case-sensitive unless `-i`.
 *
 * Each pattern keeps the `-i` state in force when it was added: HAProxy applies `-i` to the
 * patterns that follow it (7.1, "the -i flag applies to subsequent entries").
 */
import type { MatchMethod, PatternMatcher, SampleType, SampleValue } from './acl.types.ts';
import { ipInNetwork, parseIpAddress, parseIpNetwork } from './ip.ts';
import type { IpAddress, IpNetwork } from './ip.ts';

/** Every method name HAProxy knows after `-m` (`pat_match_names`), supported or not. */
export const HAPROXY_MATCH_NAMES = [
  'found', 'bool', 'int', 'ip', 'bin', 'len', 'str', 'beg', 'sub', 'dir', 'dom', 'end', 'reg', 'regm',
] as const;

const STRING_METHODS: readonly MatchMethod[] = ['len', 'str', 'beg', 'sub', 'dir', 'dom', 'end', 'reg'];

/** Methods usable with each sample type: the compatibility matrix of 7.1. */
const COMPATIBLE: Record<SampleType, readonly MatchMethod[]> = {
  bool: ['found', 'bool', 'int', ...STRING_METHODS],
  int: ['found', 'bool', 'int', ...STRING_METHODS],
  ip: ['found', 'int', 'ip', ...STRING_METHODS],
  str: ['found', 'bool', 'int', 'ip', ...STRING_METHODS],
  meth: ['found', 'meth', ...STRING_METHODS],
};

/** True if `method` may be applied to samples of `type` (7.1's matrix). */
export function methodAccepts(method: MatchMethod, type: SampleType): boolean {
  return COMPATIBLE[type].includes(method);
}

/** The method used when none is given with `-m`: from the fetch's output type (7.1's table). */
export function defaultMethod(type: SampleType): MatchMethod {
  return type === 'meth' ? 'meth' : type;
}

/** An integer range; a missing bound is open. */
export interface IntRange {
  min?: number;
  max?: number;
}

const UINT = /^[0-9]+$/;
const SINT = /^-?[0-9]+$/;

/**
 * Parses an integer pattern as HAProxy's `pat_parse_int`: `N`, `min:max`, `min:`, `:max` (`-` may
 * replace `:`). Returns the range, or HAProxy's error message.
 */
export function parseIntRange(text: string): IntRange | string {
  const sep = text.search(/[:-]/);
  if (text !== '' && sep < 0) return UINT.test(text) ? { min: Number(text), max: Number(text) } : `'${text}' is not a number`;
  const bad = `'${text}' is not a valid number range`;
  if (text === '' || text.length === 1) return bad;
  const lo = text.slice(0, sep);
  const hi = text.slice(sep + 1);
  if (lo === '') return UINT.test(hi) ? { max: Number(hi) } : bad;
  if (hi === '') return UINT.test(lo) ? { min: Number(lo) } : bad;
  if (!UINT.test(lo) || !UINT.test(hi) || Number(lo) > Number(hi)) return bad;
  return { min: Number(lo), max: Number(hi) };
}

/** The integer comparison operators of 7.1.2. */
export type IntOperator = 'eq' | 'ge' | 'gt' | 'le' | 'lt';

/** Returns the operator `word` names, if it is one of `eq ge gt le lt`. */
export function asIntOperator(word: string): IntOperator | undefined {
  return word === 'eq' || word === 'ge' || word === 'gt' || word === 'le' || word === 'lt' ? word : undefined;
}

/**
 * Turns `<op> <value>` into a range as HAProxy's ACL parser does: `gt N` is `N+1:`, `ge N` is
 * `N:`, `lt N` is `:N-1`, `le N` is `:N`. As in HAProxy, the digits before a `.` are used
 * (`gt 5.3` is `gt 5`). Returns HAProxy's error message for a value that is not a number.
 */
export function intOperatorRange(op: Exclude<IntOperator, 'eq'>, text: string): IntRange | string {
  const dot = text.indexOf('.');
  const digits = dot < 0 ? text : text.slice(0, dot);
  if (!SINT.test(digits)) return `'${text}' is neither a number nor a supported operator`;
  const v = Number(digits);
  if (op === 'gt') return { min: v + 1 };
  if (op === 'ge') return { min: v };
  if (op === 'lt') return { max: v - 1 };
  return { max: v };
}

function inRange(n: number, r: IntRange): boolean {
  return (r.min === undefined || r.min <= n) && (r.max === undefined || n <= r.max);
}

/** ASCII-only lower case, as strncasecmp compares. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** A string pattern with the `-i` state it was added under. */
interface StrPattern {
  s: string;
  icase: boolean;
}

/** Sample to string, as HAProxy's casts (`c_int2str`, `c_ip2str`); booleans give `1`/`0`. */
function toStr(v: SampleValue): string {
  return typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
}

/** Sample to integer (`c_str2int` reads a leading signed integer, 0 if none; an empty string fails). */
function toInt(v: SampleValue, type: SampleType): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (type === 'ip') {
    const a = parseIpAddress(v);
    return a?.v === 4 ? a.n : undefined;
  }
  if (v === '') return undefined;
  const m = /^[-+]?[0-9]+/.exec(v);
  return m ? Number(m[0]) : 0;
}

/**
 * `match_word` of HAProxy's pattern.c: pattern `p` (delimiters at its ends ignored) found in `s`
 * between delimiters or the string's ends. Both are already lower-cased for `-i`.
 */
function matchWord(s: string, pattern: string, delims: string): boolean {
  let p = pattern;
  while (p.length > 0 && delims.includes(p[0])) p = p.slice(1);
  while (p.length > 0 && delims.includes(p[p.length - 1])) p = p.slice(0, -1);
  if (p.length > s.length) return false;
  const end = s.length - p.length;
  let mayMatch = true;
  for (let c = 0; c <= end; c++) {
    if (delims.includes(s[c])) {
      mayMatch = true;
      continue;
    }
    if (!mayMatch) continue;
    if (s.startsWith(p, c) && (c === end || delims.includes(s[c + p.length]))) return true;
    mayMatch = false;
  }
  return false;
}

/** Compares sample text `s` (and its lower-cased form for `-i` patterns) with one string pattern. */
function strTest(method: MatchMethod, s: string, lower: () => string, p: StrPattern): boolean {
  const sv = p.icase ? lower() : s;
  switch (method) {
    case 'beg':
      return sv.startsWith(p.s);
    case 'end':
      return sv.endsWith(p.s);
    case 'sub':
      return sv.includes(p.s);
    case 'dir':
      return matchWord(sv, p.s, '/?');
    case 'dom':
      return matchWord(sv, p.s, '/?.:');
    default:
      return sv === p.s;
  }
}

/** A memo of the ASCII lower-case form of `s`, computed at most once. */
function lowerOnce(s: string): () => string {
  let l: string | undefined;
  return () => (l ??= asciiLower(s));
}

/**
 * The patterns of one ACL expression for one method. `add()` parses and indexes a pattern (exact
 * strings in sets, regexes compiled once) and returns HAProxy's error message if it is invalid.
 */
export class PatternSet implements PatternMatcher {
  readonly method: MatchMethod;
  count = 0;
  private readonly exact = new Set<string>();
  private readonly exactI = new Set<string>();
  private readonly strs: StrPattern[] = [];
  private readonly regexes: RegExp[] = [];
  private readonly ranges: IntRange[] = [];
  private readonly nets: IpNetwork[] = [];

  constructor(method: MatchMethod) {
    this.method = method;
  }

  /** Adds a pattern written as text; returns an error message, or undefined when accepted. */
  add(text: string, icase: boolean): string | undefined {
    switch (this.method) {
      case 'found':
      case 'bool':
        break; // pat_parse_nothing: any value is accepted and ignored (7.1.1)
      case 'int':
      case 'len': {
        const r = parseIntRange(text);
        if (typeof r === 'string') return r;
        this.ranges.push(r);
        break;
      }
      case 'ip': {
        const n = parseIpNetwork(text);
        if (!n) return `'${text}' is not a valid IPv4 or IPv6 address`;
        this.nets.push(n);
        break;
      }
      case 'reg': {
        try {
          this.regexes.push(new RegExp(text, icase ? 'i' : ''));
        } catch (err) {
          return `regex '${text}' is invalid (${(err as Error).message})`;
        }
        break;
      }
      case 'str':
        (icase ? this.exactI : this.exact).add(icase ? asciiLower(text) : text);
        break;
      default:
        this.strs.push({ s: icase ? asciiLower(text) : text, icase });
    }
    this.count++;
    return undefined;
  }

  /** Adds an already computed integer range (from an `eq ge gt le lt` operator). */
  addRange(r: IntRange): void {
    this.ranges.push(r);
    this.count++;
  }

  test(value: SampleValue, type: SampleType): boolean {
    switch (this.method) {
      case 'found':
        return true;
      case 'bool': {
        const n = toInt(value, type);
        return n !== undefined && n !== 0;
      }
      case 'int': {
        const n = toInt(value, type);
        return n !== undefined && this.ranges.some((r) => inRange(n, r));
      }
      case 'len': {
        const n = toStr(value).length;
        return this.ranges.some((r) => inRange(n, r));
      }
      case 'ip':
        return this.testIp(value, type);
      case 'reg': {
        const s = toStr(value);
        return this.regexes.some((re) => re.test(s));
      }
      case 'str': {
        const s = toStr(value);
        return this.exact.has(s) || (this.exactI.size > 0 && this.exactI.has(asciiLower(s)));
      }
      default: {
        const s = toStr(value);
        const lower = lowerOnce(s);
        return this.strs.some((p) => strTest(this.method, s, lower, p));
      }
    }
  }

  private testIp(value: SampleValue, type: SampleType): boolean {
    if (type !== 'ip' && type !== 'str') return false;
    const addr: IpAddress | undefined = parseIpAddress(toStr(value));
    return addr !== undefined && this.nets.some((n) => ipInNetwork(addr, n));
  }
}
