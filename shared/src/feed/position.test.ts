import { describe, expect, it } from 'vitest';
import { comparePositions, FEED_START, formatPosition, parsePosition } from './position';

describe('feed positions', () => {
  it.each([
    ['0.0', { txId: 0n, seq: 0n }],
    ['741.12', { txId: 741n, seq: 12n }],
    ['18446744073709551615.9', { txId: 18446744073709551615n, seq: 9n }],
    ['1.9223372036854775807', { txId: 1n, seq: 9223372036854775807n }],
  ])('parses %s', (text, expected) => {
    expect(parsePosition(text)).toEqual(expected);
    expect(formatPosition(expected)).toBe(text);
  });

  it.each([
    '',
    '1',
    '1.',
    '.1',
    '-1.2',
    '1.2.3',
    'a.b',
    '1 .2',
    '123456789012345678901.1',
    '18446744073709551616.1',
    '1.9223372036854775808',
  ])('rejects %j', (text) => {
    expect(parsePosition(text)).toBeUndefined();
  });

  it('orders by transaction id first, then by sequence', () => {
    const sorted = ['10.5', '9.7', '10.2', FEED_START, '100.1'].sort(comparePositions);
    expect(sorted).toEqual([FEED_START, '9.7', '10.2', '10.5', '100.1']);
  });
});
