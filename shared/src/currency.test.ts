import { describe, expect, it } from 'vitest';
import { minorUnitExponent, minorUnitsPerUnit } from './currency';

describe('minor units of a currency', () => {
  it.each([
    ['EUR', 2, 100n],
    ['JPY', 0, 1n],
    ['KWD', 3, 1000n],
    ['BHD', 3, 1000n],
  ])('%s has %i decimals: %s minor units per unit', (currency, exponent, perUnit) => {
    expect(minorUnitExponent(currency)).toBe(exponent);
    expect(minorUnitsPerUnit(currency)).toBe(perUnit);
  });
});
