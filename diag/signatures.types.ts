/**
 * Types of the known-issue catalogue (diag/signatures.ts): crash signatures, the facts of a
 * snapshot they are matched against, and what a match says. Data only, so that the CLI, the report
 * writer and the TUI can show a match without importing the matcher.
 */
import type { PoolsView } from './pool.types.ts';

/** A function-name pattern: a string is an exact (normalised) name, a RegExp is tested on it. */
export type FnPattern = string | RegExp;

/**
 * One piece of evidence a signature looks for. `weight` says how much it counts towards the
 * confidence; a `required` piece that does not hold rules the signature out whatever the rest.
 * `label` is the human sentence shown in the match (`a frame in stksessKill`).
 */
export type Evidence = EvidenceBase &
  (
    | {
        /** One of `fns` is among the first `within` in-app frames (default 4), innermost first. */
        type: 'frame';
        fns: readonly FnPattern[];
        within?: number;
      }
    | { /** The fault message (or its multi-line report) matches. */ type: 'message'; pattern: RegExp }
    | {
        /** `details[key]` of the fault context is present and, when `pattern` is given, matches it. */
        type: 'detail';
        key: string;
        pattern?: RegExp;
      }
    | { /** The object being handled (the stream, else the connection) is of one of these kinds. */ type: 'object'; kinds: readonly string[] }
    | {
        /**
         * A pool whose name (or one of its merged users) matches `name`, on any thread: with
         * `failures`, one that counted allocation failures; with `offending`, the one the fault names.
         */
        type: 'pool';
        name: RegExp;
        failures?: boolean;
        offending?: boolean;
      }
    | {
        /** A recorded trace event of `source` (and `event`, when given) on the object being handled, or on the faulting thread. */
        type: 'event';
        source: string;
        event?: RegExp;
      }
  );

/** Fields every piece of evidence has. */
export interface EvidenceBase {
  weight: number;
  required?: boolean;
  label: string;
}

/**
 * A known crash class. `kinds` gate it (a fault of another kind never matches it); the kind itself
 * counts as one point of evidence. `seed` is the seed crash report it re-creates (1-5, see
 * seeds-digest.md), absent for the generic classes Flightbox itself detects (pool inconsistencies,
 * stalls, out of memory, uncaught errors, BUG_ON).
 */
export interface Signature {
  /** Stable id (kebab-case): appears in JSON output and bug reports. */
  id: string;
  title: string;
  seed?: number;
  /** HAProxy's own names for it, for searching its issue tracker. */
  haproxy?: string;
  kinds: readonly string[];
  evidence: readonly Evidence[];
  /** What the snapshot shows happened. */
  what: string;
  /** Why it happens. */
  why: string;
  /** What to look at in this snapshot and around it. */
  check: readonly string[];
  /** What fixes or avoids it. */
  fix: string;
}

/** A frame as the matcher sees it: the normalised function name and whether it is the application's. */
export interface SubjectFrame {
  /** Normalised name (see `normaliseFn`): no class prefix, `''` for anonymous. */
  fn: string;
  file: string;
  inApp: boolean;
}

/** The facts of one snapshot a signature is matched against (built by `subjectOf*` in signatures.ts). */
export interface SignatureSubject {
  kind: string;
  message: string;
  report?: string;
  /** The call chain at the fault, innermost first, recorder frames (diag/ internals) left out. */
  frames: SubjectFrame[];
  details: Record<string, string | number | boolean>;
  /** Kind of the object being handled, if the fault names one found in the live table. */
  objectKind?: string;
  pools: PoolsView[];
  /** Name of the pool the fault names (details.pool). */
  offendingPool?: string;
  /** Trace events of the object being handled (or the faulting thread): source and event names. */
  events: { source: string; event: string }[];
}

/** How sure a match is: `high` from 0.8 of the evidence weight, `medium` from 0.5. */
export type MatchLevel = 'high' | 'medium';

/** A signature that fits a snapshot. */
export interface SignatureMatch {
  signature: Signature;
  /** Weight of the evidence found over the weight of all the signature's evidence (kind included), 0..1. */
  confidence: number;
  level: MatchLevel;
  /** Labels of the evidence found, and of the evidence looked for but not found. */
  matched: string[];
  missing: string[];
  /** Weight of the evidence found (ranks matches: more evidence first). */
  score: number;
}

/** What the matcher says about one snapshot. */
export interface KnownIssueResult {
  /** The best match, absent when no signature fits ("no known issue matches"). */
  best?: SignatureMatch;
  /** Every fitting signature, best first (the best included). */
  matches: SignatureMatch[];
  /** Short stable hash of the crash's signature inputs: see `fingerprintOf`. */
  fingerprint: string;
  /** The canonical inputs the fingerprint hashes, in order (`kind=bug`, `fn=stksessKill`, ...). */
  fingerprintInputs: string[];
}
