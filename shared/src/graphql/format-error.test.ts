import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { badInput } from '../errors';
import { formatError, isDatabaseUnavailable } from './format-error';

const wrapped = (inner: unknown) =>
  new GraphQLError('boom', {
    originalError: Object.assign(new Error('query failed'), { driverError: inner }),
  });

describe('a database that cannot be reached', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    [
      'an administrator shutdown',
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
    ],
    [
      'a server starting up',
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    ],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
  ])('is recognised through the wrappers: %s', (_, inner) => {
    expect(isDatabaseUnavailable(wrapped(inner))).toBe(true);
  });

  it('is SERVICE_UNAVAILABLE, retryable, with no driver detail, in production and out of it', () => {
    const original = wrapped(
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' }),
    );
    for (const production of [true, false]) {
      const formatted = formatError(
        {
          message: 'connect ECONNREFUSED 10.0.0.7:5432',
          path: ['earnPoints'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
        production,
        original,
      );
      expect(formatted).toEqual({
        message:
          'The service cannot reach its database for a moment; retry under the same idempotency key.',
        path: ['earnPoints'],
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    }
  });

  it('leaves other errors alone: a constraint violation is still a bug', () => {
    const original = wrapped(
      Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
    );
    expect(isDatabaseUnavailable(original)).toBe(false);
    expect(
      formatError(
        { message: 'duplicate key', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        true,
        original,
      ).extensions?.code,
    ).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('a validation failure caused by one of our coded errors', () => {
  const validation = (cause: Error) =>
    new GraphQLError('recoded', {
      originalError: cause,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });

  it('keeps the cause’s code and message: a bad amount written inline is BAD_USER_INPUT', () => {
    const cause = badInput('MinorUnits is an integer written as a string, e.g. "1250".');
    const formatted = formatError(
      {
        message: cause.message,
        locations: [{ line: 1, column: 40 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
      true,
      validation(cause),
    );
    expect(formatted).toEqual({
      message: cause.message,
      locations: [{ line: 1, column: 40 }],
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('stays a validation failure when the cause is graphql-js’s own', () => {
    const formatted = formatError(
      { message: 'Cannot query field "nope"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      true,
      validation(new GraphQLError('Cannot query field "nope"')),
    );
    expect(formatted.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('a scalar refusing a variable', () => {
  const refused = (message: string) =>
    formatError(
      { message, extensions: { code: 'BAD_USER_INPUT' } },
      true,
      new GraphQLError(message, { originalError: badInput('Text must be…') }),
    ).extensions?.field;

  it.each([
    ['Variable "$input" got invalid value "a" at "input.name"; Text must…', 'name'],
    [
      'Variable "$input" got invalid value "a" at "input.stores[0].name"; Text must…',
      'stores.0.name',
    ],
    [
      'Variable "$bonuses" got invalid value "a" at "bonuses[1].tier"; Text must…',
      'bonuses.1.tier',
    ],
    ['Variable "$label" got invalid value "a\\u0000"; Text must…', 'label'],
  ])('names the field it refused: %s', (message, field) => {
    expect(refused(message)).toBe(field);
  });
});
