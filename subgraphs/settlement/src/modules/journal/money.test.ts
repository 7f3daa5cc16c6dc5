import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  convertMinor,
  divideRounded,
  formatMicros,
  parseMicros,
  parseRate,
  roundToMinor,
} from './money';

describe('rounding to the minor unit, half away from zero', () => {
  it.each([
    [0n, 0n],
    [499_999n, 0n],
    [500_000n, 1n],
    [1_499_999n, 1n],
    [1_500_000n, 2n],
    [-499_999n, 0n],
    [-500_000n, -1n],
    [-2_500_000n, -3n],
  ])('%s micros → %s', (micros, minor) => {
    expect(roundToMinor(micros)).toBe(minor);
  });

  it('is never more than half a minor unit away, and symmetric in sign', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), (micros) => {
        const rounded = roundToMinor(micros);
        const error = rounded * 1_000_000n - micros;
        expect(error <= 500_000n && error >= -500_000n).toBe(true);
        expect(roundToMinor(-micros)).toBe(-rounded);
      }),
    );
  });

  it('refuses a non-positive denominator', () => {
    expect(() => divideRounded(1n, 0n)).toThrow(RangeError);
  });
});

describe('prices in micros', () => {
  it.each([
    ['0.8', 800_000n],
    ['1', 1_000_000n],
    ['12.000001', 12_000_001n],
    ['0.000001', 1n],
  ])('parses %s', (text, micros) => {
    expect(parseMicros(text)).toBe(micros);
    expect(parseMicros(formatMicros(micros))).toBe(micros);
  });

  it.each(['', '-1', '0.0000001', '1e3', '1.', '.5', 'abc', '1234567890123'])(
    'refuses %j',
    (text) => {
      expect(parseMicros(text)).toBeUndefined();
    },
  );
});

describe('exchange rates', () => {
  it('parses positive decimals only', () => {
    expect(parseRate('1.1734')).toEqual({ numerator: 11734n, scale: 10000n });
    expect(parseRate('0')).toBeUndefined();
    expect(parseRate('-1')).toBeUndefined();
    expect(parseRate('1e2')).toBeUndefined();
  });

  it('converts between currencies with different minor units, rounding half away from zero', () => {
    // 100.00 GBP at 1.17345 EUR per GBP: 117.345 EUR → 117.35 EUR.
    expect(convertMinor(10_000n, '1.17345', 2, 2)).toBe(11_735n);
    // 1000 JPY (no minor unit) at 0.0061 EUR per JPY: 6.10 EUR.
    expect(convertMinor(1_000n, '0.0061', 0, 2)).toBe(610n);
    // 10.00 EUR at 163.5 JPY per EUR, into JPY: 1635 JPY.
    expect(convertMinor(1_000n, '163.5', 2, 0)).toBe(1_635n);
  });
});
