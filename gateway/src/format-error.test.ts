import type { GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { formatGatewayError } from './format-error';

const stacktrace = ['Error: boom', '    at resolve (/srv/gateway/src/server.ts:10:5)'];
const response = {
  url: 'http://10.0.0.7:4003/graphql',
  status: 401,
  statusText: 'Unauthorized',
  body: {},
};

describe('formatGatewayError', () => {
  const cases: Array<[string, GraphQLFormattedError, boolean, GraphQLFormattedError]> = [
    [
      "keeps the gateway's own coded error, without its stack",
      {
        message: 'The bearer token is invalid or expired.',
        extensions: { code: 'UNAUTHENTICATED', stacktrace },
      },
      false,
      {
        message: 'The bearer token is invalid or expired.',
        extensions: { code: 'UNAUTHENTICATED' },
      },
    ],
    [
      'keeps an unavailable subgraph to its name and code, even outside production',
      {
        message: 'The settlement service is unavailable.',
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'settlement', stacktrace },
      },
      false,
      {
        message: 'The settlement service is unavailable.',
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'settlement' },
      },
    ],
    [
      "passes a subgraph's business error on with its details but without the subgraph's URL",
      {
        message: 'Card number must have 16 digits.',
        path: ['memberByCard'],
        extensions: {
          code: 'BAD_USER_INPUT',
          field: 'cardNumber',
          serviceName: 'member',
          response,
          stacktrace,
        },
      },
      true,
      {
        message: 'Card number must have 16 digits.',
        path: ['memberByCard'],
        extensions: { code: 'BAD_USER_INPUT', field: 'cardNumber', serviceName: 'member' },
      },
    ],
    [
      'hides an uncoded subgraph error (DOWNSTREAM_SERVICE_ERROR) in production',
      {
        message: 'relation "lots" does not exist',
        path: ['me'],
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'member', response },
      },
      true,
      {
        message: 'Internal server error.',
        path: ['me'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'member' },
      },
    ],
    [
      'keeps the message of an uncoded subgraph error for the developer outside production, but not its URL or stack',
      {
        message: 'relation "lots" does not exist',
        extensions: {
          code: 'DOWNSTREAM_SERVICE_ERROR',
          serviceName: 'member',
          response,
          stacktrace,
        },
      },
      false,
      {
        message: 'relation "lots" does not exist',
        extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'member' },
      },
    ],
    [
      'treats a subgraph that could not validate the planned query (schema skew) as a bug, not as the caller’s mistake',
      {
        message: 'Cannot query field "tier" on type "Member".',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', serviceName: 'member' },
      },
      true,
      {
        message: 'Internal server error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'member' },
      },
    ],
    [
      'applies the shared rules when serviceName is not one of ours',
      {
        message: 'connect ECONNREFUSED 10.0.0.7:4003',
        extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'elsewhere' },
      },
      true,
      { message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ],
  ];

  it.each(cases)('%s', (_label, formatted, production, expected) => {
    expect(formatGatewayError(formatted, production)).toEqual(expected);
  });
});
