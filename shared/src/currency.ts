const exponentCache = new Map<string, number>();

/** Digits after the decimal point of a currency's minor unit (EUR 2, JPY 0, BHD 3). */
export function minorUnitExponent(currency: string): number {
  let exponent = exponentCache.get(currency);
  if (exponent === undefined) {
    exponent =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits ?? 2;
    exponentCache.set(currency, exponent);
  }
  return exponent;
}

/** Minor units in one whole unit of a currency: 100 for EUR, 1 for JPY, 1000 for BHD. */
export const minorUnitsPerUnit = (currency: string): bigint =>
  10n ** BigInt(minorUnitExponent(currency));

/**
 * An amount in minor units as people read it: its currency's decimals and code, exact for any
 * bigint (no float on the way): 760n EUR → "7.60 EUR", -760n → "-7.60 EUR", 1500n JPY → "1500 JPY".
 */
export function formatMinorUnits(amount: bigint | string, currency: string): string {
  const value = typeof amount === 'bigint' ? amount : BigInt(amount);
  const exponent = minorUnitExponent(currency);
  const digits = (value < 0n ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${value < 0n ? '-' : ''}${whole}${fraction} ${currency}`;
}
