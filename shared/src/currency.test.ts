import { describe, expect, it } from 'vitest';
import { formatMinorUnits, minorUnitExponent, minorUnitsPerUnit } from './currency';

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

describe('an amount in minor units, as people read it', () => {
  it.each([
    [760n, 'EUR', '7.60 EUR'],
    [-760n, 'EUR', '-7.60 EUR'],
    [5n, 'EUR', '0.05 EUR'],
    [-5n, 'EUR', '-0.05 EUR'],
    [0n, 'EUR', '0.00 EUR'],
    [1500n, 'JPY', '1500 JPY'],
    [-1n, 'BHD', '-0.001 BHD'],
    ['123456789012345678901234567890', 'EUR', '1234567890123456789012345678.90 EUR'],
  ])('%s minor units of %s read %s', (amount, currency, text) => {
    expect(formatMinorUnits(amount, currency)).toBe(text);
  });
});
