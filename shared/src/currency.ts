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
