import { describe, expect, it } from 'vitest';
import { batchStatement } from './write-batch';

describe('batchStatement', () => {
  it('sends a single write as it is', () => {
    const alone = { text: 'INSERT INTO t (a) VALUES ($1)', values: [1] };
    expect(batchStatement([alone])).toBe(alone);
  });

  it('makes each write a part of one statement, renumbering its placeholders after the parts before it', () => {
    const batch = batchStatement([
      { text: 'INSERT INTO a (x, y) VALUES ($1, $2)', values: ['x', 'y'] },
      { text: 'UPDATE b SET n = n + $2 WHERE id = $1', values: ['b1', 5] },
      { text: '\n  DELETE FROM c WHERE id = $1 AND $1 IS NOT NULL', values: ['c1'] },
    ]);
    expect(batch.text).toBe(
      'WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), w1 AS (UPDATE b SET n = n + $4 WHERE id = $3), w2 AS (\n  DELETE FROM c WHERE id = $5 AND $5 IS NOT NULL) SELECT 1',
    );
    expect(batch.values).toEqual(['x', 'y', 'b1', 5, 'c1']);
  });

  it('renumbers two-digit placeholders whole ($10 is not $1 followed by 0)', () => {
    const values = Array.from({ length: 11 }, (_, i) => i + 1);
    const text = `INSERT INTO t VALUES (${values.map((v) => `$${v}`).join(', ')})`;
    const batch = batchStatement([
      { text: 'INSERT INTO s VALUES ($1)', values: [0] },
      { text, values },
    ]);
    expect(batch.text).toContain('($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)');
  });

  it.each([
    ['no writes', [], /at least one write/],
    [
      'a read among the writes',
      [
        { text: 'INSERT INTO a VALUES ($1)', values: [1] },
        { text: 'SELECT $1', values: [1] },
      ],
      /is a write/,
    ],
    [
      'fewer values than placeholders',
      [
        { text: 'INSERT INTO a VALUES ($1, $2)', values: [1] },
        { text: 'INSERT INTO b VALUES ($1)', values: [1] },
      ],
      /uses \$1…\$2 for 1 values/,
    ],
    [
      'more values than placeholders',
      [
        { text: 'INSERT INTO a VALUES ($1)', values: [1, 2] },
        { text: 'INSERT INTO b VALUES ($1)', values: [1] },
      ],
      /uses \$1…\$1 for 2 values/,
    ],
  ])('refuses %s, a programmer error', (_name, statements, message) => {
    expect(() => batchStatement(statements)).toThrow(message);
  });
});
