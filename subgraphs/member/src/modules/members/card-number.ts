import { randomInt } from 'node:crypto';

/** Coalition cards: 16 digits, starting 70 (our issuer prefix), the last a Luhn check digit. */
export const CARD_PREFIX = '70';
export const CARD_LENGTH = 16;

/** The Luhn (mod 10) check digit for a string of digits. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidCardNumber(card: string): boolean {
  if (!/^\d{16}$/.test(card) || !card.startsWith(CARD_PREFIX)) return false;
  return luhnCheckDigit(card.slice(0, -1)) === Number(card.at(-1));
}

export function newCardNumber(): string {
  let body = CARD_PREFIX;
  while (body.length < CARD_LENGTH - 1) body += String(randomInt(10));
  return body + String(luhnCheckDigit(body));
}

/** Accepts what people type (spaces, dashes) and returns the 16 digits. */
export function normalizeCardNumber(input: string): string {
  return input.replace(/[\s-]/g, '');
}
