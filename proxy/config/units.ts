/**
 * Numeric values of HAProxy's configuration language (HAProxy configuration manual, 2.5 "Time
 * format" and the size suffixes of `parse_size_err()`). Every parser throws {@link UnitError}
 * whose message names the bad value and says what was expected; callers prefix the keyword.
 */

/** A value that does not parse; `message` names the value and the expected form (no final period). */
export class UnitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitError';
  }
}

const SIZE_MULT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a size: an unsigned integer optionally followed by `k`, `m` or `g` (either case),
 * 1024-based as in HAProxy (`16k` = 16384). Returns bytes.
 */
export function parseSize(text: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) {
    throw new UnitError(
      `invalid size '${text}', expected an integer number of bytes optionally followed by k, m or g (1024-based, e.g. '16k')`,
    );
  }
  const value = Number(m[1]) * SIZE_MULT[m[2].toLowerCase()];
  if (!Number.isSafeInteger(value)) throw new UnitError(`size '${text}' is too large`);
  return value;
}

const TIME_MULT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Largest time HAProxy accepts (its timers are signed 32-bit milliseconds). */
export const MAX_TIME_MS = 2 ** 31 - 1;

/**
 * Parses a time: an unsigned integer optionally followed by `us`, `ms`, `s`, `m`, `h` or `d`
 * (no unit = milliseconds). Returns milliseconds; microseconds round up so a non-zero time
 * never becomes zero. Times above {@link MAX_TIME_MS} (about 24.8 days) are rejected, as HAProxy's.
 */
export function parseTime(text: string): number {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (!m) {
    throw new UnitError(
      `invalid time '${text}', expected an integer optionally followed by us, ms, s, m, h or d (default unit: ms, e.g. '5s')`,
    );
  }
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const ms = unit === 'us' ? Math.ceil(n / 1000) : n * TIME_MULT[unit];
  if (!Number.isSafeInteger(ms) || ms > MAX_TIME_MS) {
    throw new UnitError(`time '${text}' is too large, the maximum is ${MAX_TIME_MS}ms (about 24.8 days)`);
  }
  return ms;
}

/** Parses a decimal integer within [min, max] (inclusive). */
export function parseInteger(text: string, min: number, max: number): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
  if (!/^-?\d+$/.test(text)) throw new UnitError(`invalid number '${text}', expected ${range}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UnitError(`value '${text}' is out of range, expected ${range}`);
  return n;
}

/** Parses a percentage: a decimal number (fraction allowed, e.g. `0.5`) between 0 and 100. */
export function parsePercent(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new UnitError(`invalid percentage '${text}', expected a number between 0 and 100 (e.g. '2.5')`);
  }
  const n = Number(text);
  if (n > 100) throw new UnitError(`percentage '${text}' is out of range, expected a number between 0 and 100`);
  return n;
}

/** Parses a UNIX file mode written in octal (`600`, `0660`). */
export function parseOctalMode(text: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw new UnitError(`invalid mode '${text}', expected octal permissions such as '600' or '0660'`);
  return parseInt(text, 8);
}
