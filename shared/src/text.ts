/**
 * The rules every free-text input meets (the `Text` and `MultilineText` scalars, and zod's `text`):
 * well-formed Unicode, no control characters (tab, line feed and carriage return only where a
 * value may span lines) and a bounded length in characters (code points, not UTF-16 units).
 * A NUL would otherwise reach Postgres, which refuses it with a driver error, and a lone surrogate
 * would be stored as U+FFFD, a different text from the one the caller sent.
 */
export interface TextRule {
  /** The most characters (code points) a value may have. */
  lengthMax: number;
  /** Whether tab, line feed and carriage return are allowed. */
  multiline: boolean;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
const controlSingleLine = /[\p{Cc}\u2028\u2029]/u;
const controlMultiline = /[^\P{Cc}\t\n\r]|[\u2028\u2029]/u;

const codePoint = (character: string) =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Where a match is, counted in characters from 1 as a person counts them. */
const positionOf = (value: string, index: number) => [...value.slice(0, index)].length + 1;

/** What is wrong with a value under a rule, said for a person; undefined when nothing is. */
export function textProblem(value: string, rule: TextRule): string | undefined {
  const surrogate = loneSurrogate.exec(value);
  if (surrogate)
    return `must be valid Unicode (UTF-8): it holds a lone surrogate ${codePoint(surrogate[0])} at position ${positionOf(value, surrogate.index)}`;
  const control = (rule.multiline ? controlMultiline : controlSingleLine).exec(value);
  if (control) {
    const allowed = rule.multiline ? 'other than tab and line breaks' : 'and no line breaks';
    return `must hold no control characters ${allowed}: it holds ${codePoint(control[0])} at position ${positionOf(value, control.index)}`;
  }
  const length = [...value].length;
  if (length > rule.lengthMax)
    return `must be at most ${rule.lengthMax} characters: it has ${length}`;
  return undefined;
}
