import { describe, expect, it } from 'vitest';
import {
  isValidCardNumber,
  luhnCheckDigit,
  newCardNumber,
  normalizeCardNumber,
} from './card-number';

describe('card numbers', () => {
  it.each([
    ['7992739871', 3], // the textbook Luhn example: 79927398713
    ['4111111111111111'.slice(0, 15), 1],
    ['701234567890123', 2],
  ])('the check digit of %s is %i', (body, digit) => {
    expect(luhnCheckDigit(body)).toBe(digit);
  });

  it('issues valid 16-digit cards with the coalition prefix', () => {
    for (let i = 0; i < 200; i++) {
      const card = newCardNumber();
      expect(card).toMatch(/^70\d{14}$/);
      expect(isValidCardNumber(card)).toBe(true);
    }
  });

  it('rejects a card with one digit changed or two digits swapped', () => {
    const card = '7012345678901232';
    expect(isValidCardNumber(card)).toBe(true);
    expect(isValidCardNumber('7012345678901233')).toBe(false);
    expect(isValidCardNumber('7012435678901232')).toBe(false);
  });

  it.each(['', '70123', '70123456789012350', '8012345678901235', '70123456789O1235'])(
    'rejects %j',
    (card) => {
      expect(isValidCardNumber(card)).toBe(false);
    },
  );

  it('accepts what people type', () => {
    expect(normalizeCardNumber('7012 3456-7890 1232')).toBe('7012345678901232');
  });
});
