import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CoalitionError } from './errors';
import { currencyCode, parseInput, text, timeZone, uuid } from './validation';

describe('input validation', () => {
  it.each(['EUR', 'USD', 'GBP', 'JPY'])('accepts the currency %s', (code) => {
    expect(currencyCode.safeParse(code).success).toBe(true);
  });
  it.each(['eur', 'EURO', 'XYZ', '', 'E1R'])('rejects the currency %j', (code) => {
    expect(currencyCode.safeParse(code).success).toBe(false);
  });
  it.each(['Europe/Berlin', 'America/New_York', 'UTC'])('accepts the time zone %s', (zone) => {
    expect(timeZone.safeParse(zone).success).toBe(true);
  });
  it.each(['Mars/Olympus', 'berlin', ''])('rejects the time zone %j', (zone) => {
    expect(timeZone.safeParse(zone).success).toBe(false);
  });
  it('rejects ids that are not uuids', () => {
    expect(uuid.safeParse('42').success).toBe(false);
    expect(uuid.safeParse('7c9e6679-7425-40de-944b-e07fc1f90ae7').success).toBe(true);
  });
  it('trims text and rejects blank or overlong text', () => {
    expect(text('name').parse('  Aldo  ')).toBe('Aldo');
    expect(text('name').safeParse('   ').success).toBe(false);
    expect(text('name', 3).safeParse('abcd').success).toBe(false);
  });
  it('turns the first problem into a BAD_USER_INPUT error naming the field', () => {
    const schema = z.object({ partner: z.object({ currency: currencyCode }) });
    try {
      parseInput(schema, { partner: { currency: 'XYZ' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CoalitionError);
      expect((error as CoalitionError).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'partner.currency',
      });
      expect((error as CoalitionError).message).toContain('partner.currency');
    }
  });
});
