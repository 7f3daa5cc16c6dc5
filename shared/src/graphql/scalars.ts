import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '../errors';
import { limits } from '../limits';

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

function parseDate(value: unknown): Date {
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
  ) {
    throw badInput('A DateTime is an ISO-8601 string with a time zone, e.g. 2026-11-25T10:00:00Z.');
  }
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
