/**
 * Settlement arithmetic, pure and integer: prices in micros (millionths of a minor unit per
 * point), amounts in minor units, bigint throughout.
 */

export const MICROS_PER_MINOR = 1_000_000n;

/**
 * Divides and rounds half away from zero, the rule for every amount settlement rounds (the same
 * rule as PostgreSQL's round(numeric), which the close computes with).
 */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('the denominator is positive');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const quotient = (2n * magnitude + denominator) / (2n * denominator);
  return negative ? -quotient : quotient;
}

/** An exact amount in micros, rounded to the minor unit. */
export const roundToMinor = (micros: bigint): bigint => divideRounded(micros, MICROS_PER_MINOR);

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/** "0.8" (minor units per point, up to 6 decimals) → 800000 micros; undefined when it is not such a number. */
export function parseMicros(text: string): bigint | undefined {
  const match = DECIMAL.exec(text);
  if (!match?.[1]) return undefined;
  return BigInt(match[1]) * MICROS_PER_MINOR + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/** 800000 micros → "0.8". */
export function formatMicros(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const magnitude = micros < 0n ? -micros : micros;
  const whole = magnitude / MICROS_PER_MINOR;
  const fraction = (magnitude % MICROS_PER_MINOR).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A foreign-exchange rate as an exact fraction: units of the base currency per unit of another. */
export interface FxRate {
  currency: string;
  /** The rate as a decimal string, e.g. "1.1734". */
  rate: string;
}

const RATE = /^(\d{1,12})(?:\.(\d{1,12}))?$/;

/** The rate as numerator / 10^scale, or undefined when it is not a positive decimal. */
export function parseRate(text: string): { numerator: bigint; scale: bigint } | undefined {
  const match = RATE.exec(text);
  if (!match?.[1]) return undefined;
  const fraction = match[2] ?? '';
  const numerator = BigInt(match[1] + fraction);
  return numerator > 0n ? { numerator, scale: 10n ** BigInt(fraction.length) } : undefined;
}

/**
 * Converts an amount in minor units of one currency to minor units of the base currency, rounded
 * half away from zero: amount × rate × 10^(base exponent − currency exponent).
 */
export function convertMinor(
  amount: bigint,
  rate: string,
  fromExponent: number,
  baseExponent: number,
): bigint {
  const parsed = parseRate(rate);
  if (!parsed) throw new RangeError(`not an exchange rate: ${rate}`);
  const shift = baseExponent - fromExponent;
  const numerator = amount * parsed.numerator * (shift > 0 ? 10n ** BigInt(shift) : 1n);
  const denominator = parsed.scale * (shift < 0 ? 10n ** BigInt(-shift) : 1n);
  return divideRounded(numerator, denominator);
}
