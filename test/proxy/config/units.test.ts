import { describe, expect, it } from 'vitest';
import { MAX_TIME_MS, parseInteger, parseOctalMode, parsePercent, parseSize, parseTime } from '../../../proxy/config/units.ts';

describe('parseSize', () => {
  it('reads bytes and 1024-based k/m/g suffixes in either case', () => {
    expect(parseSize('0')).toBe(0);
    expect(parseSize('16384')).toBe(16384);
    expect(parseSize('16k')).toBe(16384);
    expect(parseSize('1K')).toBe(1024);
    expect(parseSize('64m')).toBe(64 * 1024 * 1024);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
  });
  it('names the bad value', () => {
    for (const bad of ['', '1.5k', '10kb', '-1', 'k', '1 k', '1t']) {
      expect(() => parseSize(bad)).toThrow(`invalid size '${bad}'`);
    }
    expect(() => parseSize('99999999999999999g')).toThrow("size '99999999999999999g' is too large");
  });
});

describe('parseTime', () => {
  it('defaults to milliseconds and converts every unit', () => {
    expect(parseTime('250')).toBe(250);
    expect(parseTime('250ms')).toBe(250);
    expect(parseTime('2s')).toBe(2000);
    expect(parseTime('3m')).toBe(180_000);
    expect(parseTime('1h')).toBe(3_600_000);
    expect(parseTime('1d')).toBe(86_400_000);
  });
  it('rounds microseconds up to the next millisecond', () => {
    expect(parseTime('1us')).toBe(1);
    expect(parseTime('1500us')).toBe(2);
    expect(parseTime('0us')).toBe(0);
  });
  it('names the bad value', () => {
    for (const bad of ['', '1.5s', '5sec', 's', '-1s', '5S']) expect(() => parseTime(bad)).toThrow(`invalid time '${bad}'`);
  });
  it('rejects times beyond a signed 32-bit millisecond timer', () => {
    expect(parseTime(`${MAX_TIME_MS}`)).toBe(MAX_TIME_MS);
    expect(() => parseTime('25d')).toThrow("time '25d' is too large");
  });
});

describe('parseInteger, parsePercent, parseOctalMode', () => {
  it('checks integer ranges and names the value', () => {
    expect(parseInteger('64', 1, 64)).toBe(64);
    expect(() => parseInteger('65', 1, 64)).toThrow("value '65' is out of range, expected an integer between 1 and 64");
    expect(() => parseInteger('4x', 1, 64)).toThrow("invalid number '4x'");
    expect(() => parseInteger('0', 1, Number.MAX_SAFE_INTEGER)).toThrow('expected an integer >= 1');
  });
  it('reads fractional percentages within 0..100', () => {
    expect(parsePercent('0')).toBe(0);
    expect(parsePercent('2.5')).toBe(2.5);
    expect(parsePercent('100')).toBe(100);
    expect(() => parsePercent('100.1')).toThrow("percentage '100.1' is out of range");
    expect(() => parsePercent('5%')).toThrow("invalid percentage '5%'");
  });
  it('reads octal modes', () => {
    expect(parseOctalMode('600')).toBe(0o600);
    expect(parseOctalMode('0660')).toBe(0o660);
    expect(() => parseOctalMode('800')).toThrow("invalid mode '800'");
  });
});
