import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '../errors';

/** DateTime on the wire is an ISO-8601 string in UTC; in resolvers it is a Date. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError(`DateTime cannot represent ${String(value)}`);
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
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw badInput('A DateTime is an ISO-8601 string with a time zone, e.g. 2026-11-25T10:00:00Z.');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput('A DateTime must be a real date.');
  return date;
}
