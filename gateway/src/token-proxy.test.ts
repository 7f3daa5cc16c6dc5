import { describe, expect, it } from 'vitest';
import { tokenEndpointUrl } from './token-proxy';

describe('tokenEndpointUrl', () => {
  it.each([
    ['http://127.0.0.1:4002/graphql', 'http://127.0.0.1:4002/oauth/token'],
    ['http://partner-merchant:4002/graphql/', 'http://partner-merchant:4002/oauth/token'],
    ['https://lb.internal/partner/graphql', 'https://lb.internal/partner/oauth/token'],
    ['http://partner-merchant:4002/', 'http://partner-merchant:4002/oauth/token'],
  ])('finds the token endpoint of %s at %s', (graphqlUrl, expected) => {
    expect(tokenEndpointUrl(graphqlUrl)).toBe(expected);
  });
});
