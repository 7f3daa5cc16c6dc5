import { describe, expect, it } from 'vitest';
import { parseWebOrigin } from './web-origin';

describe('parseWebOrigin', () => {
  it('keeps scheme, host and port, normalised as browsers send them', () => {
    expect(parseWebOrigin('https://Shop.Example.com')).toBe('https://shop.example.com');
    expect(parseWebOrigin('https://shop.example.com:443')).toBe('https://shop.example.com');
    expect(parseWebOrigin('https://shop.example.com:8443/')).toBe('https://shop.example.com:8443');
    expect(parseWebOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    expect(parseWebOrigin('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
  });

  it.each([
    ['http://shop.example.com', /https/],
    ['https://shop.example.com/checkout', /no path/],
    ['https://user:pw@shop.example.com', /credentials/],
    ['https://shop.example.com?x=1', /no path, query/],
    ['shop.example.com', /not an origin/],
    ['*', /not an origin/],
    ['https://*.example.com', /wildcard/],
    ['ftp://shop.example.com', /https/],
    [`https://${'a'.repeat(200)}.com`, /longer than 200/],
  ])('refuses %s', (raw, why) => {
    expect(() => parseWebOrigin(raw)).toThrow(why);
  });
});
