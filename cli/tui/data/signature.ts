/**
 * The known-issue match the Overview shows, from the signature catalogue (diag/signatures.ts): the
 * best fitting signature with its confidence, what happened, why, what to check and the fix, and the
 * crash's fingerprint (printed the same by `decode` and `report`); or "no known issue matches".
 */
import { matchKnownIssue, matchLine, renderKnownIssue, type FrameLike } from '../../../diag/signatures.ts';
import type { DecodedSnapshot } from '../../../diag/snapshot/model.types.ts';

/** What the Overview prints of a match. */
export interface KnownIssue {
  /** False when the catalogue matched nothing. */
  matched: boolean;
  /** `<id> (seed crash N): <title> (confidence 0.86, high)`, or `no known issue matches`. */
  title: string;
  fingerprint: string;
  /** What happened, why, what to check, the fix, the evidence (as `flightbox decode` prints them). */
  details: string[];
}

/**
 * Matches a decoded snapshot against the catalogue; `frames` is the mapped call chain when known.
 * A matcher failure is reported as the title rather than breaking the TUI.
 */
export function knownIssueOf(d: DecodedSnapshot, frames?: readonly FrameLike[]): KnownIssue {
  try {
    const r = matchKnownIssue(d, frames);
    const lines = renderKnownIssue(r).filter((l) => !l.startsWith('Fingerprint:') && !l.startsWith('Match:') && !/^No known issue/.test(l));
    return { matched: r.best !== undefined, title: r.best ? matchLine(r.best) : 'no known issue matches', fingerprint: r.fingerprint, details: lines };
  } catch (e) {
    return { matched: false, title: `the known-issue matcher failed: ${(e as Error).message}`, fingerprint: '?', details: [] };
  }
}
