import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sqlFile, sqlTextArray } from './sql-file';

const dir = mkdtempSync(join(tmpdir(), 'sql-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): URL {
  const path = join(dir, name);
  writeFileSync(path, text);
  return pathToFileURL(path);
}

describe('sqlFile', () => {
  it('reads the statement without its whole-line comments, trimmed', () => {
    const url = file(
      'plain.sql',
      '-- Why this query.\n  -- indented too\nSELECT 1\n  FROM t -- kept\n',
    );
    expect(sqlFile(url)).toBe('SELECT 1\n  FROM t -- kept');
  });

  it('fills every placeholder, as often as it appears', () => {
    const url = file('filled.sql', 'SELECT {{a}}, {{b}}, {{a}}\n');
    expect(sqlFile(url, { a: 'x', b: 'y' })).toBe('SELECT x, y, x');
  });

  it('places a fragment whose last line is a comment without hiding what follows it', () => {
    const fragment = sqlFile(file('fragment.sql', 'SELECT 1\n-- trailing note\n'));
    const url = file('outer.sql', 'SELECT * FROM ({{inner}}) i WHERE true\n');
    expect(sqlFile(url, { inner: fragment })).toBe('SELECT * FROM (SELECT 1) i WHERE true');
  });

  it.each([
    ['a placeholder without a value', 'SELECT {{missing}}', {}, /no value for \{\{missing\}\}/],
    ['a value without a placeholder', 'SELECT 1', { extra: 'x' }, /no placeholder for extra/],
  ])('refuses %s, naming the file', (_case, text, fill, message) => {
    const url = file('bad.sql', text);
    expect(() => sqlFile(url, fill)).toThrow(message);
    expect(() => sqlFile(url, fill)).toThrow(/bad\.sql/);
  });
});

describe('sqlTextArray', () => {
  it('writes constants as a text array literal', () => {
    expect(sqlTextArray(['ISSUANCE', 'FEE'])).toBe("ARRAY['ISSUANCE','FEE']");
  });

  it('refuses anything that is not a plain constant', () => {
    expect(() => sqlTextArray(["x'; DROP TABLE t; --"])).toThrow(/not a constant/);
  });
});
