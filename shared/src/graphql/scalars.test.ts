import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CoalitionError } from '../errors';
import { DateTimeScalar, MinorUnitsScalar, MultilineTextScalar, TextScalar } from './scalars';

const refusal = (parse: () => unknown): CoalitionError => {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(CoalitionError);
    expect((error as CoalitionError).extensions.code).toBe('BAD_USER_INPUT');
    return error as CoalitionError;
  }
  throw new Error('expected a refusal');
};

describe('DateTime', () => {
  it.each([
    ['2026-11-30T10:00:00Z', '2026-11-30T10:00:00.000Z'],
    ['2024-02-29T23:59:59.123456Z', '2024-02-29T23:59:59.123Z'],
    ['2026-12-31T23:30:00-01:00', '2027-01-01T00:30:00.000Z'],
    ['2026-11-30T10:00Z', '2026-11-30T10:00:00.000Z'],
  ])('reads %s', (value, iso) => {
    expect(DateTimeScalar.parseValue(value).toISOString()).toBe(iso);
  });

  it.each([
    '2026-11-31T10:00:00Z',
    '2026-02-29T10:00:00Z',
    '2100-02-29T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-11-00T10:00:00Z',
  ])('refuses the impossible calendar date %s rather than rolling it over', (value) => {
    expect(refusal(() => DateTimeScalar.parseValue(value)).message).toMatch(
      /real calendar date: .* does not exist/,
    );
  });

  it.each([
    '2026-11-30T24:00:00Z',
    '2026-11-30T10:60:00Z',
    '2026-11-30T10:00:60Z',
    '2026-11-30T10:00:00+24:00',
    '2026-11-30T10:00:00',
    '2026-11-30',
  ])('refuses the malformed time %s', (value) => {
    expect(refusal(() => DateTimeScalar.parseValue(value)).message).toMatch(/ISO-8601/);
  });

  it('refuses an impossible date written inline the same way', () => {
    const ast = { kind: Kind.STRING, value: '2026-11-31T10:00:00Z' } as const;
    expect(refusal(() => DateTimeScalar.parseLiteral(ast)).message).toMatch(/does not exist/);
  });
});

describe('Text and MultilineText', () => {
  it('refuse what is not a string, inline or as a variable', () => {
    refusal(() => TextScalar.parseValue(42));
    refusal(() => TextScalar.parseLiteral({ kind: Kind.INT, value: '42' }));
    refusal(() => MultilineTextScalar.parseValue({ text: 'a' }));
  });

  it('name the scalar and the rule', () => {
    expect(refusal(() => TextScalar.parseValue('a\nb')).message).toBe(
      'Text must hold no control characters and no line breaks: it holds U+000A at position 2.',
    );
    expect(MultilineTextScalar.parseValue('a\nb')).toBe('a\nb');
  });
});

describe('MinorUnits written inline', () => {
  it.each([
    { kind: Kind.FLOAT, value: '12.5' },
    { kind: Kind.STRING, value: 'abc' },
    { kind: Kind.BOOLEAN, value: true },
  ] as const)('refuses %o with BAD_USER_INPUT', (ast) => {
    refusal(() => MinorUnitsScalar.parseLiteral(ast));
  });
});
