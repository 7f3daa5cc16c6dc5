import { describe, expect, it } from 'vitest';
import { textProblem } from './text';

const line = { lengthMax: 10, multiline: false };
const lines = { lengthMax: 10, multiline: true };

describe('free-text rules', () => {
  it.each([
    ['plain text', 'Café 42', line],
    ['an emoji, one character', '\u{1F600}'.repeat(10), line],
    ['exactly the limit', 'a'.repeat(10), line],
    ['the empty string (a field that needs text says so itself)', '', line],
    ['tab, line feed and carriage return where lines are allowed', 'a\tb\r\nc', lines],
    ['a surrogate pair', 'x\ud83d\ude00y', line],
  ])('accepts %s', (_label, value, rule) => {
    expect(textProblem(value, rule)).toBeUndefined();
  });

  it.each([
    ['a NUL', 'a\u0000', line, /U\+0000 at position 2/],
    ['a line feed on one line', 'a\nb', line, /no line breaks: it holds U\+000A/],
    ['a tab on one line', '\t', line, /U\+0009 at position 1/],
    ['DEL', 'a\u007f', line, /U\+007F/],
    ['a C1 control, even where lines are allowed', 'a\u0085', lines, /other than tab/],
    ['a paragraph separator', 'a\u2029', lines, /U\+2029/],
    ['a lone high surrogate', 'ab\ud800', line, /lone surrogate U\+D800 at position 3/],
    ['a lone low surrogate', '\udc00', lines, /lone surrogate U\+DC00/],
    ['a reversed pair', '\ude00\ud83d', line, /lone surrogate/],
    ['one character too many', 'a'.repeat(11), line, /at most 10 characters: it has 11/],
    ['emoji past the limit', '\u{1F600}'.repeat(11), line, /it has 11/],
  ])('refuses %s, naming the rule', (_label, value, rule, message) => {
    expect(textProblem(value, rule)).toMatch(message);
  });

  it('counts positions in characters, not UTF-16 units', () => {
    expect(textProblem('\u{1F600}\u0000', line)).toMatch(/at position 2/);
  });
});
