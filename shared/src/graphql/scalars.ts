import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '../errors';
import { limits } from '../limits';
import { textProblem, type TextRule } from '../text';

/** DateTime on the wire is an ISO-8601 string in UTC; in resolvers it is a Date. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime()))
      throw new TypeError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('A DateTime is an ISO-8601 string.');
    return parseDate(ast.value);
  },
});

const dateTimeShape =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * Parses a DateTime, refusing a day its month does not have: `new Date` alone rolls
 * 2026-11-31 over to 2026-12-01, so a typo would silently become another day.
 */
function parseDate(value: unknown): Date {
  const shape = typeof value === 'string' ? dateTimeShape.exec(value) : null;
  if (typeof value !== 'string' || !shape) {
    throw badInput('A DateTime is an ISO-8601 string with a time zone, e.g. 2026-11-25T10:00:00Z.');
  }
  const [year, month, day] = [Number(shape[1]), Number(shape[2]), Number(shape[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth)
    throw badInput(
      `A DateTime must be a real calendar date: ${value.slice(0, 10)} does not exist.`,
    );
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput('A DateTime must be a real date.');
  return date;
}

/**
 * Integers too large for a JSON number travel as decimal strings (docs/code-style.md): `Points` and
 * `MinorUnits` (money in the currency's smallest unit). Resolvers get and give bigint.
 */
function integerScalar(name: string, description: string): GraphQLScalarType<bigint, string> {
  const parse = (value: unknown): bigint => {
    if (typeof value === 'string' && /^-?\d{1,30}$/.test(value)) return BigInt(value);
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    throw badInput(`${name} is an integer written as a string, e.g. "1250".`);
  };
  return new GraphQLScalarType<bigint, string>({
    name,
    description,
    serialize(value) {
      if (typeof value === 'bigint') return value.toString();
      if (
        (typeof value === 'string' && /^-?\d+$/.test(value)) ||
        (typeof value === 'number' && Number.isSafeInteger(value))
      )
        return String(value);
      throw new TypeError(`${name} cannot represent ${String(value)}`);
    },
    parseValue: parse,
    parseLiteral(ast) {
      if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parse(ast.value);
      throw badInput(`${name} is an integer written as a string, e.g. "1250".`);
    },
  });
}

export const PointsScalar = integerScalar('Points', 'A number of points: an integer, as a string.');
export const MinorUnitsScalar = integerScalar(
  'MinorUnits',
  'An amount of money in the minor unit of its currency (cents for EUR), as a string.',
);

function parseIdempotencyKey(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.trim().length === 0 ||
    value.length > limits.idempotencyKeyLengthMax
  ) {
    throw badInput(
      `An idempotency key is a string of 1 to ${limits.idempotencyKeyLengthMax} characters.`,
      'idempotencyKey',
    );
  }
  return value;
}

/** A client's idempotency key (the wallet's semantics are in its schema). */
export const IdempotencyKeyScalar = new GraphQLScalarType<string, string>({
  name: 'IdempotencyKey',
  serialize: (value) => String(value),
  parseValue: parseIdempotencyKey,
  parseLiteral: (ast) => parseIdempotencyKey(ast.kind === Kind.STRING ? ast.value : undefined),
});

/**
 * Free text (docs/api-input.md): a scalar per kind, so every field that takes it is checked the
 * same way, as a variable or written inline, before a resolver runs.
 */
function textScalar(name: string, rule: TextRule): GraphQLScalarType<string, string> {
  const parse = (value: unknown): string => {
    if (typeof value !== 'string') throw badInput(`${name} is a string.`);
    const problem = textProblem(value, rule);
    if (problem) throw badInput(`${name} ${problem}.`);
    return value;
  };
  return new GraphQLScalarType<string, string>({
    name,
    serialize: (value) => String(value),
    parseValue: parse,
    parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
  });
}

export const TextScalar = textScalar('Text', { lengthMax: limits.textLengthMax, multiline: false });
export const MultilineTextScalar = textScalar('MultilineText', {
  lengthMax: limits.multilineTextLengthMax,
  multiline: true,
});
