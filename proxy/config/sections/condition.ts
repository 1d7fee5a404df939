/**
 * `if <condition>` / `unless <condition>` suffixes of rules (HAProxy configuration manual, 7.2
 * "Using ACLs to form conditions"). A condition is a sequence of terms ANDed by juxtaposition and
 * ORed by `||` or `or`; a term is a named ACL (optionally `!name`), `!` followed by a term, or an
 * anonymous ACL between `{` and `}` (braces are separate words). The words are kept as written for
 * the ACL engine; only the shape is checked here, so that a broken line is reported at parse time.
 */
import { ConfigValueError } from '../alerts.ts';
import type { RuleCondition } from '../config.types.ts';
import type { KeywordContext } from '../keyword.ts';

/** True for the words that start a condition. */
export function isConditionWord(word: string | undefined): word is 'if' | 'unless' {
  return word === 'if' || word === 'unless';
}

const OR_WORDS = ['||', 'or'];

/**
 * Checks the words of a condition (after `if`/`unless`); returns what is wrong, or undefined.
 * Named ACLs are not resolved here (the ACL engine knows the predefined ones).
 */
export function conditionError(kind: string, tokens: readonly string[]): string | undefined {
  if (tokens.length === 0) return `missing condition after '${kind}' (e.g. '${kind} { path_beg /api }' or '${kind} <acl name>')`;
  let expectTerm = true;
  let bang = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (OR_WORDS.includes(t)) {
      if (expectTerm || bang) return `'${t}' must stand between two ACLs in the condition`;
      expectTerm = true;
      continue;
    }
    if (t === '!') {
      bang = true;
      expectTerm = true;
      continue;
    }
    if (t === '{') {
      const close = tokens.indexOf('}', i + 1);
      const inner = tokens.slice(i + 1, close < 0 ? undefined : close);
      if (inner.includes('{')) return `'{' inside an anonymous ACL: anonymous ACLs cannot be nested`;
      if (close < 0) {
        const glued = inner.find((w) => w.endsWith('}'));
        const hint = glued === undefined ? '' : ` ('${glued}' ends with '}': separate the brace with a space)`;
        return `missing '}' to close the anonymous ACL opened by '{'${hint}`;
      }
      if (close === i + 1) return `empty anonymous ACL '{ }', expected '{ <fetch> [flags] [values] }'`;
      i = close;
    } else if (t === '}') {
      return `'}' without a matching '{' in the condition`;
    } else if (t.startsWith('{') || t.endsWith('}') || t.startsWith('!{')) {
      return `'${t}' : braces must be separate words, e.g. '{ src 10.0.0.1 }'`;
    } else if (t === '' || t === '!!') {
      return `invalid ACL name '${t}' in the condition`;
    }
    expectTerm = false;
    bang = false;
  }
  if (bang) return `'!' must be followed by an ACL`;
  if (expectTerm) return `'${tokens[tokens.length - 1]}' must stand between two ACLs in the condition`;
  return undefined;
}

/**
 * Reads the condition that starts at `ctx.args[at]` (which must be `if` or `unless`) and runs to
 * the end of the line. Throws {@link ConfigValueError} (reported as `'<keyword>' : ...`) when its
 * shape is wrong.
 */
export function conditionAt(ctx: KeywordContext<unknown>, at: number, keyword: string): RuleCondition {
  const kind = ctx.args[at];
  if (!isConditionWord(kind)) throw new ConfigValueError(`expected 'if' or 'unless' but got '${kind}'`, keyword);
  const tokens = ctx.args.slice(at + 1);
  const err = conditionError(kind, tokens);
  if (err !== undefined) throw new ConfigValueError(err, keyword);
  return { kind, tokens, file: ctx.file, line: ctx.line };
}

/**
 * The end of a rule whose arguments stop at `ctx.args[at]`: nothing (undefined), or a condition.
 * Anything else is an unexpected argument, reported with `usage`.
 */
export function optionalCondition(ctx: KeywordContext<unknown>, at: number, keyword: string, usage: string): RuleCondition | undefined {
  if (at >= ctx.args.length) return undefined;
  if (isConditionWord(ctx.args[at])) return conditionAt(ctx, at, keyword);
  throw new ConfigValueError(`unexpected argument '${ctx.args[at]}', expected '${usage}'`, keyword);
}
