import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/**
 * Reads a statement (or a fragment of one) from a `.sql` file, once, at start-up: SQL too long to
 * read inside a template string lives in a file of its own, where an editor highlights it and its
 * comments explain it. Whole-line `--` comments are left out of the text sent to Postgres, so a
 * fragment can be placed mid-statement without commenting out what follows it.
 *
 * `{{name}}` placeholders are filled from `fill`: fragments shared by several statements, and
 * constants the code owns (a list of kinds, an account name). A placeholder without a value, or a
 * value no placeholder uses, is a programming error: this throws, naming the file, and the service
 * does not start. Values are never request data; parameters ($1, $2, …) carry that.
 */
export function sqlFile(url: URL, fill: Readonly<Record<string, string>> = {}): string {
  const path = fileURLToPath(url);
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .trim();
  const used = new Set<string>();
  const filled = text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = fill[name];
    if (value === undefined) throw new Error(`${path}: no value for {{${name}}}.`);
    used.add(name);
    return value;
  });
  const unused = Object.keys(fill).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`${path}: no placeholder for ${unused.join(', ')}.`);
  return filled;
}

/** A list of constants as a SQL text array literal, for a placeholder: `ARRAY['A','B']`. */
export function sqlTextArray(values: readonly string[]): string {
  for (const value of values)
    if (!/^[\w:.-]+$/.test(value)) throw new Error(`not a constant for SQL text: ${value}`);
  return `ARRAY['${values.join("','")}']`;
}
