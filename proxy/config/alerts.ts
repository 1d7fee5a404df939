/**
 * Configuration diagnostics in HAProxy's wording:
 * `[ALERT] config : parsing [FILE:LINE] : MESSAGE` and `[WARNING] config : parsing [FILE:LINE] : MESSAGE`,
 * or without the `parsing [...]` part when the diagnostic is about a whole file (line 0).
 */
import type { ConfigAlert, ConfigSeverity } from './config.types.ts';

/** Formats one diagnostic line exactly as `flightbox check` prints it. */
export function formatDiagnostic(severity: ConfigSeverity, file: string, line: number, message: string): string {
  const tag = severity === 'alert' ? '[ALERT]' : '[WARNING]';
  return line > 0 ? `${tag} config : parsing [${file}:${line}] : ${message}` : `${tag} config : ${message}`;
}

/** Builds a {@link ConfigAlert} with its `formatted` line. */
export function makeDiagnostic(severity: ConfigSeverity, file: string, line: number, message: string): ConfigAlert {
  return { severity, file, line, message, formatted: formatDiagnostic(severity, file, line, message) };
}

/** Message of a bad value for a keyword: `'<keyword>' : <what>.` (HAProxy's style). */
export function keywordMessage(keyword: string, what: string): string {
  return `'${keyword}' : ${what}.`;
}

/** Collects every alert and warning of a parse, in order; parsing never stops at the first. */
export class Diagnostics {
  readonly alerts: ConfigAlert[] = [];
  readonly warnings: ConfigAlert[] = [];
  /** Both, in the order they were raised. */
  readonly all: ConfigAlert[] = [];

  /** Records an alert (the configuration becomes invalid). */
  alert(file: string, line: number, message: string): void {
    const a = makeDiagnostic('alert', file, line, message);
    this.alerts.push(a);
    this.all.push(a);
  }

  /** Records a warning (the configuration stays valid). */
  warn(file: string, line: number, message: string): void {
    const w = makeDiagnostic('warning', file, line, message);
    this.warnings.push(w);
    this.all.push(w);
  }
}

/**
 * Thrown by a keyword parser for a bad value. The parser turns it into
 * `'<keyword>' : <message>.` where keyword defaults to the line's first word; `message` has no final period.
 */
export class ConfigValueError extends Error {
  readonly keyword: string | undefined;
  constructor(message: string, keyword?: string) {
    super(message);
    this.name = 'ConfigValueError';
    this.keyword = keyword;
  }
}
